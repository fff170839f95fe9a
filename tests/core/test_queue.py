"""The bounded in-memory queue (``sentinel_sdk._queue.EventQueue``).

One budget by count and by bytes covers waiting *and* in-flight items; ``put``
never blocks and says False past the budget; ``release`` gives budget back; the
sender is woken only when it sleeps or when a burst passes half the count budget.
"""

from __future__ import annotations

import threading

from sentinel_sdk._queue import EventQueue


class Waker:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def make(max_count: int = 10, max_bytes: int = 1000) -> tuple[EventQueue[str], Waker]:
    wake = Waker()
    return EventQueue(max_count, max_bytes, wake), wake


def test_put_and_take_are_fifo_and_take_respects_the_limit() -> None:
    queue, _ = make()
    for i in range(5):
        assert queue.put(f"e{i}", 10)
    assert queue.waiting == 5
    assert queue.take(2) == [("e0", 10), ("e1", 10)]
    assert queue.take(10) == [("e2", 10), ("e3", 10), ("e4", 10)]
    assert queue.take(10) == []
    assert queue.waiting == 0


def test_count_budget_refuses_past_max_count_without_counting() -> None:
    queue, _ = make(max_count=3)
    assert all(queue.put(i, 1) for i in ("a", "b", "c"))
    assert not queue.put("d", 1)
    assert (queue.accepted, queue.held_count, queue.waiting) == (3, 3, 3)


def test_byte_budget_allows_exactly_max_bytes_and_no_more() -> None:
    queue, _ = make(max_count=100, max_bytes=100)
    assert queue.put("a", 60)
    assert not queue.put("b", 41)
    assert queue.put("b", 40)  # exactly at the bound
    assert not queue.put("c", 1)
    assert (queue.held_bytes, queue.accepted) == (100, 2)
    empty, _ = make(max_bytes=100)
    assert not empty.put("huge", 101)  # larger than the whole budget: never fits


def test_taken_items_stay_in_the_budget_until_released() -> None:
    queue, _ = make(max_count=2, max_bytes=1000)
    queue.put("a", 100)
    queue.put("b", 200)
    taken = queue.take(2)  # now "in flight"
    assert queue.waiting == 0
    assert (queue.held_count, queue.held_bytes) == (2, 300)
    assert not queue.put("c", 1)
    queue.release(1, 100)
    assert (queue.held_count, queue.held_bytes) == (1, 200)
    assert queue.put("c", 1)
    queue.release(2, sum(size for _, size in taken[1:]) + 1)
    assert (queue.held_count, queue.held_bytes) == (0, 0)
    assert queue.accepted == 3  # accepted counts every successful put, ever


def test_put_front_returns_items_ahead_of_the_rest_in_order_without_recounting() -> None:
    queue, _ = make()
    for name in ("a", "b", "c", "d"):
        queue.put(name, 5)
    taken = queue.take(2)
    queue.put("e", 5)
    queue.put_front(taken)
    assert (queue.held_count, queue.held_bytes, queue.accepted) == (5, 25, 5)
    assert [item for item, _ in queue.take(10)] == ["a", "b", "c", "d", "e"]


def test_fill_is_the_larger_of_count_and_bytes() -> None:
    queue, _ = make(max_count=10, max_bytes=1000)
    assert queue.fill == 0.0
    queue.put("a", 500)
    assert queue.fill == 0.5
    for _ in range(7):
        queue.put("x", 1)
    assert queue.fill == 0.8  # 8 of 10 by count, 507 of 1000 by bytes


def test_wakes_only_when_the_sender_sleeps_or_past_half_the_count() -> None:
    queue, wake = make(max_count=10)
    for _ in range(5):  # up to half: a busy sender polls, nobody is woken
        queue.put("e", 1)
    assert wake.calls == 0
    queue.put("e", 1)  # 6 of 10: a burst, wake it
    assert wake.calls == 1
    queue.put("e", 1)
    assert wake.calls == 2

    asleep, wake = make(max_count=10)
    asleep.sender_asleep = True
    asleep.put("e", 1)
    assert wake.calls == 1
    asleep.sender_asleep = False
    asleep.put("e", 1)
    assert wake.calls == 1


def test_a_refused_put_wakes_nobody() -> None:
    queue, wake = make(max_count=1, max_bytes=1000)
    queue.sender_asleep = True
    queue.put("a", 1)
    calls = wake.calls
    assert not queue.put("b", 1)
    assert wake.calls == calls


def test_concurrent_puts_never_overshoot_the_budget() -> None:
    queue, _ = make(max_count=5000, max_bytes=10**9)
    results: list[int] = []
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        results.append(sum(queue.put("e", 7) for _ in range(2000)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == queue.accepted == queue.held_count == queue.waiting == 5000
    assert queue.held_bytes == 5000 * 7


def test_reset_after_fork_starts_empty_with_the_new_wake_hook() -> None:
    queue, old_wake = make(max_count=10)
    for _ in range(8):
        queue.put("parent", 3)
    queue.sender_asleep = True
    old_lock = queue._lock
    new_wake = Waker()
    queue.reset_after_fork(new_wake)
    assert (queue.waiting, queue.held_count, queue.held_bytes, queue.accepted) == (0, 0, 0, 0)
    assert queue.sender_asleep is False
    assert queue._lock is not old_lock
    calls = old_wake.calls
    for _ in range(6):
        queue.put("child", 1)
    assert new_wake.calls == 1 and old_wake.calls == calls
