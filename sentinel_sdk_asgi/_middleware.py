"""``SentinelMiddleware``: one request scope per ASGI HTTP request or websocket connection.

Pure ASGI, so it wraps Starlette, FastAPI or any other ASGI app without
buffering responses: the scope is opened when the request arrives and closed
when the app returns (after the last body chunk of a streaming response, or
when the response is cancelled), so LLM calls made while streaming belong to
the request. Per-request state lives in locals and closures, never on the
instance. SDK failures are logged and swallowed; the app's own exceptions pass
through as they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from sentinel_sdk import ConfigurationError, SentinelClient
from sentinel_sdk.integrations import (
    Client,
    ExcludedPaths,
    RequestScope,
    ScopeToken,
    capture_internal_exceptions,
    close_scope,
    open_request_scope,
)

__all__ = ["SCOPE_KEY", "TRACE_HEADER", "ASGIApp", "Receive", "Scope", "Send", "SentinelMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SCOPE_KEY = "sentinel_sdk.scope"
"""ASGI scope key holding the request's ``RequestScope`` while the request is served (also
the guard against wrapping twice)."""
TRACE_HEADER = b"x-sentinel-trace-id"
"""Response header carrying the request's trace id when ``trace_header=True``."""


class SentinelMiddleware:
    """Ties every LLM call made while serving a request to that request.

    ``app.add_middleware(SentinelMiddleware, brokers=["kafka:9092"], service_name="chat")``
    creates a client of its own from the options (flushed and closed at lifespan
    shutdown); ``client=`` uses a client you made; with neither, events go to the
    process default (``sentinel_sdk.init``) at request time.

    Paths in ``excluded_paths`` match exactly or as a prefix followed by ``/``
    (``"/health"`` excludes ``/health`` and ``/health/live``; ``"/"`` only the root
    page). ``trace_header=True``
    adds ``X-Sentinel-Trace-Id`` to each response.
    """

    def __init__(
        self,
        app: ASGIApp,
        /,
        *,
        client: Client | None = None,
        excluded_paths: Iterable[str] = (),
        trace_header: bool = False,
        **options: Any,
    ) -> None:
        if client is not None and options:
            raise ConfigurationError(
                "SentinelMiddleware takes client= or client options, not both; "
                f"got client= and {', '.join(sorted(options))}"
            )
        self.app = app
        self._owned_client = SentinelClient(**options) if options else None
        self.client: Client | None = client if client is not None else self._owned_client
        self.trace_header = trace_header
        self._excluded = ExcludedPaths(excluded_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            if kind == "lifespan" and self._owned_client is not None:
                send = self._closing_at_shutdown(send)
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if SCOPE_KEY in scope or path in self._excluded:
            await self.app(scope, receive, send)
            return
        opened = None
        with capture_internal_exceptions():
            opened = _open(scope, path, self.client)
        if opened is None:
            await self.app(scope, receive, send)
            return
        request_scope, token = opened
        if self.trace_header:
            send = _adding_trace_header(send, request_scope.trace_id)
        try:
            await self.app(scope, receive, send)
        finally:
            close_scope(token)
            # The RequestScope's route getter refers to this dict: drop the cycle so
            # the request is freed by refcounting, not left to the cyclic GC.
            scope.pop(SCOPE_KEY, None)

    def _closing_at_shutdown(self, send: Send) -> Send:
        client = self._owned_client
        assert client is not None

        async def lifespan_send(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                with capture_internal_exceptions():
                    await _run_in_thread(client.close)
            await send(message)

        return lifespan_send


def _open(scope: Scope, path: str, client: Client | None) -> tuple[RequestScope, ScopeToken]:
    traceparent: bytes | None = None
    request_id: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"traceparent":
            traceparent = value
        elif name == b"x-request-id":
            request_id = value
    query = scope.get("query_string")
    root_path = scope.get("root_path", "")
    request_scope, token = open_request_scope(
        method=scope.get("method") or "WEBSOCKET",
        path=path,
        query=query.decode("latin-1") if query else None,
        traceparent=traceparent,
        request_id=request_id,
        client=client,
        route=lambda: _route_template(scope, root_path),
    )
    scope[SCOPE_KEY] = request_scope
    return request_scope, token


def _route_template(scope: Scope, root_path: str) -> str | None:
    """The matched route's template (Starlette / FastAPI set ``scope["route"]`` when routing).

    Under a ``Mount`` the router moves the matched prefix into ``root_path``; it is
    put back in front. Containers (a ``Mount`` that matched nothing inside) give
    ``None``, so the raw path stays.
    """
    route = scope.get("route")
    if route is None or getattr(route, "endpoint", None) is None:
        return None
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return None
    prefix = scope.get("root_path", "")[len(root_path) :]
    return prefix + template if prefix else template


def _adding_trace_header(send: Send, trace_id: str) -> Send:
    header = (TRACE_HEADER, trace_id.encode("ascii"))

    async def send_with_trace_header(message: Message) -> None:
        if message["type"] in ("http.response.start", "websocket.accept"):
            # A new message: the app's own headers list (e.g. a Response's) stays unchanged.
            message = {**message, "headers": [*message.get("headers", ()), header]}
        await send(message)

    return send_with_trace_header


async def _run_in_thread(func: Callable[[], object]) -> None:
    """Run a blocking call off the event loop (anyio when present: asyncio and trio)."""
    try:
        import anyio.to_thread
    except ImportError:  # a bare asyncio server without anyio
        import asyncio

        await asyncio.get_running_loop().run_in_executor(None, func)
        return
    await anyio.to_thread.run_sync(func)
