"""Capture: turn ``track()`` fields into a validated event, with little work on the caller.

Runs on the application's thread for every call, so it does no I/O and allocates
little. The common shape of fields (known fields of their exact types, ASCII texts
within the limit, string metadata) is checked there by ``check_quickly`` and queued
as a ``Captured`` with the request context, the time and an event id taken at the
call; the sender assembles the event from it later, without checking again (the
result is the one ``build_event`` gives for the same fields). Any other shape is
built by ``build_event`` on the caller's thread, so a mistake raises
``ValidationError`` at the call site either way.
``Deferred`` is the integrations' variant: a function that computes the fields, run
on the sender.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypedDict, cast

from . import _validation as v
from ._ids import new_event_id, new_span_id, take_event_id
from ._validation import MAX_TOKENS, coerce_metadata
from .config import SentinelConfig
from .events import PromptInfo, ResponseInfo, TelemetryEvent
from .exceptions import ValidationError
from .scope import capture_context, trace_context

__all__ = [
    "DEFERRED_SIZE",
    "Captured",
    "Deferred",
    "TrackFields",
    "build_event",
    "capture_quickly",
    "check_quickly",
    "estimate_size",
    "prepare_sent_event",
    "sampled",
]

_TRUNCATED_KEY = "sentinel.truncated"
_INF = float("inf")
_BASE_SIZE = 1536
_ENTRY_SIZE = 300
_new = object.__new__
_now = datetime.now
_time = time.time
_utc = timezone.utc
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
    if not text.isascii():  # O(1); only non-ASCII text can hold a lone surrogate
        v.check_str(text, f"{part}.text")
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


def build_event(
    config: SentinelConfig,
    fields: Mapping[str, Any],
    context: tuple[str | None, str | None, dict[str, str] | None] | None = None,
    when: float | None = None,
) -> tuple[TelemetryEvent, int]:
    """A validated event from ``track()`` keyword arguments, with the request scope merged,
    and its memory estimate (see ``estimate_size``).

    Every value the caller gave is checked exactly once, here (the rules of
    ``TelemetryEvent``); values the SDK makes itself (ids, timestamp, the configured
    service name, coerced metadata) are not checked again. The objects are then
    assembled without a second validation pass: this is the hot path of ``track()``.
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
    if type(model) is not str or not model or not model.isascii():
        model = v.check_str(model, "model", min_len=1)
    truncated: list[str] = []
    prompt = _prompt(fields, config, truncated)
    response = _response(fields, config, truncated)

    if context is None:
        trace_id, span_id, scope = trace_context()
        scope_metadata = None if scope is None else scope.metadata
    else:
        trace_id, span_id, scope_metadata = context
    metadata = get("metadata")
    if scope_metadata is not None:
        merged = dict(scope_metadata)
        if metadata is not None:
            merged.update(coerce_metadata(metadata))
    elif metadata is not None:
        merged = coerce_metadata(metadata)
    else:
        merged = {}
    if truncated:
        merged[_TRUNCATED_KEY] = ",".join(truncated)

    event: TelemetryEvent = _new(TelemetryEvent)
    service_name = get("service_name")
    event.service_name = (
        config.service_name
        if service_name is None
        else v.check_str(service_name, "service_name", min_len=1, max_len=255)
    )
    event.model = model
    event.prompt = prompt
    event.response = response
    latency = get("latency_ms")
    if latency is None:
        latency = 0.0
    elif type(latency) is not float or not 0.0 <= latency < _INF:
        latency = v.check_non_negative(latency, "latency_ms")
    event.latency_ms = latency
    cost = get("cost_usd")
    if cost is None:
        cost = 0.0
    elif type(cost) is not float or not 0.0 <= cost < _INF:
        cost = v.check_non_negative(cost, "cost_usd")
    event.cost_usd = cost
    event.metadata = merged
    errors = get("errors")
    event.errors = [] if errors is None else v.check_str_list(errors, "errors")
    given_trace = get("trace_id")
    event.trace_id = trace_id if given_trace is None else v.check_str(given_trace, "trace_id")
    given_span = get("span_id")
    event.span_id = span_id if given_span is None else v.check_str(given_span, "span_id")
    event_id = get("event_id")
    event.event_id = new_event_id() if event_id is None else v.check_event_id(event_id)
    timestamp = get("timestamp")
    if timestamp is not None:
        event.timestamp = v.check_timestamp(timestamp)
    elif when is None:
        event.timestamp = _now(_utc)
    else:  # a deferred event: when it was handed over (time.time() then)
        event.timestamp = datetime.fromtimestamp(when, _utc)
    size = (
        _BASE_SIZE
        + 3 * (len(prompt.text) + len(response.text) + sum(map(len, merged.values())))
        + _ENTRY_SIZE * len(merged)
    )
    if prompt.embedding or response.embedding:
        size = estimate_size(event)
    return event, size


