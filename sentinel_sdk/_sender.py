"""The sender loop, written once for both clients as a generator of I/O requests.

A sans-I/O design: ``Sender.cycle()`` and ``Sender.shutdown()`` decide
everything and ``yield`` what they need done (produce this record, append
these rows to the spool, ...). ``SentinelClient`` drives them from its thread
with blocking calls, ``AsyncSentinelClient`` from its task with ``await``; each
sends results back with ``gen.send(result)`` and failures with
``gen.throw(exc)``. So both clients run the very same decisions, line for line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from ._delivery import BATCH, REPLAY_WINDOW, DeliveryCore, Record, State
from ._ids import refill_event_ids
from ._log import warn_once
from ._producers import is_permanent
from ._spool import Spool, SpoolRow
from ._stats import DropReason

__all__ = ["IORequest", "Sender", "Step", "drive", "spool_io"]

CYCLE_BUDGET_S = 0.05
"""Longest one cycle spends on fresh events before it books acknowledgements again."""
SPOOL_RECHECK_S = 5.0
"""How often a process that is not the replayer looks whether it could replay."""
IDLE_AFTER_S = 1.0
"""A sender with no work for this long sleeps until woken instead of polling."""


@dataclass(frozen=True, slots=True)
class Produce:
    """Hand ``record`` to the producer (the ack arrives later via ``core.complete``)."""

    record: Record


@dataclass(frozen=True, slots=True)
class SpoolAppend:
    """Append the records' payloads to the spool; result: how many were stored."""

    records: list[Record]


@dataclass(frozen=True, slots=True)
class SpoolDelete:
    """Delete delivered rows from the spool."""

    seqs: list[int]


@dataclass(frozen=True, slots=True)
class SpoolRead:
    """Read up to ``limit`` rows after ``after``; result: ``list[SpoolRow]``."""

    after: int
    limit: int


@dataclass(frozen=True, slots=True)
class SpoolCount:
    """How many events the spool holds; result: ``int``."""


@dataclass(frozen=True, slots=True)
class AcquireReplay:
    """Try to become the spool's replayer; result: ``bool``."""


@dataclass(frozen=True, slots=True)
class ReleaseReplay:
    """Stop being the spool's replayer."""


@dataclass(frozen=True, slots=True)
class StartConnect:
    """Start connecting in the background; the outcome arrives via ``Sender.connect_done``."""


@dataclass(frozen=True, slots=True)
class CloseProducer:
    """Close the producer, waiting up to ``timeout`` s for in-flight events."""

    timeout: float


@dataclass(frozen=True, slots=True)
class CloseSpool:
    """Close the spool."""


IORequest = (
    Produce
    | SpoolAppend
    | SpoolDelete
    | SpoolRead
    | SpoolCount
    | AcquireReplay
    | ReleaseReplay
    | StartConnect
    | CloseProducer
    | CloseSpool
)
Step = Generator[IORequest, Any, None]


def drive(step: Step, io: Callable[[IORequest], Any], *, yield_every: int = 0) -> None:
    """Run a step with blocking I/O: ``io(request)``'s result is sent back into the step,
    its exception thrown into it. With ``yield_every``, the GIL is released every that
    many requests (``time.sleep(0)``) so that a waiting app thread need not wait out the
    interpreter's 5 ms switch interval: the sender is the one that can wait."""
    result: Any = None
    error: BaseException | None = None
    done = 0
    while True:
        try:
            request = step.send(result) if error is None else step.throw(error)
        except StopIteration:
            return
        result, error = None, None
        try:
            result = io(request)
        except Exception as exc:
            error = exc
        done += 1
        if yield_every and not done % yield_every:
            time.sleep(0)


def spool_io(spool: Spool, request: IORequest) -> Any:
    """Do one spool request with blocking calls; returns what the step expects."""
    if isinstance(request, SpoolAppend):
        return spool.append([(r.event_id, r.topic, r.payload) for r in request.records])
    if isinstance(request, SpoolDelete):
        return spool.delete(request.seqs)
    if isinstance(request, SpoolRead):
        return spool.read(request.after, request.limit)
    if isinstance(request, SpoolCount):
        return spool.totals()[0]
    if isinstance(request, AcquireReplay):
        return spool.acquire_replay()
    if isinstance(request, ReleaseReplay):
        return spool.release_replay()
    if isinstance(request, CloseSpool):
        return spool.close()
    raise AssertionError(f"not a spool request: {request!r}")


