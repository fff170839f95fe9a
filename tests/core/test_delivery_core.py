"""The sender's books (``sentinel_sdk._delivery_core.DeliveryCore``), with no I/O at all.

Preparing (``before_send`` and what it may do wrong, validation, cost, serializing),
routing (spill / overflow / in-flight cap), the health state machine with its
backoff, booking completions, and ``idle()``. Time is a fake clock handed to the books,
randomness a seeded or fake RNG: nothing is patched.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, OutOfOrderSequenceNumberError

from sentinel_sdk import SentinelConfig, TelemetryEvent
from sentinel_sdk._assembly import Captured, Deferred, Finisher, build_event
from sentinel_sdk._delivery_core import (
    BATCH,
    OVERFLOW_AT,
    REPLAY_WINDOW,
    STALL_AFTER_S,
    DeliveryCore,
    Record,
    State,
)
from sentinel_sdk._queue import EventQueue
from sentinel_sdk._spool import SpoolRow
from sentinel_sdk._stats import DropReason, Stats
from sentinel_sdk.exceptions import SendError


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class Books:
    core: DeliveryCore
    queue: EventQueue[TelemetryEvent | Captured | Deferred]
    stats: Stats
    successes: list[TelemetryEvent] = field(default_factory=list)
    errors: list[tuple[TelemetryEvent, BaseException]] = field(default_factory=list)

    def put(self, n: int = 1, **fields: Any) -> list[TelemetryEvent]:
        events = []
        for _ in range(n):
            event, size = build_event(self.core.config, {"model": "m", **fields})
            assert self.queue.put(event, size)
            events.append(event)
        return events

    def prepared(self, n: int = 1, **fields: Any) -> list[Record]:
        self.put(n, **fields)
        return self.core.prepare(self.queue.take(n))

    def in_flight(self, n: int = 1) -> list[Record]:
        records = self.prepared(n)
        for record in records:
            self.core.sending(record)
        return records


def make(
    *,
    spool: bool = True,
    fill_cost: Callable[[TelemetryEvent], None] | None = None,
    clock: Callable[[], float] | None = None,
    rng: random.Random | None = None,
    **options: Any,
) -> Books:
    stats = Stats()
    books: Books
    options.setdefault("service_name", "svc")

    def on_success(event: TelemetryEvent) -> None:
        books.successes.append(event)

    def on_error(event: TelemetryEvent, exc: BaseException) -> None:
        books.errors.append((event, exc))

    config = SentinelConfig(on_success=on_success, on_error=on_error, **options)
    queue: EventQueue[TelemetryEvent | Captured | Deferred] = EventQueue(
        config.max_queue_size, config.max_queue_bytes, lambda: None
    )
    core = DeliveryCore(
        config,
        stats,
        queue,
        spool_enabled=spool,
        finisher=Finisher(config, fill_cost) if fill_cost is not None else None,
        clock=clock or Clock(),
        rng=rng,
    )
    books = Books(core, queue, stats)
    return books


def state(core: DeliveryCore) -> State:
    """The core's state (a call, so each check reads it afresh)."""
    return core.state


def replay_record(seq: int, event: TelemetryEvent | None = None) -> Record:
    event = event or TelemetryEvent(service_name="svc", model="spooled")
    return Record(None, event.event_id, "llm.telemetry", event.to_json(), 0, seq)


def spool_row(seq: int) -> SpoolRow:
    event = TelemetryEvent(service_name="svc", model="spooled")
    return SpoolRow(seq, event.event_id, "llm.telemetry", event.to_json())


# -- preparing -------------------------------------------------------------------------


def test_prepare_serializes_each_event_keyed_by_its_id_and_keeps_the_budget() -> None:
    books = make(topic="t1")
    events = books.put(3, prompt="hello")
    held = books.queue.held_bytes
    records = books.core.prepare(books.queue.take(3))
    assert [r.event for r in records] == events
    for record, event in zip(records, events, strict=True):
        assert record.payload == event.to_json()
        assert record.key == event.event_id.encode()
        assert (record.topic, record.seq) == ("t1", None)
    assert sum(r.size for r in records) == held
    assert books.queue.held_bytes == held  # still held: in flight next


