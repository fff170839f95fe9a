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
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from sentinel_sdk.integrations import (
    RequestScope,
    ScopedAsyncIterator,
    ScopedIterator,
    ScopeToken,
    capture_internal_exceptions,
    close_scope,
    open_request_scope,
)

from .conf import state

__all__ = ["REQUEST_ATTR", "SentinelMiddleware"]

REQUEST_ATTR = "sentinel_scope"
"""``request.sentinel_scope``: the request's ``RequestScope`` (also the guard against two runs)."""

_Opened = tuple[RequestScope, ScopeToken]


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
    with capture_internal_exceptions():
        current = state()
        path = request.path
        if (
            not current.active
            or getattr(request, REQUEST_ATTR, None) is not None
            or path in current.excluded_paths
        ):
            return None
        meta = request.META
        request_ref = weakref.ref(request)
        scope, token = open_request_scope(
            method=request.method or "GET",
            path=path,
            query=meta.get("QUERY_STRING"),
            traceparent=meta.get("HTTP_TRACEPARENT"),
            request_id=meta.get("HTTP_X_REQUEST_ID"),
            client=current.client,
            # A weak reference: the scope is stored on the request, and a cycle would
            # leave every request to the cyclic GC instead of refcounting.
            route=lambda: _route_template(request_ref()),
        )
        setattr(request, REQUEST_ATTR, scope)
        return scope, token
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
        with capture_internal_exceptions():
            assert isinstance(response, StreamingHttpResponse)
            _ = scope.metadata  # resolve http.route while the request is alive
            content = response.streaming_content
            if response.is_async:
                response.streaming_content = ScopedAsyncIterator(content, scope)
            else:
                response.streaming_content = ScopedIterator(content, scope)
    return response
