"""Turn a finished LangChain run into the fields of one telemetry event.

Metadata keys set on each event (all strings, named by ``sentinel_sdk.metadata_keys``):

- ``sentinel.integration`` = ``langchain``; ``gen_ai.operation.name`` = ``chat`` or
  ``text_completion``; ``gen_ai.provider.name`` (LangChain's ``ls_provider``).
- ``sentinel.langchain.run_id``, ``.parent_run_id``, ``.run_name``, ``.tags``
  (comma-joined).
- ``sentinel.langchain.metadata.<key>``: the LangChain ``metadata`` of the run (its
  own and inherited, e.g. ``langgraph_node``), ``ls_*`` / ``lc_*`` keys left out.
- ``gen_ai.request.*``: temperature, max_tokens, top_p, top_k, stop_sequences, seed,
  choice.count (``n``), reasoning.level, ...
- ``gen_ai.request.model`` when the provider answered with another model name.
- ``sentinel.usage_reported`` (``true``/``false``), ``gen_ai.usage.cache_read.input_tokens``,
  ``gen_ai.usage.cache_creation.input_tokens``, ``gen_ai.usage.reasoning.output_tokens``.
- ``gen_ai.request.stream`` = ``true`` and ``sentinel.time_to_first_token_ms`` for
  streamed runs.
- ``sentinel.response.tool_calls``: the names of the tools the model called, comma-joined.
- ``sentinel.generations``: the number of generations when more than one.
- On failure: ``error.type`` (and ``sentinel.error.status_code`` when known); a
  stream closed early or a cancelled task gives ``finish_reason = "cancelled"``
  and ``sentinel.cancelled = "true"`` without an error; LangGraph control flow
  (``GraphBubbleUp``, ``GraphInterrupt``, ...) gives ``finish_reason =
  "interrupted"`` and ``sentinel.interrupted = <type>`` without an error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sentinel_sdk import coerce_metadata
from sentinel_sdk.integrations import metadata_keys as keys
from sentinel_sdk.integrations import metadata_text, record_failure, record_stream, record_usage

from . import _extract, _render

__all__ = ["Run", "event_fields", "run_metadata"]

_MAX_USER_METADATA = 64
_MAX_METADATA_VALUE = 512
_CONTROL_FLOW = frozenset({"GraphBubbleUp"})
_OPERATIONS = {"chat": "chat", "llm": "text_completion"}
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

    def streamed(self, output: bool) -> None:
        """A chunk arrived (``output``: it carried output): note the first of each."""
        now = time.perf_counter()
        if self.first_chunk is None:
            self.first_chunk = now
        if output:
            self.first_token = now

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
        metadata[keys.GEN_AI_REQUEST_MODEL] = requested
    prompt_tokens, completion_tokens = _tokens(generations, llm_output, metadata)
    first = run.first_token if run.first_token is not None else run.first_chunk
    if first is not None:
        record_stream(metadata, run.started, first)
    tools = _tool_names(generations)
    if tools:
        metadata[keys.SENTINEL_RESPONSE_TOOL_CALLS] = tools
    if len(generations) > 1:
        metadata[keys.SENTINEL_GENERATIONS] = str(len(generations))

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


def _tokens(
    generations: Sequence[Any], llm_output: Any, metadata: dict[str, str]
) -> tuple[int, int]:
    """Prompt and completion tokens of the run; usage details go into ``metadata``."""
    usage = _extract.usage(generations, llm_output)
    if usage is None:
        record_usage(metadata, reported=False)
        return 0, 0
    record_usage(
        metadata,
        reported=True,
        cache_read=usage.cache_read,
        cache_creation=usage.cache_creation,
        reasoning=usage.reasoning,
    )
    return usage.prompt, usage.completion


def run_metadata(run_id: UUID, run: Run) -> dict[str, str]:
    """The run's own metadata: ids, tags, provider, user metadata, request parameters."""
    metadata = {
        keys.SENTINEL_INTEGRATION: "langchain",
        keys.GEN_AI_OPERATION_NAME: _OPERATIONS[run.kind],
        keys.SENTINEL_LANGCHAIN_RUN_ID: _uuid_text(run_id),
    }
    if run.parent_run_id is not None:
        metadata[keys.SENTINEL_LANGCHAIN_PARENT_RUN_ID] = _uuid_text(run.parent_run_id)
    if run.name:
        metadata[keys.SENTINEL_LANGCHAIN_RUN_NAME] = str(run.name)
    if run.tags:
        metadata[keys.SENTINEL_LANGCHAIN_TAGS] = ",".join(map(str, run.tags))
    source = run.metadata
    if source:
        provider = source.get("ls_provider")
        if provider:
            metadata[keys.GEN_AI_PROVIDER_NAME] = str(provider)
        # LangChain's own keys (ls_provider, ls_model_name, lc_versions, ...) are not the user's.
        user = {k: v for k, v in source.items() if str(k)[:3] not in _LANGCHAIN_KEYS}
        if user:
            for key, value in list(coerce_metadata(user).items())[:_MAX_USER_METADATA]:
                metadata[keys.SENTINEL_LANGCHAIN_METADATA + key] = value[:_MAX_METADATA_VALUE]
    for key, value in _extract.request_params(run.params, source).items():
        metadata[key] = metadata_text(value)
    return metadata


def _uuid_text(value: Any) -> str:
    """``str(uuid)``, without UUID.__str__'s slower formatting (two per event)."""
    if type(value) is not UUID:
        return str(value)
    h = "%032x" % value.int  # noqa: UP031 (the fastest spelling)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _tool_names(generations: Sequence[Any]) -> str:
    names: list[str] = []
    for generation in generations:
        message = getattr(generation, "message", None)
        for call in getattr(message, "tool_calls", None) or ():
            names.append(str(call.get("name") or ""))
    return ",".join(names)


def _error_outcome(error: BaseException, metadata: dict[str, str], errors: list[str]) -> str:
    """Record the error in ``metadata`` / ``errors``; returns the finish reason."""
    kinds = {cls.__name__ for cls in type(error).__mro__ if cls.__module__.startswith("langgraph")}
    if kinds & _CONTROL_FLOW:
        # LangGraph's control flow (an interrupt, a handoff) ends the run, but is no failure.
        metadata[keys.SENTINEL_INTERRUPTED] = type(error).__name__
        return "interrupted"
    return record_failure(error, metadata, errors)
