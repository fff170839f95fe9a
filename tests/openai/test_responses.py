"""``responses.create`` (the Responses API) through the real openai library."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai.types.responses import Response

from sentinel_sdk import TelemetryEvent
from sentinel_sdk.pricing import estimate_cost
from tests.langchain.recording import RecordingClient, assert_wire_valid
from tests.openai.server import CACHED_TOKENS, PROMPT_TOKENS, REASONING_TOKENS

REPLY = "echo: summarise the news"


def assert_responses_event(event: TelemetryEvent, *, streamed: bool) -> None:
    assert_wire_valid(event)
    assert event.model == "gpt-4.1-mini-2024-08-06"
    assert event.prompt.text == "instructions: Be brief.\nuser: summarise the news"
    assert event.response.text == REPLY
    assert event.prompt.tokens == PROMPT_TOKENS
    assert event.response.tokens == len(REPLY.split())
    assert event.response.finish_reason == "stop"
    assert event.latency_ms > 0
    assert event.cost_usd == pytest.approx(
        estimate_cost("gpt-4.1-mini", PROMPT_TOKENS, len(REPLY.split()), CACHED_TOKENS)
    )
    md = event.metadata
    assert md["openai.api.type"] == "responses"
    assert md["gen_ai.request.model"] == "gpt-4.1-mini"
    assert md["gen_ai.request.max_tokens"] == "100"
    assert md["gen_ai.request.reasoning.level"] == "low"
    assert md["gen_ai.response.id"] == "resp_fake"
    assert md["gen_ai.usage.cache_read.input_tokens"] == str(CACHED_TOKENS)
    assert md["gen_ai.usage.reasoning.output_tokens"] == str(REASONING_TOKENS)
    assert ("sentinel.time_to_first_token_ms" in md) is streamed


def _create(client: Any, **extra: Any) -> Any:
    return client.responses.create(
        model="gpt-4.1-mini",
        instructions="Be brief.",
        input="summarise the news",
        max_output_tokens=100,
        reasoning={"effort": "low"},
        **extra,
    )


def test_sync_plain(oai: openai.OpenAI, recorder: RecordingClient) -> None:
    result = _create(oai)
    assert isinstance(result, Response)
    assert result.output_text == REPLY
    assert_responses_event(recorder.one(), streamed=False)


async def test_async_plain(aoai: openai.AsyncOpenAI, recorder: RecordingClient) -> None:
    result = await _create(aoai)
    assert result.output_text == REPLY
    assert_responses_event(recorder.one(), streamed=False)


def test_sync_stream(oai: openai.OpenAI, recorder: RecordingClient) -> None:
    events = list(_create(oai, stream=True))
    assert events[0].type == "response.created"
    assert events[-1].type == "response.completed"
    event = recorder.one()
    assert_responses_event(event, streamed=True)
    assert event.metadata["sentinel.stream.chunks"] == str(len(events))


async def test_async_stream(aoai: openai.AsyncOpenAI, recorder: RecordingClient) -> None:
    stream = await _create(aoai, stream=True)
    deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
    assert "".join(deltas) == REPLY
    assert_responses_event(recorder.one(), streamed=True)


def test_stream_closed_early_keeps_the_text_so_far(
    oai: openai.OpenAI, recorder: RecordingClient
) -> None:
    stream = oai.responses.create(model="slow-model", input="one two three four", stream=True)
    with stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                break
    captured = recorder.one()
    assert captured.response.text == "echo:"
    assert captured.response.finish_reason == "cancelled"
    assert captured.model == "slow-model-2024-08-06"


def test_function_calls_and_item_input(oai: openai.OpenAI, recorder: RecordingClient) -> None:
    oai.responses.create(
        model="tool",
        input=[
            {"role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {"type": "function_call", "call_id": "call_0", "name": "lookup", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_0", "output": "nothing"},
        ],
        tools=[{"type": "function", "name": "get_weather", "parameters": {}, "strict": False}],
    )
    event = recorder.one()
    assert event.prompt.text == (
        "user: weather?\nassistant:\n-> tool_call lookup({}) [id=call_0]\ntool[call_0]: nothing"
    )
    assert event.response.text == '-> tool_call get_weather({"city":"Paris"}) [id=call_1]'
    assert event.response.finish_reason == "tool_calls"
    assert event.metadata["sentinel.response.tool_calls"] == "get_weather"
    assert event.metadata["sentinel.request.tools"] == "get_weather"


def test_error(oai: openai.OpenAI, recorder: RecordingClient) -> None:
    with pytest.raises(openai.BadRequestError):
        oai.responses.create(model="error-400", input="x")
    event = recorder.one()
    assert event.metadata["sentinel.error.status_code"] == "400"
    assert event.errors[0].startswith("BadRequestError: ")
