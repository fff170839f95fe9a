"""``SentinelHandler``: one telemetry event per LangChain LLM or chat-model run.

The handler runs inline (``run_inline = True``): LangChain calls it on the thread
or event loop of the run, never in an executor. Start and token callbacks only
store references in a per-run record (O(1)); the prompt and response are read,
rendered and turned into an event once, when the run ends, and handed to the
client's non-blocking ``track_nowait``. Nothing it does can fail the run: every
failure inside a callback is swallowed and logged by ``capture_internal_exceptions``.

Per-run records live in a bounded, insertion-ordered map keyed by run id. A run
that never ends (its task cancelled before LangChain reported it, a leaked
generator) is evicted once the map is full or the run is older than
``run_timeout``; evictions are counted in ``handler.evicted``.

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
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

import sentinel_sdk
from sentinel_sdk import coerce_metadata
from sentinel_sdk._log import capture_internal_exceptions, warn_once

from . import _extract, _render

__all__ = ["SentinelHandler"]

_MAX_USER_METADATA = 64
_MAX_METADATA_VALUE = 512
_MAX_ERROR_TEXT = 2000
_CONTROL_FLOW = frozenset({"GraphBubbleUp"})
_LANGCHAIN_KEYS = frozenset({"ls_", "lc_"})


class _Run:
    """What is known of a run between its start and its end (references only)."""

    __slots__ = (
        "first_chunk",
        "first_token",
        "kind",
        "metadata",
        "name",
        "params",
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
        self.prompts = prompts
        self.serialized = serialized
        self.parent_run_id = parent_run_id
        self.tags = tags
        self.metadata = metadata
        self.params = kwargs.get("invocation_params")
        self.name = kwargs.get("name")
        self.first_token: float | None = None
        self.first_chunk: float | None = None


class SentinelHandler(BaseCallbackHandler):
    """Captures every LLM and chat-model call of a LangChain run as a telemetry event.

    ``callbacks=[SentinelHandler()]`` uses the client of the current request scope,
    else the process default (``sentinel_sdk.init(...)`` or ``SENTINEL_*``
    variables), looked up when each event is captured; ``SentinelHandler(client=c)``
    always uses ``c``. Works unchanged in sync, async, batch and streaming runs.
    ``max_runs`` bounds the runs tracked at once and ``run_timeout`` (seconds) is
    how long a run may last before it is given up as never ending.
    """

    run_inline = True
    raise_error = False

    def __init__(
        self,
        client: Any | None = None,
        *,
        max_runs: int = 10_000,
        run_timeout: float = 3600.0,
    ) -> None:
        if max_runs < 1:
            raise ValueError(f"max_runs must be >= 1, got {max_runs}")
        if run_timeout <= 0:
            raise ValueError(f"run_timeout must be > 0, got {run_timeout}")
        self._client = client
        self._max_runs = max_runs
        self._run_timeout = run_timeout
        self._runs: OrderedDict[UUID, _Run] = OrderedDict()
        self._lock = threading.Lock()
        self.evicted = 0
        """Runs given up without an end (never finished, or past ``run_timeout``)."""

    # Only model runs matter: LangChain skips these callbacks entirely.
    @property
    def ignore_chain(self) -> bool:
        """True: LangChain does not call this handler for chain callbacks."""
        return True

    @property
    def ignore_agent(self) -> bool:
        """True: LangChain does not call this handler for agent callbacks."""
        return True

    @property
    def ignore_retriever(self) -> bool:
        """True: LangChain does not call this handler for retriever callbacks."""
        return True

    @property
    def ignore_retry(self) -> bool:
        """True: LangChain does not call this handler for retry callbacks."""
        return True

    @property
    def ignore_custom_event(self) -> bool:
        """True: LangChain does not call this handler for custom-event callbacks."""
        return True

    @property
    def active_runs(self) -> int:
        """Runs started and not yet ended (or evicted)."""
        return len(self._runs)

    # -- start / token: O(1) hand-offs ----------------------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the run (its messages are rendered when it ends)."""
        try:
            prompts = (
                messages[0] if len(messages) == 1 else [m for batch in messages for m in batch]
            )
            self._add(
                run_id, _Run("chat", prompts, serialized, parent_run_id, tags, metadata, kwargs)
            )
        except Exception as exc:
            _swallow("langchain on_chat_model_start", exc)

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember a text-completion run."""
        try:
            self._add(
                run_id, _Run("llm", prompts, serialized, parent_run_id, tags, metadata, kwargs)
            )
        except Exception as exc:
            _swallow("langchain on_llm_start", exc)

    def on_llm_new_token(
        self,
        token: Any,
        *,
        chunk: Any = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Note when the first streamed chunk and the first non-empty token arrived."""
        run = self._runs.get(run_id)
        if run is not None and run.first_token is None:
            now = time.perf_counter()
            if run.first_chunk is None:
                run.first_chunk = now
            if token:
                run.first_token = now

    # -- end / error: build and hand over the event ---------------------------------

    def on_llm_end(
        self,
        response: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Capture the finished run."""
        ended = time.perf_counter()
        try:
            run = self._pop(run_id)
            if run is not None:
                self._capture(run_id, run, ended, response, None)
        except Exception as exc:
            _swallow("langchain on_llm_end", exc)

    def on_llm_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Capture the failed run, with what it generated before failing."""
        ended = time.perf_counter()
        try:
            run = self._pop(run_id)
            if run is not None:
                self._capture(run_id, run, ended, kwargs.get("response"), error)
        except Exception as exc:
            _swallow("langchain on_llm_error", exc)

    # -- the run map ------------------------------------------------------------------

    def _add(self, run_id: UUID, run: _Run) -> None:
        runs = self._runs
        with self._lock:
            runs[run_id] = run
            evicted = 0
            if len(runs) > self._max_runs:
                runs.popitem(last=False)
                evicted = 1
            horizon = run.started - self._run_timeout
            while evicted < 8 and runs:
                oldest = next(iter(runs.values()))
                if oldest.started >= horizon:
                    break
                runs.popitem(last=False)
                evicted += 1
            if not evicted:
                return
            self.evicted += evicted
        warn_once(
            "langchain-evicted",
            "sentinel_sdk: SentinelHandler gave up on %d LangChain run(s) that never ended "
            "(%d in total; max_runs=%d, run_timeout=%gs)",
            evicted,
            self.evicted,
            self._max_runs,
            self._run_timeout,
        )

    def _pop(self, run_id: UUID) -> _Run | None:
        with self._lock:
            return self._runs.pop(run_id, None)

    # -- event building (at the end of a run only) --------------------------------------

    def _capture(
        self, run_id: UUID, run: _Run, ended: float, response: Any, error: BaseException | None
    ) -> None:
        client = self._client if self._client is not None else sentinel_sdk.current_client()
        config = getattr(client, "config", None)
        capture_content = getattr(config, "capture_content", True)
        generations: Sequence[Any] = ()
        llm_output = None
        if response is not None:
            if response.generations:
                generations = response.generations[0]
            llm_output = response.llm_output

        metadata = _run_metadata(run_id, run)
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

        if capture_content:
            if run.kind == "chat":
                prompt = _render.render_messages(run.prompts)
            else:
                prompt = _render.render_prompts(run.prompts)
            output = _render.render_generations(generations) if generations else ""
        else:
            prompt = output = ""
        client.track_nowait(
            model=model,
            prompt=prompt,
            response=output,
            prompt_tokens=prompt_tokens,
            response_tokens=completion_tokens,
            finish_reason=finish,
            latency_ms=(ended - run.started) * 1000,
            metadata=metadata,
            errors=errors,
        )


def _run_metadata(run_id: UUID, run: _Run) -> dict[str, str]:
    metadata = {
        "llm.integration": "langchain",
        "llm.run_type": run.kind,
        "llm.run_id": str(run_id),
    }
    if run.parent_run_id is not None:
        metadata["llm.parent_run_id"] = str(run.parent_run_id)
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


def _swallow(where: str, exc: Exception) -> None:
    """Hand an internal failure to the SDK's one helper, which logs it (rate-limited).

    The callbacks use a plain ``try`` so their fast path costs nothing; only a failure
    goes through ``capture_internal_exceptions``, which swallows it: the run goes on.
    """
    with capture_internal_exceptions(where):
        raise exc


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
