"""The Django middleware under the real test clients: sync views, async views, streaming."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.test import AsyncClient, Client, override_settings

import sentinel_sdk
import sentinel_sdk_django
from sentinel_sdk import TelemetryEvent
from sentinel_sdk_django import conf
from sentinel_sdk_django.middleware import SentinelMiddleware
from tests.asgi.recording import RecordingClient
from tests.django.views import ViewError

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
HEX32 = re.compile(r"[0-9a-f]{32}")


def prompts(events: list[TelemetryEvent]) -> list[str]:
    return [e.prompt.text for e in events]


def test_public_api_is_pinned() -> None:
    assert sentinel_sdk_django.__all__ == ["MIDDLEWARE_PATH", "get_client"]


def test_app_put_its_middleware_first() -> None:
    from django.conf import settings

    assert settings.MIDDLEWARE[0] == conf.MIDDLEWARE_PATH
    assert settings.MIDDLEWARE.count(conf.MIDDLEWARE_PATH) == 1


def test_sync_view_event_is_tied_to_the_request(recorder: RecordingClient) -> None:
    response = Client().get(
        "/chat/s-1/?lang=en", HTTP_TRACEPARENT=TRACEPARENT, HTTP_X_REQUEST_ID="req-9"
    )
    assert response.status_code == 200
    assert response.json() == {"session": "s-1"}
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.metadata == {
        "http.request.method": "GET",
        "http.route": "/chat/<str:session_id>/",
        "url.path": "/chat/s-1/",
        "url.query": "lang=en",
        "sentinel.request_id": "req-9",
        "sentinel.cost_known": "false",  # the model is not in the price table (priced on send)
    }
    assert sentinel_sdk.current_scope() is None


async def test_async_view_event_is_tied_to_the_request(recorder: RecordingClient) -> None:
    response = await AsyncClient().get(
        "/achat/s-2/", headers={"traceparent": TRACEPARENT, "X-Request-ID": "req-10"}
    )
    assert response.status_code == 200
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.metadata["http.route"] == "/achat/<str:session_id>/"
    assert event.metadata["sentinel.request_id"] == "req-10"
    assert sentinel_sdk.current_scope() is None


async def test_async_view_threads_keep_the_scope(recorder: RecordingClient) -> None:
    response = await AsyncClient().get("/threads/", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200
    assert sorted(prompts(recorder.events)) == ["sync_to_async", "to_thread"]
    assert {e.trace_id for e in recorder.events} == {TRACE_ID}


def test_included_urls_give_the_full_route(recorder: RecordingClient) -> None:
    assert Client().get("/v1/chat/a/").status_code == 200
    [event] = recorder.events
    assert event.metadata["http.route"] == "/v1/chat/<str:session_id>/"


def test_unrouted_path_keeps_the_raw_path(recorder: RecordingClient) -> None:
    scope_routes: list[str] = []

    def view(request: Any) -> Any:
        from django.http import HttpResponse

        scope = sentinel_sdk.current_scope()
        assert scope is not None
        scope_routes.append(scope.metadata["http.route"])
        return HttpResponse("x")

    middleware = SentinelMiddleware(view)  # called before any URL resolution
    from django.test import RequestFactory

    middleware(RequestFactory().get("/not/routed"))
    assert scope_routes == ["/not/routed"]


def test_requests_get_distinct_trace_and_request_ids(recorder: RecordingClient) -> None:
    client = Client()
    client.get("/chat/a/")
    client.get("/chat/b/")
    first, second = recorder.events
    assert first.trace_id is not None
    assert HEX32.fullmatch(first.trace_id)
    assert first.trace_id != second.trace_id
    assert first.metadata["sentinel.request_id"] != second.metadata["sentinel.request_id"]


@pytest.mark.parametrize("header", ["nonsense", f"00-{TRACE_ID}-00f067aa0ba902b7", "00-xyz-1-01"])
def test_malformed_traceparent_is_ignored(recorder: RecordingClient, header: str) -> None:
    assert Client().get("/chat/a/", HTTP_TRACEPARENT=header).status_code == 200
    [event] = recorder.events
    assert event.trace_id is not None
    assert HEX32.fullmatch(event.trace_id)
    assert event.trace_id != TRACE_ID


def test_sync_streaming_keeps_the_scope_until_the_stream_ends(
    recorder: RecordingClient,
) -> None:
    response = Client().get("/stream/", HTTP_TRACEPARENT=TRACEPARENT)
    assert recorder.events == []  # nothing streamed yet
    assert b"".join(response.streaming_content) == b"chunk 0\nchunk 1\nchunk 2\n"
    assert prompts(recorder.events) == ["stream-0", "stream-1", "stream-2"]
    assert {e.trace_id for e in recorder.events} == {TRACE_ID}
    assert {e.metadata["http.route"] for e in recorder.events} == {"/stream/"}
    assert sentinel_sdk.current_scope() is None


async def test_async_streaming_keeps_the_scope_until_the_stream_ends(
    recorder: RecordingClient,
) -> None:
    response = await AsyncClient().get("/astream/", headers={"traceparent": TRACEPARENT})
    body = b"".join([chunk async for chunk in response.streaming_content])
    assert body == b"chunk 0\nchunk 1\nchunk 2\n"
    assert prompts(recorder.events) == ["astream-0", "astream-1", "astream-2"]
    assert {e.trace_id for e in recorder.events} == {TRACE_ID}
    assert sentinel_sdk.current_scope() is None


def test_view_exception_behaves_as_without_the_middleware(recorder: RecordingClient) -> None:
    with pytest.raises(ViewError, match="boom"):
        Client().get("/boom/")
    instrumented = Client(raise_request_exception=False).get("/boom/")
    with override_settings(MIDDLEWARE=["django.middleware.common.CommonMiddleware"]):
        bare = Client(raise_request_exception=False).get("/boom/")
    assert instrumented.status_code == bare.status_code == 500
    assert instrumented.content == bare.content
    assert prompts(recorder.events)[:2] == ["before-error", "before-error"]
    assert recorder.events[0].metadata["http.route"] == "/boom/"
    assert sentinel_sdk.current_scope() is None


async def test_async_view_exception_passes_through(recorder: RecordingClient) -> None:
    with pytest.raises(ViewError, match="boom"):
        await AsyncClient().get("/boom/")
    assert sentinel_sdk.current_scope() is None


def test_excluded_paths_get_no_scope(recorder: RecordingClient, spool_dir: str) -> None:
    sentinel = {
        "BROKERS": ["127.0.0.1:1"],
        "SPOOL_DIR": spool_dir,
        "SHUTDOWN_TIMEOUT": 0.2,
        "EXCLUDED_PATHS": ["/health"],
    }
    with override_settings(SENTINEL=sentinel):
        client = Client()
        assert client.get("/health/").status_code == 200
        assert client.get("/health/live/").status_code == 200
        assert client.get("/chat/a/").status_code == 200
        app_client = conf.get_client()
        assert app_client is not None
        assert app_client.stats()["queued"] == 1  # /chat/a/ went to the app's own client
    # Outside a scope, track() goes to the process default: the two health checks.
    assert prompts(recorder.events) == ["health", "health"]
    for event in recorder.events:
        assert event.trace_id is None
        assert "http.route" not in event.metadata


def test_override_settings_is_honoured(spool_dir: str) -> None:
    first = {"BROKERS": ["127.0.0.1:1"], "TOPIC": "first", "SPOOL_DIR": spool_dir}
    second = {**first, "TOPIC": "second", "SHUTDOWN_TIMEOUT": 0.2}
    with override_settings(SENTINEL={**first, "SHUTDOWN_TIMEOUT": 0.2}):
        Client().get("/chat/a/")
        client_one = conf.get_client()
        assert client_one is not None
        assert client_one.config.topic == "first"
        with override_settings(SENTINEL=second):
            Client().get("/chat/a/")
            client_two = conf.get_client()
            assert client_two is not None
            assert client_two.config.topic == "second"
            assert client_one.closed
    assert conf.get_client() is None  # SENTINEL unset again: the process default


def test_unreachable_brokers_leave_the_app_serving(spool_dir: str) -> None:
    import time

    sentinel = {"BROKERS": ["127.0.0.1:1"], "SPOOL_DIR": spool_dir, "SHUTDOWN_TIMEOUT": 0.2}
    with override_settings(SENTINEL=sentinel):
        client = Client()
        started = time.monotonic()
        codes = [client.get(f"/chat/{i}/").status_code for i in range(20)]
        elapsed = time.monotonic() - started
        app_client = conf.get_client()
        assert app_client is not None
        assert app_client.stats()["queued"] == 20
    assert codes == [200] * 20
    assert elapsed < 5.0


def test_invalid_settings_leave_the_app_serving(
    recorder: RecordingClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sentinel_sdk._log._last_logged", {})
    with (
        override_settings(SENTINEL={"BROKERS": ["127.0.0.1:1"], "BATCH_SIZE": "lots"}),
        caplog.at_level(logging.WARNING, logger="sentinel_sdk"),
    ):
        response = Client().get("/chat/a/")
    assert response.status_code == 200
    assert "BATCH_SIZE" in caplog.text
    [event] = recorder.events  # served without a scope: went to the default client
    assert event.trace_id is None


def test_internal_failure_is_logged_and_the_request_proceeds(
    recorder: RecordingClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> Any:
        raise RuntimeError("scope machinery broke")

    monkeypatch.setattr("sentinel_sdk_django.middleware.open_request_scope", broken)
    monkeypatch.setattr("sentinel_sdk._log._last_logged", {})
    with caplog.at_level(logging.ERROR, logger="sentinel_sdk"):
        response = Client().get("/chat/a/")
    assert response.status_code == 200
    assert response.json() == {"session": "a"}
    assert "scope machinery broke" in caplog.text


def test_a_served_request_is_freed_by_refcounting(recorder: RecordingClient) -> None:
    import gc
    import weakref

    from django.http import HttpResponse
    from django.test import RequestFactory

    def view(request: Any) -> Any:
        sentinel_sdk.track(model="fake-model")  # the scope's route getter is used
        return HttpResponse("x")

    gc.disable()  # a reference cycle would keep the request alive until the next GC run
    try:
        request = RequestFactory().get("/chat/a/")
        freed = weakref.ref(request)
        SentinelMiddleware(view)(request)
        del request
        assert freed() is None
    finally:
        gc.enable()
    assert len(recorder.events) == 1


def test_streamed_chunks_carry_the_route_template(recorder: RecordingClient) -> None:
    response = Client().get("/stream-n/2/", HTTP_TRACEPARENT=TRACEPARENT)
    assert b"".join(response.streaming_content) == b"xx"
    assert prompts(recorder.events) == ["n-0", "n-1"]
    assert {e.metadata["http.route"] for e in recorder.events} == {"/stream-n/<int:count>/"}
    assert {e.trace_id for e in recorder.events} == {TRACE_ID}


def test_unread_streaming_content_leaves_no_scope_behind(recorder: RecordingClient) -> None:
    Client().get("/stream/")  # never iterated, never closed
    assert sentinel_sdk.current_scope() is None


async def test_async_client_sync_stream_leaves_no_scope_behind(
    recorder: RecordingClient,
) -> None:
    response = await AsyncClient().get("/stream/", headers={"traceparent": TRACEPARENT})
    with pytest.warns(Warning, match="synchronous iterators"):
        body = b"".join([chunk async for chunk in response])
    assert body == b"chunk 0\nchunk 1\nchunk 2\n"
    assert {e.trace_id for e in recorder.events} == {TRACE_ID}
    assert sentinel_sdk.current_scope() is None
