"""Read an OpenAI request and its result into the parts of an event.

``Outcome`` is what a finished call produced, whichever API (Chat Completions or
Responses) and whether it came whole or streamed; the functions here read it from
the SDK's result objects, and the request parameters and failures into metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sentinel_sdk.integrations import SEPARATOR, metadata_text
from sentinel_sdk.integrations import metadata_keys as keys

from ._render import assistant_body, render_responses_output

__all__ = [
    "Outcome",
    "chat_outcome",
    "chat_usage",
    "given",
    "request_metadata",
    "responses_outcome",
]

_PARAMS = {  # request parameters -> their metadata key
    "temperature": keys.GEN_AI_REQUEST_TEMPERATURE,
    "max_tokens": keys.GEN_AI_REQUEST_MAX_TOKENS,
    "max_completion_tokens": keys.GEN_AI_REQUEST_MAX_TOKENS,
    "max_output_tokens": keys.GEN_AI_REQUEST_MAX_TOKENS,
    "top_p": keys.GEN_AI_REQUEST_TOP_P,
    "frequency_penalty": keys.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": keys.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "seed": keys.GEN_AI_REQUEST_SEED,
    "n": keys.GEN_AI_REQUEST_CHOICE_COUNT,
    "stop": keys.GEN_AI_REQUEST_STOP_SEQUENCES,
    "reasoning_effort": keys.GEN_AI_REQUEST_REASONING_LEVEL,
    "service_tier": keys.OPENAI_REQUEST_SERVICE_TIER,
    "tool_choice": keys.SENTINEL_REQUEST_TOOL_CHOICE,
}


def given(value: Any) -> bool:
    """False for ``None`` and openai's ``NOT_GIVEN`` / ``omit`` sentinels."""
    # openai's NOT_GIVEN / omit sentinels are falsy objects of their own types.
    return value is not None and type(value).__name__ not in ("NotGiven", "Omit")


@dataclass(slots=True)
class Outcome:
    """What a finished call produced, whichever API and delivery."""

    model: str | None = None
    text: str = ""
    finish: str = "unknown"
    usage: tuple[int, int, int, int, int] | None = (
        None  # prompt, completion, cached, write, reasoning
    )
    tools: list[str] = field(default_factory=list)
    choices: int = 1
    response_id: str | None = None
    fingerprint: str | None = None
    service_tier: str | None = None


def request_metadata(kwargs: Mapping[str, Any], metadata: dict[str, str]) -> None:
    """Request parameters (temperature, max_tokens, tools, ...) under their metadata keys."""
    for parameter, value in kwargs.items():
        key = _PARAMS.get(parameter)
        if key is not None and given(value) and key not in metadata:
            metadata[key] = metadata_text(value)
    reasoning = kwargs.get("reasoning")
    if isinstance(reasoning, Mapping) and reasoning.get("effort"):
        metadata[keys.GEN_AI_REQUEST_REASONING_LEVEL] = str(reasoning["effort"])
    tools = kwargs.get("tools")
    if given(tools) and tools:
        names = []
        for tool in tools:
            function = tool.get("function") if isinstance(tool, Mapping) else None
            name = (function or {}).get("name") if isinstance(function, Mapping) else None
            if name is None and isinstance(tool, Mapping):
                name = tool.get("name") or tool.get("type")
            names.append(str(name or "tool"))
        metadata[keys.SENTINEL_REQUEST_TOOLS] = ",".join(names)


def chat_usage(usage: Any) -> tuple[int, int, int, int, int]:
    """Prompt, completion, cached, cache-write and reasoning tokens of a chat ``usage``."""
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return (
        usage.prompt_tokens or 0,
        usage.completion_tokens or 0,
        getattr(prompt_details, "cached_tokens", None) or 0,
        getattr(prompt_details, "cache_write_tokens", None) or 0,
        getattr(completion_details, "reasoning_tokens", None) or 0,
    )


def _outcome_of(result: Any, **more: Any) -> Outcome:
    """An ``Outcome`` with what every result names: the model, the id, the service tier."""
    return Outcome(
        model=result.model,
        response_id=result.id,
        service_tier=getattr(result, "service_tier", None),
        **more,
    )


def chat_outcome(result: Any) -> Outcome:
    """The outcome of a whole ``ChatCompletion``."""
    choices = result.choices or []
    outcome = _outcome_of(
        result,
        fingerprint=getattr(result, "system_fingerprint", None),
        choices=max(len(choices), 1),
    )
    outcome.text = SEPARATOR.join(assistant_body(choice.message) for choice in choices)
    for choice in choices:
        for call in choice.message.tool_calls or ():
            function = getattr(call, "function", None)
            outcome.tools.append(str(getattr(function, "name", "") or ""))
    if choices and choices[0].finish_reason:
        outcome.finish = choices[0].finish_reason
    if result.usage is not None:
        outcome.usage = chat_usage(result.usage)
    return outcome


def responses_outcome(result: Any) -> Outcome:
    """The outcome of a Responses API ``Response`` (whole, or the final one of a stream)."""
    output = result.output or []
    outcome = _outcome_of(result, text=render_responses_output(output))
    outcome.tools = [
        str(item.name) for item in output if getattr(item, "type", "") == "function_call"
    ]
    status = getattr(result, "status", None)
    if status == "completed" or status is None:
        outcome.finish = "tool_calls" if outcome.tools else "stop"
    elif status == "incomplete":
        details = getattr(result, "incomplete_details", None)
        outcome.finish = str(getattr(details, "reason", None) or "incomplete")
    elif status == "failed":
        outcome.finish = "error"
    else:
        outcome.finish = str(status)
    usage = getattr(result, "usage", None)
    if usage is not None:
        inputs = getattr(usage, "input_tokens_details", None)
        outputs = getattr(usage, "output_tokens_details", None)
        outcome.usage = (
            usage.input_tokens or 0,
            usage.output_tokens or 0,
            getattr(inputs, "cached_tokens", None) or 0,
            getattr(inputs, "cache_write_tokens", None) or 0,
            getattr(outputs, "reasoning_tokens", None) or 0,
        )
    return outcome
