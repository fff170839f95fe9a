"""``chat.completions.create`` through the real openai library, against a local server."""

from __future__ import annotations

import gc
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion

import sentinel_sdk_openai
from sentinel_sdk import TelemetryEvent, request_scope
from sentinel_sdk.pricing import estimate_cost
from sentinel_sdk_openai import wrap_openai
from tests.langchain.recording import RecordingClient, assert_wire_valid
from tests.openai.server import CACHED_TOKENS, PROMPT_TOKENS, REASONING_TOKENS, FakeOpenAI

MESSAGES: list[Any] = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "what is the capital of France"},
]
REPLY = "echo: what is the capital of France"
REPLY_TOKENS = len(REPLY.split())


def test_public_api_is_pinned() -> None:
    assert sentinel_sdk_openai.__all__ == ["wrap_openai"]


def assert_chat_event(event: TelemetryEvent, *, streamed: bool) -> None:
    """Every captured field of the standard request above."""
    assert_wire_valid(event)
    assert event.service_name == "openai-tests"
    assert event.model == "gpt-4o-2024-08-06"
    assert event.prompt.text == "system: You are terse.\nuser: what is the capital of France"
    assert event.response.text == REPLY
    assert event.prompt.tokens == PROMPT_TOKENS
    assert event.response.tokens == REPLY_TOKENS
    assert event.response.finish_reason == "stop"
    assert event.latency_ms > 0
    assert event.errors == []
    assert event.cost_usd == pytest.approx(
        estimate_cost("gpt-4o", PROMPT_TOKENS, REPLY_TOKENS, CACHED_TOKENS)
    )
    md = event.metadata
    assert md["sentinel.cost_known"] == "true"
    assert md["sentinel.integration"] == "openai"
    assert md["openai.api.type"] == "chat_completions"
    assert md["server.address"] == "127.0.0.1"
    assert md["gen_ai.request.model"] == "gpt-4o"
    assert md["gen_ai.request.temperature"] == "0.2"
    assert md["gen_ai.request.max_tokens"] == "64"
    assert md["gen_ai.response.id"] == "chatcmpl-fake"
    assert md["openai.response.system_fingerprint"] == "fp_fake"
    assert md["sentinel.usage_reported"] == "true"
    assert md["gen_ai.usage.cache_read.input_tokens"] == str(CACHED_TOKENS)
    assert md["gen_ai.usage.reasoning.output_tokens"] == str(REASONING_TOKENS)
    if streamed:
        assert md["gen_ai.request.stream"] == "true"
        assert 0 < float(md["sentinel.time_to_first_token_ms"]) <= event.latency_ms
    else:
        assert "gen_ai.request.stream" not in md
        assert md["openai.response.service_tier"] == "default"


def _create(client: Any, **extra: Any) -> Any:
    return client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, temperature=0.2, max_tokens=64, **extra
    )


def test_sync_plain(oai: openai.OpenAI, recorder: RecordingClient) -> None:
    result = _create(oai)
    assert isinstance(result, ChatCompletion)  # returned unchanged
    assert result.choices[0].message.content == REPLY
    assert_chat_event(recorder.one(), streamed=False)


async def test_async_plain(aoai: openai.AsyncOpenAI, recorder: RecordingClient) -> None:
    result = await _create(aoai)
    assert isinstance(result, ChatCompletion)
    assert_chat_event(recorder.one(), streamed=False)


def _deltas(chunks: list[Any]) -> list[Any]:
    return [(c.model, [ch.model_dump() for ch in c.choices], c.usage) for c in chunks]


