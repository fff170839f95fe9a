"""Django views that call LangChain with ``SentinelHandler()`` and a wrapped OpenAI client."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import AsyncClient, Client

import sentinel_sdk
from tests.asgi.recording import RecordingClient
from tests.django import views
from tests.openai.server import FakeOpenAI

TRACE_ID = "7bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    previous, views.OPENAI_BASE_URL = views.OPENAI_BASE_URL, server.base_url
    yield server
    views.OPENAI_BASE_URL = previous
    server.stop()


def test_sync_view_langchain_calls_are_tied_to_the_request(recorder: RecordingClient) -> None:
    response = Client().get("/lc/s1/", HTTP_TRACEPARENT=TRACEPARENT)
    assert response.json() == {"summary": "the summary"}
    assert len(recorder.events) == 2
    for event in recorder.events:
        assert event.trace_id == TRACE_ID
        assert event.metadata["http.route"] == "/lc/<str:session_id>/"
        assert event.metadata["sentinel.integration"] == "langchain"


async def test_async_view_langchain_calls_are_tied_to_the_request(
    recorder: RecordingClient,
) -> None:
    response = await AsyncClient().get("/alc/s2/", headers={"traceparent": TRACEPARENT})
    assert response.json() == {"summary": "the summary"}
    assert len(recorder.events) == 2
    assert {e.trace_id for e in recorder.events} == {TRACE_ID}
    assert {e.metadata["http.route"] for e in recorder.events} == {"/alc/<str:session_id>/"}


def test_wrapped_openai_call_uses_the_request_scope(
    recorder: RecordingClient, fake_openai: FakeOpenAI
) -> None:
    response = Client().get("/oai/", HTTP_TRACEPARENT=TRACEPARENT)
    assert response.json() == {"text": "echo: hello django"}
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.metadata["http.route"] == "/oai/"


async def test_wrapped_async_openai_stream_is_captured_while_streaming(
    recorder: RecordingClient, fake_openai: FakeOpenAI
) -> None:
    response = await AsyncClient().get("/aoai-stream/", headers={"traceparent": TRACEPARENT})
    body = b"".join([chunk async for chunk in response.streaming_content])
    assert body == b"echo: stream from django"
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.response.text == "echo: stream from django"
    assert event.metadata["http.route"] == "/aoai-stream/"
    assert sentinel_sdk.current_scope() is None
