"""Prompt and response text of a LangChain run, in the one readable form events carry.

Chat messages become one block per message, ``<role>: <text>``, where the role is
LangChain's message type (``system``, ``human``, ``ai``, ``tool``, ``function``, or a
``ChatMessage``'s own role), with the sender's ``name`` in parentheses when set.
Tool results name the call they answer: ``tool[<tool_call_id>]: <result>``. Each
tool call an ``ai`` message makes follows it on its own line as
``-> tool_call <name>(<arguments as compact JSON>) [id=<id>]``; a call the model
garbled is ``-> invalid_tool_call <name>(<raw arguments>) [id=<id>]``. Content
given as a list of blocks keeps its text blocks (joined by newlines) and shows
other blocks by type: ``[image]``, ``[audio]``, ``[file]``, ``[reasoning]``::

    system: You are terse.
    human (alice): What is the weather in Paris?
    ai:
    -> tool_call get_weather({"city":"Paris"}) [id=call_1]
    tool[call_1]: 18 C and sunny
    ai: It is 18 C and sunny in Paris.

Response text is the generated message in the same form without the role
prefix (its text, then its tool-call lines). Text-completion (non-chat) runs use
the prompt and generated strings as they are. When one run has several prompts
or generations (``n > 1``) they are separated by a line holding ``---``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sentinel_sdk.integrations import SEPARATOR, content_text, message_block, tool_call_line

__all__ = ["render_generations", "render_messages", "render_prompts"]


def render_messages(messages: Sequence[Any]) -> str:
    """A chat prompt (a list of ``BaseMessage``) in the documented form."""
    return "\n".join([_message(m) for m in messages])


def render_prompts(prompts: Sequence[str]) -> str:
    """The prompts of a text-completion run."""
    if len(prompts) == 1:
        return prompts[0]
    return SEPARATOR.join(prompts)


def render_generations(generations: Sequence[Any]) -> str:
    """The generated text of one run: chat messages with tool calls, or completion text."""
    texts = []
    for generation in generations:
        message = _fields(generation).get("message")
        if message is None:
            text = generation.text
            texts.append(text if isinstance(text, str) else "")
        else:
            texts.append(_body(_fields(message)))
    return texts[0] if len(texts) == 1 else SEPARATOR.join(texts)


def _fields(obj: Any) -> dict[str, Any]:
    # Messages are pydantic models: reading their fields from __dict__ avoids pydantic's
    # slow __getattr__ path for the fields a message type does not have (~5 us each).
    fields = getattr(obj, "__dict__", None)
    return fields if isinstance(fields, dict) else {}


def _message(message: Any) -> str:
    fields = _fields(message)
    return message_block(_role(fields), _body(fields))


def _role(fields: dict[str, Any]) -> str:
    kind = fields.get("type") or "message"
    if kind == "tool":
        return f"tool[{fields.get('tool_call_id') or ''}]"
    if kind == "chat":
        kind = fields.get("role") or kind
    name = fields.get("name")
    if kind == "function":
        return f"function[{name or ''}]"
    if name:
        return f"{kind} ({name})"
    return str(kind)


def _body(fields: dict[str, Any]) -> str:
    text = content_text(fields.get("content", ""))
    calls = fields.get("tool_calls")
    invalid = fields.get("invalid_tool_calls")
    if not calls and not invalid:
        return text
    lines = [text] if text else []
    for call in calls or ():
        lines.append(tool_call_line(call.get("name"), _json(call.get("args")), call.get("id")))
    for call in invalid or ():
        lines.append(
            f"-> invalid_tool_call {call.get('name') or ''}({call.get('args') or ''})"
            f" [id={call.get('id') or ''}]"
        )
    return "\n".join(lines)


def _json(value: Any) -> str:
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        return str(value)
