"""The full build: ``track()`` fields checked and made into an event; ``send()``'s copy."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypedDict

from sentinel_sdk import _validation as v
from sentinel_sdk._coercion import coerce_metadata
from sentinel_sdk._ids import new_event_id, new_span_id
from sentinel_sdk._scope_context import CapturedContext, trace_context
from sentinel_sdk.events import PromptInfo, ResponseInfo, TelemetryEvent, _unchecked
from sentinel_sdk.exceptions import ValidationError
from sentinel_sdk.metadata_keys import SENTINEL_TRUNCATED

if TYPE_CHECKING:
    from sentinel_sdk.config import SentinelConfig

__all__ = [
    "BASE_SIZE",
    "TrackFields",
    "build_event",
    "copy_for_send",
    "estimate_size",
    "merge_metadata",
    "metadata_size",
    "new_event",
    "new_prompt",
    "new_response",
]

BASE_SIZE = 1536
"""Memory an event holds besides its texts and metadata, roughly (see ``estimate_size``)."""
_ENTRY_SIZE = 300
new_event = _unchecked(TelemetryEvent)
new_prompt = _unchecked(PromptInfo)
new_response = _unchecked(ResponseInfo)
_utc = timezone.utc


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


def build_event(
    config: SentinelConfig,
    fields: Mapping[str, Any],
    context: CapturedContext | None = None,
    when: float | None = None,
) -> tuple[TelemetryEvent, int]:
    """A validated event from ``track()`` keyword arguments, with the request scope merged,
    and its memory estimate (see ``estimate_size``).

    Every value the caller gave is checked exactly once, here; values the SDK makes
    itself (ids, timestamp, the configured service name, coerced metadata) are not
    checked again. ``context`` and ``when`` are those of a deferred capture.
    """
    if not fields.keys() <= _FIELDS:
        unknown = sorted(set(fields) - _FIELDS)
        raise ValidationError(
            f"track() got unknown field(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_FIELDS))}"
        )
    get = fields.get
    model = get("model")
    if model is None:
        raise ValidationError("model is required: track(model='gpt-4o', ...)", field="model")
    model = v.check_str(model, "model", min_len=1)
    truncated: list[str] = []
    prompt = _part(fields, "prompt", config, truncated)
    response = _part(fields, "response", config, truncated)
    if context is None:
        trace_id, span_id, scope = trace_context()
        scope_metadata = None if scope is None else scope.metadata
    else:
        trace_id, span_id, scope_metadata = context
    metadata = get("metadata")
    merged = merge_metadata(scope_metadata, None if metadata is None else coerce_metadata(metadata))
    if truncated:
        merged[SENTINEL_TRUNCATED] = ",".join(truncated)
    event = new_event(
        service_name=_given(get, "service_name", config.service_name, v.check_service_name),
        model=model,
        prompt=prompt,
        response=response,
        latency_ms=_given(get, "latency_ms", 0.0, v.check_non_negative),
        cost_usd=_given(get, "cost_usd", 0.0, v.check_non_negative),
        metadata=merged,
        errors=_given(get, "errors", None, v.check_str_list) or [],
        trace_id=_given(get, "trace_id", trace_id, v.check_str),
        span_id=_given(get, "span_id", span_id, v.check_str),
        event_id=_given(get, "event_id", None, v.check_event_id) or new_event_id(),
        timestamp=_given(get, "timestamp", None, v.check_timestamp) or _datetime(when),
    )
    size = BASE_SIZE + 3 * (len(prompt.text) + len(response.text)) + metadata_size(merged)
    if prompt.embedding or response.embedding:
        size = estimate_size(event)
    return event, size


def _given(get: Callable[[str], Any], name: str, default: Any, check: Callable[..., Any]) -> Any:
    value = get(name)
    return default if value is None else check(value, name)


def _datetime(when: float | None) -> datetime:
    # A deferred event is dated when it was handed over (time.time() then), not now.
    return datetime.now(_utc) if when is None else datetime.fromtimestamp(when, _utc)


def _part(
    fields: Mapping[str, Any], part: str, config: SentinelConfig, truncated: list[str]
) -> PromptInfo | ResponseInfo:
    """The prompt or response of ``track()`` fields: a string plus its own fields, or an
    already built ``PromptInfo`` / ``ResponseInfo`` (then without them)."""
    value = fields.get(part, "")
    kind = PromptInfo if part == "prompt" else ResponseInfo
    own = ("prompt_tokens",) if part == "prompt" else ("response_tokens", "finish_reason")
    if isinstance(value, kind):
        for name in own:
            if name in fields:
                raise ValidationError(
                    f"give {name} or a {kind.__name__} with it, not both", field=name
                )
        built = copy.copy(value)
        built.validate()
        built.text = _fit_text(built.text, part, config, truncated)
        return built
    if not isinstance(value, str):
        raise ValidationError(
            f"{part} must be a string or a {kind.__name__}, got {type(value).__name__}",
            field=part,
        )
    if type(value) is not str:
        value = str.__str__(value)  # a str subclass: keep its text
    text = _fit_text(value, part, config, truncated)
    tokens = fields.get(own[0])
    tokens = 0 if tokens is None else v.check_tokens(tokens, f"{part}.tokens")
    if part == "prompt":
        return new_prompt(text=text, tokens=tokens)
    finish = fields.get("finish_reason")
    finish = "unknown" if finish is None else v.check_str(finish, "response.finish_reason")
    return new_response(text=text, tokens=tokens, finish_reason=finish)


def _fit_text(text: str, part: str, config: SentinelConfig, truncated: list[str]) -> str:
    """A text as the config keeps it: emptied, as it is, cut or rejected (also when it is
    not valid Unicode: only a text that is kept must be writable as UTF-8)."""
    if not config.capture_content:
        return ""
    if not v.is_plain_str(text):
        v.check_str(text, f"{part}.text")
    limit = config.max_text_length
    if len(text) <= limit:
        return text
    if not config.truncate_text:
        raise ValidationError(
            f"{part}.text has {len(text)} characters; the maximum is "
            f"{limit} (set truncate_text=True to cut instead)",
            field=f"{part}.text",
        )
    truncated.append(part)
    return text[:limit]


def merge_metadata(
    scope: Mapping[str, str] | None, own: Mapping[str, str] | None
) -> dict[str, str]:
    """The request scope's metadata with the call's own on top (a new dict)."""
    if scope is None:
        return {} if own is None else dict(own)
    return {**scope, **own} if own else dict(scope)


def metadata_size(metadata: Mapping[str, str]) -> int:
    return _ENTRY_SIZE * len(metadata) + 3 * sum(map(len, metadata.values()))


def estimate_size(event: TelemetryEvent) -> int:
    """Bytes of memory an event holds while queued and in flight, roughly.

    The event object, its JSON payload and the producer's buffered copy each hold
    the texts once; a fixed part covers the objects, one per metadata entry more.
    """
    size = (
        BASE_SIZE
        + 3 * (len(event.prompt.text) + len(event.response.text))
        + metadata_size(event.metadata)
    )
    for embedding in (event.prompt.embedding, event.response.embedding):
        if embedding:
            size += 48 * len(embedding)
    return size


def copy_for_send(config: SentinelConfig, event: TelemetryEvent) -> TelemetryEvent:
    """For ``send(event)``: a checked copy, texts fitted and the request scope merged where
    unset. The caller's object is never changed."""
    if not isinstance(event, TelemetryEvent):
        raise ValidationError(
            f"send() takes a TelemetryEvent, got {type(event).__name__}; use track(**fields) "
            "for keyword arguments"
        )
    event.validate()  # deep: parts may have been changed since they were built
    out = copy.copy(event)
    out.errors = list(event.errors)
    truncated: list[str] = []
    for part in ("prompt", "response"):
        original = getattr(event, part)
        text = _fit_text(original.text, part, config, truncated)
        if text is not original.text:
            fitted = copy.copy(original)
            fitted.text = text
            setattr(out, part, fitted)
    trace_id, span_id, scope = trace_context()
    # A new dict: the sender may add metadata (cost) on its thread, never into the caller's.
    out.metadata = merge_metadata(None if scope is None else scope.metadata, event.metadata)
    if truncated:
        out.metadata[SENTINEL_TRUNCATED] = ",".join(truncated)
    if out.trace_id is None:
        out.trace_id = trace_id
        if out.span_id is None:
            out.span_id = span_id if scope is None else new_span_id()
    return out