def test_cost_is_filled_only_when_the_event_has_none() -> None:
    def fill(event: TelemetryEvent) -> None:
        event.cost_usd = 1.5
        event.metadata["sentinel.cost_known"] = "true"

    books = make(fill_cost=fill)
    free, priced = books.prepared(1)[0], books.prepared(1, cost_usd=0.25)[0]
    assert TelemetryEvent.from_json(free.payload).cost_usd == 1.5
    assert TelemetryEvent.from_json(priced.payload).cost_usd == 0.25
    assert "sentinel.cost_known" not in TelemetryEvent.from_json(priced.payload).metadata


def test_before_send_can_change_or_replace_the_event() -> None:
    replacement = TelemetryEvent(service_name="svc", model="other")

    def hook(event: TelemetryEvent) -> TelemetryEvent:
        if event.model == "swap":
            return replacement
        event.prompt.text = "[redacted]"
        return event

    books = make(before_send=hook)
    redacted, swapped = books.prepared(1, prompt="secret")[0], books.prepared(1, model="swap")[0]
    assert TelemetryEvent.from_json(redacted.payload).prompt.text == "[redacted]"
    assert swapped.event is replacement
    assert swapped.event_id == replacement.event_id
    assert swapped.payload == replacement.to_json()
    assert books.stats.dropped == {}


def _hook_drops(hook: Callable[[TelemetryEvent], Any], reason: str) -> Books:
    books = make(before_send=hook)
    books.put(4)
    records = books.core.prepare(books.queue.take(4))
    assert records == []
    assert books.stats.dropped == {reason: 4}
    assert (books.queue.held_count, books.queue.held_bytes) == (0, 0)  # budget released
    return books


def test_before_send_raising_drops_the_event_counted_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def hook(event: TelemetryEvent) -> TelemetryEvent:
        raise RuntimeError("hook bug")

    with caplog.at_level(logging.WARNING, logger="sentinel_sdk"):
        _hook_drops(hook, DropReason.BEFORE_SEND_ERROR)
    # Four events raised, but the line is rate-limited per key: logged exactly once
    # (the autouse ``_fresh_log_rate_limits`` fixture clears the limits per test).
    logged = [
        r
        for r in caplog.records
        if r.name == "sentinel_sdk"
        and r.levelno == logging.WARNING
        and "before_send raised" in r.getMessage()
        and "hook bug" in r.getMessage()
    ]
    assert len(logged) == 1, [r.getMessage() for r in caplog.records]


def test_before_send_returning_none_drops_the_event() -> None:
    _hook_drops(lambda event: None, DropReason.BEFORE_SEND)


def test_before_send_returning_something_else_drops_it_as_invalid() -> None:
    books = _hook_drops(lambda event: event.to_dict(), DropReason.INVALID)
    assert books.stats.last_error is not None
    assert "before_send must return a TelemetryEvent or None, got dict" in books.stats.last_error


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: setattr(e, "model", ""), "model"),
        (lambda e: e.metadata.update({"n": 1}), "metadata"),
        (lambda e: setattr(e.prompt, "text", 42), "prompt.text"),
        (lambda e: setattr(e.response, "tokens", -1), "response.tokens"),
        (lambda e: setattr(e, "latency_ms", float("nan")), "latency_ms"),
        (lambda e: setattr(e, "event_id", "nope"), "event_id"),
    ],
)
def test_before_send_making_the_event_invalid_drops_it_as_invalid(
    change: Callable[[TelemetryEvent], None], field: str
) -> None:
    def hook(event: TelemetryEvent) -> TelemetryEvent:
        change(event)
        return event

    books = _hook_drops(hook, DropReason.INVALID)
    assert books.stats.last_error is not None and field in books.stats.last_error


def test_one_bad_event_does_not_stop_the_batch() -> None:
    def hook(event: TelemetryEvent) -> TelemetryEvent | None:
        if event.model == "drop":
            return None
        if event.model == "raise":
            raise ValueError("x")
        return event

    books = make(before_send=hook)
    for model in ("a", "drop", "b", "raise", "c"):
        books.put(1, model=model)
    records = books.core.prepare(books.queue.take(5))
    assert [r.event.model for r in records if r.event] == ["a", "b", "c"]
    assert books.stats.dropped == {DropReason.BEFORE_SEND: 1, DropReason.BEFORE_SEND_ERROR: 1}
    assert books.queue.held_count == 3


