"""One wrapped OpenAI call: what was asked, what came back (whole or streamed), the event.

A ``Call`` is created before the request is sent, watches a stream chunk by chunk
(O(1) work per chunk: it appends deltas to lists) or reads the whole response,
and hands one event to the client's ``track_later`` (built on its sender) when the
call ends. Every method swallows its own failures (``capture_internal_exceptions``):
the caller's request, result and exceptions are never changed by the SDK.

Metadata keys (all strings, named by ``sentinel_sdk.metadata_keys``):
``sentinel.integration`` = ``openai``, ``gen_ai.provider.name`` = ``openai``,
``gen_ai.operation.name`` = ``chat``, ``openai.api.type`` (``chat_completions`` /
``responses``), ``server.address`` (the API host), ``gen_ai.request.*``
(temperature, max_tokens, top_p, seed, choice.count, stop_sequences,
reasoning.level), ``openai.request.service_tier``, ``sentinel.request.tools`` /
``sentinel.request.tool_choice``, ``gen_ai.request.model`` when the response names
another model, ``gen_ai.response.id``, ``openai.response.system_fingerprint``,
``openai.response.service_tier``, ``sentinel.response.tool_calls`` (tool names),
``sentinel.generations`` (when ``n > 1``), ``sentinel.usage_reported``,
``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.usage.cache_creation.input_tokens``,
``gen_ai.usage.reasoning.output_tokens``, ``gen_ai.request.stream``,
``sentinel.stream.chunks``, ``sentinel.time_to_first_token_ms`` (first chunk carrying
output: text, refusal or a tool-call delta; for the Responses API the first
``*.delta`` event), ``error.type`` / ``sentinel.error.status_code`` on failure, and
``sentinel.cancelled`` when a stream was closed before it finished or the call was
cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sentinel_sdk.integrations import (
    SEPARATOR,
    Client,
    capture_internal_exceptions,
    current_client,
    record_failure,
    record_stream,
    record_usage,
)
from sentinel_sdk.integrations import metadata_keys as keys

from ._outcome import (
    Outcome,
    chat_outcome,
    chat_usage,
    given,
    request_metadata,
    responses_outcome,
)
from ._render import render_chat_messages, render_responses_input, tool_line

__all__ = ["CHAT", "RESPONSES", "Call"]

CHAT = "chat_completions"
"""``openai.api.type`` of ``chat.completions.create``."""
RESPONSES = "responses"
"""``openai.api.type`` of ``responses.create``."""


class Call:
    """The capture of one ``create()`` call (see the module docstring)."""

    def __init__(
        self, api: str, kwargs: dict[str, Any], sentinel: Client | None, server: str | None
    ) -> None:
        self.api = api
        self.sentinel = sentinel
        self.server = server
        self.kwargs = kwargs
        self.streaming = kwargs.get("stream") is True
        self.hide_usage_chunk = False
        if self.streaming and api == CHAT:
            options = kwargs.get("stream_options")
            if not given(options):
                self.kwargs = {**kwargs, "stream_options": {"include_usage": True}}
                self.hide_usage_chunk = True
            elif isinstance(options, Mapping) and "include_usage" not in options:
                self.kwargs = {**kwargs, "stream_options": {**options, "include_usage": True}}
                self.hide_usage_chunk = True
        self.first_chunk: float | None = None
        self.first_output: float | None = None
        self.chunks = 0
        self.texts: dict[int, list[str]] = {}
        self.refusals: dict[int, list[str]] = {}
        self.tool_parts: dict[tuple[int, int], list[Any]] = {}
        self.finishes: dict[int, str] = {}
        self.partial = Outcome()
        self.final: Any = None
        self.ended = False
        self.started = time.perf_counter()

    # -- streams ----------------------------------------------------------------------

    def observe(self, item: Any) -> bool:
        """Take in one streamed item; ``False`` means: do not give it to the caller.

        Only the usage-only chunk the wrapper itself asked for is withheld, so the
        caller sees exactly the stream it would have seen unwrapped.
        """
        with capture_internal_exceptions():
            now = time.perf_counter()
            if self.first_chunk is None:
                self.first_chunk = now
            self.chunks += 1
            if self.api == CHAT:
                return self._chat_chunk(item, now)
            self._responses_event(item, now)
        return True

    def _chat_chunk(self, chunk: Any, now: float) -> bool:
        partial = self.partial
        if partial.model is None:
            partial.model = chunk.model
            partial.response_id = chunk.id
        partial.fingerprint = chunk.system_fingerprint or partial.fingerprint
        partial.service_tier = getattr(chunk, "service_tier", None) or partial.service_tier
        usage = chunk.usage
        if usage is not None:
            partial.usage = chat_usage(usage)
        choices = chunk.choices
        if not choices:
            return not (self.hide_usage_chunk and usage is not None)
        output = False
        for choice in choices:
            index, delta = choice.index, choice.delta
            if delta is not None:
                if delta.content:
                    self.texts.setdefault(index, []).append(delta.content)
                    output = True
                if delta.refusal:
                    self.refusals.setdefault(index, []).append(delta.refusal)
                    output = True
                for call in delta.tool_calls or ():
                    part = self.tool_parts.setdefault((index, call.index), [None, None, []])
                    part[0] = call.id or part[0]
                    function = call.function
                    if function is not None:
                        part[1] = function.name or part[1]
                        if function.arguments:
                            part[2].append(function.arguments)
                    output = True
            if choice.finish_reason:
                self.finishes[index] = choice.finish_reason
        if output and self.first_output is None:
            self.first_output = now
        return True

    def _responses_event(self, event: Any, now: float) -> None:
        kind = getattr(event, "type", "")
        if kind.endswith(".delta") and self.first_output is None:
            self.first_output = now
        if kind == "response.output_text.delta":
            self.texts.setdefault(0, []).append(event.delta)
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            self.final = event.response
        elif kind == "response.created":
            self.partial.model = event.response.model
            self.partial.response_id = event.response.id

    def stream_ended(self, error: BaseException | None, closed: bool) -> None:
        """The stream finished, failed, or was closed by the caller: record it once."""
        with capture_internal_exceptions():
            if self.ended:
                return
            self.ended = True
            if self.api == RESPONSES and self.final is not None and error is None:
                outcome = responses_outcome(self.final)
            else:
                outcome = self._stream_outcome()
            cancelled = closed and error is None and not self.finishes and self.final is None
            self._emit(outcome, error, cancelled)

    def _stream_outcome(self) -> Outcome:
        outcome = self.partial
        indexes = sorted(set(self.texts) | set(self.refusals) | {i for i, _ in self.tool_parts})
        bodies = []
        for index in indexes or [0]:
            lines = []
            text = "".join(self.texts.get(index, ()))
            if text:
                lines.append(text)
            if index in self.refusals:
                lines.append(f"refusal: {''.join(self.refusals[index])}")
            for (choice, _), (call_id, name, args) in sorted(self.tool_parts.items()):
                if choice == index:
                    lines.append(tool_line(name, "".join(args), call_id))
                    outcome.tools.append(str(name or ""))
            bodies.append("\n".join(lines))
        outcome.text = SEPARATOR.join(bodies)
        outcome.choices = max(len(indexes), 1)
        outcome.finish = self.finishes.get(0) or next(iter(self.finishes.values()), "unknown")
        return outcome

    # -- whole results and failures ----------------------------------------------------

    def returned(self, result: Any) -> None:
        """A whole (non-streamed) result came back."""
        with capture_internal_exceptions():
            if self.ended:
                return
            self.ended = True
            outcome = chat_outcome(result) if self.api == CHAT else responses_outcome(result)
            self._emit(outcome, None, False)

    @contextmanager
    def failing(self) -> Iterator[None]:
        """Around the request: anything it raises is recorded, then re-raised unchanged."""
        try:
            yield
        except BaseException as exc:
            self.failed(exc)
            raise

    def failed(self, error: BaseException) -> None:
        """The request raised before a result or stream came back."""
        with capture_internal_exceptions():
            if self.ended:
                return
            self.ended = True
            self._emit(Outcome(), error, False)

    # -- the event ----------------------------------------------------------------------

    def _emit(self, outcome: Outcome, error: BaseException | None, cancelled: bool) -> None:
        ended = time.perf_counter()
        client = self.sentinel if self.sentinel is not None else current_client()
        capture = getattr(getattr(client, "config", None), "capture_content", True)
        # O(1) here: the fields are worked out and the event built on the client's sender.
        client.track_later(self._fields, outcome, error, cancelled, ended, capture)

    def _fields(
        self,
        outcome: Outcome,
        error: BaseException | None,
        cancelled: bool,
        ended: float,
        capture: bool,
    ) -> dict[str, Any]:
        """The ``track()`` fields of the finished call (run on the client's sender)."""
        requested = str(self.kwargs.get("model") or "unknown")
        model = outcome.model or requested
        metadata = self._metadata(outcome, requested if model != requested else None)
        prompt_tokens = completion_tokens = 0
        if outcome.usage is None:
            record_usage(metadata, reported=False)
        else:
            prompt_tokens, completion_tokens, cached, written, reasoning = outcome.usage
            record_usage(
                metadata,
                reported=True,
                cache_read=cached,
                cache_creation=written,
                reasoning=reasoning,
            )
        errors: list[str] = []
        finish = outcome.finish
        if error is not None:
            finish = record_failure(error, metadata, errors)
        elif cancelled:
            finish = "cancelled"
            metadata[keys.SENTINEL_CANCELLED] = "true"
        return {
            "model": model,
            "prompt": self._prompt_text() if capture else "",
            "response": outcome.text if capture else "",
            "prompt_tokens": prompt_tokens,
            "response_tokens": completion_tokens,
            "finish_reason": finish,
            "latency_ms": (ended - self.started) * 1000,
            "metadata": metadata,
            "errors": errors,
        }

    def _metadata(self, outcome: Outcome, requested: str | None) -> dict[str, str]:
        """The call's metadata: what was asked, what answered, how it streamed."""
        metadata = {
            keys.SENTINEL_INTEGRATION: "openai",
            keys.GEN_AI_PROVIDER_NAME: "openai",
            keys.GEN_AI_OPERATION_NAME: "chat",
            keys.OPENAI_API_TYPE: self.api,
        }
        if self.server:
            metadata[keys.SERVER_ADDRESS] = self.server
        request_metadata(self.kwargs, metadata)
        if requested is not None:
            metadata[keys.GEN_AI_REQUEST_MODEL] = requested
        for key, value in (
            (keys.GEN_AI_RESPONSE_ID, outcome.response_id),
            (keys.OPENAI_RESPONSE_SYSTEM_FINGERPRINT, outcome.fingerprint),
            (keys.OPENAI_RESPONSE_SERVICE_TIER, outcome.service_tier),
        ):
            if value:
                metadata[key] = str(value)
        if outcome.tools:
            metadata[keys.SENTINEL_RESPONSE_TOOL_CALLS] = ",".join(outcome.tools)
        if outcome.choices > 1:
            metadata[keys.SENTINEL_GENERATIONS] = str(outcome.choices)
        if self.streaming:
            metadata[keys.SENTINEL_STREAM_CHUNKS] = str(self.chunks)
            first = self.first_output if self.first_output is not None else self.first_chunk
            record_stream(metadata, self.started, first)
        return metadata

    def _prompt_text(self) -> str:
        if self.api == CHAT:
            return render_chat_messages(self.kwargs.get("messages"))
        kwargs = self.kwargs
        instructions = kwargs.get("instructions")
        return render_responses_input(
            instructions if given(instructions) else None, kwargs.get("input")
        )
