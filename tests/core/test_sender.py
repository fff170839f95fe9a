"""The sender loop (``sentinel_sdk._sender.Sender``) driven through whole scenarios.

The loop is sans-I/O: it yields requests and takes results through ``gen.send`` /
``gen.throw``, exactly as ``SentinelClient._drive`` runs it. Here a harness answers
them: a real ``Spool`` in a temp directory, a fake producer that only records what it
was handed (the test acknowledges or fails each record), and a fake clock. After
every step the books are checked: each accepted event is sent, dropped (counted), on
disk, or still held, and the memory budget equals what is held.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, OutOfOrderSequenceNumberError

from sentinel_sdk import SentinelConfig, TelemetryEvent
from sentinel_sdk._assembly import Captured, Deferred, build_event
from sentinel_sdk._client_base import BaseClient
from sentinel_sdk._delivery_core import REPLAY_WINDOW, DeliveryCore, Record, State
from sentinel_sdk._queue import EventQueue
from sentinel_sdk._sender import (
    IDLE_AFTER_S,
    SPOOL_RECHECK_S,
    AcquireReplay,
    CloseProducer,
    IORequest,
    Produce,
    Sender,
    SpoolAppend,
    SpoolDelete,
    SpoolRead,
    StartConnect,
    Step,
    drive,
    spool_io,
)
from sentinel_sdk._spool import Spool
from sentinel_sdk._stats import DropReason, Stats
from sentinel_sdk.exceptions import ConnectionError


class Clock:
    """A clock the test moves by hand (the books' and so the sender's)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A client without a client: the I/O of ``SentinelClient``, answered by the test."""

    def __init__(
        self,
        directory: Path,
        clock: Clock,
        *,
        spool: bool = True,
        rng: random.Random | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("service_name", "svc")
        options.setdefault("retry_backoff_ms", 100)
        options.setdefault("retry_backoff_max_ms", 1000)
        self.clock = clock
        self.errors: list[tuple[TelemetryEvent, BaseException]] = []
        self.config = SentinelConfig(
            spool_enabled=spool,
            spool_dir=str(directory),
            on_error=lambda event, exc: self.errors.append((event, exc)),
            **options,
        )
        self.stats = Stats()
        self.queue: EventQueue[TelemetryEvent | Captured | Deferred] = EventQueue(
            self.config.max_queue_size, self.config.max_queue_bytes, lambda: None
        )
        self.spool = Spool(str(directory), self.config.spool_max_bytes) if spool else None
        self.core = DeliveryCore(
            self.config,
            self.stats,
            self.queue,
            spool_enabled=spool,
            clock=clock,
            rng=rng,
        )
        self.sender = Sender(self.core)
        self.requests: list[IORequest] = []
        self.unanswered: list[Record] = []  # handed to the "producer", no answer yet
        self.produced: list[Record] = []
        self.produce_error: Callable[[Record], BaseException | None] = lambda record: None
        self.spool_error: BaseException | None = None
        self.during_close: Callable[[], None] = lambda: None
        self.preloaded = 0  # spool rows left by "an earlier process"
        self.accepted_ids: list[str] = []

    # -- the client's side -------------------------------------------------------------

    def track(self, n: int = 1, **fields: Any) -> list[TelemetryEvent]:
        events = []
        for _ in range(n):
            event, size = build_event(self.config, {"model": "m", **fields})
            if self.queue.put(event, size):
                self.accepted_ids.append(event.event_id)
            else:
                self.stats.drop(DropReason.QUEUE_FULL)
            events.append(event)
        return events

    def io(self, request: IORequest) -> Any:
        self.requests.append(request)
        if isinstance(request, Produce):
            error = self.produce_error(request.record)
            if error is not None:
                raise error
            self.unanswered.append(request.record)
            self.produced.append(request.record)
            return None
        if isinstance(request, StartConnect):
            return None
        if isinstance(request, CloseProducer):
            self.during_close()
            return None
        spool = self.spool
        assert spool is not None, f"spool request without a spool: {request!r}"
        if isinstance(request, SpoolAppend) and self.spool_error is not None:
            raise self.spool_error
        return spool_io(spool, request)

    def run(self, step: Step) -> list[IORequest]:
        """The clients' ``drive``, recording the requests of this step."""
        start = len(self.requests)
        drive(step, self.io)
        self.check_books()
        return self.requests[start:]

    def cycle(self) -> list[IORequest]:
        return self.run(self.sender.cycle())

    def shutdown(self) -> list[IORequest]:
        return self.run(self.sender.shutdown())

    def connect(self, error: BaseException | None = None) -> list[IORequest]:
        self.sender.connect_done(error)
        return self.cycle()

    def answer(self, n: int | None = None, error: BaseException | None = None) -> None:
        n = len(self.unanswered) if n is None else n
        answered, self.unanswered = self.unanswered[:n], self.unanswered[n:]
        for record in answered:
            self.core.complete(record, error)

    def after_backoff(self) -> None:
        self.clock.now = max(self.clock.now, self.core.next_attempt_at) + 0.001

    def retry_ids(self) -> list[str]:
        """The ids of the records the books hold for a retry, oldest first."""
        return [r.event_id for r in self.core._retry]

    def spool_payloads(self) -> list[bytes]:
        assert self.spool is not None
        return [row.payload for row in self.spool.read(0, 100_000)]

    # -- the books ---------------------------------------------------------------------

    def check_books(self) -> None:
        core, queue, stats = self.core, self.queue, self.stats
        # White box: the books' own private ledgers must agree with each other.
        fresh = [r for r in core._in_flight if r.seq is None]
        held = [size for _, size in queue._items] + [r.size for r in fresh + list(core._retry)]
        assert queue.held_count == len(held)
        assert queue.held_bytes == sum(held)
        assert core._fresh_in_flight_bytes == sum(r.size for r in fresh)
        assert core.replay._in_flight == {r.seq for r in core._in_flight if r.seq is not None}
        rows = self.spool.totals()[0] if self.spool is not None else 0
        lost = sum(
            n
            for reason, n in stats.dropped.items()
            if reason not in (DropReason.QUEUE_FULL, DropReason.CLOSED)
        )
        assert queue.accepted == len(self.accepted_ids)
        # Every event accepted (or left on disk earlier) is sent, let go (counted), on
        # disk, or held in memory: nothing vanishes, nothing is counted twice.
        assert queue.accepted + self.preloaded == stats.sent + lost + rows + queue.held_count
        assert stats.replayed <= stats.sent
        assert stats.spooled + self.preloaded >= stats.replayed + rows


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make(tmp_path: Path, clock: Clock) -> Callable[..., Harness]:
    count = 0

    def factory(**options: Any) -> Harness:
        nonlocal count
        count += 1
        return Harness(tmp_path / f"spool{count}", clock, **options)

    return factory


