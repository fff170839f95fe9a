"""Turn a finished LangChain run into the fields of one telemetry event.

Metadata keys set on each event (all strings):

- ``llm.integration`` = ``langchain``; ``llm.run_type`` = ``chat`` or ``llm``;
  ``llm.provider`` (LangChain's ``ls_provider``).
- ``llm.run_id``, ``llm.parent_run_id``, ``llm.run_name``, ``llm.tags`` (comma-joined).
- ``llm.metadata.<key>``: the LangChain ``metadata`` of the run (its own and
  inherited, e.g. ``langgraph_node``), ``ls_*`` / ``lc_*`` keys left out.
- ``llm.request.<param>``: temperature, max_tokens, top_p, top_k, stop, seed, n, ...
- ``llm.request.model`` when the provider answered with another model name.
- ``llm.usage_reported`` (``true``/``false``), ``llm.usage.cache_read_tokens``,
  ``llm.usage.cache_creation_tokens``, ``llm.usage.reasoning_tokens``.
- ``llm.streaming`` = ``true`` and ``llm.time_to_first_token_ms`` for streamed runs.
- ``llm.response.tool_calls``: the names of the tools the model called, comma-joined.
- ``llm.generations``: the number of generations when more than one.
- On failure: ``llm.error.type`` (and ``llm.error.status_code`` when known); a
  stream closed early or a cancelled task gives ``finish_reason = "cancelled"``
  and ``llm.cancelled = "true"`` without an error; LangGraph control flow
  (``GraphBubbleUp``, ``GraphInterrupt``, ...) gives ``finish_reason =
  "interrupted"`` and ``llm.interrupted = <type>`` without an error.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sentinel_sdk import coerce_metadata

from . import _extract, _render

__all__ = ["Run", "event_fields", "run_metadata"]

_MAX_USER_METADATA = 64
_MAX_METADATA_VALUE = 512
_MAX_ERROR_TEXT = 2000
_CONTROL_FLOW = frozenset({"GraphBubbleUp"})
_LANGCHAIN_KEYS = frozenset({"ls_", "lc_"})


class Run:
    """What is known of a run between its start and its end (references only: the start
    callback does no more than store them; they are read on the sender)."""

    __slots__ = (
        "first_chunk",
        "first_token",
        "kind",
        "kwargs",
        "metadata",
        "parent_run_id",
        "prompts",
        "serialized",
        "started",
        "tags",
    )

    def __init__(
        self,
        kind: str,
        prompts: Sequence[Any],
        serialized: Mapping[str, Any] | None,
        parent_run_id: UUID | None,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        self.started = time.perf_counter()
        self.kind = kind
        self.prompts = prompts  # chat: LangChain's list of message lists; llm: strings
        self.serialized = serialized
        self.parent_run_id = parent_run_id
        self.tags = tags
        self.metadata = metadata
        self.kwargs = kwargs
        self.first_token: float | None = None
        self.first_chunk: float | None = None

    @property
    def params(self) -> Any:
        """LangChain's ``invocation_params`` of the run."""
        return self.kwargs.get("invocation_params")

    @property
    def name(self) -> Any:
        """The run's name, when LangChain gave one."""
        return self.kwargs.get("name")

    def messages(self) -> list[Any]:
        """A chat run's messages, the batches of a multi-prompt call in one list."""
        batches = self.prompts
        if len(batches) == 1:
            return list(batches[0])
        return [message for batch in batches for message in batch]


