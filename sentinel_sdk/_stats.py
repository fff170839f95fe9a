"""Honest counters: what happened to every event a client was given.

Every event accepted by ``track()``/``send()`` ends in exactly one of: ``sent``
(acknowledged by the broker, first try or from the spool), ``dropped[reason]``
(the SDK had to let it go, and says why), ``sampled_out``, or is still held
(``queue_depth``, ``in_flight``, ``spool_events``). ``spooled`` and ``replayed``
count passages through the disk spool; ``retried`` counts re-sends after a
failed attempt; ``failed`` counts delivery attempts that failed.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import TypedDict

__all__ = ["ClientStats", "DropReason", "Stats"]


class DropReason:
    """Why an event was let go (keys of ``stats()["dropped"]``)."""

    QUEUE_FULL = "queue_full"  # memory budget exhausted faster than the sender could spill
    SPOOL_FULL = "spool_full"  # broker unreachable and the spool at spool_max_bytes
    SPOOL_DISABLED = "spool_disabled"  # broker unreachable, spool off, memory full
    BEFORE_SEND = "before_send"  # the before_send hook returned None
    BEFORE_SEND_ERROR = "before_send_error"  # the before_send hook raised
    INVALID = "invalid"  # failed validation on the sender (changed after capture)
    REJECTED = "rejected"  # the broker refused it for good (e.g. message too large)
    CLOSED = "closed"  # tracked after close()
    SHUTDOWN = "shutdown"  # could be neither delivered nor spooled before exit


class ClientStats(TypedDict):
    """A snapshot of a client's counters (``client.stats()``)."""

    queued: int
    sent: int
    failed: int
    retried: int
    spooled: int
    replayed: int
    dropped: dict[str, int]
    dropped_total: int
    sampled_out: int
    queue_depth: int
    in_flight: int
    spool_events: int
    spool_bytes: int
    connected: bool
    last_error: str | None


class Stats:
    """Mutable counters. Caller-thread counters are guarded by a lock; the rest are
    written by the sender alone and read without one (ints are atomic to read)."""

    __slots__ = (
        "_lock",
        "dropped",
        "failed",
        "last_error",
        "replayed",
        "retried",
        "sampled_out",
        "sent",
        "spooled",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0
        self.retried = 0
        self.spooled = 0
        self.replayed = 0
        self.sampled_out = 0
        self.dropped: Counter[str] = Counter()
        self.last_error: str | None = None

    def drop(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.dropped[reason] += n

    def sample_out(self) -> None:
        with self._lock:
            self.sampled_out += 1
