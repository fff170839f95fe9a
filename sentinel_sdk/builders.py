"""A fluent builder for ``TelemetryEvent``: readable construction, validated once at ``build()``.

event = (TelemetryEventBuilder()
    .service("my-service")
    .model("gpt-4")
    .prompt(text="Hello", tokens=5)
    .response(text="Hi!", tokens=10, finish_reason="stop")
    .latency(150.5)
    .cost(0.001)
    .metadata({"region": "us-east-1"})
    .build())
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ._coercion import coerce_metadata
from .events import PromptInfo, ResponseInfo, TelemetryEvent
from .exceptions import ValidationError

__all__ = ["TelemetryEventBuilder"]


class TelemetryEventBuilder:
    """Builds a ``TelemetryEvent`` step by step; every setter returns the builder.

    Nothing is checked until ``build()``, which raises ``ValidationError`` naming
    the field at fault (a missing ``model`` or ``service`` included). A builder can
    be reused: ``build()`` does not reset it, and every ``build()`` mints a new
    event id and timestamp unless they were set.
    """

    __slots__ = ("_errors", "_fields", "_metadata", "_prompt", "_response")

    def __init__(self) -> None:
        self._fields: dict[str, Any] = {}  # TelemetryEvent's own keyword arguments
        self._prompt: dict[str, Any] = {}
        self._response: dict[str, Any] = {}
        self._metadata: dict[str, str] = {}
        self._errors: list[str] = []

    def _set(self, **fields: Any) -> TelemetryEventBuilder:
        self._fields.update(fields)
        return self

    def service(self, name: str) -> TelemetryEventBuilder:
        """The service that made the call (1-255 characters)."""
        return self._set(service_name=name)

    def model(self, name: str) -> TelemetryEventBuilder:
        """The model that answered, e.g. ``"gpt-4o"``."""
        return self._set(model=name)

    def latency(self, ms: float) -> TelemetryEventBuilder:
        """How long the call took, in milliseconds (finite, >= 0)."""
        return self._set(latency_ms=ms)

    def cost(self, usd: float) -> TelemetryEventBuilder:
        """What the call cost, in US dollars (finite, >= 0)."""
        return self._set(cost_usd=usd)

    def trace(self, trace_id: str, span_id: str | None = None) -> TelemetryEventBuilder:
        """Tie the event to a distributed trace (and optionally a span)."""
        return self._set(trace_id=trace_id, span_id=span_id)

    def event_id(self, event_id: str) -> TelemetryEventBuilder:
        """Use this event id (a UUID) instead of a fresh one, e.g. to re-send an event."""
        return self._set(event_id=event_id)

    def timestamp(self, when: datetime) -> TelemetryEventBuilder:
        """When the call happened (default: the time of ``build()``); naive means UTC."""
        return self._set(timestamp=when)

    def prompt(
        self, text: str = "", tokens: int = 0, embedding: Sequence[float] | None = None
    ) -> TelemetryEventBuilder:
        """The prompt: its text (<= 100,000 characters), token count and optional embedding."""
        self._prompt = {"text": text, "tokens": tokens, "embedding": _list(embedding)}
        return self

    def response(
        self,
        text: str = "",
        tokens: int = 0,
        finish_reason: str = "unknown",
        embedding: Sequence[float] | None = None,
    ) -> TelemetryEventBuilder:
        """The response: text, token count, why generation stopped, optional embedding."""
        self._response = {
            "text": text,
            "tokens": tokens,
            "finish_reason": finish_reason,
            "embedding": _list(embedding),
        }
        return self

    def metadata(
        self, values: Mapping[str, Any] | None = None, /, **more: Any
    ) -> TelemetryEventBuilder:
        """Add metadata entries (merged with earlier ones).

        Values that are not strings are converted by ``coerce_metadata``'s rule
        (``3`` -> ``"3"``, ``True`` -> ``"true"``, objects -> compact JSON).
        """
        if values is not None and not isinstance(values, Mapping):
            raise ValidationError(
                f"metadata must be a mapping, got {type(values).__name__}", field="metadata"
            )
        self._metadata.update(coerce_metadata(values))
        self._metadata.update(coerce_metadata(more))
        return self

    def error(self, message: str) -> TelemetryEventBuilder:
        """Record an error the call ran into; may be called several times."""
        self._errors.append(message)
        return self

    def build(self) -> TelemetryEvent:
        """Validate and return the event (raises ``ValidationError`` naming the field)."""
        fields = self._fields
        if fields.get("service_name") is None:
            raise ValidationError("service is required: call .service(name)", field="service_name")
        if fields.get("model") is None:
            raise ValidationError("model is required: call .model(name)", field="model")
        return TelemetryEvent(
            **fields,
            prompt=PromptInfo(**self._prompt),
            response=ResponseInfo(**self._response),
            metadata=dict(self._metadata),
            errors=list(self._errors),
        )


def _list(values: Sequence[float] | None) -> Any:
    # Copy real sequences so later changes by the caller do not leak in; anything
    # else goes to validation as it is, to be rejected with a ValidationError.
    return list(values) if isinstance(values, (list, tuple)) else values