def test_sync_stream_yields_the_unwrapped_chunks_and_asks_for_usage(
    oai: openai.OpenAI, server: FakeOpenAI, recorder: RecordingClient
) -> None:
    plain = openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0)
    expected = list(_create(plain, stream=True))
    assert server.requests[-1].get("stream_options") is None
    assert recorder.events == []  # the unwrapped client captures nothing

    stream = _create(oai, stream=True)
    assert isinstance(stream, openai.Stream)
    got = list(stream)
    assert server.requests[-1]["stream_options"] == {"include_usage": True}
    assert _deltas(got) == _deltas(expected)  # the usage chunk it asked for is not shown
    assert "".join(c.choices[0].delta.content or "" for c in got) == REPLY
    event = recorder.one()
    assert_chat_event(event, streamed=True)
    assert event.metadata["sentinel.stream.chunks"] == str(len(got) + 1)


async def test_async_stream(aoai: openai.AsyncOpenAI, recorder: RecordingClient) -> None:
    stream = await _create(aoai, stream=True)
    assert isinstance(stream, openai.AsyncStream)
    text = ""
    async with stream:
        async for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
    assert text == REPLY
    assert_chat_event(recorder.one(), streamed=True)


def test_usage_the_caller_asked_for_is_shown(
    oai: openai.OpenAI, server: FakeOpenAI, recorder: RecordingClient
) -> None:
    chunks = list(_create(oai, stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert_chat_event(recorder.one(), streamed=True)


def test_usage_refused_by_the_caller_is_not_forced(
    oai: openai.OpenAI, server: FakeOpenAI, recorder: RecordingClient
) -> None:
    list(_create(oai, stream=True, stream_options={"include_usage": False}))
    assert server.requests[-1]["stream_options"] == {"include_usage": False}
    event = recorder.one()
    assert event.metadata["sentinel.usage_reported"] == "false"
    assert event.prompt.tokens == 0


def test_stream_closed_early(oai: openai.OpenAI, recorder: RecordingClient) -> None:
    stream = oai.chat.completions.create(
        model="slow-model", messages=[{"role": "user", "content": "a b c d e f g h"}], stream=True
    )
    first = [next(stream), next(stream), next(stream)]
    assert recorder.events == []
    stream.close()
    event = recorder.one()
    assert event.response.finish_reason == "cancelled"
    assert event.metadata["sentinel.cancelled"] == "true"
    assert event.errors == []
    assert event.response.text == "".join(c.choices[0].delta.content or "" for c in first)
    assert event.response.text == "echo: a"
    assert event.metadata["sentinel.usage_reported"] == "false"
    assert float(event.metadata["sentinel.time_to_first_token_ms"]) < event.latency_ms


async def test_async_stream_closed_early_by_leaving_the_block(
    aoai: openai.AsyncOpenAI, recorder: RecordingClient
) -> None:
    stream = await aoai.chat.completions.create(
        model="slow-model", messages=[{"role": "user", "content": "a b c d e f g h"}], stream=True
    )
    async with stream:
        async for _chunk in stream:
            break
    event = recorder.one()
    assert event.response.finish_reason == "cancelled"
    assert event.response.text == ""


def test_unfinished_stream_is_recorded_when_collected(
    oai: openai.OpenAI, recorder: RecordingClient
) -> None:
    stream = _create(oai, stream=True)
    next(stream)
    del stream
    gc.collect()
    assert recorder.one().response.finish_reason == "cancelled"


def test_error_response_is_captured_and_re_raised_unchanged(
    oai: openai.OpenAI, recorder: RecordingClient
) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        oai.chat.completions.create(model="error-429", messages=MESSAGES)
    assert info.value.status_code == 429
    event = recorder.one()
    assert event.errors == ["RateLimitError: Error code: 429 - fake failure with status 429"]
    assert event.response.finish_reason == "error"
    assert event.metadata["error.type"] == "RateLimitError"
    assert event.metadata["sentinel.error.status_code"] == "429"
    assert event.model == "error-429"
    assert event.prompt.text.startswith("system: You are terse.")
    assert event.response.text == ""


async def test_async_error_response(aoai: openai.AsyncOpenAI, recorder: RecordingClient) -> None:
    with pytest.raises(openai.InternalServerError):
        await aoai.chat.completions.create(model="error-500", messages=MESSAGES)
    assert recorder.one().metadata["sentinel.error.status_code"] == "500"


def test_error_in_the_middle_of_a_stream(oai: openai.OpenAI, recorder: RecordingClient) -> None:
    stream = oai.chat.completions.create(
        model="stream-error", messages=[{"role": "user", "content": "one two three"}], stream=True
    )
    got = [next(stream), next(stream), next(stream)]
    assert [c.choices[0].delta.content for c in got] == ["", "echo:", " one"]
    with pytest.raises(openai.APIError, match="the model fell over"):
        next(stream)
    event = recorder.one()
    assert event.response.text == "echo: one"
    assert event.errors == ["APIError: the model fell over"]
    assert event.response.finish_reason == "error"


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls(oai: openai.OpenAI, recorder: RecordingClient, stream: bool) -> None:
    tools: Any = [
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": {"type": "object"}},
        }
    ]
    result = oai.chat.completions.create(
        model="tool", messages=[{"role": "user", "content": "weather?"}], tools=tools, stream=stream
    )
    if stream:
        list(result)
    event = recorder.one()
    assert event.response.text == '-> tool_call get_weather({"city":"Paris"}) [id=call_1]'
    assert event.response.finish_reason == "tool_calls"
    assert event.metadata["sentinel.response.tool_calls"] == "get_weather"
    assert event.metadata["sentinel.request.tools"] == "get_weather"


def test_conversation_with_tool_results_and_sdk_messages(
    oai: openai.OpenAI, recorder: RecordingClient
) -> None:
    first = oai.chat.completions.create(model="tool", messages=[{"role": "user", "content": "go"}])
    messages: list[Any] = [
        {"role": "user", "content": "go", "name": "alice"},
        first.choices[0].message,  # an SDK object, as apps append it
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C"},
        {"role": "user", "content": [{"type": "text", "text": "and"}, {"type": "image_url"}]},
    ]
    oai.chat.completions.create(model="gpt-4o", messages=messages)
    assert recorder.events[1].prompt.text == (
        "user (alice): go\n"
        "assistant:\n"
        '-> tool_call get_weather({"city":"Paris"}) [id=call_1]\n'
        "tool[call_1]: 18 C\n"
        "user: and\n[image]"
    )


def test_several_choices(oai: openai.OpenAI, recorder: RecordingClient) -> None:
    oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], n=2)
    event = recorder.one()
    assert event.response.text == "echo: hi\n---\necho: hi"
    assert event.metadata["sentinel.generations"] == "2"
    assert event.metadata["gen_ai.request.choice.count"] == "2"