def event_fields(
    run_id: UUID,
    run: Run,
    ended: float,
    response: Any,
    error: BaseException | None,
) -> dict[str, Any]:
    """The ``track()`` fields of a finished (or failed) run (the client strips the texts
    when its ``capture_content`` is off)."""
    generations: Sequence[Any] = ()
    llm_output = None
    if response is not None:
        if response.generations:
            generations = response.generations[0]
        llm_output = response.llm_output

    metadata = run_metadata(run_id, run)
    requested = _extract.requested_model(run.metadata, run.params, run.serialized)
    model = _extract.response_model(generations, llm_output) or requested
    if model != requested:
        metadata["llm.request.model"] = requested
    usage = _extract.usage(generations, llm_output)
    if usage is None:
        metadata["llm.usage_reported"] = "false"
        prompt_tokens = completion_tokens = 0
    else:
        metadata["llm.usage_reported"] = "true"
        prompt_tokens, completion_tokens = usage.prompt, usage.completion
        for key, value in (
            ("cache_read_tokens", usage.cache_read),
            ("cache_creation_tokens", usage.cache_creation),
            ("reasoning_tokens", usage.reasoning),
        ):
            if value:
                metadata[f"llm.usage.{key}"] = str(value)
    first = run.first_token if run.first_token is not None else run.first_chunk
    if first is not None:
        metadata["llm.streaming"] = "true"
        metadata["llm.time_to_first_token_ms"] = f"{(first - run.started) * 1000:.3f}"
    tools = _tool_names(generations)
    if tools:
        metadata["llm.response.tool_calls"] = tools
    if len(generations) > 1:
        metadata["llm.generations"] = str(len(generations))

    errors: list[str] = []
    if error is None:
        finish = _extract.finish_reason(generations)
    else:
        finish = _error_outcome(error, metadata, errors)

    if run.kind == "chat":
        prompt = _render.render_messages(run.messages())
    else:
        prompt = _render.render_prompts(run.prompts)
    output = _render.render_generations(generations) if generations else ""
    return {
        "model": model,
        "prompt": prompt,
        "response": output,
        "prompt_tokens": prompt_tokens,
        "response_tokens": completion_tokens,
        "finish_reason": finish,
        "latency_ms": (ended - run.started) * 1000,
        "metadata": metadata,
        "errors": errors,
    }


def run_metadata(run_id: UUID, run: Run) -> dict[str, str]:
    """The run's own metadata: ids, tags, provider, user metadata, request parameters."""
    metadata = {
        "llm.integration": "langchain",
        "llm.run_type": run.kind,
        "llm.run_id": _uuid_text(run_id),
    }
    if run.parent_run_id is not None:
        metadata["llm.parent_run_id"] = _uuid_text(run.parent_run_id)
    if run.name:
        metadata["llm.run_name"] = str(run.name)
    if run.tags:
        metadata["llm.tags"] = ",".join(map(str, run.tags))
    source = run.metadata
    if source:
        provider = source.get("ls_provider")
        if provider:
            metadata["llm.provider"] = str(provider)
        # LangChain's own keys (ls_provider, ls_model_name, lc_versions, ...) are not the user's.
        user = {k: v for k, v in source.items() if str(k)[:3] not in _LANGCHAIN_KEYS}
        if user:
            for key, value in list(coerce_metadata(user).items())[:_MAX_USER_METADATA]:
                metadata[f"llm.metadata.{key}"] = value[:_MAX_METADATA_VALUE]
    for name, value in _extract.request_params(run.params, source).items():
        metadata[f"llm.request.{name}"] = _text(value)
    return metadata


def _uuid_text(value: Any) -> str:
    """``str(uuid)``, without UUID.__str__'s slower formatting (two per event)."""
    if type(value) is not UUID:
        return str(value)
    h = "%032x" % value.int  # noqa: UP031 (the fastest spelling)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _text(value: Any) -> str:
    """A request parameter as metadata text (JSON spelling, cheaply for the usual types)."""
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return repr(value)
    return json.dumps(value, separators=(",", ":"), default=str)


def _tool_names(generations: Sequence[Any]) -> str:
    names: list[str] = []
    for generation in generations:
        message = getattr(generation, "message", None)
        for call in getattr(message, "tool_calls", None) or ():
            names.append(str(call.get("name") or ""))
    return ",".join(names)


def _error_outcome(error: BaseException, metadata: dict[str, str], errors: list[str]) -> str:
    """Record the error in ``metadata`` / ``errors``; returns the finish reason."""
    if isinstance(error, (GeneratorExit, asyncio.CancelledError, KeyboardInterrupt)):
        metadata["llm.cancelled"] = "true"
        return "cancelled"
    kinds = {cls.__name__ for cls in type(error).__mro__ if cls.__module__.startswith("langgraph")}
    if kinds & _CONTROL_FLOW:
        metadata["llm.interrupted"] = type(error).__name__
        return "interrupted"
    metadata["llm.error.type"] = type(error).__name__
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        metadata["llm.error.status_code"] = str(status)
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:
        text = type(error).__name__
    errors.append(text[:_MAX_ERROR_TEXT])
    return "error"
