"""The sender's last steps for each queued item: build, ``before_send``, cost, JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sentinel_sdk._log import log_rate_limited
from sentinel_sdk._stats import DropReason
from sentinel_sdk.events import TelemetryEvent
from sentinel_sdk.exceptions import ValidationError
from sentinel_sdk.pricing import cost_filler

from .quick import Captured, Deferred

if TYPE_CHECKING:
    from sentinel_sdk.config import SentinelConfig

__all__ = ["Dropped", "Finisher"]


class Dropped(Exception):
    """An item the sender let go while finishing it: ``reason`` is a ``DropReason``."""

    def __init__(self, reason: str, error: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error  # for stats()["last_error"]


class Finisher:
    """Turns a queued item into ``(event, JSON payload)`` on the sender, or raises ``Dropped``.

    Builds captured and deferred items; runs ``before_send`` (the event may come back
    changed, so it is then checked in full again: without a hook it was fully checked
    when it was captured); fills in the cost of events that have none from the price
    table (``fill_cost``; bad ``pricing`` overrides raise ``ConfigurationError`` here,
    when the client is made); serializes.
    """

    def __init__(
        self,
        config: SentinelConfig,
        fill_cost: Callable[[TelemetryEvent], None] | None = None,
    ) -> None:
        self._config = config
        self._before_send = config.before_send
        self._fill_cost = cost_filler(config) if fill_cost is None else fill_cost

    def finish(self, item: TelemetryEvent | Captured | Deferred) -> tuple[TelemetryEvent, bytes]:
        """The event and its payload (raises ``Dropped``, logged, for one that cannot go)."""
        if isinstance(item, TelemetryEvent):
            event = item
        else:
            try:
                event = item.event(self._config)
            except Exception as exc:
                log_rate_limited("deferred", "sentinel_sdk: could not build an event: %r", exc)
                raise Dropped(
                    DropReason.INVALID, f"an integration's event could not be built: {exc}"
                ) from exc
        before_send = self._before_send
        if before_send is not None:
            event = self._hook(before_send, event)
        try:
            if event.cost_usd == 0.0:
                self._fill_cost(event)
            return event, event.to_json()
        except Exception as exc:
            log_rate_limited("invalid", "sentinel_sdk: dropped an invalid event: %s", exc)
            raise Dropped(DropReason.INVALID, f"invalid event dropped: {exc}") from exc

    def _hook(self, hook: Callable[[TelemetryEvent], Any], event: TelemetryEvent) -> TelemetryEvent:
        try:
            result = hook(event)
        except Exception as exc:
            log_rate_limited(
                "before_send",
                "sentinel_sdk: before_send raised %r; the event was dropped "
                "(counted in stats()['dropped'])",
                exc,
            )
            raise Dropped(DropReason.BEFORE_SEND_ERROR) from exc
        if result is None:
            raise Dropped(DropReason.BEFORE_SEND)
        try:
            if not isinstance(result, TelemetryEvent):
                raise ValidationError(
                    f"before_send must return a TelemetryEvent or None, got {type(result).__name__}"
                )
            result.validate()
        except ValidationError as exc:
            log_rate_limited("invalid", "sentinel_sdk: dropped an invalid event: %s", exc)
            raise Dropped(DropReason.INVALID, f"invalid event dropped: {exc}") from exc
        return result