def _prompt(fields: Mapping[str, Any], config: SentinelConfig, truncated: list[str]) -> PromptInfo:
    value = fields.get("prompt", "")
    if isinstance(value, PromptInfo):
        if "prompt_tokens" in fields:
            raise ValidationError(
                "give prompt_tokens or a PromptInfo with tokens, not both", field="prompt_tokens"
            )
        value.validate()
        return PromptInfo(
            _fit_text(value.text, "prompt", config, truncated), value.tokens, value.embedding
        )
    if type(value) is not str:
        if not isinstance(value, str):
            raise ValidationError(
                f"prompt must be a string or a PromptInfo, got {type(value).__name__}",
                field="prompt",
            )
        value = str.__str__(value)
    prompt: PromptInfo = _new(PromptInfo)
    # Fast path: captured ASCII text within the limit needs no further look.
    if config.capture_content and len(value) <= config.max_text_length and value.isascii():
        prompt.text = value
    else:
        prompt.text = _fit_text(value, "prompt", config, truncated)
    tokens = fields.get("prompt_tokens")
    if tokens is None:
        tokens = 0
    elif type(tokens) is not int or not 0 <= tokens <= MAX_TOKENS:
        tokens = v.check_tokens(tokens, "prompt.tokens")
    prompt.tokens = tokens
    prompt.embedding = None
    return prompt


def _response(
    fields: Mapping[str, Any], config: SentinelConfig, truncated: list[str]
) -> ResponseInfo:
    value = fields.get("response", "")
    if isinstance(value, ResponseInfo):
        for name in ("response_tokens", "finish_reason"):
            if name in fields:
                raise ValidationError(f"give {name} or a ResponseInfo, not both", field=name)
        value.validate()
        text = _fit_text(value.text, "response", config, truncated)
        return ResponseInfo(text, value.tokens, value.finish_reason, value.embedding)
    if type(value) is not str:
        if not isinstance(value, str):
            raise ValidationError(
                f"response must be a string or a ResponseInfo, got {type(value).__name__}",
                field="response",
            )
        value = str.__str__(value)
    response: ResponseInfo = _new(ResponseInfo)
    if config.capture_content and len(value) <= config.max_text_length and value.isascii():
        response.text = value
    else:
        response.text = _fit_text(value, "response", config, truncated)
    tokens = fields.get("response_tokens")
    if tokens is None:
        tokens = 0
    elif type(tokens) is not int or not 0 <= tokens <= MAX_TOKENS:
        tokens = v.check_tokens(tokens, "response.tokens")
    response.tokens = tokens
    finish = fields.get("finish_reason")
    if finish is None:
        finish = "unknown"
    elif type(finish) is not str or not finish.isascii():
        finish = v.check_str(finish, "response.finish_reason")
    response.finish_reason = finish
    response.embedding = None
    return response


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


class Captured:
    """A ``track()`` call checked on the caller's thread and built on the sender.

    Made by ``capture_quickly`` only for fields whose every value has passed the checks
    ``build_event`` makes, so building it later cannot fail and gives the event the
    caller would have got at once; the request context, the time and the event id are
    taken when it is made, on the caller's thread.
    """

    __slots__ = ("context", "event_id", "fields", "timestamp")

    def __init__(
        self,
        fields: TrackFields,
        context: tuple[str | None, str | None, dict[str, str] | None],
        event_id: str,
    ) -> None:
        self.fields = fields
        self.context = context
        self.event_id = event_id
        self.timestamp = _time()

    @property
    def trace_id(self) -> str | None:
        """The trace id the event will have (for sampling)."""
        return self.context[0]

    def event(self, config: SentinelConfig) -> TelemetryEvent:
        """The event, exactly as ``build_event`` would have made it on the caller.

        Assembled without checking again: ``check_quickly`` accepted every value (and
        ``tests/core/test_quick_capture.py`` holds this to ``build_event``'s result).
        """
        get = cast("dict[str, Any]", self.fields).get
        content = config.capture_content
        prompt: PromptInfo = _new(PromptInfo)
        prompt.text = get("prompt", "") if content else ""
        prompt.tokens = get("prompt_tokens") or 0
        prompt.embedding = None
        response: ResponseInfo = _new(ResponseInfo)
        response.text = get("response", "") if content else ""
        response.tokens = get("response_tokens") or 0
        finish = get("finish_reason")
        response.finish_reason = "unknown" if finish is None else finish
        response.embedding = None
        trace_id, span_id, scope_metadata = self.context
        metadata = get("metadata")
        event: TelemetryEvent = _new(TelemetryEvent)
        event.service_name = config.service_name
        event.model = self.fields["model"]
        event.prompt = prompt
        event.response = response
        latency = get("latency_ms")
        event.latency_ms = 0.0 if latency is None else latency
        cost = get("cost_usd")
        event.cost_usd = 0.0 if cost is None else cost
        if scope_metadata is None:
            event.metadata = {} if metadata is None else dict(metadata)
        else:
            event.metadata = {**scope_metadata, **(metadata or {})}
        event.errors = []
        event.trace_id = trace_id
        event.span_id = span_id
        event.event_id = self.event_id
        event.timestamp = datetime.fromtimestamp(self.timestamp, _utc)
        return event


