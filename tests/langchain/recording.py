"""A client that keeps the events it is given instead of sending them.

The SDK's own ``InMemoryClient``: events go through the core's real capture path
(validation, request scope, the deferred build on the sender's preparation step,
pricing by ``sentinel_sdk.pricing``, serialization) and are kept in ``events``. For
unit tests only: tests that claim delivery use the real broker.
"""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]

from sentinel_sdk import TelemetryEvent, json_schema
from sentinel_sdk.testing import InMemoryClient

__all__ = ["RecordingClient", "assert_wire_valid"]


class RecordingClient(InMemoryClient):
    """Keeps every event it would have sent, priced, in ``events``."""

    def __init__(self, spool_dir: str, **options: Any) -> None:
        super().__init__(**options)

    def one(self) -> TelemetryEvent:
        """The single event captured (fails if there is not exactly one)."""
        assert len(self.events) == 1, [e.model for e in self.events]
        assert_wire_valid(self.events[0])
        return self.events[0]


def assert_wire_valid(event: TelemetryEvent) -> None:
    """The event's wire form validates against the shipped JSON Schema."""
    import json

    jsonschema.validate(json.loads(event.to_json()), json_schema())
