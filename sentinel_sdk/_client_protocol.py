"""``Client``: what an integration (or app code) may call on any client.

``SentinelClient``, ``AsyncSentinelClient`` and the in-memory test clients all
provide it, and so can a stand-in of your own. Only synchronous calls are in it:
they work the same on the sync and async clients, from any thread, and never
wait on the network. ``flush`` / ``close`` differ between the two kinds (the
async client's are coroutines), so they are not part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from typing_extensions import Unpack

if TYPE_CHECKING:
    from ._assembly import TrackFields
    from ._stats import ClientStats
    from .config import SentinelConfig
    from .events import TelemetryEvent

__all__ = ["Client"]


@runtime_checkable
class Client(Protocol):
    """The calls an integration may make on any client (see the module docstring)."""

    @property
    def config(self) -> SentinelConfig:
        """The client's configuration (``capture_content`` tells whether to keep texts)."""
        ...

    @property
    def closed(self) -> bool:
        """True once the client was closed (later events are dropped and counted)."""
        ...

    def track_nowait(self, **fields: Unpack[TrackFields]) -> str:
        """Capture one LLM call from ``track()`` fields; returns its event id at once."""
        ...

    def send_nowait(self, event: TelemetryEvent) -> str:
        """Queue an event built elsewhere; returns its id at once."""
        ...

    def track_later(self, build: Callable[..., Mapping[str, Any]], *args: Any) -> None:
        """Capture an event whose ``track()`` fields ``build(*args)`` returns, on the sender."""
        ...

    def stats(self) -> ClientStats:
        """A snapshot of the client's counters."""
        ...
