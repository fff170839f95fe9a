"""SentinelMiddleware on real Starlette and FastAPI apps, driven through httpx."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest

import sentinel_sdk
import sentinel_sdk_asgi
from sentinel_sdk import ConfigurationError, SentinelClient, TelemetryEvent
from sentinel_sdk_asgi import SentinelMiddleware
from tests.asgi.apps import APPS, TRACE_ID, TRACEPARENT, AppError, http_client, make_app
from tests.asgi.recording import RecordingClient

HEX32 = re.compile(r"[0-9a-f]{32}")
HEX16 = re.compile(r"[0-9a-f]{16}")


def by_prompt(events: list[TelemetryEvent]) -> dict[str, TelemetryEvent]:
    return {e.prompt.text: e for e in events}


def test_public_api_is_pinned() -> None:
    assert sentinel_sdk_asgi.__all__ == ["SCOPE_KEY", "TRACE_HEADER", "SentinelMiddleware"]


async def test_event_is_tied_to_the_request(framework: str, recorder: RecordingClient) -> None:
    app = make_app(framework, client=recorder)
    async with http_client(app) as http:
        response = await http.get(
            "/chat/s-42?lang=en",
            headers={"traceparent": TRACEPARENT, "X-Request-ID": "req-123"},
        )
    assert response.status_code == 200
    assert response.json() == {"session": "s-42"}
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.span_id is not None
    assert HEX16.fullmatch(event.span_id)
    assert event.metadata == {
        "http.request.method": "GET",
        "http.route": "/chat/{session_id}",
        "url.path": "/chat/s-42",
        "url.query": "lang=en",
        "sentinel.request_id": "req-123",
        "sentinel.cost_known": "false",  # the model is not in the price table (priced on send)
    }
    assert event.service_name == "asgi-tests"


async def test_each_request_gets_its_own_trace_and_request_id(
    framework: str, recorder: RecordingClient
) -> None:
    app = make_app(framework, client=recorder)
    async with http_client(app) as http:
        for _ in range(2):
            assert (await http.get("/chat/a")).status_code == 200
    first, second = recorder.events
    assert first.trace_id is not None
    assert HEX32.fullmatch(first.trace_id)
    assert second.trace_id is not None
    assert HEX32.fullmatch(second.trace_id)
    assert first.trace_id != second.trace_id
    assert first.metadata["sentinel.request_id"] != second.metadata["sentinel.request_id"]
    assert first.metadata["url.path"] == "/chat/a"


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"00-{TRACE_ID}-b7ad6b7169203331",  # no flags
        f"00-{TRACE_ID.upper()}-b7ad6b7169203331-01",  # not lowercase
        f"00-{'0' * 32}-b7ad6b7169203331-01",  # all-zero trace id
        f"ff-{TRACE_ID}-b7ad6b7169203331-01",  # forbidden version
        "",
    ],
)
async def test_malformed_traceparent_is_ignored(
    framework: str, recorder: RecordingClient, header: str
) -> None:
    app = make_app(framework, client=recorder)
    async with http_client(app) as http:
        response = await http.get("/chat/a", headers={"traceparent": header})
    assert response.status_code == 200
    [event] = recorder.events
    assert event.trace_id is not None
    assert HEX32.fullmatch(event.trace_id)
    assert event.trace_id not in (TRACE_ID, "0" * 32)


async def test_excluded_paths_get_no_scope(framework: str, recorder: RecordingClient) -> None:
    app = make_app(framework, client=recorder, excluded_paths=["/health"])
    sentinel_sdk.set_client(recorder)  # outside a scope, track() goes to the default
    try:
        async with http_client(app) as http:
            assert (await http.get("/health")).status_code == 200
            assert (await http.get("/health/live")).status_code in (200, 404)
            assert (await http.get("/chat/x")).status_code == 200
    finally:
        sentinel_sdk.set_client(None)
    health = [e for e in recorder.events if e.prompt.text == "health"]
    assert health
    for event in health:
        assert event.trace_id is None
        assert "http.route" not in event.metadata
    [chat] = [e for e in recorder.events if e.prompt.text == "async"]
    assert chat.metadata["http.route"] == "/chat/{session_id}"


async def test_sync_route_in_threadpool_sees_the_scope(
    framework: str, recorder: RecordingClient
) -> None:
    app = make_app(framework, client=recorder)
    async with http_client(app) as http:
        response = await http.get("/sync/7", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200
    assert TRACE_ID in response.text  # current_scope() inside the threadpool worker
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    expected_route = "/sync/{item_id:int}" if framework == "starlette" else "/sync/{item_id}"
    assert event.metadata["http.route"] == expected_route


async def test_work_handed_to_threads_keeps_the_scope(
    framework: str, recorder: RecordingClient
) -> None:
    app = make_app(framework, client=recorder)
    async with http_client(app) as http:
        response = await http.get("/threads", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200
    events = by_prompt(recorder.events)
    assert set(events) == {"to_thread", "run_in_executor"}
    assert {e.trace_id for e in events.values()} == {TRACE_ID}
    assert {e.metadata["http.route"] for e in events.values()} == {"/threads"}


async def test_llm_calls_while_streaming_belong_to_the_request(
    framework: str, recorder: RecordingClient
) -> None:
    app = make_app(framework, client=recorder)
    async with http_client(app) as http:
        response = await http.get("/stream", headers={"traceparent": TRACEPARENT})
    assert response.text == "chunk 0\nchunk 1\nchunk 2\n"
    assert [e.prompt.text for e in recorder.events] == ["stream-0", "stream-1", "stream-2"]
    assert {e.trace_id for e in recorder.events} == {TRACE_ID}
    assert {e.metadata["http.route"] for e in recorder.events} == {"/stream"}
    assert len({e.span_id for e in recorder.events}) == 3
    assert sentinel_sdk.current_scope() is None


async def test_app_exception_passes_through_unchanged(
    framework: str, recorder: RecordingClient
) -> None:
    instrumented, bare = make_app(framework, client=recorder), APPS[framework]()
    for app in (instrumented, bare):
        async with http_client(app) as http:
            with pytest.raises(AppError, match="boom"):
                await http.get("/boom")
    outcomes = []
    for app in (instrumented, bare):
        async with http_client(app, raise_app_exceptions=False) as http:
            response = await http.get("/boom")
        outcomes.append((response.status_code, response.text))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 500
    assert [e.prompt.text for e in recorder.events] == ["before-error"] * 2
    assert sentinel_sdk.current_scope() is None


async def test_raw_app_exception_is_the_same_object(recorder: RecordingClient) -> None:
    error = AppError("raised by the app")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise error

    middleware = SentinelMiddleware(app, client=recorder)
    with pytest.raises(AppError) as caught:
        await middleware(_http_scope("/x"), _receive, _discard)
    assert caught.value is error
    assert sentinel_sdk.current_scope() is None


async def test_scope_stays_open_until_the_last_chunk_is_sent(recorder: RecordingClient) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(3):
            await send({"type": "http.response.body", "body": b"x", "more_body": i < 2})

    seen: list[tuple[str, str | None]] = []

    async def send(message: Any) -> None:
        scope = sentinel_sdk.current_scope()
        seen.append((message["type"], scope.trace_id if scope else None))

    await SentinelMiddleware(app, client=recorder)(
        _http_scope("/s", headers=[(b"traceparent", TRACEPARENT.encode())]), _receive, send
    )
    assert seen == [("http.response.start", TRACE_ID)] + [("http.response.body", TRACE_ID)] * 3
    assert sentinel_sdk.current_scope() is None


async def test_cancelled_response_closes_the_scope(recorder: RecordingClient) -> None:
    started = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        during.append(sentinel_sdk.current_scope())
        started.set()
        await asyncio.sleep(3600)  # the client went away: the server cancels us

    during: list[object] = []
    after: list[object] = []
    middleware = SentinelMiddleware(app, client=recorder)

    async def serve() -> None:  # what the server's task for this request does
        try:
            await middleware(_http_scope("/s"), _receive, _discard)
        finally:
            after.append(sentinel_sdk.current_scope())

    task = asyncio.ensure_future(serve())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert during[0] is not None
    assert after == [None]


async def test_wrapping_twice_opens_one_scope(recorder: RecordingClient) -> None:
    inner_client = RecordingClient()
    app = make_app("starlette", client=inner_client)
    app.add_middleware(SentinelMiddleware, client=recorder)  # outermost
    try:
        async with http_client(app) as http:
            await http.get("/chat/a", headers={"traceparent": TRACEPARENT})
    finally:
        inner_client.close(timeout=0)
    assert inner_client.events == []
    [event] = recorder.events
    assert event.trace_id == TRACE_ID


async def test_trace_header(framework: str, recorder: RecordingClient) -> None:
    async with http_client(make_app(framework, client=recorder, trace_header=True)) as http:
        with_header = await http.get("/chat/a", headers={"traceparent": TRACEPARENT})
        streamed = await http.get("/stream")
    async with http_client(make_app(framework, client=recorder)) as http:
        without = await http.get("/chat/a", headers={"traceparent": TRACEPARENT})
    assert with_header.headers["x-sentinel-trace-id"] == TRACE_ID
    assert streamed.headers["x-sentinel-trace-id"] == recorder.events[1].trace_id
    assert "x-sentinel-trace-id" not in without.headers
    assert with_header.headers["content-type"] == without.headers["content-type"]


async def test_route_under_a_mount(recorder: RecordingClient) -> None:
    async with http_client(make_app("starlette", client=recorder)) as http:
        assert (await http.get("/v1/chat/z")).status_code == 200
        assert (await http.get("/v1/nothing")).status_code == 404
    [event] = recorder.events
    assert event.metadata["http.route"] == "/v1/chat/{session_id}"


async def test_default_client_is_looked_up_at_request_time(framework: str) -> None:
    app = make_app(framework)  # no client, no options
    first, second = RecordingClient(), RecordingClient()
    try:
        async with http_client(app) as http:
            sentinel_sdk.set_client(first)
            await http.get("/chat/a")
            sentinel_sdk.set_client(second)
            await http.get("/chat/b")
    finally:
        sentinel_sdk.set_client(None)
        first.close(timeout=0)
        second.close(timeout=0)
    assert [e.metadata["url.path"] for e in first.events] == ["/chat/a"]
    assert [e.metadata["url.path"] for e in second.events] == ["/chat/b"]


async def test_unreachable_broker_leaves_the_app_serving(framework: str, spool_dir: str) -> None:
    app = make_app(
        framework,
        brokers=["127.0.0.1:1"],
        spool_dir=spool_dir,
        request_timeout_ms=500,
        shutdown_timeout=0.5,
    )
    async with http_client(app) as http:
        loop = asyncio.get_running_loop()
        started = loop.time()
        responses = [await http.get(f"/chat/{i}") for i in range(20)]
        elapsed = loop.time() - started
    assert [r.status_code for r in responses] == [200] * 20
    assert elapsed < 5.0
    client = _middleware_client(app)
    assert client.stats()["queued"] == 20
    client.close(timeout=0.5)


async def test_internal_failure_is_logged_and_the_request_proceeds(
    recorder: RecordingClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**_: Any) -> Any:
        raise RuntimeError("scope machinery broke")

    monkeypatch.setattr("sentinel_sdk_asgi._middleware.open_request_scope", broken)
    monkeypatch.setattr("sentinel_sdk._log._last_logged", {})
    with caplog.at_level(logging.ERROR, logger="sentinel_sdk"):
        async with http_client(make_app("fastapi", client=recorder)) as http:
            response = await http.get("/chat/a")
    assert response.status_code == 200
    assert response.json() == {"session": "a"}
    assert "scope machinery broke" in caplog.text


def test_client_and_options_together_are_rejected(recorder: RecordingClient) -> None:
    with pytest.raises(ConfigurationError, match="client= or client options"):
        SentinelMiddleware(_discard, client=recorder, topic="x")


@pytest.mark.parametrize("paths", ["/health", ["health"]])
def test_bad_excluded_paths_are_rejected(paths: Any) -> None:
    with pytest.raises(ConfigurationError, match="excluded_paths"):
        SentinelMiddleware(_discard, excluded_paths=paths)


def test_own_client_is_closed_at_lifespan_shutdown(spool_dir: str) -> None:
    from starlette.testclient import TestClient

    app = make_app("starlette", brokers=["127.0.0.1:1"], spool_dir=spool_dir, shutdown_timeout=0.5)
    with TestClient(app) as client:
        assert client.get("/chat/a").status_code == 200
        own = _middleware_client(app)
        assert not own.closed
    assert own.closed


def test_websocket_is_scoped_per_connection(recorder: RecordingClient) -> None:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocket

    async def chat(websocket: WebSocket) -> None:
        await websocket.accept()
        for _ in range(2):
            text = await websocket.receive_text()
            sentinel_sdk.track(model="fake-model", prompt=text)
            await websocket.send_text("ok")
        await websocket.close()

    app = Starlette(routes=[WebSocketRoute("/ws/{room}", chat)])
    app.add_middleware(SentinelMiddleware, client=recorder, trace_header=True)
    accepted: list[bytes] = []
    with TestClient(app) as client:
        for connection in range(2):
            with client.websocket_connect(f"/ws/r{connection}") as ws:
                for message in range(2):
                    ws.send_text(f"{connection}-{message}")
                    assert ws.receive_text() == "ok"
                accepted.append(dict(ws.extra_headers or [])[b"x-sentinel-trace-id"])
    events = by_prompt(recorder.events)
    assert events["0-0"].trace_id == events["0-1"].trace_id
    assert events["1-0"].trace_id == events["1-1"].trace_id
    assert events["0-0"].trace_id != events["1-0"].trace_id
    assert events["0-0"].metadata["http.route"] == "/ws/{room}"
    assert events["0-0"].metadata["http.request.method"] == "WEBSOCKET"
    assert accepted == [
        events["0-0"].trace_id.encode(),  # type: ignore[union-attr]
        events["1-0"].trace_id.encode(),  # type: ignore[union-attr]
    ]


# -- helpers ---------------------------------------------------------------------------


def _http_scope(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers or [],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _discard(*_: Any) -> None:
    return None


def _middleware_client(app: Any) -> SentinelClient:
    """The client the app's SentinelMiddleware created (the stack is built on first call)."""
    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, SentinelMiddleware):
        layer = getattr(layer, "app", None)
    assert isinstance(layer, SentinelMiddleware)
    client = layer.client
    assert isinstance(client, SentinelClient)
    return client


