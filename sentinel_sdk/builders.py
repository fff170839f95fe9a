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

from ._validation import coerce_metadata
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

    __slots__ = (
        "_cost",
        "_errors",
        "_event_id",
        "_latency",
        "_metadata",
        "_model",
        "_prompt",
        "_response",
        "_service",
        "_span_id",
        "_timestamp",
        "_trace_id",
    )

    def __init__(self) -> None:
        self._service: str | None = None
        self._model: str | None = None
        self._prompt: dict[str, Any] = {}
        self._response: dict[str, Any] = {}
        self._latency: float = 0.0
        self._cost: float = 0.0
        self._metadata: dict[str, str] = {}
        self._errors: list[str] = []
        self._trace_id: str | None = None
        self._span_id: str | None = None
        self._event_id: str | None = None
        self._timestamp: datetime | None = None

    def service(self, name: str) -> TelemetryEventBuilder:
        """The service that made the call (1-255 characters)."""
        self._service = name
        return self

    def model(self, name: str) -> TelemetryEventBuilder:
        """The model that answered, e.g. ``"gpt-4o"``."""
        self._model = name
        return self

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

    def latency(self, ms: float) -> TelemetryEventBuilder:
        """How long the call took, in milliseconds (finite, >= 0)."""
        self._latency = ms
        return self

    def cost(self, usd: float) -> TelemetryEventBuilder:
        """What the call cost, in US dollars (finite, >= 0)."""
        self._cost = usd
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

    def trace(self, trace_id: str, span_id: str | None = None) -> TelemetryEventBuilder:
        """Tie the event to a distributed trace (and optionally a span)."""
        self._trace_id = trace_id
        self._span_id = span_id
        return self

    def error(self, message: str) -> TelemetryEventBuilder:
        """Record an error the call ran into; may be called several times."""
        self._errors.append(message)
        return self

    def event_id(self, event_id: str) -> TelemetryEventBuilder:
        """Use this event id (a UUID) instead of a fresh one, e.g. to re-send an event."""
        self._event_id = event_id
        return self

    def timestamp(self, when: datetime) -> TelemetryEventBuilder:
        """When the call happened (default: the time of ``build()``); naive means UTC."""
        self._timestamp = when
        return self

    def build(self) -> TelemetryEvent:
        """Validate and return the event (raises ``ValidationError`` naming the field)."""
        if self._service is None:
            raise ValidationError("service is required: call .service(name)", field="service_name")
        if self._model is None:
            raise ValidationError("model is required: call .model(name)", field="model")
        extra: dict[str, Any] = {}
        if self._event_id is not None:
            extra["event_id"] = self._event_id
        if self._timestamp is not None:
            extra["timestamp"] = self._timestamp
        return TelemetryEvent(
            service_name=self._service,
            model=self._model,
            prompt=PromptInfo(**self._prompt),
            response=ResponseInfo(**self._response),
            latency_ms=self._latency,
            cost_usd=self._cost,
            metadata=dict(self._metadata),
            errors=list(self._errors),
            trace_id=self._trace_id,
            span_id=self._span_id,
            **extra,
        )


def _list(values: Sequence[float] | None) -> Any:
    # Copy real sequences so later changes by the caller do not leak in; anything
    # else goes to validation as it is, to be rejected with a ValidationError.
    return list(values) if isinstance(values, (list, tuple)) else values
