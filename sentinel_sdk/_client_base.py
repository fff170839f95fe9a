"""``BaseClient``: every line the two clients share that does no network I/O.

The caller's side (``track_nowait`` / ``send_nowait``: check, sample, enqueue),
the counters, the spool set-up, fork handling, the spill step, the completion
callback, the connect outcome and ``ping()``'s test event and verdict live
here. ``SentinelClient`` adds a sender thread over kafka-python;
``AsyncSentinelClient`` adds a sender task over aiokafka; the in-memory test
clients deliver on the caller's thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from typing_extensions import Unpack

from . import _lifecycle
from ._assembly import (
    DEFERRED_SIZE,
    Captured,
    Deferred,
    TrackFields,
    build_event,
    capture,
    copy_for_send,
    estimate_size,
    quick_size,
)
from ._delivery_core import DeliveryCore, State
from ._ids import new_event_id, take_event_id
from ._log import log_rate_limited
from ._queue import EventQueue
from ._records import Record
from ._sampling import sampled
from ._sender import IORequest, Sender, spool_io
from ._spool import Spool, default_spool_dir
from ._stats import ClientStats, DropReason, Stats
from ._transports.errors import map_error
from .config import SentinelConfig
from .events import TelemetryEvent
from .exceptions import ConfigurationError, SentinelError, TimeoutError
from .metadata_keys import SENTINEL_TEST

__all__ = ["BaseClient"]

_getpid = os.getpid
PING_MODEL = "sentinel-check"


def _resolve_config(config: SentinelConfig | None, options: Mapping[str, Any]) -> SentinelConfig:
    if config is None:
        return SentinelConfig.from_env(**options)
    if not isinstance(config, SentinelConfig):
        raise ConfigurationError(
            f"config must be a SentinelConfig, got {type(config).__name__}; pass options as "
            "keyword arguments instead"
        )
    return config.replace(**options) if options else config


class BaseClient:
    """Shared core of ``SentinelClient`` and ``AsyncSentinelClient`` (not used directly)."""

    def __init__(self, config: SentinelConfig | None = None, **options: Any) -> None:
        self.config = _resolve_config(config, options)
        self._enabled = self.config.enabled
        self._sample_rate = self.config.sample_rate
        self._started = False  # set by a subclass once its sender runs
        self._closed = False
        self._pid = os.getpid()
        self._stats = Stats()
        self._queue: EventQueue[TelemetryEvent | Captured | Deferred] = EventQueue(
            self.config.max_queue_size, self.config.max_queue_bytes, self._wake
        )
        self._spool: Spool | None = None
        if self.config.spool_enabled:
            directory = self.config.spool_dir or default_spool_dir(
                self.config.brokers, self.config.topic
            )
            self._spool = Spool(directory, self.config.spool_max_bytes)
        self._core = self._new_core()
        self._sender = Sender(self._core)
        _lifecycle.register(self)

    def _new_core(self) -> DeliveryCore:
        # Bad pricing overrides raise ConfigurationError here, when the client is made.
        return DeliveryCore(
            self.config, self._stats, self._queue, spool_enabled=self._spool is not None
        )

    # -- the caller's side (never blocks, never does I/O) ---------------------------------

    def track_nowait(self, **fields: Unpack[TrackFields]) -> str:
        """Capture one LLM call from keyword fields; returns its event id at once.

        The synchronous twin of ``track()`` that both clients offer, for code that
        cannot ``await`` (callbacks, sync code paths of integrations). Invalid fields
        raise ``ValidationError``; nothing else raises.
        """
        return self._track(fields)

    def _track(self, fields: TrackFields) -> str:
        """``track()``: ``fields`` is the caller's own ``**kwargs`` dict."""
        if not self._enabled:
            return new_event_id()
        item: TelemetryEvent | Captured
        fast = (
            self._sample_rate >= 1.0
            and self._started
            and not self._closed
            and self._pid == _getpid()
        )
        size = quick_size(self.config, fields)
        if size < 0:  # an unusual shape: built (and any mistake raised) right here
            item, size = build_event(self.config, fields)
        elif fast and not self._queue.has_room(size):
            # Overloaded: count the drop without making anything (see _queue_full).
            self._queue_full()
            return take_event_id()
        else:  # checked here, built on the sender
            item, size = capture(fields, size)
        if not fast:
            # The rare cases (sampling, closed, first event, forked) in full: the
            # common one below is this hot path's only cost after checking.
            return self._enqueue(item, size)
        if not self._queue.put(item, size):
            self._queue_full()
        return item.event_id

    def send_nowait(self, event: TelemetryEvent) -> str:
        """Queue an event built elsewhere (e.g. with ``TelemetryEventBuilder``); returns its id.

        The event is fully validated now and a shallow copy is queued: its
        ``prompt`` / ``response`` objects are shared, so do not change them afterwards.
        """
        if not self._enabled:
            return event.event_id
        event = copy_for_send(self.config, event)
        return self._enqueue(event, estimate_size(event))

    def track_many_nowait(self, events: Iterable[TelemetryEvent | Mapping[str, Any]]) -> list[str]:
        """Queue several events (``TelemetryEvent`` objects or ``track()`` field mappings).

        Every item is validated before any is queued, so a bad item queues none.
        """
        if not self._enabled:
            return [e.event_id if isinstance(e, TelemetryEvent) else new_event_id() for e in events]
        built: list[tuple[TelemetryEvent, int]] = []
        for item in events:
            if isinstance(item, TelemetryEvent):
                event = copy_for_send(self.config, item)
                built.append((event, estimate_size(event)))
            else:
                built.append(build_event(self.config, item))
        return [self._enqueue(event, size) for event, size in built]

    def track_later(self, build: Callable[..., Mapping[str, Any]], *args: Any) -> None:
        """Capture an event whose fields ``build(*args)`` returns, built on the sender.

        For integrations on a hot path (a LangChain callback, an OpenAI call): the
        caller's thread only records the request context and queues the call, O(1).
        The event is built and validated on the sender; if that fails it is dropped
        and counted as ``invalid`` (never raised: nobody is there to catch it).
        """
        if not self._enabled:
            return
        item = Deferred(build, args)
        if (
            self._sample_rate < 1.0
            or self._closed
            or not self._started
            or self._pid != _getpid()
            or not self._queue.put(item, DEFERRED_SIZE)
        ):
            self._track_later_slowly(item)

    def _track_later_slowly(self, item: Deferred) -> None:
        """``track_later``'s rare cases (sampling, closed, first event, forked, full)."""
        rate = self._sample_rate
        if rate < 1.0 and not sampled(rate, item.context[0], new_event_id()):
            self._stats.sample_out()
            return
        self._admit(item, DEFERRED_SIZE)

    def _enqueue(self, item: TelemetryEvent | Captured, size: int) -> str:
        rate = self._sample_rate
        if rate < 1.0 and not sampled(rate, item.trace_id, item.event_id):
            self._stats.sample_out()
            return item.event_id
        self._admit(item, size)
        return item.event_id

    def _admit(self, item: TelemetryEvent | Captured | Deferred, size: int) -> None:
        """Queue a sampled-in item, or count why it could not be."""
        if self._pid != _getpid():
            _lifecycle.after_fork_in_child()
        if self._closed:
            self._stats.drop(DropReason.CLOSED)
            log_rate_limited("closed", "sentinel_sdk: an event was captured after close(); dropped")
            return
        if not self._started:
            self._ensure_started()
        if not self._queue.put(item, size):
            self._queue_full()

    def _queue_full(self) -> None:
        """Count an item the queue had no room for."""
        # Memory is full: because the broker is down and there is no spool to
        # spill to, or because events come faster than they can be delivered.
        outage = self._spool is None and self._core.state is State.DOWN
        self._stats.drop(DropReason.SPOOL_DISABLED if outage else DropReason.QUEUE_FULL)
        log_rate_limited(
            "queue-full",
            "sentinel_sdk: the in-memory queue is full "
            "(max_queue_size=%d, max_queue_bytes=%d); dropping events (counted)",
            self.config.max_queue_size,
            self.config.max_queue_bytes,
        )

    # -- counters --------------------------------------------------------------------

    def stats(self) -> ClientStats:
        """A snapshot of what happened to the events given to this client."""
        s = self._stats
        spool_events = spool_bytes = 0
        if self._spool is not None:
            try:
                spool_events, spool_bytes = self._spool.totals()
            except Exception as exc:
                log_rate_limited("spool-stats", "sentinel_sdk: cannot read the spool: %r", exc)
        dropped = dict(s.dropped)
        core = self._core
        return ClientStats(
            queued=self._queue.accepted,
            sent=s.sent,
            failed=s.failed,
            retried=s.retried,
            spooled=s.spooled,
            replayed=s.replayed,
            dropped=dropped,
            dropped_total=sum(dropped.values()),
            sampled_out=s.sampled_out,
            queue_depth=self._queue.waiting + core.retry_count,
            in_flight=core.in_flight_count,
            spool_events=spool_events,
            spool_bytes=spool_bytes,
            connected=core.state is State.UP,
            last_error=s.last_error,
        )

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._closed

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} brokers={list(self.config.brokers)} "
            f"topic={self.config.topic!r} state={self._core.state.value}>"
        )

    # -- what both senders share ---------------------------------------------------------

    def _done_callback(self, record: Record) -> Callable[[BaseException | None], None]:
        """The producer's completion callback for ``record`` (called on its thread / loop)."""
        complete, wake, queue = self._core.complete, self._wake, self._queue

        def done(exc: BaseException | None) -> None:
            complete(record, exc)
            if queue.sender_asleep:  # else it polls and books this within poll_s
                wake()

        return done

    def _connect_finished(self, exc: BaseException | None) -> None:
        """Hand a connect attempt's outcome (``None``: connected) to the sender, mapped."""
        error = None if exc is None or isinstance(exc, SentinelError) else map_error(exc)
        self._sender.connect_done(exc if error is None else error)
        self._wake()

    def _ping_event(self) -> TelemetryEvent:
        """``ping()``'s test event: consumers skip it by its model and ``sentinel.test``."""
        return TelemetryEvent(
            service_name=self.config.service_name,
            model=PING_MODEL,
            metadata={SENTINEL_TEST: "true"},
        )

    @staticmethod
    def _ping_verdict(acknowledged: bool, error: BaseException | None, timeout: float) -> None:
        """Raise what ``ping()`` raises for this outcome (nothing when the broker acked)."""
        if not acknowledged:
            raise TimeoutError(f"no acknowledgement within {timeout:g} s")
        if error is not None:
            raise map_error(error) from error

    # -- lifecycle hooks for subclasses -------------------------------------------------

    def _wake(self) -> None:
        raise NotImplementedError

    def _ensure_started(self) -> None:
        raise NotImplementedError

    def _close_at_exit(self, timeout: float) -> None:
        """Called by the interpreter-exit hook: deliver or spool what is held."""
        raise NotImplementedError

    def _close_from_sync(self, timeout: float) -> None:
        """Close from synchronous code that cannot await (``init()`` replacing this
        client as the default): like ``close()``, whatever kind of client this is."""
        raise NotImplementedError

    def _reset_after_fork(self) -> None:
        """In a forked child: forget the parent's producer, threads and spool handle."""
        self._pid = os.getpid()
        self._stats = Stats()
        self._queue.reset_after_fork(self._wake)
        if self._spool is not None:
            self._spool.abandon_after_fork()
        self._core = self._new_core()
        self._sender = Sender(self._core)

    def _io_sync(self, request: IORequest) -> Any:
        """The spool requests of a sender step, done with blocking calls."""
        assert self._spool is not None
        return spool_io(self._spool, request)
