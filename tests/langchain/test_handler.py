"""One complete event per model call, for every way LangChain runs a model."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

import sentinel_sdk_langchain
from sentinel_sdk import TelemetryEvent
from sentinel_sdk.pricing import estimate_cost
from sentinel_sdk_langchain import SentinelHandler
from tests.langchain.fakes import USAGE, ReportingChatModel
from tests.langchain.recording import RecordingClient, assert_wire_valid

EXPECTED_COST = estimate_cost("gpt-4o-mini", 1200, 80, 1000)


def test_public_api_is_pinned() -> None:
    assert sentinel_sdk_langchain.__all__ == ["SentinelHandler"]
    assert SentinelHandler.run_inline is True


def assert_reporting_event(event: TelemetryEvent, question: str) -> None:
    """Every field the fake model reports, as the handler must carry it."""
    assert_wire_valid(event)
    assert event.service_name == "lc-tests"
    assert event.model == "gpt-4o-mini-2024-07-18"  # the provider's answer wins
    assert event.metadata["gen_ai.request.model"] == "gpt-4o-mini"
    assert event.prompt.text == f"human: {question}"
    assert event.response.text == f"answer to {question}"
    assert event.prompt.tokens == USAGE["input_tokens"]
    assert event.response.tokens == USAGE["output_tokens"]
    assert event.response.finish_reason == "stop"
    assert event.metadata["sentinel.usage_reported"] == "true"
    assert event.metadata["gen_ai.usage.cache_read.input_tokens"] == "1000"
    assert event.metadata["gen_ai.usage.reasoning.output_tokens"] == "30"
    assert event.metadata["sentinel.integration"] == "langchain"
    assert event.metadata["gen_ai.operation.name"] == "chat"
    assert event.metadata["gen_ai.provider.name"] == "reportingchatmodel"
    assert event.metadata["gen_ai.request.temperature"] == "0.2"
    assert event.metadata["gen_ai.request.max_tokens"] == "256"
    uuid.UUID(event.metadata["sentinel.langchain.run_id"])
    assert event.latency_ms > 0
    assert event.cost_usd == pytest.approx(EXPECTED_COST)
    assert event.metadata["sentinel.cost_known"] == "true"
    assert event.errors == []


def assert_streamed(event: TelemetryEvent) -> None:
    assert event.metadata["gen_ai.request.stream"] == "true"
    ttft = float(event.metadata["sentinel.time_to_first_token_ms"])
    assert 0 <= ttft <= event.latency_ms


def test_invoke(recorder: RecordingClient) -> None:
    model = ReportingChatModel()
    run_id = uuid.uuid4()
    model.invoke(
        "what is 2+2?", config={"callbacks": [SentinelHandler(recorder)], "run_id": run_id}
    )
    event = recorder.one()
    assert_reporting_event(event, "what is 2+2?")
    assert event.metadata["sentinel.langchain.run_id"] == str(run_id)
    assert "sentinel.langchain.parent_run_id" not in event.metadata
    assert "gen_ai.request.stream" not in event.metadata
    assert "sentinel.time_to_first_token_ms" not in event.metadata


async def test_ainvoke_runs_inline_on_the_event_loop(recorder: RecordingClient) -> None:
    threads: list[str] = []

    class Spy(SentinelHandler):
        def on_llm_end(self, *args: object, **kwargs: object) -> None:
            threads.append(threading.current_thread().name)
            super().on_llm_end(*args, **kwargs)  # type: ignore[arg-type]

    await ReportingChatModel().ainvoke("async?", config={"callbacks": [Spy(recorder)]})
    assert_reporting_event(recorder.one(), "async?")
    assert threads == [threading.current_thread().name]  # never handed to an executor


def test_batch(recorder: RecordingClient) -> None:
    questions: list[Any] = ["one", "two", "three", "four"]
    ReportingChatModel().batch(
        questions, config={"callbacks": [SentinelHandler(recorder)], "max_concurrency": 4}
    )
    assert len(recorder.events) == 4
    by_question = {e.prompt.text.removeprefix("human: "): e for e in recorder.events}
    assert sorted(by_question) == sorted(questions)
    for question, event in by_question.items():
        assert_reporting_event(event, question)
    assert len({e.metadata["sentinel.langchain.run_id"] for e in recorder.events}) == 4


async def test_abatch(recorder: RecordingClient) -> None:
    await ReportingChatModel().abatch(["a", "b"], config={"callbacks": [SentinelHandler(recorder)]})
    assert sorted(e.response.text for e in recorder.events) == ["answer to a", "answer to b"]


def test_stream(recorder: RecordingClient) -> None:
    chunks = list(
        ReportingChatModel().stream("stream it", config={"callbacks": [SentinelHandler(recorder)]})
    )
    assert "".join(str(c.content) for c in chunks) == "answer to stream it"
    event = recorder.one()
    assert_reporting_event(event, "stream it")
    assert_streamed(event)


async def test_astream(recorder: RecordingClient) -> None:
    model = ReportingChatModel(delay=0.002)
    text = ""
    async for chunk in model.astream(
        "stream async", config={"callbacks": [SentinelHandler(recorder)]}
    ):
        text += str(chunk.content)
    assert text == "answer to stream async"
    event = recorder.one()
    assert_reporting_event(event, "stream async")
    assert_streamed(event)
    # The first token came after one delay, the stream ended after all of them.
    assert float(event.metadata["sentinel.time_to_first_token_ms"]) < event.latency_ms / 2


def test_prompt_model_parser_chain_gives_one_event_with_hierarchy(
    recorder: RecordingClient,
) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are terse."), ("human", "Explain {topic}")]
    )
    chain = prompt | ReportingChatModel() | StrOutputParser()
    chain_run = uuid.uuid4()
    out = chain.invoke(
        {"topic": "tides"},
        config={
            "callbacks": [SentinelHandler(recorder)],
            "run_id": chain_run,
            "tags": ["prod", "faq"],
            "metadata": {"user_id": "u-42", "attempt": 2, "flags": {"beta": True}},
            "run_name": "faq-chain",
        },
    )
    assert out == "answer to Explain tides"
    event = recorder.one()
    assert event.prompt.text == "system: You are terse.\nhuman: Explain tides"
    assert event.response.text == "answer to Explain tides"
    assert event.metadata["sentinel.langchain.parent_run_id"] == str(chain_run)
    assert event.metadata["sentinel.langchain.run_id"] != str(chain_run)
    assert set(event.metadata["sentinel.langchain.tags"].split(",")) == {
        "prod",
        "faq",
        "seq:step:2",
    }
    assert event.metadata["sentinel.langchain.metadata.user_id"] == "u-42"
    assert event.metadata["sentinel.langchain.metadata.attempt"] == "2"
    assert event.metadata["sentinel.langchain.metadata.flags"] == '{"beta":true}'
    assert not any(
        k.startswith(("sentinel.langchain.metadata.ls_", "sentinel.langchain.metadata.lc_"))
        for k in event.metadata
    )
    assert event.cost_usd == pytest.approx(EXPECTED_COST)


def test_chain_stream_gives_one_streamed_event(recorder: RecordingClient) -> None:
    chain = (
        ChatPromptTemplate.from_messages([("human", "{q}")])
        | ReportingChatModel()
        | StrOutputParser()
    )
    parts = list(chain.stream({"q": "pipe"}, config={"callbacks": [SentinelHandler(recorder)]}))
    assert "".join(parts) == "answer to pipe"
    event = recorder.one()
    assert_reporting_event(event, "pipe")
    assert_streamed(event)
    assert "sentinel.langchain.parent_run_id" in event.metadata


def test_generic_fake_chat_model(recorder: RecordingClient) -> None:
    model = GenericFakeChatModel(messages=iter(["plain reply", "streamed reply here"]))
    model.invoke("hi", config={"callbacks": [SentinelHandler(recorder)]})
    list(model.stream("again", config={"callbacks": [SentinelHandler(recorder)]}))
    first, second = recorder.events
    assert first.model == "generic-fake-chat-model"  # the model's type: it names no model
    assert first.response.text == "plain reply"
    assert first.response.finish_reason == "unknown"
    assert first.metadata["sentinel.usage_reported"] == "false"
    assert (first.prompt.tokens, first.response.tokens) == (0, 0)
    assert first.metadata["sentinel.cost_known"] == "false"
    assert first.cost_usd == 0.0
    assert second.response.text == "streamed reply here"
    assert_streamed(second)
    for event in recorder.events:
        assert_wire_valid(event)


async def test_fake_list_chat_model_streams_and_invokes(recorder: RecordingClient) -> None:
    model = FakeListChatModel(responses=["first", "second"])
    handler = SentinelHandler(recorder)
    await model.ainvoke("a", config={"callbacks": [handler]})
    chunks = [c async for c in model.astream("b", config={"callbacks": [handler]})]
    assert "".join(str(c.content) for c in chunks) == "second"
    assert [e.response.text for e in recorder.events] == ["first", "second"]
    assert [e.prompt.text for e in recorder.events] == ["human: a", "human: b"]
    assert "gen_ai.request.stream" not in recorder.events[0].metadata
    assert_streamed(recorder.events[1])


def test_text_completion_llm(recorder: RecordingClient) -> None:
    llm = FakeListLLM(responses=["forty-two"])
    assert llm.invoke("meaning of life?", config={"callbacks": [SentinelHandler(recorder)]}) == (
        "forty-two"
    )
    event = recorder.one()
    assert event.metadata["gen_ai.operation.name"] == "text_completion"
    assert event.prompt.text == "meaning of life?"
    assert event.response.text == "forty-two"
    assert event.model == "fake-list"


def test_tool_calls_are_rendered_and_named(recorder: RecordingClient) -> None:
    tool = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    model = ReportingChatModel(tool=tool)
    handler = SentinelHandler(recorder)
    message = model.invoke("weather in Paris?", config={"callbacks": [handler]})
    assert isinstance(message, AIMessage)
    assert message.tool_calls[0]["name"] == "get_weather"
    list(model.stream("weather in Paris?", config={"callbacks": [handler]}))
    for event in recorder.events:
        assert event.response.text == '-> tool_call get_weather({"city":"Paris"}) [id=call_1]'
        assert event.response.finish_reason == "tool_calls"
        assert event.metadata["sentinel.response.tool_calls"] == "get_weather"


async def test_100_concurrent_async_runs_give_100_unmixed_events(
    recorder: RecordingClient,
) -> None:
    handler = SentinelHandler(recorder)
    model = ReportingChatModel(delay=0.005)

    async def one(i: int) -> None:
        if i % 2:
            await model.ainvoke(f"q{i}", config={"callbacks": [handler], "metadata": {"i": i}})
        else:
            async for _ in model.astream(
                f"q{i}", config={"callbacks": [handler], "metadata": {"i": i}}
            ):
                pass

    await asyncio.gather(*(one(i) for i in range(100)))
    assert len(recorder.events) == 100
    assert handler.active_runs == 0
    seen = set()
    for event in recorder.events:
        i = int(event.metadata["sentinel.langchain.metadata.i"])
        seen.add(i)
        assert_reporting_event(event, f"q{i}")
        assert ("gen_ai.request.stream" in event.metadata) == (i % 2 == 0)
    assert seen == set(range(100))
    assert len({e.metadata["sentinel.langchain.run_id"] for e in recorder.events}) == 100


def test_concurrent_threads_share_one_handler(recorder: RecordingClient) -> None:
    handler = SentinelHandler(recorder)
    model = ReportingChatModel(delay=0.001)

    def worker(k: int) -> None:
        for j in range(5):
            model.invoke(f"t{k}-{j}", config={"callbacks": [handler]})

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(recorder.events) == 40
    for event in recorder.events:
        question = event.prompt.text.removeprefix("human: ")
        assert event.response.text == f"answer to {question}"
    assert handler.active_runs == 0


def test_stream_events_v3_protocol_streaming(recorder: RecordingClient) -> None:
    # v3 event streaming reports on_stream_event instead of on_llm_new_token.
    stream = ReportingChatModel(delay=0.002).stream_events(
        "protocol", config={"callbacks": [SentinelHandler(recorder)]}, version="v3"
    )
    for _ in stream:
        pass
    event = recorder.one()
    assert_reporting_event(event, "protocol")
    assert_streamed(event)
