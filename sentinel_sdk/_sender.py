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

from ._delivery_core import BATCH, DeliveryCore, State
from ._ids import refill_event_ids
from ._log import log_rate_limited
from ._records import Record
from ._spool import Spool, SpoolRow
from ._transports.errors import is_permanent

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
    """One client's delivery loop (the decisions; the client does the I/O).

    It changes the books (``DeliveryCore``) only through their methods, and reads the
    time from their clock.
    """

    def __init__(self, core: DeliveryCore) -> None:
        self.core = core
        self._clock = core.clock
        self.producer_ready = False
        self.connecting = False
        self._connect_outcome: list[BaseException | None] | None = None
        self._recheck_spool_at = float("inf")
        self.poll_s = max(0.002, core.config.linger_ms / 1000)
        self.last_busy = self._clock()

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
        if core.has_completions or self._connect_outcome is not None:
            return 0.0
        if core.queue.waiting and core.state is State.UP and core.produce_room():
            return 0.0
        now = self._clock()
        poll = self.poll_s
        if core.state is State.DOWN:
            # Events still coming in: spill them every poll, not once per second.
            busy = core.queue.waiting or now - self.last_busy < IDLE_AFTER_S
            return max(0.001, min(poll if busy else 1.0, core.next_attempt_at - now))
        if core.queue.waiting or core.in_flight_count or core.retry_count:
            return poll
        if core.replay.pending:
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
        their next home, so ``core.idle()`` answers False."""
        self.core.cycle_started()
        try:
            yield from self._cycle()
        finally:
            self.core.cycle_ended()

    def _cycle(self) -> Step:
        core, queue = self.core, self.core.queue
        now = self._clock()
        if queue.waiting or core.has_completions or core.in_flight_count:
            self.last_busy = now
        self._apply_connect_outcome()
        yield from self._book()
        if core.replay.pending is None:
            core.replay.counted((yield SpoolCount()))
        if now >= self._recheck_spool_at:
            self._recheck_spool_at = float("inf")
            core.replay.recheck()
        if core.producer_broken and self.producer_ready:
            # Its idempotence state is gone: close it, take back what it held, and
            # connect a new one after the usual backoff.
            self.producer_ready = False
            core.replace_producer()
            yield CloseProducer(0.0)
        if not self.producer_ready and not self.connecting and now >= core.next_attempt_at:
            self.connecting = True
            yield StartConnect()
        core.check_stall(now)
        if core.state is State.UP and core.retry_count:
            yield from self._produce(core.resending(core.take_retry()))
        deadline = now + CYCLE_BUDGET_S
        while queue.waiting and self._clock() < deadline:
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
                yield from self._spill(core.take_retry() + core.prepare(queue.take(BATCH)))
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
        yield CloseProducer(0.5 if core.in_flight_count else 0.0)
        self.producer_ready = False
        yield from self._book()
        # Oldest first: held retries, then what was in flight, then what waited.
        leftovers = core.take_retry() + core.reclaim_in_flight()
        leftovers += core.prepare(core.queue.take(core.queue.waiting))
        if core.spool_enabled:
            yield from self._spill(leftovers)
            leftovers = core.take_retry()
        core.drop_at_shutdown(leftovers)
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
            core.hold_for_retry(records)
            return
        try:
            stored = yield SpoolAppend(records)
        except Exception as exc:
            log_rate_limited(
                "spool-write",
                "sentinel_sdk: cannot write to the spool: %r; holding events in memory",
                exc,
            )
            core.hold_for_retry(records)
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
        core.probing()
        if core.replay.pending and (yield AcquireReplay()):
            rows: list[SpoolRow] = yield SpoolRead(0, 1)
            if rows:
                yield from self._produce(core.resending(core.replay.batch(rows)))
                return
        held = core.take_retry() or core.prepare(core.queue.take(1))
        if held:
            core.hold_for_retry(held[1:])
            yield from self._produce(core.resending(held[:1]))

    def _replay(self) -> Step:
        core = self.core
        if not (yield AcquireReplay()):
            core.replay.replayed_elsewhere()
            self._recheck_spool_at = self._clock() + SPOOL_RECHECK_S
            return
        after, limit = core.replay.window()
        records = core.resending(core.replay.batch((yield SpoolRead(after, limit))))
        if records:
            yield from self._produce(records)
        elif not core.replay.in_flight:
            core.replay.counted((yield SpoolCount()))
            if not core.replay.pending:
                yield ReleaseReplay()
