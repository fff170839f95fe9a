"""The documented text form of prompts and responses, and where tokens are read from."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatResult, Generation, LLMResult

from sentinel_sdk_langchain import SentinelHandler
from sentinel_sdk_langchain._extract import (
    finish_reason,
    request_params,
    requested_model,
    usage,
)
from sentinel_sdk_langchain._render import render_generations, render_messages
from tests.langchain.recording import RecordingClient


def test_chat_messages_render_in_the_documented_form() -> None:
    messages = [
        SystemMessage("You are terse."),
        HumanMessage("What is the weather in Paris?", name="alice"),
        AIMessage(
            "",
            tool_calls=[
                {
                    "name": "get_weather",
                    "args": {"city": "Paris"},
                    "id": "call_1",
                    "type": "tool_call",
                }
            ],
        ),
        ToolMessage("18 C and sunny", tool_call_id="call_1"),
        AIMessage("It is 18 C and sunny in Paris."),
    ]
    assert render_messages(messages) == (
        "system: You are terse.\n"
        "human (alice): What is the weather in Paris?\n"
        "ai:\n"
        '-> tool_call get_weather({"city":"Paris"}) [id=call_1]\n'
        "tool[call_1]: 18 C and sunny\n"
        "ai: It is 18 C and sunny in Paris."
    )


def test_content_blocks_tool_calls_with_text_and_other_roles() -> None:
    messages = [
        HumanMessage(
            content=[
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "text", "text": "Be brief."},
            ]
        ),
        AIMessage(
            "Let me look it up.",
            tool_calls=[{"name": "search", "args": {"q": "café"}, "id": "c9", "type": "tool_call"}],
            invalid_tool_calls=[
                {
                    "name": "calc",
                    "args": "{oops",
                    "id": "c10",
                    "error": "bad json",
                    "type": "invalid_tool_call",
                }
            ],
        ),
        FunctionMessage(content="42", name="lookup"),
        ChatMessage(content="Summarise.", role="critic"),
    ]
    assert render_messages(messages) == (
        "human: What is in this picture?\n[image]\nBe brief.\n"
        "ai: Let me look it up.\n"
        '-> tool_call search({"q":"café"}) [id=c9]\n'
        "-> invalid_tool_call calc({oops) [id=c10]\n"
        "function[lookup]: 42\n"
        "critic: Summarise."
    )


def test_several_generations_are_separated() -> None:
    generations = [
        ChatGeneration(message=AIMessage("one")),
        ChatGeneration(message=AIMessage("two")),
    ]
    assert render_generations(generations) == "one\n---\ntwo"
    assert render_generations([Generation(text="plain")]) == "plain"


def _result(**kwargs: Any) -> LLMResult:
    message = AIMessage("ok", **kwargs.pop("message", {}))
    generation = ChatGeneration(message=message, generation_info=kwargs.pop("info", None))
    return LLMResult(generations=[[generation]], **kwargs)


def test_usage_metadata_comes_first() -> None:
    result = _result(
        message={"usage_metadata": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}},
        llm_output={"token_usage": {"prompt_tokens": 99, "completion_tokens": 99}},
    )
    found = usage(result.generations[0], result.llm_output)
    assert found is not None
    assert (found.prompt, found.completion) == (10, 5)


def test_llm_output_token_usage_openai_style() -> None:
    result = _result(
        llm_output={
            "token_usage": {
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "prompt_tokens_details": {"cached_tokens": 64},
                "completion_tokens_details": {"reasoning_tokens": 8},
            }
        },
        info={"usage": {"prompt_tokens": 1, "completion_tokens": 1}},
    )
    found = usage(result.generations[0], result.llm_output)
    assert found is not None
    assert (found.prompt, found.completion, found.cache_read, found.reasoning) == (100, 20, 64, 8)


def test_llm_output_usage_anthropic_style_counts_cache_in_the_prompt() -> None:
    result = _result(
        llm_output={
            "usage": {
                "input_tokens": 10,
                "output_tokens": 7,
                "cache_read_input_tokens": 500,
                "cache_creation_input_tokens": 40,
            }
        }
    )
    found = usage(result.generations[0], result.llm_output)
    assert found is not None
    assert (found.prompt, found.completion, found.cache_read, found.cache_creation) == (
        550,
        7,
        500,
        40,
    )


@pytest.mark.parametrize(
    "info",
    [
        {"usage": {"prompt_tokens": 30, "completion_tokens": 4}},
        {"usage_metadata": {"prompt_token_count": 30, "candidates_token_count": 4}},
        {"prompt_eval_count": 30, "eval_count": 4, "done_reason": "stop"},
    ],
)
def test_generation_info_is_the_last_resort(info: dict[str, Any]) -> None:
    result = _result(info=info)
    found = usage(result.generations[0], result.llm_output)
    assert found is not None
    assert (found.prompt, found.completion) == (30, 4)


def test_no_usage_anywhere() -> None:
    result = _result(info={"finish_reason": "stop"}, llm_output={"model_name": "m"})
    assert usage(result.generations[0], result.llm_output) is None


@pytest.mark.parametrize(
    ("info", "metadata", "expected"),
    [
        ({"finish_reason": "length"}, {}, "length"),
        (None, {"stop_reason": "end_turn"}, "end_turn"),
        (None, {"done_reason": "stop"}, "stop"),
        (None, {}, "unknown"),
    ],
)
def test_finish_reason_sources(
    info: dict[str, Any] | None, metadata: dict[str, Any], expected: str
) -> None:
    generation = ChatGeneration(
        message=AIMessage("x", response_metadata=metadata), generation_info=info
    )
    assert finish_reason([generation]) == expected


def test_model_name_order() -> None:
    assert (
        requested_model({"ls_model_name": "a"}, {"model": "b"}, {"kwargs": {"model": "c"}}) == "a"
    )
    assert requested_model({}, {"model_name": "b"}, {"kwargs": {"model": "c"}}) == "b"
    assert requested_model(None, {"_type": "t"}, {"kwargs": {"deployment_name": "c"}}) == "c"
    assert requested_model(None, {"_type": "t"}, None) == "t"
    assert requested_model(None, None, {"id": ["x", "ChatThing"]}) == "ChatThing"
    assert requested_model(None, None, None) == "unknown"


def test_request_params() -> None:
    params = {"temperature": 0.0, "max_completion_tokens": 100, "top_p": 0.9, "stop": ["\n"]}
    assert request_params(params, {"ls_temperature": 1.0}) == {
        "gen_ai.request.temperature": 0.0,
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.stop_sequences": ["\n"],
    }
    assert request_params({}, {"ls_max_tokens": 5}) == {"gen_ai.request.max_tokens": 5}


class _LegacyModel(BaseChatModel):
    """Reports usage only in llm_output, like older provider packages."""

    @property
    def _llm_type(self) -> str:
        return "legacy"

    def _generate(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return ChatResult(
            generations=[
                ChatGeneration(
                    message=AIMessage("done"), generation_info={"finish_reason": "length"}
                )
            ],
            llm_output={
                "token_usage": {"prompt_tokens": 2000, "completion_tokens": 100},
                "model_name": "deepseek-chat",
            },
        )


def test_llm_output_usage_through_a_real_run(recorder: RecordingClient) -> None:
    _LegacyModel().invoke("hi", config={"callbacks": [SentinelHandler(recorder)]})
    event = recorder.one()
    assert event.model == "deepseek-chat"
    assert (event.prompt.tokens, event.response.tokens) == (2000, 100)
    assert event.response.finish_reason == "length"
    assert event.cost_usd == pytest.approx((2000 * 0.15 + 100 * 0.6) / 1e6)
