"""``SentinelMiddleware``: one request scope per Django request, under WSGI and ASGI alike.

Sync- and async-capable, so Django never adapts it into a thread. The scope is
closed when the response is returned, or, for a streaming response, when its
content is exhausted or the response is closed by the server. SDK failures are
logged and swallowed; the request proceeds exactly as without it.
"""

# mypy: disable-error-code="import-untyped", allow-subclassing-any, allow-untyped-decorators
# (Django ships no type hints; django-stubs is not a dependency.)

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import Token
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from sentinel_sdk._ids import new_span_id
from sentinel_sdk._log import capture_internal_exceptions
from sentinel_sdk.scope import RequestScope, close_scope, open_scope

from .conf import state

__all__ = ["REQUEST_ATTR", "SentinelMiddleware"]

REQUEST_ATTR = "sentinel_scope"
"""``request.sentinel_scope``: the request's ``RequestScope`` (also the guard against two runs)."""

_MAX_REQUEST_ID = 200
_ScopeToken = Token[RequestScope | None]


class SentinelMiddleware:
    """Opens the request scope that ties LLM calls to the Django request serving them.

    Listed first in ``MIDDLEWARE`` by the app unless ``SENTINEL["AUTO_MIDDLEWARE"]``
    is False; then list ``"sentinel_sdk_django.middleware.SentinelMiddleware"``
    yourself, first.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        token = _open(request)
        if token is None:
            return self.get_response(request)
        try:
            response = self.get_response(request)
        except BaseException:
            close_scope(token)
            raise
        return _finish(response, token)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        token = _open(request)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        if token is None:
            return await get_response(request)
        try:
            response = await get_response(request)
        except BaseException:
            close_scope(token)
            raise
        return _finish(response, token)


def _open(request: HttpRequest) -> _ScopeToken | None:
    try:
        current = state()
        path = request.path
        if (
            not current.active
            or getattr(request, REQUEST_ATTR, None) is not None
            or current.excluded(path)
        ):
            return None
        meta = request.META
        request_ref = weakref.ref(request)
        query = meta.get("QUERY_STRING")
        request_id = meta.get("HTTP_X_REQUEST_ID")
        scope, token = open_scope(
            traceparent=meta.get("HTTP_TRACEPARENT"),
            metadata={
                "http.method": request.method or "GET",
                "http.route": path,
                "http.target": f"{path}?{query}" if query else path,
                "http.request_id": request_id[:_MAX_REQUEST_ID] if request_id else new_span_id(),
            },
            client=current.client,
            # A weak reference: the scope is stored on the request, and a cycle would
            # leave every request to the cyclic GC instead of refcounting.
            route=lambda: _route_template(request_ref()),
        )
        setattr(request, REQUEST_ATTR, scope)
        return token
    except Exception:
        with capture_internal_exceptions("django middleware: opening the request scope"):
            raise
        return None


def _route_template(request: HttpRequest | None) -> str | None:
    """``resolver_match.route`` (set by URL resolution, after this middleware ran), as a path."""
    match = request.resolver_match if request is not None else None
    route: str | None = match.route if match is not None else None
    if not route:
        return None
    return route if route.startswith(("/", "^")) else "/" + route


def _finish(response: HttpResponseBase, token: _ScopeToken) -> HttpResponseBase:
    if not response.streaming:
        close_scope(token)
        return response
    try:
        assert isinstance(response, StreamingHttpResponse)
        # Keep the scope open while the server streams the content (LLM calls made by
        # the generator belong to the request); close it when the stream ends or the
        # response is closed (Django registers the wrapper's close() for that).
        content = response.streaming_content
        if response.is_async:
            response.streaming_content = _ClosingAsyncIterator(content, token)
        else:
            response.streaming_content = _ClosingIterator(content, token)
    except Exception:
        close_scope(token)
        with capture_internal_exceptions("django middleware: wrapping a streaming response"):
            raise
    return response


class _ScopeCloser:
    __slots__ = ("_token",)

    def __init__(self, token: _ScopeToken) -> None:
        self._token: _ScopeToken | None = token

    def close(self) -> None:
        token, self._token = self._token, None
        if token is not None:
            close_scope(token)


class _ClosingIterator(_ScopeCloser):
    """Yields the content unchanged; closes the request scope at the end or on close()."""

    __slots__ = ("_inner",)

    def __init__(self, inner: Iterator[bytes], token: _ScopeToken) -> None:
        super().__init__(token)
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._inner)
        except StopIteration:
            self.close()
            raise


class _ClosingAsyncIterator(_ScopeCloser):
    """The async twin of ``_ClosingIterator``."""

    __slots__ = ("_inner",)

    def __init__(self, inner: AsyncIterator[bytes], token: _ScopeToken) -> None:
        super().__init__(token)
        self._inner = inner

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._inner.__anext__()
        except StopAsyncIteration:
            self.close()
            raise
