"""The helpdesk's tests assert on the telemetry it records, with sentinel_sdk.testing: no Kafka.

``sentinel_events`` (a fixture of the plugin the SDK installs) is the list of events
recorded during the test; ``@pytest.mark.sentinel(...)`` sets the in-memory
client's options, as ``sentinel_sdk.init(...)`` would in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest
from fastapi.testclient import TestClient
from helpdesk import MODEL, SYSTEM_PROMPT, TRIAGE_MODEL, create_app

from sentinel_sdk import TelemetryEvent
from sentinel_sdk.testing import InMemoryClient

try:  # the HTTP library under the OpenAI client: httpx2 from openai 3, httpx before
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]

pytestmark = pytest.mark.sentinel(service_name="helpdesk")

REPLY = "Open Settings > Billing and click Download next to the invoice."


def fake_openai(status: int = 200) -> openai.OpenAI:
    """An OpenAI client whose HTTP calls a local function answers (no network)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if status != 200:
            return httpx.Response(status, json={"error": {"message": "overloaded"}})
        body = json.loads(request.content)
        return httpx.Response(
            200,
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": REPLY},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 31, "completion_tokens": 14, "total_tokens": 45},
            },
        )

    return openai.OpenAI(
        api_key="test-key",
        base_url="http://llm.invalid/v1",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
    )


@pytest.fixture
def app() -> Iterator[TestClient]:
    with TestClient(create_app(fake_openai())) as client:
        yield client


def test_ask_records_the_llm_call(app: TestClient, sentinel_events: list[TelemetryEvent]) -> None:
    response = app.post("/ask", json={"question": "Where is my invoice?"})

    assert response.status_code == 200
    assert response.json() == {"answer": REPLY}
    assert len(sentinel_events) == 1
    event = sentinel_events[0]
    assert event.model == MODEL
    assert event.service_name == "helpdesk"
    assert event.prompt.tokens == 31
    assert event.response.tokens == 14
    assert event.response.text == REPLY
    assert event.response.finish_reason == "stop"
    assert "Where is my invoice?" in event.prompt.text
    assert SYSTEM_PROMPT in event.prompt.text
    assert event.metadata["http.route"] == "/ask"
    assert event.latency_ms > 0
    assert event.cost_usd > 0  # priced from the SDK's table, as in production
    assert not event.errors


def test_the_caller_trace_id_is_kept(
    app: TestClient, sentinel_events: list[TelemetryEvent]
) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    app.post(
        "/ask",
        json={"question": "Hi"},
        headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
    )

    assert [e.trace_id for e in sentinel_events] == [trace_id]


def test_a_failed_llm_call_is_recorded_with_its_error(
    sentinel_events: list[TelemetryEvent],
) -> None:
    with TestClient(create_app(fake_openai(status=503))) as app:
        response = app.post("/ask", json={"question": "Anyone there?"})

    assert response.status_code == 502
    assert len(sentinel_events) == 1
    assert sentinel_events[0].model == MODEL
    assert sentinel_events[0].errors
    assert "503" in sentinel_events[0].errors[0]


def test_triage_records_the_local_model(
    app: TestClient, sentinel_events: list[TelemetryEvent]
) -> None:
    response = app.post("/triage", json={"text": "I was charged twice, please refund"})

    assert response.json() == {"label": "billing"}
    (event,) = sentinel_events
    assert event.model == TRIAGE_MODEL
    assert event.response.text == "billing"
    assert event.metadata["helpdesk.label"] == "billing"
    assert event.metadata["http.route"] == "/triage"


def test_one_request_one_trace(app: TestClient, sentinel_events: list[TelemetryEvent]) -> None:
    app.post("/triage", json={"text": "locked out after 2fa"})
    app.post("/triage", json={"text": "hello"})

    assert [e.response.text for e in sentinel_events] == ["access", "other"]
    assert sentinel_events[0].trace_id != sentinel_events[1].trace_id


@pytest.mark.sentinel(capture_content=False)
def test_no_content_is_kept_when_capture_is_off(
    app: TestClient, sentinel_events: list[TelemetryEvent]
) -> None:
    app.post("/ask", json={"question": "my password is hunter2"})

    (event,) = sentinel_events
    assert event.prompt.text == ""
    assert event.response.text == ""
    assert event.prompt.tokens == 31  # the figures stay
    assert event.service_name == "helpdesk"  # the module's marker still applies


def test_clear_between_steps(app: TestClient, sentinel_client: InMemoryClient) -> None:
    app.post("/triage", json={"text": "refund"})
    sentinel_client.clear()
    app.post("/ask", json={"question": "Hi"})

    assert [e.model for e in sentinel_client.events] == [MODEL]
    assert sentinel_client.stats()["sent"] == 2
