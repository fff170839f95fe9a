"""``SentinelMiddleware``: one request scope per Django request, under WSGI and ASGI alike.

Sync- and async-capable, so Django never adapts it into a thread. The scope is
closed when the response is returned; a streaming response's content, which
the server iterates afterwards, produces each chunk inside the same request's
scope. SDK failures are logged and swallowed; the request proceeds exactly as
without it.
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
_Opened = tuple[RequestScope, _ScopeToken]


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
        opened = _open(request)
        if opened is None:
            return self.get_response(request)
        try:
            response = self.get_response(request)
        except BaseException:
            close_scope(opened[1])
            raise
        return _finish(response, opened)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        opened = _open(request)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        if opened is None:
            return await get_response(request)
        try:
            response = await get_response(request)
        except BaseException:
            close_scope(opened[1])
            raise
        return _finish(response, opened)


def _open(request: HttpRequest) -> _Opened | None:
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
        return scope, token
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


def _finish(response: HttpResponseBase, opened: _Opened) -> HttpResponseBase:
    scope, token = opened
    close_scope(token)
    if response.streaming:
        try:
            assert isinstance(response, StreamingHttpResponse)
            _ = scope.metadata  # resolve http.route while the request is alive
            content = response.streaming_content
            if response.is_async:
                response.streaming_content = _ScopedAsyncIterator(content, scope)
            else:
                response.streaming_content = _ScopedIterator(content, scope)
        except Exception:
            with capture_internal_exceptions("django middleware: wrapping a streaming response"):
                raise
    return response


def _enter(scope: RequestScope) -> _ScopeToken:
    return open_scope(trace_id=scope.trace_id, metadata=scope.metadata, client=scope.client)[1]


class _ScopedIterator:
    """Streaming content, unchanged, each chunk produced inside the request's scope.

    The server iterates it after the middleware returned (and closed the scope, so
    content that is never read leaks nothing); each chunk re-enters an equal scope,
    so LLM calls made while streaming carry the request's trace id and metadata.
    """

    __slots__ = ("_inner", "_scope")

    def __init__(self, inner: Iterator[bytes], scope: RequestScope) -> None:
        self._inner = inner
        self._scope = scope

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        token = _enter(self._scope)
        try:
            return next(self._inner)
        finally:
            close_scope(token)


class _ScopedAsyncIterator:
    """The async twin of ``_ScopedIterator``."""

    __slots__ = ("_inner", "_scope")

    def __init__(self, inner: AsyncIterator[bytes], scope: RequestScope) -> None:
        self._inner = inner
        self._scope = scope

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        token = _enter(self._scope)
        try:
            return await self._inner.__anext__()
        finally:
            close_scope(token)
