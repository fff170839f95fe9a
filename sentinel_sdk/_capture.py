"""Caller-side capture: turn ``track()`` fields into a validated event, cheaply.

Runs on the application's thread for every call, so it does no I/O and
allocates little: texts are cut or stripped per config, the request scope is
merged, and the event is validated (misuse raises ``ValidationError`` here, at
the call site, not later on the sender).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypedDict

from ._ids import new_event_id, new_span_id
from ._validation import coerce_metadata
from .config import SentinelConfig
from .events import PromptInfo, ResponseInfo, TelemetryEvent
from .exceptions import ValidationError
from .scope import trace_context

__all__ = ["TrackFields", "build_event", "estimate_size", "prepare_sent_event", "sampled"]

_TRUNCATED_KEY = "sentinel.truncated"
_U64 = 2**64


class TrackFields(TypedDict, total=False):
    """Keyword arguments of ``track()``. Only ``model`` is required."""

    model: str
    prompt: str | PromptInfo
    response: str | ResponseInfo
    prompt_tokens: int
    response_tokens: int
    finish_reason: str
    latency_ms: float
    cost_usd: float
    metadata: Mapping[str, Any]
    errors: Sequence[str]
    trace_id: str
    span_id: str
    service_name: str
    event_id: str
    timestamp: datetime


_FIELDS = frozenset(TrackFields.__annotations__)


def _fit_text(text: str, part: str, config: SentinelConfig, truncated: list[str]) -> str:
    if not config.capture_content:
        return ""
    if len(text) > config.max_text_length:
        if not config.truncate_text:
            raise ValidationError(
                f"{part}.text has {len(text)} characters; the maximum is "
                f"{config.max_text_length} (set truncate_text=True to cut instead)",
                field=f"{part}.text",
            )
        truncated.append(part)
        return text[: config.max_text_length]
    return text


def build_event(config: SentinelConfig, fields: Mapping[str, Any]) -> TelemetryEvent:
    """A validated event from ``track()`` keyword arguments, with the request scope merged."""
    if not fields.keys() <= _FIELDS:
        unknown = sorted(set(fields) - _FIELDS)
        raise ValidationError(
            f"track() got unknown field(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_FIELDS))}"
        )
    model = fields.get("model")
    if model is None:
        raise ValidationError("model is required: track(model='gpt-4o', ...)", field="model")
    truncated: list[str] = []
    prompt = _prompt(fields, config, truncated)
    response = _response(fields, config, truncated)

    trace_id, span_id, scope = trace_context()
    metadata = fields.get("metadata")
    if scope is not None:
        merged = dict(scope.metadata)
        if metadata:
            merged.update(coerce_metadata(metadata))
    else:
        merged = coerce_metadata(metadata) if metadata else {}
    if truncated:
        merged[_TRUNCATED_KEY] = ",".join(truncated)
    errors = fields.get("errors")
    return TelemetryEvent(
        service_name=fields.get("service_name") or config.service_name,
        model=model,
        prompt=prompt,
        response=response,
        latency_ms=fields.get("latency_ms", 0.0),
        cost_usd=fields.get("cost_usd", 0.0),
        metadata=merged,
        errors=list(errors) if errors else [],
        trace_id=fields.get("trace_id") or trace_id,
        span_id=fields.get("span_id") or span_id,
        event_id=fields.get("event_id") or new_event_id(),
        timestamp=fields.get("timestamp") or datetime.now(timezone.utc),
    )


def _prompt(fields: Mapping[str, Any], config: SentinelConfig, truncated: list[str]) -> PromptInfo:
    value = fields.get("prompt", "")
    if isinstance(value, PromptInfo):
        if "prompt_tokens" in fields:
            raise ValidationError(
                "give prompt_tokens or a PromptInfo with tokens, not both", field="prompt_tokens"
            )
        text = _fit_text(value.text, "prompt", config, truncated)
        return value if text is value.text else PromptInfo(text, value.tokens, value.embedding)
    if not isinstance(value, str):
        raise ValidationError(
            f"prompt must be a string or a PromptInfo, got {type(value).__name__}", field="prompt"
        )
    return PromptInfo(_fit_text(value, "prompt", config, truncated), fields.get("prompt_tokens", 0))


def _response(
    fields: Mapping[str, Any], config: SentinelConfig, truncated: list[str]
) -> ResponseInfo:
    value = fields.get("response", "")
    if isinstance(value, ResponseInfo):
        for name in ("response_tokens", "finish_reason"):
            if name in fields:
                raise ValidationError(f"give {name} or a ResponseInfo, not both", field=name)
        text = _fit_text(value.text, "response", config, truncated)
        if text is value.text:
            return value
        return ResponseInfo(text, value.tokens, value.finish_reason, value.embedding)
    if not isinstance(value, str):
        raise ValidationError(
            f"response must be a string or a ResponseInfo, got {type(value).__name__}",
            field="response",
        )
    return ResponseInfo(
        _fit_text(value, "response", config, truncated),
        fields.get("response_tokens", 0),
        fields.get("finish_reason", "unknown"),
    )


def prepare_sent_event(config: SentinelConfig, event: TelemetryEvent) -> TelemetryEvent:
    """For ``send(event)``: a copy with texts fitted and the request scope merged where unset.

    The caller's object is never changed.
    """
    if not isinstance(event, TelemetryEvent):
        raise ValidationError(
            f"send() takes a TelemetryEvent, got {type(event).__name__}; use track(**fields) "
            "for keyword arguments"
        )
    out = copy.copy(event)
    truncated: list[str] = []
    prompt_text = _fit_text(event.prompt.text, "prompt", config, truncated)
    if prompt_text is not event.prompt.text:
        out.prompt = PromptInfo(prompt_text, event.prompt.tokens, event.prompt.embedding)
    response_text = _fit_text(event.response.text, "response", config, truncated)
    if response_text is not event.response.text:
        r = event.response
        out.response = ResponseInfo(response_text, r.tokens, r.finish_reason, r.embedding)
    trace_id, span_id, scope = trace_context()
    if scope is not None or truncated:
        out.metadata = {**(scope.metadata if scope is not None else {}), **event.metadata}
        if truncated:
            out.metadata[_TRUNCATED_KEY] = ",".join(truncated)
    if out.trace_id is None:
        out.trace_id = trace_id
        if out.span_id is None:
            out.span_id = span_id if scope is None else new_span_id()
    return out


def sampled(rate: float, trace_id: str | None, event_id: str) -> bool:
    """Keep this event? Decided per trace id, so all calls of one request go together.

    W3C trace ids use their low 64 bits (as OpenTelemetry's ratio sampler does), so a
    trace sampled here is sampled in every process that sees the same id. Other ids
    use a stable hash (not ``hash()``, which differs between processes).
    """
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    key = trace_id or event_id
    try:
        low = int(key[-16:], 16) if len(key) >= 16 else -1
    except ValueError:
        low = -1
    if low < 0:
        import zlib

        low = zlib.crc32(key.encode()) << 32
    return low < rate * _U64


def estimate_size(event: TelemetryEvent) -> int:
    """Bytes of memory an event holds while queued and in flight, roughly.

    Calibrated against tracemalloc: the event object, its JSON payload and the
    producer's buffered copy each hold the texts once; 1.5 KB covers the objects.
    """
    size = 1536 + 3 * (len(event.prompt.text) + len(event.response.text))
    if event.metadata:
        size += 3 * sum(len(k) + len(v) + 100 for k, v in event.metadata.items())
    if event.prompt.embedding:
        size += 48 * len(event.prompt.embedding)
    if event.response.embedding:
        size += 48 * len(event.response.embedding)
    return size