def state(h: Harness) -> State:
    """The sender's view of the broker (a call, so checks after each step stay fresh)."""
    return h.core.state


def kinds(requests: list[IORequest]) -> list[str]:
    return [type(r).__name__ for r in requests]


def produced_ids(requests: list[IORequest]) -> list[str]:
    return [r.record.event_id for r in requests if isinstance(r, Produce)]


def ids(events: list[TelemetryEvent]) -> list[str]:
    return [e.event_id for e in events]


def preload(directory: Path, n: int) -> list[TelemetryEvent]:
    events = [TelemetryEvent(service_name="earlier", model=f"m{i}") for i in range(n)]
    spool = Spool(str(directory), 256 * 1024 * 1024)
    assert spool.append([(e.event_id, "llm.telemetry", e.to_json()) for e in events]) == n
    spool.close()
    return events


# -- connecting ------------------------------------------------------------------------


def test_connect_success_then_events_are_produced_in_order(make: Callable[..., Harness]) -> None:
    h = make()
    events = h.track(3)
    assert kinds(h.cycle()) == ["SpoolCount", "StartConnect"]
    assert state(h) is State.CONNECTING and h.queue.waiting == 3  # held, not spilled
    assert h.cycle() == []  # still connecting: no second attempt
    requests = h.connect()
    assert state(h) is State.UP
    assert produced_ids(requests) == ids(events)
    assert [r.record.payload for r in requests if isinstance(r, Produce)] == [
        e.to_json() for e in events
    ]
    h.answer()
    assert h.cycle() == []
    assert h.stats.sent == 3 and h.stats.spooled == 0
    assert h.core.idle()