def check_quickly(config: SentinelConfig, fields: TrackFields) -> int:
    """``track()``'s fast path, first half: the fields' memory estimate, or -1.

    Accepts only the common shape (known fields of their exact types, ASCII texts within
    ``max_text_length``, string metadata), checked here as strictly as ``build_event``
    checks them; anything else (-1) takes ``build_event`` on the caller, which raises
    the precise ``ValidationError``. ``fields`` must be the caller's own ``**kwargs``
    dict: its metadata is replaced by a copy, and ``capture_quickly`` keeps it.
    """
    if not fields.keys() <= _QUICK_FIELDS:
        return -1
    get = fields.get
    model = get("model")
    prompt = get("prompt", "")
    response = get("response", "")
    if (
        type(model) is not str
        or not model
        or not model.isascii()
        or type(prompt) is not str
        or type(response) is not str
        or not prompt.isascii()
        or not response.isascii()
    ):
        return -1
    limit = config.max_text_length
    if len(prompt) > limit or len(response) > limit:
        return -1
    tokens = get("prompt_tokens")
    if tokens is not None and (type(tokens) is not int or not 0 <= tokens <= MAX_TOKENS):
        return -1
    tokens = get("response_tokens")
    if tokens is not None and (type(tokens) is not int or not 0 <= tokens <= MAX_TOKENS):
        return -1
    number = get("latency_ms")
    if number is not None and (type(number) is not float or not 0.0 <= number < _INF):
        return -1
    number = get("cost_usd")
    if number is not None and (type(number) is not float or not 0.0 <= number < _INF):
        return -1
    finish = get("finish_reason")
    if finish is not None and (type(finish) is not str or not finish.isascii()):
        return -1
    size = _BASE_SIZE + 3 * (len(prompt) + len(response))
    metadata = get("metadata")
    if metadata is not None:
        if type(metadata) is not dict:
            return -1
        for key, value in metadata.items():
            if type(key) is not str or type(value) is not str:
                return -1
            if not (key.isascii() and value.isascii()):
                return -1
            size += _ENTRY_SIZE + 3 * len(value)
        fields["metadata"] = metadata.copy()  # the caller may change its dict afterwards
    return size


def capture_quickly(fields: TrackFields, size: int) -> tuple[Captured, int]:
    """``track()``'s fast path, second half, for fields ``check_quickly`` accepted: the
    item to queue (request context, time and event id taken now) and its estimate."""
    context = capture_context()
    if context[2] is not None:
        size += (_ENTRY_SIZE + 3 * 64) * len(context[2])
    return Captured(fields, context, take_event_id()), size


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


DEFERRED_SIZE = 16 * 1024
"""Memory budget taken by a deferred event until it is built (its texts are unknown)."""


def prepare_sent_event(config: SentinelConfig, event: TelemetryEvent) -> TelemetryEvent:
    """For ``send(event)``: a copy with texts fitted and the request scope merged where unset.

    The caller's object is never changed.
    """
    if not isinstance(event, TelemetryEvent):
        raise ValidationError(
            f"send() takes a TelemetryEvent, got {type(event).__name__}; use track(**fields) "
            "for keyword arguments"
        )
    event.validate()  # deep: parts may have been changed since they were built
    out = copy.copy(event)
    # The sender may add metadata (cost) on its thread: never into the caller's objects.
    out.metadata = dict(event.metadata)
    out.errors = list(event.errors)
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
        out.metadata = {**(scope.metadata if scope is not None else {}), **out.metadata}
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

    The event object, its JSON payload and the producer's buffered copy each hold
    the texts once; a fixed part covers the objects, one per metadata entry more.
    """
    metadata = event.metadata
    size = (
        _BASE_SIZE
        + 3 * (len(event.prompt.text) + len(event.response.text) + sum(map(len, metadata.values())))
        + _ENTRY_SIZE * len(metadata)
    )
    if event.prompt.embedding:
        size += 48 * len(event.prompt.embedding)
    if event.response.embedding:
        size += 48 * len(event.response.embedding)
    return size
