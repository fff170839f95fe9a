"""The Flask extension with Flask's test client: scope per request, streaming, factories."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from flask import Flask

import sentinel_sdk
import sentinel_sdk_flask
from sentinel_sdk import ConfigurationError, SentinelClient, TelemetryEvent, json_schema
from sentinel_sdk_flask import Sentinel
from tests.asgi.recording import RecordingClient
from tests.flask.apps import RouteError, create_app
from tests.kafka_helpers import Broker, consume, new_topic

TRACE_ID = "5bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
HEX32 = re.compile(r"[0-9a-f]{32}")


def prompts(events: list[TelemetryEvent]) -> list[str]:
    return [e.prompt.text for e in events]


def test_public_api_is_pinned() -> None:
    assert sentinel_sdk_flask.__all__ == ["EXTENSION_KEY", "Sentinel", "SentinelState"]


def test_event_is_tied_to_the_request(recorder: RecordingClient) -> None:
    app = create_app(Sentinel(client=recorder))
    response = app.test_client().get(
        "/chat/s-1?lang=en", headers={"traceparent": TRACEPARENT, "X-Request-ID": "req-7"}
    )
    assert response.status_code == 200
    assert response.json == {"session": "s-1"}
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.metadata == {
        "http.request.method": "GET",
        "http.route": "/chat/<session_id>",
        "url.path": "/chat/s-1",
        "url.query": "lang=en",
        "sentinel.request_id": "req-7",
        "sentinel.cost_known": "false",  # the model is not in the price table (priced on send)
    }
    assert sentinel_sdk.current_scope() is None


def test_requests_get_distinct_ids_and_unrouted_paths_keep_the_raw_path(
    recorder: RecordingClient,
) -> None:
    app = create_app(Sentinel(client=recorder))

    @app.before_request
    def in_hook() -> None:  # LLM calls in the app's own hooks are in scope too
        track_path = sentinel_sdk.current_scope()
        assert track_path is not None

    client = app.test_client()
    client.get("/chat/a")
    client.get("/chat/b")
    assert client.get("/nowhere").status_code == 404
    first, second = recorder.events
    assert first.trace_id is not None
    assert HEX32.fullmatch(first.trace_id)
    assert first.trace_id != second.trace_id
    assert first.metadata["sentinel.request_id"] != second.metadata["sentinel.request_id"]


@pytest.mark.parametrize("header", ["junk", f"01-{TRACE_ID}", f"00-{TRACE_ID}-{'0' * 16}-01"])
def test_malformed_traceparent_is_ignored(recorder: RecordingClient, header: str) -> None:
    app = create_app(Sentinel(client=recorder))
    assert app.test_client().get("/chat/a", headers={"traceparent": header}).status_code == 200
    [event] = recorder.events
    assert event.trace_id is not None
    assert HEX32.fullmatch(event.trace_id)
    assert event.trace_id != TRACE_ID


def test_excluded_paths_from_config_and_constructor(recorder: RecordingClient) -> None:
    own = RecordingClient()
    try:
        for app in (
            create_app(Sentinel(client=own), SENTINEL_EXCLUDED_PATHS=["/health"]),
            create_app(Sentinel(client=own, excluded_paths=["/health/"])),
        ):
            client = app.test_client()
            assert client.get("/health").status_code == 200
            assert client.get("/health/live").status_code == 200
            assert client.get("/chat/a").status_code == 200
    finally:
        own.close(timeout=0)
    assert prompts(own.events) == ["sync", "sync"]
    assert prompts(recorder.events) == ["health"] * 4  # no scope: the process default
    assert {e.trace_id for e in recorder.events} == {None}


def test_work_handed_to_a_thread_keeps_the_scope(recorder: RecordingClient) -> None:
    app = create_app(Sentinel(client=recorder))
    app.test_client().get("/threads", headers={"traceparent": TRACEPARENT})
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.metadata["http.route"] == "/threads"


@pytest.mark.parametrize(
    ("path", "route", "labels"),
    [
        ("/stream", "/stream", ["stream-0", "stream-1", "stream-2"]),
        ("/stream-with-context", "/stream-with-context", ["ctx-0", "ctx-1"]),
        ("/stream-n/2", "/stream-n/<int:count>", ["n-0", "n-1"]),
    ],
)
def test_streamed_response_keeps_the_scope_until_closed(
    recorder: RecordingClient, path: str, route: str, labels: list[str]
) -> None:
    app = create_app(Sentinel(client=recorder))
    response = app.test_client().get(path, headers={"traceparent": TRACEPARENT}, buffered=False)
    # The body is produced while the client (the server, here) iterates it, after teardown.
    assert response.get_data().startswith(b"chunk 0\n")
    assert prompts(recorder.events) == labels
    assert {e.trace_id for e in recorder.events} == {TRACE_ID}
    assert {e.metadata["http.route"] for e in recorder.events} == {route}
    assert len({e.span_id for e in recorder.events}) == len(labels)
    response.close()  # what a WSGI server does at the end
    assert sentinel_sdk.current_scope() is None


def test_unread_streamed_body_leaves_no_scope_behind(recorder: RecordingClient) -> None:
    app = create_app(Sentinel(client=recorder))
    response = app.test_client().get("/stream", buffered=False)
    assert app.test_client().get("/nowhere").status_code == 404  # an error body, unread
    assert sentinel_sdk.current_scope() is None
    response.close()  # the client went away after one chunk
    assert prompts(recorder.events) == ["stream-0"]
    assert sentinel_sdk.current_scope() is None


def test_route_exception_behaves_as_without_the_extension(recorder: RecordingClient) -> None:
    app, bare = create_app(Sentinel(client=recorder)), Flask(__name__)
    bare.add_url_rule("/boom", "boom", app.view_functions["boom"])
    app.testing = bare.testing = True
    for each in (app, bare):
        with pytest.raises(RouteError, match="boom"):
            each.test_client().get("/boom")
    app.testing = bare.testing = False
    instrumented = app.test_client().get("/boom")
    plain = bare.test_client().get("/boom")
    assert instrumented.status_code == plain.status_code == 500
    assert instrumented.data == plain.data
    assert prompts(recorder.events)[:1] == ["before-error"]
    assert recorder.events[0].metadata["http.route"] == "/boom"
    assert sentinel_sdk.current_scope() is None


def test_unreachable_brokers_leave_the_app_serving(spool_dir: str) -> None:
    app = create_app(
        SENTINEL_BROKERS="127.0.0.1:1", SENTINEL_SPOOL_DIR=spool_dir, SENTINEL_SHUTDOWN_TIMEOUT=0.2
    )
    client = app.test_client()
    started = time.monotonic()
    codes = [client.get(f"/chat/{i}").status_code for i in range(20)]
    elapsed = time.monotonic() - started
    assert codes == [200] * 20
    assert elapsed < 5.0
    own = app.extensions["sentinel"].client
    assert isinstance(own, SentinelClient)
    assert own.stats()["queued"] == 20
    own.close(timeout=0.2)


def test_internal_failure_is_logged_and_the_request_proceeds(
    recorder: RecordingClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> Any:
        raise RuntimeError("scope machinery broke")

    monkeypatch.setattr("sentinel_sdk_flask._extension.open_request_scope", broken)
    monkeypatch.setattr("sentinel_sdk._log._last_logged", {})
    app = create_app(Sentinel(client=recorder))
    with caplog.at_level(logging.ERROR, logger="sentinel_sdk"):
        response = app.test_client().get("/chat/a")
    assert response.status_code == 200
    assert response.json == {"session": "a"}
    assert "scope machinery broke" in caplog.text


def test_without_options_events_go_to_the_process_default(recorder: RecordingClient) -> None:
    app = create_app()
    assert app.extensions["sentinel"].client is None
    app.test_client().get("/chat/a", headers={"traceparent": TRACEPARENT})
    [event] = recorder.events
    assert event.trace_id == TRACE_ID


def test_config_overrides_constructor_options(spool_dir: str) -> None:
    sentinel = Sentinel(topic="from-constructor", brokers=["127.0.0.1:1"], spool_dir=spool_dir)
    one = create_app(sentinel)
    two = create_app(sentinel, SENTINEL_TOPIC="from-config", SENTINEL_LINGER_MS="5")
    clients = [app.extensions["sentinel"].client for app in (one, two)]
    assert [c.config.topic for c in clients] == ["from-constructor", "from-config"]
    assert clients[1].config.linger_ms == 5
    assert clients[0] is not clients[1]
    for client in clients:
        client.close(timeout=0)
    assert not any(isinstance(v, Flask) for v in vars(sentinel).values())  # app never kept


def test_bad_options_are_rejected_at_init() -> None:
    with pytest.raises(ConfigurationError, match="SENTINEL_TOPICS"):
        create_app(SENTINEL_TOPICS="x")
    with pytest.raises(ConfigurationError, match="SENTINEL_LINGER_MS"):
        create_app(SENTINEL_LINGER_MS="soon")
    with pytest.raises(ConfigurationError, match="topc"):
        Sentinel(topc="x")
    with pytest.raises(ConfigurationError, match="client"):
        create_app(Sentinel(client=RecordingClient()), SENTINEL_TOPIC="x")
    with pytest.raises(ConfigurationError, match="EXCLUDED_PATHS"):
        create_app(SENTINEL_EXCLUDED_PATHS="/health")


@pytest.mark.kafka
def test_factory_with_two_apps_each_delivers_to_its_own_topic(
    kafka: Broker, spool_dir: str
) -> None:
    sentinel = Sentinel()  # one extension object, shared by the factory's apps
    topics = [new_topic("flask-a"), new_topic("flask-b")]
    apps = [
        create_app(
            sentinel,
            SENTINEL_BROKERS=[kafka.plaintext],
            SENTINEL_TOPIC=topic,
            SENTINEL_SERVICE_NAME=f"app-{i}",
            SENTINEL_SPOOL_DIR=f"{spool_dir}/{i}",
        )
        for i, topic in enumerate(topics)
    ]
    traceparents = [f"00-{i:032x}-00f067aa0ba902b7-01" for i in (1, 2)]
    for app, traceparent in zip(apps, traceparents, strict=True):
        for n in range(3):
            assert (
                app.test_client()
                .get(f"/chat/{n}", headers={"traceparent": traceparent})
                .status_code
                == 200
            )
    for app in apps:
        client = app.extensions["sentinel"].client
        assert client.flush(30)
        client.close()
    validator = jsonschema.Draft202012Validator(json_schema())
    for i, topic in enumerate(topics):
        events = [json.loads(v) for v in consume(kafka.plaintext, topic, expected=3, idle=1.0)]
        assert len(events) == 3
        for event in events:
            validator.validate(event)
            assert event["service_name"] == f"app-{i}"
            assert event["trace_id"] == f"{i + 1:032x}"
            assert event["metadata"]["http.route"] == "/chat/<session_id>"