def test_connect_failure_spills_to_the_spool_and_retries_after_backoff(
    make: Callable[..., Harness], clock: Clock
) -> None:
    h = make()
    events = h.track(3)
    h.cycle()
    requests = h.connect(ConnectionError("no broker answered"))
    assert state(h) is State.DOWN
    assert kinds(requests) == ["SpoolAppend"]
    assert h.stats.last_error == "no broker answered"
    more = h.track(2)
    assert kinds(h.cycle()) == ["SpoolAppend"]  # new events go straight to disk
    assert h.spool_payloads() == [e.to_json() for e in events + more]
    assert h.stats.spooled == 5 and h.queue.held_count == 0
    assert StartConnect() not in h.cycle()  # not before the backoff
    h.after_backoff()
    assert kinds(h.cycle()) == ["StartConnect"]
    assert not h.core.idle()  # the spool is not delivered yet


def test_while_connecting_events_past_half_the_budget_go_to_disk(
    make: Callable[..., Harness],
) -> None:
    h = make(max_queue_size=10)
    h.track(5)
    assert kinds(h.cycle()) == ["SpoolCount", "StartConnect"]
    assert h.queue.waiting == 5
    h.track(1)
    assert kinds(h.cycle()) == ["SpoolAppend"]
    assert (h.stats.spooled, h.queue.waiting) == (6, 0)


# -- outage and recovery ---------------------------------------------------------------


def test_failed_deliveries_go_to_disk_then_a_probe_and_an_ordered_replay(
    make: Callable[..., Harness], clock: Clock
) -> None:
    h = make()
    h.cycle()
    h.connect()
    first = h.track(2)
    assert produced_ids(h.cycle()) == ids(first)
    h.answer(error=KafkaTimeoutError("delivery timed out"))
    later = h.track(2)
    assert kinds(h.cycle()) == ["SpoolAppend", "SpoolAppend"]  # failed ones, then new ones
    assert state(h) is State.DOWN
    assert h.stats.failed == 2
    assert h.spool_payloads() == [e.to_json() for e in first + later]
    assert [r for r in h.cycle() if isinstance(r, Produce)] == []  # backoff not over

    h.after_backoff()
    probe = h.cycle()
    assert kinds(probe) == ["AcquireReplay", "SpoolRead", "Produce"]
    assert probe[1] == SpoolRead(0, 1)
    assert produced_ids(probe) == [first[0].event_id]  # the oldest spooled event
    assert h.stats.retried == 1
    assert [r for r in h.cycle() if isinstance(r, Produce)] == []  # one probe at a time

    h.answer()
    replay = h.cycle()
    assert state(h) is State.UP
    assert replay[0] == SpoolDelete([1])
    assert produced_ids(replay) == ids(first[1:] + later)
    h.answer()
    end = h.cycle()
    assert end[0] == SpoolDelete([2, 3, 4])
    assert kinds(end)[-2:] == ["SpoolCount", "ReleaseReplay"]
    assert h.spool is not None and h.spool.totals() == (0, 0)
    assert (h.stats.sent, h.stats.replayed, h.stats.spooled) == (4, 4, 4)
    assert h.stats.retried == 4
    assert h.core.idle()


def test_successive_failed_probes_back_off_further(
    make: Callable[..., Harness], clock: Clock
) -> None:
    h = make(retry_backoff_ms=100, retry_backoff_max_ms=100_000)
    h.cycle()
    h.connect()
    h.track(1)
    h.cycle()
    h.answer(error=KafkaTimeoutError("x"))
    h.cycle()
    gaps = []
    for _ in range(5):
        start = clock.now
        h.after_backoff()
        assert kinds(h.cycle())[-1] == "Produce"
        gaps.append(clock.now - start)
        h.answer(error=KafkaTimeoutError("still down"))
        h.cycle()
    assert all(later > earlier for earlier, later in itertools.pairwise(gaps))
    assert state(h) is State.DOWN and h.stats.failed == 6


