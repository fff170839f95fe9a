"""Failed, cancelled and interrupted runs; and the handler never failing a run itself."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Generator
from typing import Any, cast

import pytest
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    FakeListChatModelError,
)
from langchain_core.messages import AIMessageChunk
from langgraph.errors import GraphInterrupt
from langgraph.types import Interrupt

from sentinel_sdk import ValidationError
from sentinel_sdk_langchain import SentinelHandler, _event, _handler
from tests.langchain.fakes import ModelFailure, ReportingChatModel
from tests.langchain.recording import RecordingClient, assert_wire_valid


def test_invoke_error_is_an_event_with_the_error(recorder: RecordingClient) -> None:
    model = ReportingChatModel(fail="upstream overloaded")
    with pytest.raises(ModelFailure, match="upstream overloaded"):
        model.invoke("hello?", config={"callbacks": [SentinelHandler(recorder)]})
    event = recorder.one()
    assert event.errors == ["ModelFailure: upstream overloaded"]
    assert event.response.finish_reason == "error"
    assert event.metadata["error.type"] == "ModelFailure"
    assert event.metadata["sentinel.error.status_code"] == "503"
    assert event.model == "gpt-4o-mini"  # no response: the requested model
    assert event.prompt.text == "human: hello?"
    assert event.response.text == ""
    assert event.metadata["sentinel.usage_reported"] == "false"
    assert event.latency_ms > 0


async def test_ainvoke_error(recorder: RecordingClient) -> None:
    with pytest.raises(ModelFailure):
        await ReportingChatModel(fail="boom").ainvoke(
            "x", config={"callbacks": [SentinelHandler(recorder)]}
        )
    assert recorder.one().errors == ["ModelFailure: boom"]


def test_stream_error_keeps_the_partial_response(recorder: RecordingClient) -> None:
    model = FakeListChatModel(responses=["abcdef"], error_on_chunk_number=3)
    stream = model.stream("go", config={"callbacks": [SentinelHandler(recorder)]})
    got = [str(next(stream).content) for _ in range(3)]
    with pytest.raises(FakeListChatModelError):
        next(stream)
    assert got == ["a", "b", "c"]
    event = recorder.one()
    assert event.response.text == "abc"
    assert event.response.finish_reason == "error"
    assert event.errors == ["FakeListChatModelError: "]
    assert event.metadata["gen_ai.request.stream"] == "true"


async def test_astream_error_after_some_chunks(recorder: RecordingClient) -> None:
    model = ReportingChatModel(fail="cut off", fail_after_chunks=3)
    with pytest.raises(ModelFailure):
        async for _ in model.astream(
            "long story", config={"callbacks": [SentinelHandler(recorder)]}
        ):
            pass
    event = recorder.one()
    assert event.response.text == "answer "
    assert event.errors == ["ModelFailure: cut off"]


def test_stream_closed_early_is_cancelled_not_an_error(recorder: RecordingClient) -> None:
    stream = cast(
        "Generator[AIMessageChunk, None, None]",
        FakeListChatModel(responses=["abcdef"]).stream(
            "go", config={"callbacks": [SentinelHandler(recorder)]}
        ),
    )
    assert next(stream).content == "a"
    stream.close()
    event = recorder.one()
    assert event.response.finish_reason == "cancelled"
    assert event.metadata["sentinel.cancelled"] == "true"
    assert event.errors == []
    assert event.response.text == "a"


class _Clock:
    """The handler's ``time``: the real ``perf_counter`` plus the jumps a test makes."""

    def __init__(self) -> None:
        self.offset = 0.0

    def perf_counter(self) -> float:
        return time.perf_counter() + self.offset


async def _until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Yield to the loop until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout}s")
        await asyncio.sleep(0.001)


async def test_cancelled_async_run_is_evicted_not_leaked(
    recorder: RecordingClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LangChain reports nothing for an async run whose task is cancelled: the run never
    # ends, so the handler gives it up after run_timeout instead of keeping it forever.
    # The handler's clock is the test's: run_timeout passes when the test says so.
    clock = _Clock()
    monkeypatch.setattr(_handler, "time", clock)
    monkeypatch.setattr(_event, "time", clock)
    run_timeout = 10.0
    handler = SentinelHandler(recorder, run_timeout=run_timeout)
    slow = ReportingChatModel(delay=5)
    task = asyncio.create_task(slow.ainvoke("slow", config={"callbacks": [handler]}))
    await _until(lambda: handler.active_runs == 1, "the slow run did not start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert recorder.events == []
    assert handler.active_runs == 1
    clock.offset += run_timeout + 1.0  # past run_timeout, and past the next sweep (<= 1 s)
    await ReportingChatModel().ainvoke("next", config={"callbacks": [handler]})
    assert handler.evicted == 1
    assert handler.active_runs == 0
    assert recorder.one().prompt.text == "human: next"


class _InterruptingModel(ReportingChatModel):
    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise GraphInterrupt((Interrupt(value="need approval"),))


def test_langgraph_control_flow_is_not_an_error(recorder: RecordingClient) -> None:
    with pytest.raises(GraphInterrupt):
        _InterruptingModel().invoke("approve?", config={"callbacks": [SentinelHandler(recorder)]})
    event = recorder.one()
    assert event.errors == []
    assert event.response.finish_reason == "interrupted"
    assert event.metadata["sentinel.interrupted"] == "GraphInterrupt"
    assert "error.type" not in event.metadata


class _ExplodingClient:
    """A client whose every capture fails."""

    config = None

    def __init__(self, exc: Exception) -> None:
        self.exc = exc
        self.calls = 0

    def track_nowait(self, **fields: Any) -> str:
        self.calls += 1
        raise self.exc

    def track_later(self, build: Any, *args: Any) -> None:
        self.calls += 1
        raise self.exc


@pytest.mark.parametrize("exc", [RuntimeError("broken client"), ValidationError("bad field")])
def test_a_failing_client_never_fails_the_run(
    exc: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    client = _ExplodingClient(exc)
    handler = SentinelHandler(client)  # type: ignore[arg-type]  # a broken stand-in
    model = ReportingChatModel()
    with caplog.at_level(logging.ERROR, logger="sentinel_sdk"):
        assert model.invoke("still works?", config={"callbacks": [handler]}).content == (
            "answer to still works?"
        )
        chunks = list(model.stream("and streams?", config={"callbacks": [handler]}))
    assert "".join(str(c.content) for c in chunks) == "answer to and streams?"
    assert client.calls == 2
    assert handler.active_runs == 0


def test_garbage_from_langchain_never_raises(recorder: RecordingClient) -> None:
    handler = SentinelHandler(recorder)
    run_id = __import__("uuid").uuid4()
    handler.on_chat_model_start({}, [], run_id=run_id)  # no messages at all
    handler.on_llm_new_token("x", run_id=run_id)
    handler.on_llm_end(object(), run_id=run_id)  # not an LLMResult
    handler.on_llm_end(None, run_id=__import__("uuid").uuid4())  # unknown run
    handler.on_llm_error(RuntimeError("x"), run_id=__import__("uuid").uuid4())
    assert handler.active_runs == 0


def test_error_text_is_bounded(recorder: RecordingClient) -> None:
    with pytest.raises(ModelFailure):
        ReportingChatModel(fail="x" * 10_000).invoke(
            "q", config={"callbacks": [SentinelHandler(recorder)]}
        )
    event = recorder.one()
    assert len(event.errors[0]) == 2000
    assert_wire_valid(event)
