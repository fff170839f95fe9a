"""A real ``SentinelClient`` that keeps the events it is given instead of sending them.

Events go through the core's own capture path (``track_nowait``: validation, request
scope merge) up to the in-memory queue (``_enqueue``, replaced here); they are priced by
the real ``sentinel_sdk.pricing.cost_filler`` as the sender would price them, and kept
in ``events``. For unit tests only: tests
that claim delivery use the real broker.
"""

from __future__ import annotations

import threading
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from sentinel_sdk import SentinelClient, TelemetryEvent, json_schema
from sentinel_sdk.pricing import cost_filler

__all__ = ["RecordingClient", "assert_wire_valid"]


class RecordingClient(SentinelClient):
    """Keeps every event it would have queued, priced, in ``events``."""

    def __init__(self, spool_dir: str, **options: Any) -> None:
        super().__init__(enabled=True, spool_enabled=False, spool_dir=spool_dir, **options)
        self.events: list[TelemetryEvent] = []
        self._fill = cost_filler(self.config)
        self._keep = threading.Lock()

    def _enqueue(self, event: TelemetryEvent, *_: Any) -> str:
        event.validate()
        if self._fill is not None and event.cost_usd == 0.0:
            self._fill(event)
        with self._keep:
            self.events.append(event)
        return event.event_id

    def one(self) -> TelemetryEvent:
        """The single event captured (fails if there is not exactly one)."""
        assert len(self.events) == 1, [e.model for e in self.events]
        assert_wire_valid(self.events[0])
        return self.events[0]


def assert_wire_valid(event: TelemetryEvent) -> None:
    """The event's wire form validates against the shipped JSON Schema."""
    import json

    jsonschema.validate(json.loads(event.to_json()), json_schema())
