"""Which client gets the event, the bounded run map, and what a config hides."""

from __future__ import annotations

import time
import uuid

import pytest
from langchain_core.messages import HumanMessage

import sentinel_sdk
from sentinel_sdk import request_scope
from sentinel_sdk_langchain import SentinelHandler
from tests.langchain.fakes import ReportingChatModel
from tests.langchain.recording import RecordingClient


def test_no_argument_handler_uses_the_default_client(default_recorder: RecordingClient) -> None:
    ReportingChatModel().invoke("hi", config={"callbacks": [SentinelHandler()]})
    assert default_recorder.one().response.text == "answer to hi"


def test_request_scope_client_wins_over_the_default(
    default_recorder: RecordingClient, spool_dir: str
) -> None:
    app_client = RecordingClient(spool_dir, service_name="app-two")
    handler = SentinelHandler()  # one handler shared by requests of both apps
    try:
        with request_scope(
            client=app_client,
            traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            metadata={"http.route": "/chat"},
        ):
            ReportingChatModel().invoke("in request", config={"callbacks": [handler]})
        ReportingChatModel().invoke("outside", config={"callbacks": [handler]})
    finally:
        app_client.close(timeout=0)
    scoped = app_client.one()
    assert scoped.service_name == "app-two"
    assert scoped.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert scoped.span_id
    assert scoped.metadata["http.route"] == "/chat"
    assert scoped.metadata["sentinel.integration"] == "langchain"
    outside = default_recorder.one()
    assert outside.prompt.text == "human: outside"
    assert outside.metadata.get("http.route") is None


def test_explicit_client_wins_even_inside_a_scope(
    recorder: RecordingClient, default_recorder: RecordingClient, spool_dir: str
) -> None:
    explicit = RecordingClient(spool_dir, service_name="explicit")
    try:
        with request_scope(client=recorder):
            ReportingChatModel().invoke("x", config={"callbacks": [SentinelHandler(explicit)]})
        assert explicit.one().service_name == "explicit"
        assert recorder.events == []
    finally:
        explicit.close(timeout=0)


def test_capture_content_false_sends_no_text(spool_dir: str) -> None:
    client = RecordingClient(spool_dir, service_name="private", capture_content=False)
    try:
        ReportingChatModel().invoke("secret", config={"callbacks": [SentinelHandler(client)]})
        event = client.one()
    finally:
        client.close(timeout=0)
    assert event.prompt.text == ""
    assert event.response.text == ""
    assert event.prompt.tokens == 1200  # everything else is kept


def test_long_texts_are_truncated_per_config(spool_dir: str) -> None:
    client = RecordingClient(spool_dir, service_name="short", max_text_length=50)
    try:
        ReportingChatModel().invoke("y" * 500, config={"callbacks": [SentinelHandler(client)]})
        event = client.one()
    finally:
        client.close(timeout=0)
    assert len(event.prompt.text) == 50
    assert len(event.response.text) == 50
    assert event.metadata["sentinel.truncated"] == "prompt,response"


def _start(handler: SentinelHandler) -> uuid.UUID:
    run_id = uuid.uuid4()
    handler.on_chat_model_start({}, [[HumanMessage("hi")]], run_id=run_id)
    return run_id


def test_run_map_is_bounded_oldest_first(recorder: RecordingClient) -> None:
    handler = SentinelHandler(recorder, max_runs=3)
    runs = [_start(handler) for _ in range(5)]
    assert handler.active_runs == 3
    assert handler.evicted == 2
    handler.on_llm_end(None, run_id=runs[0])  # evicted: nothing to report
    handler.on_llm_error(RuntimeError("late"), run_id=runs[4])  # still tracked
    assert len(recorder.events) == 1
    assert recorder.events[0].errors == ["RuntimeError: late"]
    assert handler.active_runs == 2


def test_runs_older_than_the_timeout_are_evicted(recorder: RecordingClient) -> None:
    handler = SentinelHandler(recorder, run_timeout=0.02)
    _start(handler)
    _start(handler)
    time.sleep(0.03)
    fresh = _start(handler)
    assert handler.evicted == 2
    assert handler.active_runs == 1
    handler.on_llm_error(RuntimeError("x"), run_id=fresh)
    assert handler.active_runs == 0


@pytest.mark.parametrize(
    ("options", "message"), [({"max_runs": 0}, "max_runs"), ({"run_timeout": 0}, "run_timeout")]
)
def test_bad_limits_are_refused(options: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SentinelHandler(**options)  # type: ignore[arg-type]


def test_disabled_default_client_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENTINEL_BROKERS", raising=False)
    previous = sentinel_sdk.set_client(None)
    try:
        out = ReportingChatModel().invoke(
            "no sdk config", config={"callbacks": [SentinelHandler()]}
        )
    finally:
        sentinel_sdk.set_client(previous)
    assert out.content == "answer to no sdk config"