async def test_the_scope_key_is_removed_after_the_request(recorder: RecordingClient) -> None:
    seen: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(sentinel_sdk_asgi.SCOPE_KEY in scope)
        sentinel_sdk.track(model="fake-model")

    scope = _http_scope("/x")
    await SentinelMiddleware(app, client=recorder)(scope, _receive, _discard)
    assert seen == [True]
    # The RequestScope's route getter refers to the ASGI scope: no cycle is left behind.
    assert sentinel_sdk_asgi.SCOPE_KEY not in scope
    assert len(recorder.events) == 1


async def test_set_user_adds_user_id_to_the_requests_later_events(
    recorder: RecordingClient,
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        sentinel_sdk.track(model="fake-model", prompt="anonymous")
        sentinel_sdk.set_user("user-42")
        sentinel_sdk.track(model="fake-model", prompt="signed-in")

    calls = 0

    async def twice(scope: Any, receive: Any, send: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await app(scope, receive, send)
        else:  # the next request: no user
            sentinel_sdk.track(model="fake-model", prompt="next")

    middleware = SentinelMiddleware(twice, client=recorder)
    await middleware(_http_scope("/x"), _receive, _discard)
    await middleware(_http_scope("/y"), _receive, _discard)
    anonymous, signed_in, next_request = recorder.events
    assert "user.id" not in anonymous.metadata
    assert signed_in.metadata["user.id"] == "user-42"
    assert "user.id" not in next_request.metadata