def test_the_wait_between_failed_probes_doubles(make: Callable[..., Harness], clock: Clock) -> None:
    class Upper(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b  # no jitter: exact delays

    h = make(retry_backoff_ms=100, retry_backoff_max_ms=100_000, rng=Upper())
    h.cycle()
    h.connect()
    h.track(1)
    h.cycle()
    h.answer(error=KafkaTimeoutError("x"))
    h.cycle()
    waits = []
    for _ in range(4):
        waits.append(h.core.next_attempt_at - clock.now)
        h.after_backoff()
        h.cycle()
        h.answer(error=KafkaTimeoutError("still down"))
        h.cycle()
    assert [w / waits[0] for w in waits] == pytest.approx([1, 2, 4, 8], rel=0.01)


def test_recovery_replays_what_an_earlier_process_left_in_order(
    make: Callable[..., Harness], tmp_path: Path
) -> None:
    h = make()
    assert h.spool is not None
    left = preload(h.spool.directory, 5)
    h.preloaded = 5
    assert kinds(h.cycle()) == ["SpoolCount", "StartConnect"]
    assert h.core.replay.pending is True
    replay = h.connect()
    assert replay[:2] == [AcquireReplay(), SpoolRead(0, REPLAY_WINDOW)]
    assert produced_ids(replay) == ids(left)
    assert [r.record.seq for r in replay if isinstance(r, Produce)] == [1, 2, 3, 4, 5]
    assert not h.core.idle()
    h.answer(2)
    middle = h.cycle()
    assert middle[0] == SpoolDelete([1, 2])
    assert produced_ids(middle) == []  # the rest is already in flight
    h.answer()
    end = h.cycle()
    assert end[0] == SpoolDelete([3, 4, 5])
    assert kinds(end)[-1] == "ReleaseReplay"
    assert h.spool.totals() == (0, 0)
    assert (h.stats.sent, h.stats.replayed, h.stats.spooled) == (5, 5, 0)
    assert h.core.idle()
    assert Spool(str(h.spool.directory), 10**7).acquire_replay()  # the lock was given back


def test_replay_keeps_at_most_a_window_in_flight(make: Callable[..., Harness]) -> None:
    h = make()
    assert h.spool is not None
    preload(h.spool.directory, REPLAY_WINDOW + 100)
    h.preloaded = REPLAY_WINDOW + 100
    h.cycle()
    assert len(produced_ids(h.connect())) == REPLAY_WINDOW
    assert produced_ids(h.cycle()) == []  # window full
    h.answer(REPLAY_WINDOW // 2 - 1)
    assert produced_ids(h.cycle()) == []  # more than half the window still in flight
    h.answer(2)
    requests = h.cycle()
    in_flight = REPLAY_WINDOW - (REPLAY_WINDOW // 2 + 1)
    assert SpoolRead(REPLAY_WINDOW, REPLAY_WINDOW - in_flight) in requests
    assert [r.record.seq for r in requests if isinstance(r, Produce)] == list(
        range(REPLAY_WINDOW + 1, REPLAY_WINDOW + 101)
    )


def test_another_process_replaying_the_spool_is_left_alone(
    make: Callable[..., Harness], clock: Clock
) -> None:
    h = make()
    assert h.spool is not None
    preload(h.spool.directory, 3)
    h.preloaded = 3
    other = Spool(str(h.spool.directory), 10**7)  # flock: per open file, as another process
    assert other.acquire_replay()
    h.cycle()
    assert kinds(h.connect()) == ["AcquireReplay"]
    assert h.core.replay.pending is False
    assert h.core.idle()  # nothing of this process's own is waiting
    fresh = h.track(1)
    assert produced_ids(h.cycle()) == ids(fresh)  # fresh events still flow
    h.answer()
    h.cycle()
    assert h.sender.wait_timeout() == pytest.approx(SPOOL_RECHECK_S, abs=0.01)
    other.release_replay()
    clock.now += SPOOL_RECHECK_S
    requests = h.cycle()
    assert [r.record.seq for r in requests if isinstance(r, Produce)] == [1, 2, 3]
    other.close()


# -- in-flight cap and overflow --------------------------------------------------------


def test_a_saturated_producer_makes_the_sender_spill_past_three_quarters(
    make: Callable[..., Harness],
) -> None:
    h = make(max_queue_size=100)
    h.cycle()
    h.connect()
    h.track(60)
    assert len(produced_ids(h.cycle())) == 50  # half the budget in flight, at most
    assert h.queue.waiting == 10
    h.track(15)  # 75 of 100 held: not past three quarters yet
    assert kinds(h.cycle()) == []
    h.track(1)
    requests = h.cycle()
    assert kinds(requests)[:3] == ["SpoolAppend", "AcquireReplay", "SpoolRead"]
    assert h.stats.spooled == 26 and h.queue.waiting == 0
    assert h.queue.held_count == 50  # only what the producer holds stays in the budget
    # Replayed rows come back within the replay window, holding no memory budget.
    assert [r.record.seq for r in requests if isinstance(r, Produce)] == list(range(1, 27))
    h.answer()
    h.cycle()
    assert h.stats.sent == 76 and h.stats.replayed == 26
    assert h.core.idle()


def test_the_smallest_budget_still_delivers_without_a_spool(
    make: Callable[..., Harness],
) -> None:
    h = make(spool=False, max_queue_size=1)
    h.cycle()
    h.connect()
    for _ in range(3):
        (event,) = h.track(1)
        assert produced_ids(h.cycle()) == [event.event_id]
        h.answer()
        h.cycle()
    assert h.stats.sent == 3 and h.core.idle()


def test_the_core_is_not_idle_while_a_cycle_is_under_way(make: Callable[..., Harness]) -> None:
    h = make()
    h.cycle()
    h.connect(ConnectionError("down"))
    assert h.core.idle()  # nothing held anywhere yet
    h.track(1)
    step = h.sender.cycle()
    request = next(step)
    # The event left the queue and is in the sender's hands, on its way to the disk.
    assert isinstance(request, SpoolAppend)
    assert h.queue.waiting == 0 and h.core.in_flight_count == 0 and h.core.retry_count == 0
    assert not h.core.idle()
    with pytest.raises(StopIteration):
        step.send(h.io(request))
    assert h.stats.spooled == 1
    assert not h.core.idle()  # and now it is on disk, waiting for the broker


# -- producer errors -------------------------------------------------------------------


def test_a_send_refused_before_the_producer_took_it_spills_the_rest(
    make: Callable[..., Harness],
) -> None:
    h = make()
    h.cycle()
    h.connect()
    events = h.track(4)
    h.produce_error = lambda record: (
        KafkaTimeoutError("no metadata") if record.event_id == events[1].event_id else None
    )
    requests = h.cycle()
    assert produced_ids(requests) == ids(events[:2])  # the second raised
    assert [r.event_id for r in h.produced] == [events[0].event_id]
    assert kinds(requests) == ["Produce", "Produce", "SpoolAppend", "SpoolAppend"]
    assert state(h) is State.DOWN
    assert h.stats.failed == 1
    assert h.spool_payloads() == [e.to_json() for e in events[1:]]


def test_a_send_refused_for_good_is_rejected_and_the_rest_continue(
    make: Callable[..., Harness],
) -> None:
    h = make()
    h.cycle()
    h.connect()
    events = h.track(3)
    h.produce_error = lambda record: (
        MessageSizeTooLargeError() if record.event_id == events[1].event_id else None
    )
    assert produced_ids(h.cycle()) == ids(events)  # the second raised
    assert [r.event_id for r in h.produced] == [events[0].event_id, events[2].event_id]
    h.answer()
    h.cycle()
    assert h.stats.dropped == {DropReason.REJECTED: 1}
    assert h.stats.sent == 2
    assert [e.event_id for e, _ in h.errors] == [events[1].event_id]
    assert state(h) is State.UP


def test_a_producer_that_lost_its_idempotence_state_is_replaced(
    make: Callable[..., Harness], clock: Clock
) -> None:
    h = make()
    h.cycle()
    h.connect()
    events = h.track(3)
    h.cycle()
    h.answer(1, OutOfOrderSequenceNumberError())
    requests = h.cycle()
    assert kinds(requests) == ["SpoolAppend", "CloseProducer"]
    assert requests[1] == CloseProducer(0.0)
    assert not h.sender.producer_ready
    assert h.retry_ids() == ids(events[1:])  # taken back, held
    h.unanswered.clear()  # the old producer is gone with its answers
    assert StartConnect() not in h.cycle()
    h.after_backoff()
    assert kinds(h.cycle()) == ["StartConnect"]
    requests = h.connect()
    assert produced_ids(requests) == [*ids(events[1:]), events[0].event_id]
    assert h.stats.retried == 3
    h.answer()
    h.cycle()
    assert h.stats.sent == 3 and h.stats.replayed == 1
    assert h.core.idle()


def test_without_a_spool_an_outage_holds_events_and_probes_with_the_oldest(
    make: Callable[..., Harness],
) -> None:
    h = make(spool=False)
    assert kinds(h.cycle()) == ["StartConnect"]  # no spool to look at
    h.connect()
    first = h.track(1)
    h.cycle()
    h.answer(error=KafkaTimeoutError("x"))
    later = h.track(2)
    h.cycle()
    assert state(h) is State.DOWN
    assert h.retry_ids() == ids(first)
    assert h.queue.waiting == 2
    h.after_backoff()
    assert produced_ids(h.cycle()) == ids(first)
    h.answer()
    assert produced_ids(h.cycle()) == ids(later)
    h.answer()
    h.cycle()
    assert h.stats.sent == 3 and h.core.idle()


def test_spool_full_drops_what_does_not_fit_and_says_so(make: Callable[..., Harness]) -> None:
    h = make(spool_max_bytes=1024 * 1024)
    h.cycle()
    h.connect(ConnectionError("down"))
    events = h.track(12, prompt="x" * 100_000)
    h.cycle()
    assert h.stats.spooled == 10
    assert h.stats.dropped == {DropReason.SPOOL_FULL: 2}
    assert [e.event_id for e, _ in h.errors] == ids(events[10:])
    assert h.spool_payloads() == [e.to_json() for e in events[:10]]


def test_an_unwritable_spool_holds_events_in_memory(make: Callable[..., Harness]) -> None:
    h = make()
    h.cycle()
    h.connect(ConnectionError("down"))
    h.spool_error = OSError("disk full")
    events = h.track(2)
    h.cycle()
    assert h.retry_ids() == ids(events)
    assert h.stats.dropped == {} and h.stats.spooled == 0
    h.spool_error = None
    h.track(1)
    h.cycle()
    assert h.stats.spooled == 3 and h.core.retry_count == 0


# -- shutdown --------------------------------------------------------------------------


def test_shutdown_spools_everything_still_held(make: Callable[..., Harness]) -> None:
    h = make()
    assert h.spool is not None
    left = preload(h.spool.directory, 1)
    h.preloaded = 1
    h.cycle()
    h.connect()  # replays the row; it stays in flight
    in_flight = h.track(3)
    h.cycle()
    waiting = h.track(2)
    acked_during_close = h.unanswered[1]
    h.during_close = lambda: h.core.complete(acked_during_close, None)
    requests = h.shutdown()
    assert requests[0] == CloseProducer(0.5)  # in-flight events get a last moment
    assert kinds(requests) == ["CloseProducer", "SpoolAppend", "CloseSpool"]
    kept = {e.event_id for e in in_flight + waiting} - {in_flight[0].event_id}
    appended = requests[1]
    assert isinstance(appended, SpoolAppend)
    assert {r.event_id for r in appended.records} == kept
    assert h.stats.sent == 1 and h.stats.spooled == 4
    assert (h.queue.held_count, h.queue.held_bytes) == (0, 0)
    assert h.core.in_flight_count == 0 and h.stats.dropped == {}
    reopened = Spool(str(h.spool.directory), 10**7)
    payloads = [row.payload for row in reopened.read(0, 100)]
    assert payloads.count(left[0].to_json()) == 1  # the replayed row stays, once
    assert len(payloads) == 5


def test_shutdown_without_a_spool_drops_leftovers_as_shutdown(
    make: Callable[..., Harness],
) -> None:
    h = make(spool=False)
    h.cycle()
    h.connect()
    h.track(3)
    h.cycle()
    h.answer(1)
    h.track(2)
    requests = h.shutdown()
    assert requests == [CloseProducer(0.5)]  # nothing to spool to, nothing to close
    assert h.stats.sent == 1
    assert h.stats.dropped == {DropReason.SHUTDOWN: 4}
    assert (h.queue.held_count, h.queue.held_bytes) == (0, 0)


def test_shutdown_with_an_unwritable_spool_drops_as_shutdown(
    make: Callable[..., Harness],
) -> None:
    h = make()
    h.cycle()
    h.track(2)
    h.spool_error = OSError("read-only file system")
    requests = h.shutdown()
    assert kinds(requests) == ["CloseProducer", "SpoolAppend", "CloseSpool"]
    assert requests[0] == CloseProducer(0.0)
    assert h.stats.dropped == {DropReason.SHUTDOWN: 2}
    assert h.queue.held_count == 0


def test_shutdown_while_connecting_applies_a_late_connect_outcome(
    make: Callable[..., Harness],
) -> None:
    h = make()
    h.cycle()
    h.track(1)
    h.sender.connect_done(None)
    h.shutdown()
    assert h.stats.spooled == 1 and not h.sender.connecting


# -- waiting ---------------------------------------------------------------------------


def test_wait_timeout_polls_while_busy_and_sleeps_when_idle(
    make: Callable[..., Harness], clock: Clock
) -> None:
    h = make(linger_ms=20)
    h.cycle()
    h.connect()
    h.track(1)
    assert h.sender.wait_timeout() == 0.0  # room to produce: go now
    h.cycle()
    assert h.sender.wait_timeout() == pytest.approx(0.02)  # in flight: poll
    h.answer()
    assert h.sender.wait_timeout() == 0.0  # answers to book
    h.cycle()
    assert h.sender.wait_timeout() == pytest.approx(0.02)  # was busy just now
    clock.now += IDLE_AFTER_S + 0.01
    assert h.sender.wait_timeout() is None  # idle: sleep until woken
    h.sender.asleep(True)
    assert h.queue.sender_asleep
    h.sender.asleep(False)
    assert not h.queue.sender_asleep
    h.core.went_down("x")
    assert 0 < (h.sender.wait_timeout() or 0) <= 1.0


# -- the books through a random outage -------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_books_stay_exact_through_random_outages(
    make: Callable[..., Harness], clock: Clock, seed: int
) -> None:
    rng = random.Random(seed)
    h = make(max_queue_size=40, spool_max_bytes=1024 * 1024)
    errors = [None, None, None, KafkaTimeoutError("t"), MessageSizeTooLargeError()]
    for _ in range(300):
        action = rng.random()
        if action < 0.35:
            h.track(rng.randint(1, 8))
        elif action < 0.6 and h.unanswered:
            h.answer(rng.randint(1, len(h.unanswered)), rng.choice(errors))
        elif action < 0.7 and h.sender.connecting:
            h.sender.connect_done(rng.choice([None, ConnectionError("refused")]))
        else:
            clock.now += rng.choice([0.0, 0.05, 0.5, 2.0])
        h.cycle()
    # The broker comes back for good: everything kept is delivered.
    for _ in range(200):
        if h.sender.connecting:
            h.sender.connect_done(None)
        h.answer()
        clock.now += 1.0
        h.cycle()
        if h.core.idle():
            break
    assert h.core.idle()
    delivered = {r.event_id for r in h.produced}
    rejected = h.stats.dropped.get(DropReason.REJECTED, 0)
    assert set(h.accepted_ids) <= delivered  # every accepted event reached the producer
    assert h.stats.sent + rejected == len(h.accepted_ids)
    assert h.stats.dropped.keys() <= {DropReason.REJECTED, DropReason.QUEUE_FULL}
    h.shutdown()


# -- the drop reasons the README documents ---------------------------------------------


class OfflineClient(BaseClient):
    """The caller's side of a client, with no sender behind it."""

    def _wake(self) -> None:
        pass

    def _ensure_started(self) -> None:
        self._started = True


def test_a_full_memory_bound_in_an_outage_without_spool_is_counted_as_spool_disabled() -> None:
    client = OfflineClient(spool_enabled=False, max_queue_size=3)
    client._core.went_down("refused")
    for _ in range(4):
        client.track_nowait(model="m")
    assert client.stats()["dropped"] == {DropReason.SPOOL_DISABLED: 1}
