"""The sender's books, shared by both clients: state, counters, decisions; no I/O.

- preparing: each queued item becomes a ``Record`` (``_assembly.Finisher``: build,
  ``before_send``, cost, JSON); items dropped on the way are counted.
- routing: connected -> produce; connecting -> hold in memory (spill past half
  the budget); unreachable -> spill to the disk spool.
- health: a connection is *down* after a connect failure, a retriable delivery
  error, or acknowledgements stalling; it is *up* again on the next ack. While
  down, one probe event at a time is offered, after exponential backoff with
  jitter.
- completions: acks and errors arrive from the producer's threads / callbacks
  as ``(record, exc)`` on a deque and are booked here, on the sender.

The loop that uses these books is ``_sender.Sender``: it changes them only
through the methods here. Time and randomness come in as ``clock`` and ``rng``,
so tests drive both.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING

from ._assembly import Captured, Deferred, Dropped, Finisher
from ._log import log_rate_limited
from ._records import Record
from ._replay_books import REPLAY_WINDOW, ReplayBooks
from ._stats import DropReason, Stats
from ._transports.errors import is_permanent, needs_new_producer
from .events import TelemetryEvent

if TYPE_CHECKING:
    from ._queue import EventQueue
    from .config import SentinelConfig

__all__ = ["BATCH", "REPLAY_WINDOW", "DeliveryCore", "Record", "State"]

BATCH = 500
"""Most events taken from the queue per sender cycle."""
OVERFLOW_AT = 0.75
"""Share of the memory budget in use past which a saturated sender spills to disk."""
STALL_AFTER_S = 5.0
"""No ack for this long while events are in flight means the broker is unreachable."""

Item = TelemetryEvent | Captured | Deferred


class State(Enum):
    """How the sender sees the broker."""

    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"


Completion = tuple[Record, "BaseException | None"]


class DeliveryCore:
    """State and bookkeeping of one client's sender."""

    def __init__(
        self,
        config: SentinelConfig,
        stats: Stats,
        queue: EventQueue[Item],
        *,
        spool_enabled: bool,
        finisher: Finisher | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.stats = stats
        self.queue = queue
        self.spool_enabled = spool_enabled
        self.clock = clock
        self._finish = (finisher or Finisher(config)).finish
        self._rng = rng or random.Random()
        self._producer_broken = False  # replace the producer before sending again
        self._cycling = False  # the sender is mid-cycle: events may be in its hands
        self._state = State.CONNECTING
        self._completions: deque[Completion] = deque()
        self._in_flight: dict[Record, None] = {}  # insertion-ordered: oldest first
        self._retry: deque[Record] = deque()  # prepared, failed once, waiting (no spool)
        self._fresh_in_flight_bytes = 0
        self.replay = ReplayBooks(spool_enabled)
        """The spool's side of the books: what to replay, from where, what is in flight."""
        self._last_ack = clock()
        self._next_attempt_at = 0.0  # next connect or probe
        self._attempt = 0

    # -- what the sender and the clients read -------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def producer_broken(self) -> bool:
        """The producer lost its idempotence state: replace it before sending again."""
        return self._producer_broken

    @property
    def next_attempt_at(self) -> float:
        return self._next_attempt_at

    @property
    def in_flight_count(self) -> int:
        return len(self._in_flight)

    @property
    def retry_count(self) -> int:
        return len(self._retry)

    @property
    def has_completions(self) -> bool:
        return bool(self._completions)

    # -- preparing ---------------------------------------------------------------------

    def prepare(self, items: Sequence[tuple[Item, int]]) -> list[Record]:
        """Records for queued items; items dropped on the way are counted."""
        records: list[Record] = []
        for item, size in items:
            try:
                event, payload = self._finish(item)
            except Dropped as dropped:
                self._drop(size, dropped.reason)
                if dropped.error is not None:
                    self.stats.last_error = dropped.error
                continue
            records.append(Record(event, event.event_id, self.config.topic, payload, size))
        return records

    def _drop(self, size: int, reason: str, n: int = 1) -> None:
        self.stats.drop(reason, n)
        self.queue.release(n, size)

    def drop_at_shutdown(self, records: Iterable[Record]) -> None:
        """Count what could be neither delivered nor spooled before the sender stopped."""
        for record in records:
            self._drop(record.size, DropReason.SHUTDOWN)

    # -- routing -----------------------------------------------------------------------

    def should_spill(self) -> bool:
        """Send fresh events to the spool rather than the producer right now?"""
        if not self.spool_enabled:
            return False
        if self._state is State.DOWN:
            return True
        return self._state is State.CONNECTING and self.queue.fill > 0.5

    def spilled(self, records: list[Record], stored: int) -> None:
        """Book a spill: the first ``stored`` went to disk, the rest did not fit."""
        for record in records[stored:]:
            self._drop(record.size, DropReason.SPOOL_FULL)
            self._notify_error(record, None)
        if len(records) > stored:
            log_rate_limited(
                "spool-full",
                "sentinel_sdk: the spool is full (spool_max_bytes=%d); "
                "dropping events (counted in stats()['dropped'])",
                self.config.spool_max_bytes,
            )
        self.stats.spooled += stored
        self.queue.release(stored, sum(r.size for r in records[:stored]))
        if stored:
            self.replay.spilled()

    def hold_for_retry(self, records: Iterable[Record]) -> None:
        """Keep records in memory for a later attempt (no spool, or it failed)."""
        self._retry.extend(records)

    def take_retry(self) -> list[Record]:
        """The records held for a retry, oldest first (they are no longer held)."""
        retry = list(self._retry)
        self._retry.clear()
        return retry

    def resending(self, records: list[Record]) -> list[Record]:
        """Count records offered again after a failed attempt (or from the spool)."""
        self.stats.retried += len(records)
        return records

    def sending(self, record: Record) -> None:
        """Book a record handed to the producer."""
        record.sent_at = self.clock()
        self._in_flight[record] = None
        if record.seq is not None:
            self.replay.sending(record.seq)
        else:
            self._fresh_in_flight_bytes += record.size

    def _landed(self, record: Record) -> bool:
        """Book a record the producer is done with; False if it was no longer in flight
        (a late answer from a producer that was replaced: its records were taken back)."""
        if self._in_flight.pop(record, 0) is not None:
            return False
        if record.seq is not None:
            self.replay.landed(record.seq)
        else:
            self._fresh_in_flight_bytes -= record.size
        return True

    def reclaim_in_flight(self) -> list[Record]:
        """Take back what the producer holds (it is gone): the fresh records, oldest first.
        Replayed rows need nothing: they are still in the spool."""
        fresh = [r for r in self._in_flight if r.seq is None]
        self._in_flight.clear()
        self.replay.taken_back()
        self._fresh_in_flight_bytes = 0
        return fresh

    def produce_room(self) -> int:
        """How many fresh events may still go to the producer now.

        At most half of the memory budget is handed to the producer; the other half
        lets the queue absorb bursts, and past it the sender spills to disk.
        """
        queue = self.queue
        fresh = len(self._in_flight) - self.replay.in_flight
        if fresh and self._fresh_in_flight_bytes >= queue.max_bytes // 2:
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
        return self._rng.uniform(delay / 2, delay)

    def connected(self) -> None:
        self._state = State.UP
        self._attempt = 0
        self._last_ack = self.clock()

    def reset_connection(self) -> None:
        """The producer is gone (its event loop ended, or it was replaced): take back what
        it held; it is sent again by the next producer."""
        self._retry.extend(self.reclaim_in_flight())
        self.replay.restart()
        self._state = State.CONNECTING
        self._next_attempt_at = 0.0

    def replace_producer(self) -> None:
        """The producer lost its idempotence state: the sender closes it; take back what it
        held and connect a new one after the usual backoff."""
        self._producer_broken = False
        self.reset_connection()
        self.went_down("the producer lost its idempotence state; reconnecting")

    def went_down(self, error: BaseException | str, *, attempt_failed: bool = True) -> None:
        """The broker is unreachable (connect failure, retriable error or stall).

        The next attempt is scheduled one backoff step later when an attempt failed, or
        when this is news; the failures of records already in flight
        (``attempt_failed=False``) do not each push the backoff further.
        """
        was_down = self._state is State.DOWN
        if not was_down:
            log_rate_limited(
                "down",
                "sentinel_sdk: Kafka is unreachable (%s); events go to the spool until it is back",
                error,
            )
        self._state = State.DOWN
        self.stats.last_error = str(error)
        if attempt_failed or not was_down:
            self._next_attempt_at = self.clock() + self.backoff()
        self.replay.restart()

    def check_stall(self, now: float) -> None:
        if self._state is State.UP and self._in_flight:
            oldest = next(iter(self._in_flight))
            if now - max(oldest.sent_at, self._last_ack) > STALL_AFTER_S:
                self.went_down(f"no acknowledgement from the broker for {STALL_AFTER_S:g} s")

    def may_probe(self, now: float) -> bool:
        """While down: offer one event to the producer to learn whether it is back."""
        return self._state is State.DOWN and not self._in_flight and now >= self._next_attempt_at

    def probing(self) -> None:
        """A probe is about to be offered: the next one waits one backoff step."""
        self._next_attempt_at = self.clock() + self.backoff()

    def wants_replay(self) -> bool:
        """Connected, with spooled events to replay and room in the replay window."""
        return self._state is State.UP and self.replay.wants_more()

    # -- completions -------------------------------------------------------------------

    def complete(self, record: Record, exc: BaseException | None) -> None:
        """Called from the producer's thread / callback: just hand over."""
        self._completions.append((record, exc))

    def process_completions(self) -> tuple[list[int], list[Record]]:
        """Book acks and errors. Returns (spool rows to delete, fresh records to spill)."""
        deletes: list[int] = []
        respill: list[Record] = []
        completions = self._completions
        stats = self.stats
        while completions:
            record, exc = completions.popleft()
            if not self._landed(record):
                continue
            if exc is None:
                stats.sent += 1
                self._last_ack = self.clock()
                if self._state is not State.UP:
                    self.connected()
                if record.seq is not None:
                    stats.replayed += 1
                    deletes.append(record.seq)
                else:
                    self.queue.release(1, record.size)
                self._notify_success(record)
                continue
            stats.failed += 1
            if is_permanent(exc):
                stats.last_error = f"broker rejected event {record.event_id}: {exc}"
                log_rate_limited(
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
            if needs_new_producer(exc):
                self._producer_broken = True
            if record.seq is None:
                respill.append(record)
        return deletes, respill

    def _notify_success(self, record: Record) -> None:
        callback = self.config.on_success
        if callback is not None:
            try:
                callback(record.event or TelemetryEvent.from_json(record.payload))
            except Exception as exc:
                log_rate_limited("on_success", "sentinel_sdk: on_success raised %r (ignored)", exc)

    def _notify_error(self, record: Record, exc: BaseException | None) -> None:
        callback = self.config.on_error
        if callback is not None:
            try:
                reason = exc or RuntimeError("the spool is full")
                callback(record.event or TelemetryEvent.from_json(record.payload), reason)
            except Exception as cb_exc:
                log_rate_limited("on_error", "sentinel_sdk: on_error raised %r (ignored)", cb_exc)

    # -- cycles and flush ----------------------------------------------------------------

    def cycle_started(self) -> None:
        """The sender took up a cycle: events may be between the queue and their next home."""
        self._cycling = True

    def cycle_ended(self) -> None:
        self._cycling = False

    def idle(self) -> bool:
        """Everything this client was given is acknowledged: nothing waiting, in flight,
        held for a retry or left in the spool (as far as this process replays it)."""
        return (
            not self._cycling
            and not self.queue.waiting
            and not self._in_flight
            and not self._completions
            and not self._retry
            and self.replay.pending is False
        )