# -- routing ---------------------------------------------------------------------------


def test_should_spill_by_state_fill_and_spool() -> None:
    books = make(max_queue_size=10)
    core = books.core
    assert state(core) is State.CONNECTING
    books.put(5)
    assert not core.should_spill()  # connecting, half full: hold in memory
    books.put(1)
    assert core.should_spill()  # connecting, past half
    core.connected()
    assert not core.should_spill()
    core.went_down("x")
    assert core.should_spill()
    no_spool = make(spool=False, max_queue_size=10)
    no_spool.put(9)
    no_spool.core.went_down("x")
    assert not no_spool.core.should_spill()


def test_should_overflow_past_three_quarters_with_a_spool() -> None:
    books = make(max_queue_size=100)
    books.put(75)
    assert books.queue.fill == OVERFLOW_AT
    assert not books.core.should_overflow()
    books.put(1)
    assert books.core.should_overflow()
    no_spool = make(spool=False, max_queue_size=100)
    no_spool.put(90)
    assert not no_spool.core.should_overflow()


def test_spilled_books_what_was_stored_and_drops_the_rest_as_spool_full() -> None:
    books = make()
    records = books.prepared(5)
    assert books.core.replay.pending is None
    books.core.spilled(records, 3)
    assert books.stats.spooled == 3
    assert books.stats.dropped == {DropReason.SPOOL_FULL: 2}
    assert (books.queue.held_count, books.queue.held_bytes) == (0, 0)
    assert books.core.replay.pending is True
    assert [e for e, _ in books.errors] == [r.event for r in records[3:]]
    assert all(
        isinstance(exc, RuntimeError) and "spool is full" in str(exc) for _, exc in books.errors
    )
    nothing = make()
    nothing.core.spilled(nothing.prepared(1), 0)
    assert nothing.core.replay.pending is None  # nothing was written


def test_produce_room_caps_fresh_events_in_flight_at_half_the_budget() -> None:
    books = make(max_queue_size=100)
    core = books.core
    assert core.produce_room() == 50
    books.in_flight(20)
    assert core.produce_room() == 30
    for seq in range(1, 41):  # replayed rows hold no memory budget
        core.sending(replay_record(seq))
    assert core.produce_room() == 30
    books.in_flight(30)
    assert core.produce_room() == 0
    big = make(max_queue_size=100_000)
    assert big.core.produce_room() == BATCH


def test_produce_room_is_zero_once_half_the_bytes_are_in_flight() -> None:
    books = make(max_queue_size=1000, max_queue_bytes=100_000)
    core = books.core
    sent: list[Record] = []
    while sum(r.size for r in sent) < 50_000:
        assert core.produce_room() > 0
        sent += books.in_flight(1)
    assert core.produce_room() == 0
    core.complete(sent[0], None)
    core.process_completions()
    assert core.produce_room() > 0


def test_produce_room_lets_one_event_through_with_the_smallest_budget() -> None:
    books = make(spool=False, max_queue_size=1)
    books.core.connected()
    books.put(1)
    assert books.core.produce_room() == 1
    books.core.sending(books.core.prepare(books.queue.take(1))[0])
    assert books.core.produce_room() == 0


# -- health ----------------------------------------------------------------------------


def test_backoff_doubles_from_retry_backoff_up_to_the_cap_with_jitter() -> None:
    bounds: list[tuple[float, float]] = []

    class Upper(random.Random):
        def uniform(self, a: float, b: float) -> float:
            bounds.append((a, b))
            return b

    books = make(retry_backoff_ms=100, retry_backoff_max_ms=1000, rng=Upper())
    delays = [books.core.backoff() for _ in range(7)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0])
    assert all(a == pytest.approx(b / 2) for a, b in bounds)  # jitter: half to full
    books.core.connected()
    assert books.core.backoff() == pytest.approx(0.1)  # a success starts over