def test_wrapping_twice_does_not_double_capture(
    oai: openai.OpenAI, recorder: RecordingClient
) -> None:
    assert wrap_openai(oai, sentinel=recorder) is oai
    assert wrap_openai(wrap_openai(oai)) is oai
    _create(oai)
    assert len(recorder.events) == 1


def test_only_openai_clients_can_be_wrapped() -> None:
    with pytest.raises(TypeError, match=r"openai\.OpenAI or openai\.AsyncOpenAI"):
        wrap_openai(object())  # type: ignore[type-var]


class _Broken:
    config = None

    def track_nowait(self, **fields: Any) -> str:
        raise RuntimeError("sentinel is broken")


def test_a_broken_sentinel_never_breaks_the_call(server: FakeOpenAI) -> None:
    client = wrap_openai(
        openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0),
        sentinel=_Broken(),  # type: ignore[arg-type]  # a broken stand-in
    )
    assert _create(client).choices[0].message.content == REPLY
    assert "".join(c.choices[0].delta.content or "" for c in _create(client, stream=True)) == REPLY
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="error-429", messages=MESSAGES)


def test_without_sentinel_the_request_scope_client_is_used(
    server: FakeOpenAI, recorder: RecordingClient
) -> None:
    client = wrap_openai(openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0))
    with request_scope(
        client=recorder,
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        metadata={"http.route": "/ask"},
    ):
        _create(client)
    event = recorder.one()
    assert event.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert event.metadata["http.route"] == "/ask"
