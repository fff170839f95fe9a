"""The replay books: what the sender knows of the disk spool it replays.

Whether the spool may hold events this process should replay (``pending``;
``None`` until the first look, since an earlier process may have left some),
where the next read starts, and which spooled rows are in flight. Part of the
delivery books (``DeliveryCore.replay``); no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._records import Record

if TYPE_CHECKING:
    from ._spool import SpoolRow

__all__ = ["REPLAY_WINDOW", "ReplayBooks"]

REPLAY_WINDOW = 500
"""Most spooled events in flight at once during replay."""


class ReplayBooks:
    """The spool's side of the sender's books (see the module docstring)."""

    __slots__ = ("_after", "_in_flight", "pending")

    def __init__(self, spool_enabled: bool) -> None:
        self.pending: bool | None = None if spool_enabled else False
        self._after = 0  # the next read starts after this sequence number
        self._in_flight: set[int] = set()

    def counted(self, events: int) -> None:
        """The spool holds ``events`` events (as counted now, by every process)."""
        self.pending = events > 0
        if self.pending:
            self._after = 0  # rows an earlier pass left behind: go again

    def spilled(self) -> None:
        """Events were written to the spool."""
        self.pending = True

    def recheck(self) -> None:
        """Look at the spool again (another process was replaying it)."""
        self.pending = True

    def replayed_elsewhere(self) -> None:
        """Another process holds the spool's replay lock: it replays, not this one."""
        self.pending = False

    def restart(self) -> None:
        """Read from the oldest row again (the connection went down or was replaced)."""
        self._after = 0

    @property
    def in_flight(self) -> int:
        """Replayed rows handed to the producer and not answered yet."""
        return len(self._in_flight)

    def window(self) -> tuple[int, int]:
        """``(after_seq, limit)`` of the next spool rows to replay."""
        return self._after, REPLAY_WINDOW - len(self._in_flight)

    def wants_more(self) -> bool:
        """Something to replay, and room in the window for it."""
        return self.pending is True and len(self._in_flight) < REPLAY_WINDOW // 2

    def batch(self, rows: Iterable[SpoolRow]) -> list[Record]:
        """Records for spool rows not in flight yet; the next read starts after them."""
        records = [
            Record(None, row.event_id, row.topic, row.payload, 0, row.seq)
            for row in rows
            if row.seq not in self._in_flight
        ]
        if records:
            self._after = records[-1].seq or 0
        return records

    def sending(self, seq: int) -> None:
        self._in_flight.add(seq)

    def landed(self, seq: int) -> None:
        self._in_flight.discard(seq)

    def taken_back(self) -> None:
        """The producer is gone: none of its replayed rows is in flight any more (they are
        still in the spool, to be read again)."""
        self._in_flight.clear()