def test_backoff_jitter_stays_in_bounds_and_varies() -> None:
    books = make(retry_backoff_ms=200, retry_backoff_max_ms=200, rng=random.Random(7))
    delays = [books.core.backoff() for _ in range(200)]
    assert all(0.1 <= d <= 0.2 for d in delays)
    assert len(set(delays)) > 100
    huge = make(retry_backoff_ms=1, retry_backoff_max_ms=5000)
    for _ in range(100):  # the exponent is capped: no OverflowError after many attempts
        assert 0 < huge.core.backoff() <= 5.0


def test_went_down_schedules_the_next_attempt_and_logs_once_per_outage(
    clock: Clock, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sentinel_sdk._log._last_logged", {})
    books = make(retry_backoff_ms=100, retry_backoff_max_ms=1000, clock=clock)
    core = books.core
    core.connected()
    core.replay.counted(10)
    core.replay.batch([spool_row(7)])
    assert core.replay.window()[0] == 7
    with caplog.at_level(logging.WARNING, logger="sentinel_sdk"):
        core.went_down(ConnectionRefusedError("refused"))
        core.went_down("again")
    assert state(core) is State.DOWN
    assert books.stats.last_error == "again"
    assert core.replay.window()[0] == 0  # replay starts over once back
    assert 0 < core.next_attempt_at - clock.now <= 0.2
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1


def test_stall_without_acks_means_down(clock: Clock) -> None:
    books = make(clock=clock)
    core = books.core
    core.check_stall(clock.now)  # connecting, nothing in flight
    assert state(core) is State.CONNECTING
    core.connected()
    books.in_flight(1)
    clock.now += STALL_AFTER_S
    core.check_stall(clock.now)
    assert state(core) is State.UP  # not yet past the limit
    clock.now += 0.01
    core.check_stall(clock.now)
    assert state(core) is State.DOWN
    assert books.stats.last_error is not None and "no acknowledgement" in books.stats.last_error


def test_a_recent_ack_or_nothing_in_flight_is_no_stall(clock: Clock) -> None:
    books = make(clock=clock)
    core = books.core
    core.connected()
    first, second = books.in_flight(2)
    clock.now += STALL_AFTER_S - 1
    core.complete(second, None)
    core.process_completions()  # acks keep coming: the oldest is just slow
    clock.now += 2
    core.check_stall(clock.now)
    assert state(core) is State.UP
    core.complete(first, None)
    core.process_completions()
    clock.now += 100
    core.check_stall(clock.now)
    assert state(core) is State.UP


def test_may_probe_only_down_with_nothing_in_flight_after_the_backoff(clock: Clock) -> None:
    books = make(clock=clock)
    core = books.core
    assert not core.may_probe(clock.now)  # connecting
    core.went_down("x")
    assert not core.may_probe(clock.now)  # backoff not over
    clock.now = core.next_attempt_at
    assert core.may_probe(clock.now)
    (record,) = books.in_flight(1)
    assert not core.may_probe(clock.now)  # one probe at a time
    core.probing()  # what the sender's probe does
    core.complete(record, KafkaTimeoutError("still down"))
    core.process_completions()
    assert not core.may_probe(clock.now)  # the probe's own backoff still runs
    clock.now = core.next_attempt_at
    assert core.may_probe(clock.now)


def test_wants_replay_when_up_with_a_spool_to_replay_and_window_room() -> None:
    core = make().core
    core.replay.counted(1)
    assert not core.wants_replay()  # connecting
    core.connected()
    assert core.wants_replay()
    rows = [replay_record(seq + 1) for seq in range(REPLAY_WINDOW // 2)]
    for row in rows:
        core.sending(row)
    assert not core.wants_replay()
    assert core.replay.window()[1] == REPLAY_WINDOW - len(rows)
    for row in rows:
        core.complete(row, None)
    core.process_completions()
    assert core.wants_replay()
    core.replay.replayed_elsewhere()
    assert not core.wants_replay()


def test_replay_batches_skip_rows_in_flight_and_move_the_window_on() -> None:
    books = make()
    core = books.core
    core.connected()
    core.replay.counted(3)
    first = core.resending(core.replay.batch([spool_row(1), spool_row(2)]))
    assert [r.seq for r in first] == [1, 2] and all(r.size == 0 for r in first)
    for record in first:
        core.sending(record)
    assert core.replay.in_flight and core.replay.window() == (2, REPLAY_WINDOW - 2)
    again = core.resending(core.replay.batch([spool_row(2), spool_row(3)]))  # overlapping read
    assert [r.seq for r in again] == [3]
    assert books.stats.retried == 3
    assert core.replay.batch([]) == [] and core.replay.window()[0] == 3


def test_reset_connection_takes_back_fresh_records_for_a_retry() -> None:
    books = make(max_queue_size=100)
    core = books.core
    core.connected()
    core.replay.counted(1)
    fresh = books.in_flight(3)
    (row,) = core.replay.batch([spool_row(9)])
    core.sending(row)
    core.went_down("x")
    assert core.next_attempt_at > 0
    assert core.produce_room() == 50 - 3
    core.reset_connection()
    assert core.take_retry() == fresh  # in order; the spooled row stays in the spool
    assert core.in_flight_count == 0 and not core.replay.in_flight
    assert core.produce_room() == 50  # they count as in flight no more
    assert core.replay.window() == (0, REPLAY_WINDOW)
    assert state(core) is State.CONNECTING and core.next_attempt_at == 0.0
    assert books.queue.held_count == 3  # still held, to be sent again


def test_reclaim_in_flight_gives_back_the_fresh_records_only() -> None:
    books = make()
    core = books.core
    core.connected()
    fresh = books.in_flight(2)
    core.sending(replay_record(4))
    assert core.reclaim_in_flight() == fresh
    assert core.in_flight_count == 0 and not core.replay.in_flight
    assert core.reclaim_in_flight() == []


def test_replace_producer_takes_everything_back_and_reconnects_later(clock: Clock) -> None:
    books = make(clock=clock)
    core = books.core
    core.connected()
    (record,) = books.in_flight(1)
    core.complete(record, OutOfOrderSequenceNumberError())
    core.process_completions()
    assert core.producer_broken
    (other,) = books.in_flight(1)
    core.replace_producer()
    assert not core.producer_broken
    assert core.take_retry() == [other]
    assert state(core) is State.DOWN and core.next_attempt_at > clock.now
    assert books.stats.last_error is not None and "idempotence" in books.stats.last_error


# -- completions -----------------------------------------------------------------------


def test_an_ack_books_sent_releases_budget_and_calls_on_success(clock: Clock) -> None:
    books = make(clock=clock)
    core = books.core
    core.went_down("x")
    (record,) = books.in_flight(1)
    clock.now += 3
    core.complete(record, None)
    assert books.stats.sent == 0  # complete() only hands over
    assert core.process_completions() == ([], [])
    assert books.stats.sent == 1 and books.stats.replayed == 0
    assert (books.queue.held_count, books.queue.held_bytes) == (0, 0)
    assert state(core) is State.UP  # an ack is the proof the broker is back
    assert books.successes == [record.event]
    assert core.in_flight_count == 0
    books.in_flight(1)
    clock.now += STALL_AFTER_S
    core.check_stall(clock.now)
    assert state(core) is State.UP  # the last ack was just now: no stall yet


def test_an_ack_of_a_replayed_row_deletes_it() -> None:
    books = make()
    core = books.core
    core.connected()
    spooled = TelemetryEvent(service_name="svc", model="from-disk")
    record = replay_record(42, spooled)
    core.sending(record)
    core.complete(record, None)
    assert core.process_completions() == ([42], [])
    assert (books.stats.sent, books.stats.replayed) == (1, 1)
    assert not core.replay.in_flight
    assert books.successes == [spooled]  # rebuilt from the payload


def test_a_retriable_error_means_down_and_the_fresh_record_goes_back_to_the_spool() -> None:
    books = make()
    core = books.core
    core.connected()
    record = books.in_flight(1)[0]
    row = replay_record(3)
    core.sending(row)
    core.complete(record, KafkaTimeoutError("expired"))
    core.complete(row, KafkaTimeoutError("expired"))
    deletes, respill = core.process_completions()
    assert (deletes, respill) == ([], [record])  # the row simply stays in the spool
    assert books.stats.failed == 2
    assert books.stats.sent == 0 and books.stats.dropped == {}
    assert state(core) is State.DOWN
    assert books.queue.held_count == 1  # held until the respill is booked
    assert not core.producer_broken
    assert books.errors == []  # not lost: no on_error


def test_a_permanent_error_drops_as_rejected_and_calls_on_error() -> None:
    books = make()
    core = books.core
    core.connected()
    record = books.in_flight(1)[0]
    row = replay_record(8)
    core.sending(row)
    too_large = MessageSizeTooLargeError("too big")
    wrapped = SendError("no", cause=MessageSizeTooLargeError("too big"))
    core.complete(record, too_large)
    core.complete(row, wrapped)
    assert core.process_completions() == ([8], [])
    assert books.stats.dropped == {DropReason.REJECTED: 2}
    assert books.stats.failed == 2
    assert books.queue.held_count == 0
    assert state(core) is State.UP  # the broker answered: it is not down
    assert [exc for _, exc in books.errors] == [too_large, wrapped]
    assert books.errors[0][0] is record.event
    assert books.stats.last_error is not None and "rejected" in books.stats.last_error


def test_an_error_that_breaks_the_producer_flags_it_for_replacement() -> None:
    books = make()
    core = books.core
    core.connected()
    record = books.in_flight(1)[0]
    core.complete(record, OutOfOrderSequenceNumberError())
    assert core.process_completions() == ([], [record])
    assert core.producer_broken
    assert state(core) is State.DOWN


def test_late_or_repeated_completions_are_ignored() -> None:
    books = make()
    core = books.core
    core.connected()
    record = books.in_flight(1)[0]
    row = replay_record(5)
    core.sending(row)
    core.reset_connection()  # the producer was replaced: these were taken back
    core.complete(record, None)
    core.complete(row, None)
    assert core.process_completions() == ([], [])
    assert books.stats.sent == 0
    assert books.successes == []
    (again,) = core.take_retry()
    core.sending(again)  # sent again by the next producer
    core.complete(record, None)
    core.complete(record, None)
    core.process_completions()
    assert books.stats.sent == 1
    assert books.queue.held_count == 0


def test_callbacks_that_raise_are_swallowed() -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("callback bug")

    books = make()
    core = books.core
    core.config = core.config.replace(on_success=boom, on_error=boom)
    core.connected()
    ok, rejected = books.in_flight(2)
    core.complete(ok, None)
    core.complete(rejected, MessageSizeTooLargeError())
    core.process_completions()
    assert books.stats.sent == 1
    assert books.stats.dropped == {DropReason.REJECTED: 1}


def test_one_batch_of_failures_is_one_failed_attempt(clock: Clock) -> None:
    books = make(retry_backoff_ms=100, retry_backoff_max_ms=10_000, clock=clock)
    core = books.core
    core.connected()
    for record in books.in_flight(20):
        core.complete(record, KafkaTimeoutError("expired"))
    core.process_completions()
    assert state(core) is State.DOWN
    assert core.next_attempt_at - clock.now <= 0.1
    # A failed attempt of the sender's own (a connect, a probe) is one more step.
    core.went_down("connect failed")
    assert 0.1 <= core.next_attempt_at - clock.now <= 0.2


# -- idle ------------------------------------------------------------------------------


def test_idle_only_when_nothing_is_held_anywhere() -> None:
    books = make()
    core = books.core
    assert not core.idle()  # the spool was not looked at yet
    core.replay.counted(0)
    assert core.idle()
    books.put(1)
    assert not core.idle()
    (record,) = core.prepare(books.queue.take(1))
    core.sending(record)
    assert not core.idle()
    core.complete(record, None)
    assert not core.idle()  # an answer not yet booked
    core.process_completions()
    assert core.idle()
    core.hold_for_retry([record])
    assert not core.idle()
    assert core.take_retry() == [record]
    core.replay.recheck()
    assert not core.idle()
    assert make(spool=False).core.idle()  # no spool: nothing to look at
    core.replay.counted(0)
    core.cycle_started()  # the sender is mid-cycle: events may be in its hands
    assert not core.idle()
    core.cycle_ended()
    assert core.idle()


def test_record_key_is_the_event_id() -> None:
    event_id = str(uuid.uuid4())
    assert Record(None, event_id, "t", b"{}", 0).key == event_id.encode()
