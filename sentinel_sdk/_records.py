"""``Record``: one serialized event on its way to the broker, fresh or from the spool."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import TelemetryEvent

__all__ = ["Record"]


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
