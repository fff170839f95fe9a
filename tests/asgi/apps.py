"""Starlette and FastAPI apps with the same routes, for the ASGI middleware tests."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Mount, Route

import sentinel_sdk
from sentinel_sdk_asgi import SentinelMiddleware

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


class AppError(Exception):
    """Raised by the failing routes; must reach the caller as it is."""


def _track(label: str) -> None:
    sentinel_sdk.track(model="fake-model", prompt=label, response="ok")


def _current_trace() -> str | None:
    scope = sentinel_sdk.current_scope()
    return scope.trace_id if scope is not None else None


async def _chunks(n: int) -> AsyncIterator[str]:
    for i in range(n):
        _track(f"stream-{i}")
        await asyncio.sleep(0)
        yield f"chunk {i}\n"


def starlette_app() -> Starlette:
    """The same routes as ``fastapi_app``, written for plain Starlette."""

    async def chat(request: Request) -> JSONResponse:
        _track("async")
        return JSONResponse({"session": request.path_params["session_id"]})

    def chat_sync(request: Request) -> PlainTextResponse:  # runs in Starlette's threadpool
        _track("sync")
        return PlainTextResponse(str(_current_trace()))

    async def stream(request: Request) -> StreamingResponse:
        return StreamingResponse(_chunks(3), media_type="text/plain")

    async def boom(request: Request) -> PlainTextResponse:
        _track("before-error")
        raise AppError("boom")

    async def health(request: Request) -> PlainTextResponse:
        _track("health")
        return PlainTextResponse("ok")

    async def threads(request: Request) -> PlainTextResponse:
        await asyncio.to_thread(_track, "to_thread")
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        await loop.run_in_executor(None, ctx.run, _track, "run_in_executor")
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/chat/{session_id}", chat),
            Route("/sync/{item_id:int}", chat_sync),
            Route("/stream", stream),
            Route("/boom", boom),
            Route("/health", health),
            Route("/health/live", health),
            Route("/threads", threads),
            Mount("/v1", routes=[Route("/chat/{session_id}", chat)]),
        ]
    )


def fastapi_app() -> FastAPI:
    """FastAPI routes: async, sync (threadpool), streaming, failing, excluded."""
    app = FastAPI()

    @app.get("/chat/{session_id}")
    async def chat(session_id: str) -> dict[str, str]:
        _track("async")
        return {"session": session_id}

    @app.get("/sync/{item_id}")
    def chat_sync(item_id: int) -> str | None:
        _track("sync")
        return _current_trace()

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(_chunks(3), media_type="text/plain")

    @app.get("/boom")
    async def boom() -> None:
        _track("before-error")
        raise AppError("boom")

    @app.get("/health")
    async def health() -> str:
        _track("health")
        return "ok"

    @app.get("/threads")
    async def threads() -> str:
        await asyncio.to_thread(_track, "to_thread")
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        await loop.run_in_executor(None, ctx.run, _track, "run_in_executor")
        return "ok"

    return app


APPS: dict[str, Callable[[], Any]] = {"starlette": starlette_app, "fastapi": fastapi_app}


def make_app(framework: str, **middleware: Any) -> Any:
    app = APPS[framework]()
    app.add_middleware(SentinelMiddleware, **middleware)
    return app


def http_client(app: Any, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")
