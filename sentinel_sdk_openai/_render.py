"""Prompt and response text of an OpenAI call, in the one readable form events carry.

The form is the LangChain integration's, with OpenAI's role names: one block per
message, ``<role>: <text>`` (``system``, ``developer``, ``user``, ``assistant``),
``tool[<tool_call_id>]: <result>`` for tool results, and each tool call an
assistant makes on its own line as ``-> tool_call <name>(<arguments>) [id=<id>]``
with the arguments as the model wrote them. Content parts keep their text;
other parts show their type: ``[image]``, ``[input_audio]``, ``[file]``::

    system: You are terse.
    user: What is the weather in Paris?
    assistant:
    -> tool_call get_weather({"city":"Paris"}) [id=call_1]
    tool[call_1]: 18 C and sunny

Responses API requests render ``instructions`` as a first ``instructions:`` block
and ``input`` items as messages (a plain-string ``input`` is one ``user`` block);
``function_call`` / ``function_call_output`` items render as tool calls / results.
The response text is the generated message (text, then tool-call lines, no role
prefix); a refusal renders as ``refusal: <text>``; several choices (``n > 1``) are
separated by a line holding ``---``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sentinel_sdk.integrations import content_text, field, message_block, tool_call_line

__all__ = [
    "assistant_body",
    "render_chat_messages",
    "render_responses_input",
    "render_responses_output",
    "tool_line",
]


def tool_line(name: Any, arguments: Any, call_id: Any) -> str:
    """One tool call as ``-> tool_call name(arguments) [id=...]``, arguments as the model
    wrote them."""
    return tool_call_line(name, arguments or "", call_id)


def assistant_body(message: Any) -> str:
    """A chat message's text, refusal and tool-call lines."""
    lines: list[str] = []
    text = content_text(field(message, "content"))
    if text:
        lines.append(text)
    refusal = field(message, "refusal")
    if refusal:
        lines.append(f"refusal: {refusal}")
    for call in field(message, "tool_calls") or ():
        function = field(call, "function") or {}
        lines.append(
            tool_line(field(function, "name"), field(function, "arguments"), field(call, "id"))
        )
    legacy = field(message, "function_call")
    if legacy:
        lines.append(tool_line(field(legacy, "name"), field(legacy, "arguments"), ""))
    return "\n".join(lines)


def render_chat_messages(messages: Any) -> str:
    """The ``messages`` of a chat completion request."""
    if not isinstance(messages, Iterable) or isinstance(messages, (str, bytes)):
        return "" if messages is None else str(messages)
    blocks: list[str] = []
    for message in messages:
        role = str(field(message, "role") or "message")
        if role == "tool":
            role = f"tool[{field(message, 'tool_call_id') or ''}]"
        elif field(message, "name"):
            role = f"{role} ({field(message, 'name')})"
        blocks.append(message_block(role, assistant_body(message)))
    return "\n".join(blocks)


def render_responses_input(instructions: Any, data: Any) -> str:
    """``instructions`` and ``input`` of a Responses API request."""
    blocks: list[str] = []
    if isinstance(instructions, str) and instructions:
        blocks.append(f"instructions: {instructions}")
    if isinstance(data, str):
        blocks.append(f"user: {data}")
    elif isinstance(data, Iterable):
        for item in data:
            kind = field(item, "type")
            if kind == "function_call":
                call = tool_line(
                    field(item, "name"), field(item, "arguments"), field(item, "call_id")
                )
                blocks.append(f"assistant:\n{call}")
            elif kind == "function_call_output":
                blocks.append(
                    message_block(
                        f"tool[{field(item, 'call_id') or ''}]", str(field(item, "output") or "")
                    )
                )
            elif field(item, "role"):
                blocks.append(
                    message_block(str(field(item, "role")), content_text(field(item, "content")))
                )
            else:
                blocks.append(f"[{kind or 'item'}]")
    return "\n".join(blocks)


def render_responses_output(output: Any) -> str:
    """The ``output`` items of a Responses API response."""
    lines: list[str] = []
    for item in output or ():
        kind = field(item, "type")
        if kind == "message":
            text = content_text(field(item, "content"))
            if text:
                lines.append(text)
        elif kind == "function_call":
            lines.append(
                tool_line(field(item, "name"), field(item, "arguments"), field(item, "call_id"))
            )
        elif kind != "reasoning":
            lines.append(f"[{kind or 'item'}]")
    return "\n".join(lines)
