"""``RecordingClient``: a real ``SentinelClient`` that keeps the events it would queue.

Framework tests read the events an integration produced without a broker: the
event is built exactly as for delivery (fields validated, request scope merged)
and kept in ``events`` instead of going to the sender.
"""

from __future__ import annotations

import threading
from typing import Any

from sentinel_sdk import SentinelClient, TelemetryEvent

__all__ = ["RecordingClient"]


class RecordingClient(SentinelClient):
    """Keeps each captured event in ``events`` (thread-safe); sends nothing."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("spool_enabled", False)
        options.setdefault("brokers", ["127.0.0.1:1"])
        super().__init__(**options)
        self.events: list[TelemetryEvent] = []
        self._events_lock = threading.Lock()

    def _enqueue(self, event: TelemetryEvent, *_: Any) -> str:
        with self._events_lock:
            self.events.append(event)
        return event.event_id