class Sender:
    """One client's delivery loop (the decisions; the client does the I/O)."""

    def __init__(self, core: DeliveryCore) -> None:
        self.core = core
        self.producer_ready = False
        self.connecting = False
        self._connect_outcome: list[BaseException | None] | None = None
        self._recheck_spool_at = float("inf")
        self.poll_s = max(0.002, core.config.linger_ms / 1000)
        self.last_busy = time.monotonic()

    def connect_done(self, error: BaseException | None) -> None:
        """Report a finished connect attempt (from any thread); then wake the sender."""
        self._connect_outcome = [error]

    def wait_timeout(self) -> float | None:
        """How long the driver may sleep before the next cycle (``None``: until woken).

        While there is work, or was some in the last ``IDLE_AFTER_S``, the sender polls
        every ``poll_s`` instead of being woken per event (see ``EventQueue.put``);
        idle, it sleeps until an event arrives.
        """
        core = self.core
        if core.completions or self._connect_outcome is not None:
            return 0.0
        if core.queue.waiting and core.state is State.UP and core.produce_room():
            return 0.0
        now = time.monotonic()
        poll = self.poll_s
        if core.state is State.DOWN:
            # Events still coming in: spill them every poll, not once per second.
            busy = core.queue.waiting or now - self.last_busy < IDLE_AFTER_S
            return max(0.001, min(poll if busy else 1.0, core.next_attempt_at - now))
        if core.queue.waiting or core.in_flight or core.retry:
            return poll
        if core.spool_pending:
            return poll if core.state is State.UP else 1.0
        if self._recheck_spool_at != float("inf"):
            return max(0.01, self._recheck_spool_at - now)
        if now - self.last_busy < IDLE_AFTER_S:
            return poll
        return None

    def asleep(self, asleep: bool) -> None:
        """The driver is about to sleep without a timeout (or has woken)."""
        self.core.queue.sender_asleep = asleep

    # -- one cycle ---------------------------------------------------------------------

    def cycle(self) -> Step:
        """One pass of the loop. While it runs, events may be between the queue and
        their next home, so ``core.idle()`` answers False (``core.cycling``)."""
        self.core.cycling = True
        try:
            yield from self._cycle()
        finally:
            self.core.cycling = False

    def _cycle(self) -> Step:
        core, queue = self.core, self.core.queue
        now = time.monotonic()
        if queue.waiting or core.completions or core.in_flight:
            self.last_busy = now
        self._apply_connect_outcome()
        yield from self._book()
        if core.spool_pending is None:
            core.spool_pending = (yield SpoolCount()) > 0
        if now >= self._recheck_spool_at:
            self._recheck_spool_at = float("inf")
            core.spool_pending = True
        if core.producer_broken and self.producer_ready:
            # Its idempotence state is gone: close it, take back what it held, and
            # connect a new one after the usual backoff.
            core.producer_broken = False
            self.producer_ready = False
            yield CloseProducer(0.0)
            core.reset_connection()
            core.went_down("the producer lost its idempotence state; reconnecting")
        if not self.producer_ready and not self.connecting and now >= core.next_attempt_at:
            self.connecting = True
            yield StartConnect()
        core.check_stall(now)
        if core.state is State.UP and core.retry:
            retry = self._take_retry()
            core.stats.retried += len(retry)
            yield from self._produce(retry)
        deadline = now + CYCLE_BUDGET_S
        while queue.waiting and time.monotonic() < deadline:
            if core.state is State.UP:
                room = core.produce_room()
                if room:
                    yield from self._produce(core.prepare(queue.take(room)))
                elif core.should_overflow():
                    yield from self._spill(core.prepare(queue.take(BATCH)))
                else:
                    break  # wait for acknowledgements to make room
            elif core.should_spill():
                # Older first: held retries failed before the waiting events came in.
                yield from self._spill(self._take_retry() + core.prepare(queue.take(BATCH)))
            else:
                break  # hold in memory: still connecting, or no spool
        if self.producer_ready and core.may_probe(now):
            yield from self._probe()
        elif self.producer_ready and core.wants_replay():
            yield from self._replay()
        refill_event_ids(busy=queue.waiting > 0)  # ids for track() (_ids.take_event_id)

    def shutdown(self) -> Step:
        """Last steps: close the producer (in-flight events get a last moment), then put
        everything still held on the spool, then close it."""
        core = self.core
        self._apply_connect_outcome()
        yield CloseProducer(0.5 if core.in_flight else 0.0)
        self.producer_ready = False
        yield from self._book()
        # Oldest first: held retries, then what was in flight, then what waited.
        leftovers = self._take_retry()
        leftovers += [r for r in core.in_flight if r.seq is None]
        leftovers += core.prepare(core.queue.take(core.queue.waiting))
        core.in_flight.clear()
        core.replay_in_flight.clear()
        core.fresh_in_flight_bytes = 0
        if core.spool_enabled:
            yield from self._spill(leftovers)
            leftovers = self._take_retry()
        for record in leftovers:
            core.stats.drop(DropReason.SHUTDOWN)
            core.queue.release(1, record.size)
        if core.spool_enabled:
            yield CloseSpool()

    # -- steps -------------------------------------------------------------------------

    def _apply_connect_outcome(self) -> None:
        outcome, self._connect_outcome = self._connect_outcome, None
        if outcome is None:
            return
        self.connecting = False
        if outcome[0] is None:
            self.producer_ready = True
            self.core.connected()
        else:
            self.core.went_down(outcome[0])

    def _take_retry(self) -> list[Record]:
        retry = list(self.core.retry)
        self.core.retry.clear()
        return retry

    def _book(self) -> Step:
        deletes, respill = self.core.process_completions()
        if deletes:
            yield SpoolDelete(deletes)
        yield from self._spill(respill)

    def _spill(self, records: list[Record]) -> Step:
        """Put records the producer cannot take on disk, or hold them for a retry."""
        if not records:
            return
        core = self.core
        if not core.spool_enabled:
            core.retry.extend(records)
            return
        try:
            stored = yield SpoolAppend(records)
        except Exception as exc:
            warn_once(
                "spool-write",
                "sentinel_sdk: cannot write to the spool: %r; holding events in memory",
                exc,
            )
            core.retry.extend(records)
            return
        core.spilled(records, stored)

    def _produce(self, records: list[Record]) -> Step:
        core = self.core
        for i, record in enumerate(records):
            core.sending(record)
            try:
                yield Produce(record)
            except Exception as exc:
                # Raised before the producer took it (e.g. too large, no metadata).
                core.complete(record, exc)
                if not is_permanent(exc):
                    # The producer cannot take events now: book this failure and spill
                    # the fresh rest (spooled rows not sent simply stay in the spool).
                    yield from self._book()
                    yield from self._spill([r for r in records[i + 1 :] if r.seq is None])
                    return

    def _probe(self) -> Step:
        """While down: offer one event (oldest spooled, else oldest held) to the producer."""
        core = self.core
        core.next_attempt_at = time.monotonic() + core.backoff()
        if core.spool_enabled and core.spool_pending and (yield AcquireReplay()):
            rows: list[SpoolRow] = yield SpoolRead(0, 1)
            if rows:
                core.stats.retried += 1
                yield from self._produce([_replay_record(rows[0])])
                return
        held = self._take_retry() or core.prepare(core.queue.take(1))
        if held:
            core.stats.retried += 1
            core.retry.extend(held[1:])
            yield from self._produce(held[:1])

    def _replay(self) -> Step:
        core = self.core
        if not (yield AcquireReplay()):
            core.spool_pending = False  # another process replays this spool
            self._recheck_spool_at = time.monotonic() + SPOOL_RECHECK_S
            return
        room = REPLAY_WINDOW - len(core.replay_in_flight)
        read: list[SpoolRow] = yield SpoolRead(core.replay_after, room)
        rows = [row for row in read if row.seq not in core.replay_in_flight]
        if not rows:
            if not core.replay_in_flight:
                core.spool_pending = (yield SpoolCount()) > 0
                if core.spool_pending:
                    core.replay_after = 0  # rows an earlier pass left behind: go again
                else:
                    yield ReleaseReplay()
            return
        core.replay_after = rows[-1].seq
        core.stats.retried += len(rows)
        yield from self._produce([_replay_record(row) for row in rows])


def _replay_record(row: SpoolRow) -> Record:
    return Record(None, row.event_id, row.topic, row.payload, 0, row.seq)
