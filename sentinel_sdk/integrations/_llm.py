"""What the LLM integrations share: the one text form of messages and tool calls, and
the metadata every LLM call records (usage, streaming, failures), under the vocabulary's
keys. Each helper runs on the sender (inside an integration's ``track_later`` build),
so it favours clarity over speed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sentinel_sdk.metadata_keys import (
    ERROR_TYPE,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    SENTINEL_CANCELLED,
    SENTINEL_ERROR_STATUS_CODE,
    SENTINEL_TIME_TO_FIRST_TOKEN_MS,
    SENTINEL_USAGE_REPORTED,
)

__all__ = [
    "MAX_ERROR_TEXT",
    "SEPARATOR",
    "content_text",
    "error_text",
    "field",
    "message_block",
    "metadata_text",
    "record_failure",
    "record_stream",
    "record_usage",
    "tool_call_line",
]

SEPARATOR = "\n---\n"
"""Between the prompts or generations of one call (several prompts, ``n > 1``)."""
MAX_ERROR_TEXT = 2000
"""Longest error text kept in ``errors``, in characters."""

_TEXT_BLOCKS = frozenset({"text", "input_text", "output_text"})
_IMAGE_BLOCKS = frozenset({"image", "image_url", "input_image"})
# Tool calls inside content are rendered as their own lines, not as blocks.
_TOOL_BLOCKS = frozenset({"tool_use", "tool_call", "function_call", "tool_call_chunk"})
_CANCELLATIONS = (asyncio.CancelledError, KeyboardInterrupt, GeneratorExit)


def field(obj: Any, name: str) -> Any:
    """``obj[name]`` for a mapping (request parameters, dict messages), else ``obj.name``."""
    if type(obj) is dict or isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def content_text(content: Any) -> str:
    """The text of message content: a string, or its blocks / parts as text.

    Text blocks keep their text (joined by newlines); a refusal is ``refusal: <text>``;
    images are ``[image]``; tool-call blocks are left out (callers render tool calls
    as ``tool_call_line``); any other block shows its type: ``[audio]``, ``[file]``.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, Iterable):
        return str(content)
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
            continue
        kind = field(block, "type")
        if kind in _TEXT_BLOCKS:
            text = field(block, "text")
            if text:
                parts.append(str(text))
        elif kind == "refusal":
            parts.append(f"refusal: {field(block, 'refusal') or ''}")
        elif kind in _IMAGE_BLOCKS:
            parts.append("[image]")
        elif kind not in _TOOL_BLOCKS:
            parts.append(f"[{kind or 'block'}]")
    return "\n".join(parts)


def tool_call_line(name: Any, arguments: str, call_id: Any) -> str:
    """One tool call: ``-> tool_call <name>(<arguments>) [id=<id>]``."""
    return f"-> tool_call {name or ''}({arguments}) [id={call_id or ''}]"


def message_block(role: str, body: str) -> str:
    """One message: ``<role>: <body>``, or the body on its own lines when it starts with
    tool-call lines."""
    if not body:
        return f"{role}:"
    return f"{role}:\n{body}" if body.startswith("->") else f"{role}: {body}"


def metadata_text(value: Any) -> str:
    """A request parameter as metadata text: strings as they are, JSON for the rest."""
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return repr(value)
    return json.dumps(value, separators=(",", ":"), default=str)


def error_text(error: BaseException) -> str:
    """``<Type>: <message>`` of an exception, at most ``MAX_ERROR_TEXT`` characters."""
    name = type(error).__name__
    try:
        message = getattr(error, "message", None) or str(error)
    except Exception:  # a broken __str__
        return name
    return f"{name}: {message}"[:MAX_ERROR_TEXT]


def record_failure(error: BaseException, metadata: dict[str, str], errors: list[str]) -> str:
    """Record how a call failed; returns its finish reason.

    A cancellation (a cancelled task, a closed generator, Ctrl-C) is ``cancelled`` with
    ``sentinel.cancelled``, and no error; anything else is ``error``, with
    ``error.type``, ``sentinel.error.status_code`` (an HTTP error's) and the text.
    """
    if isinstance(error, _CANCELLATIONS):
        metadata[SENTINEL_CANCELLED] = "true"
        return "cancelled"
    metadata[ERROR_TYPE] = type(error).__name__
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        metadata[SENTINEL_ERROR_STATUS_CODE] = str(status)
    errors.append(error_text(error))
    return "error"


def record_usage(
    metadata: dict[str, str],
    *,
    reported: bool,
    cache_read: int = 0,
    cache_creation: int = 0,
    reasoning: int = 0,
) -> None:
    """Whether the provider reported usage, and the cache and reasoning token counts."""
    metadata[SENTINEL_USAGE_REPORTED] = "true" if reported else "false"
    for key, count in (
        (GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cache_read),
        (GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, cache_creation),
        (GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, reasoning),
    ):
        if count:
            metadata[key] = str(count)


def record_stream(metadata: dict[str, str], started: float, first: float | None) -> None:
    """A streamed call: ``gen_ai.request.stream`` and, once output arrived, the time to
    its first token (``first`` and ``started`` from ``time.perf_counter()``)."""
    metadata[GEN_AI_REQUEST_STREAM] = "true"
    if first is not None:
        metadata[SENTINEL_TIME_TO_FIRST_TOKEN_MS] = f"{(first - started) * 1000:.3f}"
