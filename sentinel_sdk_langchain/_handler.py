"""``SentinelHandler``: one telemetry event per LangChain LLM or chat-model run.

The handler runs inline (``run_inline = True``): LangChain calls it on the thread
or event loop of the run, never in an executor. Start and token callbacks only
store references in a per-run record (O(1)); when the run ends the record and the
response are handed to the client's ``track_later`` (O(1) too): they are read,
rendered and turned into an event on the client's sender, off the run's thread.
Nothing it does can fail the run: every failure inside a callback is swallowed and
logged by ``capture_internal_exceptions``.

Per-run records live in a bounded, insertion-ordered map keyed by run id. A run
that never ends (its task cancelled before LangChain reported it, a leaked
generator) is evicted once the map is full or the run is older than
``run_timeout``; evictions are counted in ``handler.evicted``.

The event built from a finished run, and its metadata keys, are described in
``sentinel_sdk_langchain._event``.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

import sentinel_sdk
from sentinel_sdk._log import capture_internal_exceptions, warn_once

from ._event import Run, event_fields

__all__ = ["SentinelHandler"]


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
        self._runs: dict[Any, Run] = {}  # insertion-ordered: oldest first
        self._lock = threading.Lock()
        # Runs past run_timeout are looked for at most this often (a walk of the map).
        self._sweep_every = min(1.0, run_timeout / 4)
        self._next_sweep = time.perf_counter() + self._sweep_every
        self.evicted = 0
        """Runs given up without an end (never finished, or past ``run_timeout``)."""

    # Only model runs matter: LangChain skips these callbacks entirely.
    ignore_chain = True
    """True: LangChain does not call this handler for chain callbacks."""

    ignore_agent = True
    """True: LangChain does not call this handler for agent callbacks."""

    ignore_retriever = True
    """True: LangChain does not call this handler for retriever callbacks."""

    ignore_retry = True
    """True: LangChain does not call this handler for retry callbacks."""

    ignore_custom_event = True
    """True: LangChain does not call this handler for custom-event callbacks."""

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
            self._add(
                run_id, Run("chat", messages, serialized, parent_run_id, tags, metadata, kwargs)
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
                run_id, Run("llm", prompts, serialized, parent_run_id, tags, metadata, kwargs)
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
        run = self._runs.get(_run_key(run_id))
        if run is not None and run.first_token is None:
            now = time.perf_counter()
            if run.first_chunk is None:
                run.first_chunk = now
            if token:
                run.first_token = now

    def on_stream_event(
        self,
        event: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """The same for ``stream_events(version="v3")``, which reports protocol events."""
        run = self._runs.get(_run_key(run_id))
        if run is not None and run.first_token is None:
            now = time.perf_counter()
            if run.first_chunk is None:
                run.first_chunk = now
            if isinstance(event, dict) and event.get("event") == "content-block-delta":
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
    #
    # A plain dict keyed by the run id's integer (_run_key): setting and popping a key then
    # runs no Python code, so each is atomic under the GIL and the hot path takes no lock.
    # Only evictions, which walk the map, take the lock.

    def _add(self, run_id: UUID, run: Run) -> None:
        runs = self._runs
        runs[_run_key(run_id)] = run
        if len(runs) > self._max_runs or run.started >= self._next_sweep:
            self._evict(run.started)

    def _evict(self, now: float) -> None:
        """Give up on runs beyond ``max_runs`` (oldest first) and runs past ``run_timeout``."""
        runs = self._runs
        evicted = 0
        with self._lock:
            self._next_sweep = now + self._sweep_every
            horizon = now - self._run_timeout
            while runs:
                try:
                    key, oldest = next(iter(runs.items()))
                except (RuntimeError, StopIteration):  # changed by another thread: next time
                    break
                if len(runs) <= self._max_runs and oldest.started >= horizon:
                    break
                if runs.pop(key, None) is not None:
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

    def _pop(self, run_id: UUID) -> Run | None:
        return self._runs.pop(_run_key(run_id), None)

    # -- the event (built at the end of a run only) -----------------------------------

    def _capture(
        self, run_id: UUID, run: Run, ended: float, response: Any, error: BaseException | None
    ) -> None:
        client = self._client if self._client is not None else sentinel_sdk.current_client()
        # O(1) here: the fields are extracted and the event built on the client's sender
        # (which also strips the texts when the client's capture_content is off).
        client.track_later(event_fields, run_id, run, ended, response, error)


def _run_key(run_id: UUID) -> Any:
    """The run map's key: the id's integer (hashed in C; ``uuid.UUID`` hashes in Python)."""
    return run_id.int if type(run_id) is UUID else run_id


def _swallow(where: str, exc: Exception) -> None:
    """Hand an internal failure to the SDK's one helper, which logs it (rate-limited).

    The callbacks use a plain ``try`` so their fast path costs nothing; only a failure
    goes through ``capture_internal_exceptions``, which swallows it: the run goes on.
    """
    with capture_internal_exceptions(where):
        raise exc
