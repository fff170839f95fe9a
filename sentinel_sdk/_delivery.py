"""The sender's books, shared by both clients: state, counters, decisions; no I/O.

- ``prepare``: ``before_send``, deep validation, cost fill-in, serialization.
- routing: connected -> produce; connecting -> hold in memory (spill past half
  the budget); unreachable -> spill to the disk spool.
- health: a connection is *down* after a connect failure, a retriable delivery
  error, or acknowledgements stalling; it is *up* again on the next ack. While
  down, one probe event at a time is offered, after exponential backoff with
  jitter.
- completions: acks and errors arrive from the producer's threads / callbacks
  as ``(record, exc)`` on a deque and are booked here, on the sender.

The loop that uses these books is ``_sender.Sender``.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING

from ._capture import Captured, Deferred
from ._log import warn_once
from ._stats import DropReason, Stats
from .events import TelemetryEvent
from .exceptions import ValidationError

if TYPE_CHECKING:
    from ._queue import EventQueue
    from .config import SentinelConfig

__all__ = ["DeliveryCore", "Record", "State"]

BATCH = 500
"""Most events taken from the queue per sender cycle."""
REPLAY_WINDOW = 500
"""Most spooled events in flight at once during replay."""
OVERFLOW_AT = 0.75
"""Share of the memory budget in use past which a saturated sender spills to disk."""
STALL_AFTER_S = 5.0
"""No ack for this long while events are in flight means the broker is unreachable."""


class State(Enum):
    """How the sender sees the broker."""

    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"


class Record:
    """One serialized event on its way: fresh from the queue, or replayed from the spool."""

    __slots__ = ("event", "event_id", "payload", "sent_at", "seq", "size", "topic")

    def __init__(
        self,
        event: TelemetryEvent | None,
        event_id: str,
        topic: str,
        payload: bytes,
        size: int,
        seq: int | None = None,
    ) -> None:
        self.event = event
        self.event_id = event_id
        self.topic = topic
        self.payload = payload
        self.size = size  # bytes of the memory budget it holds (0 for spool rows)
        self.seq = seq  # spool sequence number, for replayed rows
        self.sent_at = 0.0

    @property
    def key(self) -> bytes:
        """The Kafka message key: the event id, so duplicates share a key."""
        return self.event_id.encode()


Completion = tuple[Record, "BaseException | None"]


class DeliveryCore:
    """State and bookkeeping of one client's sender."""

    def __init__(
        self,
        config: SentinelConfig,
        stats: Stats,
        queue: EventQueue[TelemetryEvent | Captured | Deferred],
        *,
        spool_enabled: bool,
        fill_cost: Callable[[TelemetryEvent], None] | None,
        is_permanent: Callable[[BaseException], bool],
        needs_new_producer: Callable[[BaseException], bool],
    ) -> None:
        self.config = config
        self.stats = stats
        self.queue = queue
        self.spool_enabled = spool_enabled
        self._fill_cost = fill_cost
        self._is_permanent = is_permanent
        self._needs_new_producer = needs_new_producer
        self.producer_broken = False  # replace the producer before sending again
        self.cycling = False  # the sender is mid-cycle: events may be in its hands
        self.state = State.CONNECTING
        self.completions: deque[Completion] = deque()
        self.in_flight: dict[Record, None] = {}  # insertion-ordered: oldest first
        self.retry: deque[Record] = deque()  # prepared, failed once, waiting (no spool)
        self.replay_in_flight: set[int] = set()
        self.fresh_in_flight_bytes = 0
        self.replay_after = 0
        # Whether the spool holds events this process should replay; None until the
        # sender's first cycle has looked (an earlier process may have left some).
        self.spool_pending: bool | None = None if spool_enabled else False
        self.last_ack = time.monotonic()
        self.next_attempt_at = 0.0  # next connect or probe
        self._attempt = 0

    # -- preparing ---------------------------------------------------------------------

    def prepare(
        self, items: Sequence[tuple[TelemetryEvent | Captured | Deferred, int]]
    ) -> list[Record]:
        """Build deferred events, hook, validate, price and serialize; events dropped on
        the way are booked."""
        config, stats = self.config, self.stats
        before_send = config.before_send
        records: list[Record] = []
        for item, size in items:
            if not isinstance(item, TelemetryEvent):  # built here, on the sender
                try:
                    event = item.event(config)
                except Exception as exc:
                    self._drop(size, DropReason.INVALID)
                    stats.last_error = f"an integration's event could not be built: {exc}"
                    warn_once("deferred", "sentinel_sdk: could not build an event: %r", exc)
                    continue
            else:
                event = item
            if before_send is not None:
                try:
                    result = before_send(event)
                except Exception as exc:
                    self._drop(size, DropReason.BEFORE_SEND_ERROR)
                    warn_once(
                        "before_send",
                        "sentinel_sdk: before_send raised %r; the event "
                        "was dropped (counted in stats()['dropped'])",
                        exc,
                    )
                    continue
                if result is None:
                    self._drop(size, DropReason.BEFORE_SEND)
                    continue
                event = result
            try:
                if before_send is not None:
                    # The hook may have changed anything: check it all again. Without
                    # a hook the event was fully validated when it was captured.
                    if not isinstance(event, TelemetryEvent):
                        raise ValidationError(
                            f"before_send must return a TelemetryEvent or None, got "
                            f"{type(event).__name__}"
                        )
                    event.validate()
                if self._fill_cost is not None and event.cost_usd == 0.0:
                    self._fill_cost(event)
                payload = event.to_json()
            except Exception as exc:
                self._drop(size, DropReason.INVALID)
                stats.last_error = f"invalid event dropped: {exc}"
                warn_once("invalid", "sentinel_sdk: dropped an invalid event: %s", exc)
                continue
            records.append(Record(event, event.event_id, config.topic, payload, size))
        return records

    def _drop(self, size: int, reason: str, n: int = 1) -> None:
        self.stats.drop(reason, n)
        self.queue.release(n, size)

    # -- routing -----------------------------------------------------------------------

    def should_spill(self) -> bool:
        """Send fresh events to the spool rather than the producer right now?"""
        if not self.spool_enabled:
            return False
        if self.state is State.DOWN:
            return True
        return self.state is State.CONNECTING and self.queue.fill > 0.5

    def spilled(self, records: list[Record], stored: int) -> None:
        """Book a spill: the first ``stored`` went to disk, the rest did not fit."""
        for record in records[stored:]:
            self._drop(record.size, DropReason.SPOOL_FULL)
            self._notify_error(record, None)
        if len(records) > stored:
            warn_once(
                "spool-full",
                "sentinel_sdk: the spool is full (spool_max_bytes=%d); "
                "dropping events (counted in stats()['dropped'])",
                self.config.spool_max_bytes,
            )
        self.stats.spooled += stored
        self.queue.release(stored, sum(r.size for r in records[:stored]))
        if stored:
            self.spool_pending = True

    def sending(self, record: Record) -> None:
        """Book a record handed to the producer."""
        record.sent_at = time.monotonic()
        self.in_flight[record] = None
        if record.seq is not None:
            self.replay_in_flight.add(record.seq)
        else:
            self.fresh_in_flight_bytes += record.size

    def _landed(self, record: Record) -> bool:
        """Book a record the producer is done with; False if it was no longer in flight
        (a late answer from a producer that was replaced: its records were taken back)."""
        if self.in_flight.pop(record, 0) is not None:
            return False
        if record.seq is not None:
            self.replay_in_flight.discard(record.seq)
        else:
            self.fresh_in_flight_bytes -= record.size
        return True

    def produce_room(self) -> int:
        """How many fresh events may still go to the producer now.

        At most half of the memory budget is handed to the producer; the other half
        lets the queue absorb bursts, and past it the sender spills to disk.
        """
        queue = self.queue
        fresh = len(self.in_flight) - len(self.replay_in_flight)
        if fresh and self.fresh_in_flight_bytes >= queue.max_bytes // 2:
            return 0
        return max(0, min(BATCH, max(1, queue.max_count // 2) - fresh))

    def should_overflow(self) -> bool:
        """Connected, but the producer is saturated and the queue is filling: spill."""
        return self.spool_enabled and self.queue.fill > OVERFLOW_AT

    # -- health ------------------------------------------------------------------------

    def backoff(self) -> float:
        """Seconds until the next attempt: exponential, capped, with full-range jitter."""
        base = self.config.retry_backoff_ms / 1000
        cap = self.config.retry_backoff_max_ms / 1000
        delay = min(cap, base * 2 ** min(self._attempt, 30))
        self._attempt += 1
        return random.uniform(delay / 2, delay)

    def connected(self) -> None:
        self.state = State.UP
        self._attempt = 0
        self.last_ack = time.monotonic()

    def reset_connection(self) -> None:
        """The producer is gone (its event loop ended, or it was replaced): take back what
        it held; it is sent again by the next producer."""
        self.retry.extend(r for r in self.in_flight if r.seq is None)
        self.in_flight.clear()
        self.replay_in_flight.clear()
        self.fresh_in_flight_bytes = 0
        self.replay_after = 0
        self.state = State.CONNECTING
        self.next_attempt_at = 0.0

    def went_down(self, error: BaseException | str, *, attempt_failed: bool = True) -> None:
        """The broker is unreachable (connect failure, retriable error or stall).

        The next attempt is scheduled one backoff step later when an attempt failed, or
        when this is news; the failures of records already in flight
        (``attempt_failed=False``) do not each push the backoff further.
        """
        now = time.monotonic()
        was_down = self.state is State.DOWN
        if not was_down:
            warn_once(
                "down",
                "sentinel_sdk: Kafka is unreachable (%s); events go to the spool until it is back",
                error,
            )
        self.state = State.DOWN
        self.stats.last_error = str(error)
        if attempt_failed or not was_down:
            self.next_attempt_at = now + self.backoff()
        self.replay_after = 0

    def check_stall(self, now: float) -> None:
        if self.state is State.UP and self.in_flight:
            oldest = next(iter(self.in_flight))
            if now - max(oldest.sent_at, self.last_ack) > STALL_AFTER_S:
                self.went_down(f"no acknowledgement from the broker for {STALL_AFTER_S:g} s")

    def may_probe(self, now: float) -> bool:
        """While down: offer one event to the producer to learn whether it is back."""
        return self.state is State.DOWN and not self.in_flight and now >= self.next_attempt_at

    def wants_replay(self) -> bool:
        return (
            self.state is State.UP
            and self.spool_pending is True
            and len(self.replay_in_flight) < REPLAY_WINDOW // 2
        )

    # -- completions -------------------------------------------------------------------

    def complete(self, record: Record, exc: BaseException | None) -> None:
        """Called from the producer's thread / callback: just hand over."""
        self.completions.append((record, exc))

    def process_completions(self) -> tuple[list[int], list[Record]]:
        """Book acks and errors. Returns (spool rows to delete, fresh records to spill)."""
        deletes: list[int] = []
        respill: list[Record] = []
        completions = self.completions
        stats = self.stats
        while completions:
            record, exc = completions.popleft()
            if not self._landed(record):
                continue
            if exc is None:
                stats.sent += 1
                self.last_ack = time.monotonic()
                if self.state is not State.UP:
                    self.connected()
                if record.seq is not None:
                    stats.replayed += 1
                    deletes.append(record.seq)
                else:
                    self.queue.release(1, record.size)
                self._notify_success(record)
                continue
            stats.failed += 1
            if self._is_permanent(exc):
                stats.last_error = f"broker rejected event {record.event_id}: {exc}"
                warn_once(
                    "rejected", "sentinel_sdk: the broker rejected an event for good: %r", exc
                )
                if record.seq is not None:
                    deletes.append(record.seq)
                    stats.drop(DropReason.REJECTED)
                else:
                    self._drop(record.size, DropReason.REJECTED)
                self._notify_error(record, exc)
                continue
            self.went_down(exc, attempt_failed=False)
            if self._needs_new_producer(exc):
                self.producer_broken = True
            if record.seq is None:
                respill.append(record)
        return deletes, respill

    def _notify_success(self, record: Record) -> None:
        callback = self.config.on_success
        if callback is not None:
            try:
                callback(record.event or TelemetryEvent.from_json(record.payload))
            except Exception as exc:
                warn_once("on_success", "sentinel_sdk: on_success raised %r (ignored)", exc)

    def _notify_error(self, record: Record, exc: BaseException | None) -> None:
        callback = self.config.on_error
        if callback is not None:
            try:
                reason = exc or RuntimeError("the spool is full")
                callback(record.event or TelemetryEvent.from_json(record.payload), reason)
            except Exception as cb_exc:
                warn_once("on_error", "sentinel_sdk: on_error raised %r (ignored)", cb_exc)

    # -- flush / idle ------------------------------------------------------------------

    def idle(self) -> bool:
        """Everything this client was given is acknowledged: nothing waiting, in flight,
        held for a retry or left in the spool (as far as this process replays it)."""
        return (
            not self.cycling
            and not self.queue.waiting
            and not self.in_flight
            and not self.completions
            and not self.retry
            and self.spool_pending is False
        )
