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

from sentinel_sdk.integrations import (
    Client,
    capture_internal_exceptions,
    current_client,
    log_rate_limited,
)

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
        client: Client | None = None,
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

    # LangChain passes run_id, parent_run_id, tags and metadata as keywords (the base
    # class spells them out); the run record takes them from kwargs.

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], **kwargs: Any
    ) -> None:
        """Remember the run (its messages are rendered when it ends)."""
        self._started("chat", serialized, messages, kwargs)

    def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], **kwargs: Any) -> None:
        """Remember a text-completion run."""
        self._started("llm", serialized, prompts, kwargs)

    def _started(
        self, kind: str, serialized: dict[str, Any], inputs: Any, kwargs: dict[str, Any]
    ) -> None:
        with capture_internal_exceptions():
            pop = kwargs.pop
            run_id = pop("run_id")
            run = Run(
                kind, inputs, serialized, pop("parent_run_id", None), pop("tags", None),
                pop("metadata", None), kwargs,
            )  # fmt: skip
            self._add(run_id, run)

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
            run.streamed(bool(token))

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
            run.streamed(isinstance(event, dict) and event.get("event") == "content-block-delta")

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
        self._ended(run_id, response, None)

    def on_llm_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Capture the failed run, with what it generated before failing."""
        self._ended(run_id, kwargs.get("response"), error)

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
        log_rate_limited(
            "langchain-evicted",
            "sentinel_sdk: SentinelHandler gave up on %d LangChain run(s) that never ended "
            "(%d in total; max_runs=%d, run_timeout=%gs)",
            evicted,
            self.evicted,
            self._max_runs,
            self._run_timeout,
        )

    # -- the event (built at the end of a run only) -----------------------------------

    def _ended(self, run_id: UUID, response: Any, error: BaseException | None) -> None:
        ended = time.perf_counter()
        with capture_internal_exceptions():
            run = self._runs.pop(_run_key(run_id), None)
            if run is not None:
                client = self._client if self._client is not None else current_client()
                # O(1) here: the fields are extracted and the event built on the client's
                # sender (which also strips the texts when its capture_content is off).
                client.track_later(event_fields, run_id, run, ended, response, error)


def _run_key(run_id: UUID) -> Any:
    """The run map's key: the id's integer (hashed in C; ``uuid.UUID`` hashes in Python)."""
    return run_id.int if type(run_id) is UUID else run_id
