"""``RecordingClient``: the SDK's own in-memory client, for framework tests.

Framework tests read the events an integration produced without a broker: each event
goes through the real capture path (fields validated, request scope merged, deferred
events built, priced, serialized) and is kept in ``events`` instead of being sent.
"""

from __future__ import annotations

from typing import Any

from sentinel_sdk.testing import InMemoryClient

__all__ = ["RecordingClient"]


class RecordingClient(InMemoryClient):
    """Keeps each captured event in ``events`` (thread-safe); sends nothing."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
