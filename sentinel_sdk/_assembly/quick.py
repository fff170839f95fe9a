"""``track()``'s fast path: fields of the common shape checked by the rules' predicates
alone on the caller's thread, and assembled on the sender; and ``Deferred``, an
integration's function of the fields, run on the sender."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sentinel_sdk._ids import take_event_id
from sentinel_sdk._scope_context import CapturedContext, capture_context
from sentinel_sdk._validation import (
    is_finite_non_negative,
    is_plain_str,
    is_plain_text,
    is_string_metadata,
    is_token_count,
)
from sentinel_sdk.events import TelemetryEvent

from .build import (
    BASE_SIZE,
    build_event,
    merge_metadata,
    metadata_size,
    new_event,
    new_prompt,
    new_response,
)

if TYPE_CHECKING:
    from sentinel_sdk.config import SentinelConfig

__all__ = ["DEFERRED_SIZE", "Captured", "Deferred", "capture", "quick_size"]

DEFERRED_SIZE = 16 * 1024
"""Memory budget taken by a deferred event until it is built (its texts are unknown)."""
_SCOPE_ENTRY_SIZE = 300 + 3 * 64
_time = time.time
_utc = timezone.utc
_fromtimestamp = datetime.fromtimestamp

# The fields the fast path takes (the rest, e.g. an explicit event_id, are built in full).
_QUICK_FIELDS = frozenset(
    {
        "model",
        "prompt",
        "response",
        "prompt_tokens",
        "response_tokens",
        "finish_reason",
        "latency_ms",
        "cost_usd",
        "metadata",
    }
)


def quick_size(config: SentinelConfig, fields: Mapping[str, Any]) -> int:
    """The memory estimate of ``track()`` fields of the common shape, or -1 for any other.

    The common shape: only ``_QUICK_FIELDS``, each already in the exact form the wire
    rules accept (the rules' own predicates decide) and texts within
    ``max_text_length``. Fields of any other shape go to ``build_event``, which
    normalises them or raises the precise ``ValidationError``. Changes nothing.
    """
    if not fields.keys() <= _QUICK_FIELDS:
        return -1
    get = fields.get
    limit = config.max_text_length
    model, prompt, response = get("model"), get("prompt", ""), get("response", "")
    # Absent fields read as a default the rule accepts: one predicate call per field.
    if not (
        is_plain_str(model)
        and model
        and is_plain_text(prompt, limit)
        and is_plain_text(response, limit)
        and is_token_count(get("prompt_tokens", 0))
        and is_token_count(get("response_tokens", 0))
        and is_finite_non_negative(get("latency_ms", 0.0))
        and is_finite_non_negative(get("cost_usd", 0.0))
        and is_plain_str(get("finish_reason", ""))
    ):
        return -1
    size = BASE_SIZE + 3 * (len(prompt) + len(response))
    metadata = get("metadata")
    if metadata is not None:
        if not is_string_metadata(metadata):
            return -1
        size += metadata_size(metadata)
    return size


def capture(fields: Mapping[str, Any], size: int) -> tuple[Captured, int]:
    """The fast path's item for fields ``quick_size`` accepted (request context, time and
    event id taken now, on the caller's thread) and its memory estimate."""
    context = capture_context()
    if context[2] is not None:
        size += _SCOPE_ENTRY_SIZE * len(context[2])
    return Captured(fields, context, take_event_id()), size


class Captured:
    """A ``track()`` call checked on the caller's thread and built on the sender.

    Made by ``capture`` only for fields ``quick_size`` accepted, so building it later
    cannot fail and gives the event the caller would have got at once.
    """

    __slots__ = ("context", "event_id", "fields", "metadata", "timestamp")

    def __init__(self, fields: Mapping[str, Any], context: CapturedContext, event_id: str) -> None:
        self.fields = fields
        metadata = fields.get("metadata")
        # The caller may change its dict after track() returns: keep a copy.
        self.metadata: dict[str, str] | None = None if metadata is None else metadata.copy()
        self.context = context
        self.event_id = event_id
        self.timestamp = _time()

    @property
    def trace_id(self) -> str | None:
        """The trace id the event will have (for sampling)."""
        return self.context[0]

    def event(self, config: SentinelConfig) -> TelemetryEvent:
        """The event, exactly as ``build_event`` would have made it on the caller.

        Assembled without checking again: ``quick_size`` accepted every value (and
        ``tests/core/test_quick_capture.py`` holds this to ``build_event``'s result).
        """
        get = self.fields.get
        content = config.capture_content
        trace_id, span_id, scope_metadata = self.context
        finish = get("finish_reason")
        return new_event(
            service_name=config.service_name,
            model=get("model"),
            prompt=new_prompt(
                text=get("prompt", "") if content else "", tokens=get("prompt_tokens") or 0
            ),
            response=new_response(
                text=get("response", "") if content else "",
                tokens=get("response_tokens") or 0,
                finish_reason="unknown" if finish is None else finish,
            ),
            latency_ms=get("latency_ms") or 0.0,
            cost_usd=get("cost_usd") or 0.0,
            metadata=merge_metadata(scope_metadata, self.metadata),
            trace_id=trace_id,
            span_id=span_id,
            event_id=self.event_id,
            timestamp=_fromtimestamp(self.timestamp, _utc),
        )


class Deferred:
    """An event to be built on the sender: ``build(*args)`` returns its ``track()`` fields.

    Integrations hand this over instead of an event so that the caller's thread does
    O(1) work (``track_later``); the request context is taken when it is made.
    """

    __slots__ = ("args", "build", "context", "timestamp")

    def __init__(self, build: Callable[..., Mapping[str, Any]], args: tuple[Any, ...]) -> None:
        self.build = build
        self.args = args
        self.context = capture_context()
        self.timestamp = _time()  # a float now; the datetime is made on the sender

    def event(self, config: SentinelConfig) -> TelemetryEvent:
        """Build and validate the event (raises whatever ``build`` or validation raises)."""
        return build_event(config, self.build(*self.args), self.context, self.timestamp)[0]
