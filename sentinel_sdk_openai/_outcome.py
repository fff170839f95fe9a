"""Read an OpenAI request and its result into the parts of an event.

``Outcome`` is what a finished call produced, whichever API (Chat Completions or
Responses) and whether it came whole or streamed; the functions here read it from
the SDK's result objects, and the request parameters and failures into metadata.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._render import SEPARATOR, assistant_body, render_responses_output

__all__ = [
    "Outcome",
    "chat_outcome",
    "chat_usage",
    "failure",
    "given",
    "request_metadata",
    "responses_outcome",
]

_PARAMS = {
    "temperature": "temperature",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "max_output_tokens": "max_tokens",
    "top_p": "top_p",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "seed": "seed",
    "n": "n",
    "stop": "stop",
    "reasoning_effort": "reasoning_effort",
    "service_tier": "service_tier",
    "tool_choice": "tool_choice",
}
_MAX_ERROR_TEXT = 2000


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
    """Request parameters (temperature, max_tokens, tools, ...) as ``llm.request.*``."""
    for key, value in kwargs.items():
        name = _PARAMS.get(key)
        if name is not None and given(value) and f"llm.request.{name}" not in metadata:
            metadata[f"llm.request.{name}"] = _text(value)
    reasoning = kwargs.get("reasoning")
    if isinstance(reasoning, Mapping) and reasoning.get("effort"):
        metadata["llm.request.reasoning_effort"] = str(reasoning["effort"])
    tools = kwargs.get("tools")
    if given(tools) and tools:
        names = []
        for tool in tools:
            function = tool.get("function") if isinstance(tool, Mapping) else None
            name = (function or {}).get("name") if isinstance(function, Mapping) else None
            if name is None and isinstance(tool, Mapping):
                name = tool.get("name") or tool.get("type")
            names.append(str(name or "tool"))
        metadata["llm.request.tools"] = ",".join(names)


def _text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return repr(value)
    return json.dumps(value, separators=(",", ":"), default=str)


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


def chat_outcome(result: Any) -> Outcome:
    """The outcome of a whole ``ChatCompletion``."""
    choices = result.choices or []
    outcome = Outcome(
        model=result.model,
        response_id=result.id,
        fingerprint=getattr(result, "system_fingerprint", None),
        service_tier=getattr(result, "service_tier", None),
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
    outcome = Outcome(
        model=result.model,
        response_id=result.id,
        service_tier=getattr(result, "service_tier", None),
        text=render_responses_output(output),
    )
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


def failure(error: BaseException, metadata: dict[str, str], errors: list[str]) -> str:
    """Record ``error`` in ``metadata`` / ``errors``; returns the finish reason."""
    if isinstance(error, (asyncio.CancelledError, KeyboardInterrupt, GeneratorExit)):
        metadata["llm.cancelled"] = "true"
        return "cancelled"
    metadata["llm.error.type"] = type(error).__name__
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        metadata["llm.error.status_code"] = str(status)
    try:
        message = getattr(error, "message", None) or str(error)
    except Exception:
        message = ""
    errors.append(f"{type(error).__name__}: {message}"[:_MAX_ERROR_TEXT])
    return "error"
