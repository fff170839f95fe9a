"""A Flask app factory for the extension tests: sync, streaming, failing, threaded routes."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, Response, jsonify, stream_with_context

import sentinel_sdk
from sentinel_sdk_flask import Sentinel


class RouteError(Exception):
    """Raised by the failing route."""


def track(label: str) -> None:
    sentinel_sdk.track(model="fake-model", prompt=label, response="ok")


def create_app(sentinel: Sentinel | None = None, **config: Any) -> Flask:
    """An app with its own config; ``sentinel`` (default: a new ``Sentinel()``) is applied."""
    app = Flask(__name__)
    app.config.update(config)

    @app.get("/chat/<session_id>")
    def chat(session_id: str) -> Any:
        track("sync")
        return jsonify(session=session_id)

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[str]:
            for i in range(3):
                track(f"stream-{i}")
                yield f"chunk {i}\n"

        return Response(chunks(), mimetype="text/plain")

    @app.get("/stream-n/<int:count>")
    def stream_n(count: int) -> Response:
        def chunks() -> Iterator[str]:
            for i in range(count):
                track(f"n-{i}")
                yield f"chunk {i}\n"

        return Response(chunks(), mimetype="text/plain")

    @app.get("/stream-with-context")
    def stream_ctx() -> Response:
        def chunks() -> Iterator[str]:
            for i in range(2):
                track(f"ctx-{i}")
                yield f"chunk {i}\n"

        return Response(stream_with_context(chunks()), mimetype="text/plain")

    @app.get("/boom")
    def boom() -> str:
        track("before-error")
        raise RouteError("boom")

    @app.get("/health")
    @app.get("/health/live")
    def health() -> str:
        track("health")
        return "ok"

    @app.get("/threads")
    def threads() -> str:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(contextvars.copy_context().run, track, "executor").result()
        return "ok"

    (sentinel or Sentinel()).init_app(app)
    return app
