"""The bounded in-memory queue between the caller's thread and the sender.

One budget, by count and by bytes, covers every event the client holds in
memory: waiting here *and* handed to the producer but not yet acknowledged.
``put`` never blocks and never touches I/O: when the budget is spent it
returns ``False`` and the caller counts a drop. The sender spills waiting
events to the disk spool long before that when the broker is unreachable.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["EventQueue"]

T = TypeVar("T")


class EventQueue(Generic[T]):
    """FIFO of ``(item, size)`` with a shared count / bytes budget and a wake-up hook."""

    __slots__ = (
        "_items",
        "_lock",
        "_wake",
        "accepted",
        "held_bytes",
        "held_count",
        "max_bytes",
        "max_count",
        "sender_asleep",
    )

    def __init__(self, max_count: int, max_bytes: int, wake: Callable[[], None]) -> None:
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._wake = wake
        self._items: deque[tuple[T, int]] = deque()
        self._lock = threading.Lock()
        self.held_count = 0  # waiting + in flight
        self.held_bytes = 0
        self.accepted = 0  # every put() that succeeded, ever
        # Set by the sender while it sleeps without a timeout. Only then does put()
        # wake it: a wake-up is a futex syscall (several µs here), so a busy sender
        # polls instead of being woken by every event.
        self.sender_asleep = False

    def put(self, item: T, size: int) -> bool:
        """Append ``item`` if the budget allows; never blocks.

        Wakes the sender if it is asleep, or if the budget is half used (a burst).
        """
        with self._lock:
            if self.held_count >= self.max_count or self.held_bytes + size > self.max_bytes:
                return False
            self.held_count += 1
            self.held_bytes += size
            self.accepted += 1
            self._items.append((item, size))
            urgent = self.held_count > self.max_count >> 1 or self.held_bytes > self.max_bytes >> 1
        if self.sender_asleep or urgent:
            self._wake()
        return True

    def has_room(self, size: int) -> bool:
        """Would ``put`` take an item of ``size`` now? (A hint: another thread may race.)"""
        return self.held_count < self.max_count and self.held_bytes + size <= self.max_bytes

    def put_front(self, items: list[tuple[T, int]]) -> None:
        """Return items the sender took but could not place (already counted in the budget)."""
        with self._lock:
            self._items.extendleft(reversed(items))

    def take(self, limit: int) -> list[tuple[T, int]]:
        """Remove and return up to ``limit`` waiting items; they stay in the budget.

        Takes no lock: ``deque`` appends and pops are atomic, ``put`` only appends on the
        right, and one consumer takes at a time (the sender). A lock held across this
        loop could be held while the thread is switched out, and a ``put`` meeting it
        would wait for the sender's next GIL slice: milliseconds on the caller's thread.
        """
        pop = self._items.popleft
        taken: list[tuple[T, int]] = []
        for _ in range(min(limit, len(self._items))):
            try:
                taken.append(pop())
            except IndexError:  # emptied by another consumer (a flush racing a close)
                break
        return taken

    def release(self, count: int, size: int) -> None:
        """Give budget back once items are acknowledged, spooled or dropped."""
        with self._lock:
            self.held_count -= count
            self.held_bytes -= size

    @property
    def waiting(self) -> int:
        """Items waiting for the sender (not yet handed to the producer)."""
        return len(self._items)

    @property
    def fill(self) -> float:
        """How much of the budget is used, 0.0 to 1.0 (the larger of count and bytes)."""
        return max(self.held_count / self.max_count, self.held_bytes / self.max_bytes)

    def reset_after_fork(self, wake: Callable[[], None]) -> None:
        """In a forked child: start empty (the parent delivers what it held)."""
        self._lock = threading.Lock()
        self._items = deque()
        self.held_count = 0
        self.held_bytes = 0
        self.accepted = 0
        self.sender_asleep = False
        self._wake = wake
