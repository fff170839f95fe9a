"""The telemetry event: one LLM call, exactly as the Rust core deserializes it.

``TelemetryEvent``, ``PromptInfo`` and ``ResponseInfo`` validate on construction
(and again through ``validate()`` after a ``before_send`` hook may have changed
them), so an event that exists is an event the core accepts. The rules:

- ``service_name``: 1 to 255 characters; ``model``: a non-empty string.
- ``prompt.text`` / ``response.text``: strings of at most 100,000 characters.
- ``tokens``: unsigned 32-bit integers (0 to 4,294,967,295).
- ``latency_ms``, ``cost_usd``: finite numbers >= 0.
- ``embedding``: ``None`` or a list of finite 32-bit floats.
- ``metadata``: strings to strings (``coerce_metadata`` converts other values).
- ``errors``: a list of strings; ``trace_id`` / ``span_id``: strings or ``None``.
- ``event_id``: a UUID (canonical lowercase); ``timestamp``: an aware UTC datetime,
  serialized as RFC 3339 with microseconds (``2024-01-01T00:00:00.000000Z``).

The same rules ship as a JSON Schema (``sentinel_sdk/schema/telemetry_event.schema.json``,
loaded by ``json_schema()``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from json.encoder import encode_basestring as _s
from typing import Any

from . import _validation as v
from ._ids import new_event_id
from .exceptions import ValidationError

__all__ = ["PromptInfo", "ResponseInfo", "TelemetryEvent", "json_schema"]

_EVENT_KEYS = frozenset(
    {
        "event_id",
        "timestamp",
        "service_name",
        "trace_id",
        "span_id",
        "model",
        "prompt",
        "response",
        "latency_ms",
        "cost_usd",
        "metadata",
        "errors",
    }
)
_PROMPT_KEYS = frozenset({"text", "tokens", "embedding"})
_RESPONSE_KEYS = frozenset({"text", "tokens", "finish_reason", "embedding"})


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _mapping(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationError(
            f"{what} must be a JSON object, got {type(data).__name__}",
            field=what if what != "event" else None,
        )
    return data


def _reject_unknown(data: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise ValidationError(
            f"{what} has unknown field(s) {sorted(map(str, unknown))}; allowed: {sorted(allowed)}",
            field=None if what == "event" else what,
        )


@dataclass(slots=True)
class PromptInfo:
    """The prompt of one LLM call: its text, token count and optional embedding."""

    text: str = ""
    tokens: int = 0
    embedding: list[float] | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, _prefix: str = "prompt") -> None:
        """Check every field against the wire contract (raises ``ValidationError``)."""
        self.text = v.check_text(self.text, f"{_prefix}.text")
        self.tokens = v.check_tokens(self.tokens, f"{_prefix}.tokens")
        if self.embedding is not None:
            self.embedding = v.check_embedding(self.embedding, f"{_prefix}.embedding")

    def to_dict(self) -> dict[str, Any]:
        """The wire form (a JSON-ready dict)."""
        return {"text": self.text, "tokens": self.tokens, "embedding": self.embedding}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PromptInfo:
        """Build from the wire form; unknown keys and bad values raise ``ValidationError``."""
        data = _mapping(data, "prompt")
        _reject_unknown(data, _PROMPT_KEYS, "prompt")
        return cls(
            text=data.get("text", ""),
            tokens=data.get("tokens", 0),
            embedding=data.get("embedding"),
        )


@dataclass(slots=True)
class ResponseInfo:
    """The response of one LLM call: text, token count, finish reason, optional embedding."""

    text: str = ""
    tokens: int = 0
    finish_reason: str = "unknown"
    embedding: list[float] | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, _prefix: str = "response") -> None:
        """Check every field against the wire contract (raises ``ValidationError``)."""
        self.text = v.check_text(self.text, f"{_prefix}.text")
        self.tokens = v.check_tokens(self.tokens, f"{_prefix}.tokens")
        self.finish_reason = v.check_str(self.finish_reason, f"{_prefix}.finish_reason")
        if self.embedding is not None:
            self.embedding = v.check_embedding(self.embedding, f"{_prefix}.embedding")

    def to_dict(self) -> dict[str, Any]:
        """The wire form (a JSON-ready dict)."""
        return {
            "text": self.text,
            "tokens": self.tokens,
            "finish_reason": self.finish_reason,
            "embedding": self.embedding,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResponseInfo:
        """Build from the wire form; unknown keys and bad values raise ``ValidationError``."""
        data = _mapping(data, "response")
        _reject_unknown(data, _RESPONSE_KEYS, "response")
        return cls(
            text=data.get("text", ""),
            tokens=data.get("tokens", 0),
            finish_reason=data.get("finish_reason", "unknown"),
            embedding=data.get("embedding"),
        )


@dataclass(slots=True)
class TelemetryEvent:
    """One LLM call: what was asked, what came back, how long it took and what it cost.

    ``event_id`` and ``timestamp`` default to a new UUID v4 and the current UTC time.
    Construction validates every field (see the module docstring) and raises
    ``ValidationError`` naming the first field that breaks a rule.
    """

    service_name: str
    model: str
    prompt: PromptInfo = field(default_factory=PromptInfo)
    response: ResponseInfo = field(default_factory=ResponseInfo)
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    metadata: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    trace_id: str | None = None
    span_id: str | None = None
    event_id: str = field(default_factory=new_event_id)
    timestamp: datetime = field(default_factory=_utcnow)

    def __post_init__(self) -> None:
        # A PromptInfo / ResponseInfo validated itself when it was built; re-checking
        # it here would cost the caller's thread ~1.5 µs per event for nothing. The
        # sender runs the deep validate() before anything reaches the wire, which
        # also catches parts changed by hand after they were built.
        self._validate(deep=False)

    def validate(self) -> None:
        """Check every field, nested ones included (raises ``ValidationError``).

        Construction already validates; run this after changing fields by hand.
        """
        self._validate(deep=True)

    def _validate(self, *, deep: bool) -> None:
        self.service_name = v.check_str(
            self.service_name, "service_name", min_len=1, max_len=v.MAX_SERVICE_NAME_LENGTH
        )
        self.model = v.check_str(self.model, "model", min_len=1)
        if type(self.prompt) is not PromptInfo:
            self.prompt = _coerce_part(self.prompt, PromptInfo, "prompt")
        elif deep:
            self.prompt.validate()
        if type(self.response) is not ResponseInfo:
            self.response = _coerce_part(self.response, ResponseInfo, "response")
        elif deep:
            self.response.validate()
        self.latency_ms = v.check_non_negative(self.latency_ms, "latency_ms")
        self.cost_usd = v.check_non_negative(self.cost_usd, "cost_usd")
        self.metadata = v.check_metadata(self.metadata)
        if self.errors or type(self.errors) is not list:
            self.errors = v.check_str_list(self.errors, "errors")
        if self.trace_id is not None:
            self.trace_id = v.check_str(self.trace_id, "trace_id")
        if self.span_id is not None:
            self.span_id = v.check_str(self.span_id, "span_id")
        self.event_id = v.check_event_id(self.event_id)
        if type(self.timestamp) is not datetime or self.timestamp.tzinfo is not timezone.utc:
            self.timestamp = v.check_timestamp(self.timestamp)

    @property
    def total_tokens(self) -> int:
        """Prompt plus response tokens."""
        return self.prompt.tokens + self.response.tokens

    @property
    def has_errors(self) -> bool:
        """True when the call recorded at least one error."""
        return bool(self.errors)

    def to_dict(self) -> dict[str, Any]:
        """The wire form: a JSON-ready dict whose keys and types are the core's."""
        return {
            "event_id": self.event_id,
            "timestamp": v.format_timestamp(self.timestamp),
            "service_name": self.service_name,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "model": self.model,
            "prompt": self.prompt.to_dict(),
            "response": self.response.to_dict(),
            "latency_ms": self.latency_ms,
            "cost_usd": self.cost_usd,
            "metadata": self.metadata,
            "errors": self.errors,
        }

    def to_json(self) -> bytes:
        """The wire form as compact UTF-8 JSON (what is written to Kafka).

        Byte-for-byte what ``json.dumps(self.to_dict(), ensure_ascii=False,
        separators=(",", ":"))`` gives, at about half the cost: this runs once per
        event on the sender.
        """
        p, r = self.prompt, self.response
        metadata = ",".join([f"{_s(k)}:{_s(val)}" for k, val in self.metadata.items()])
        return (
            f'{{"event_id":{_s(self.event_id)},"timestamp":"{v.format_timestamp(self.timestamp)}",'
            f'"service_name":{_s(self.service_name)},"trace_id":{_opt(self.trace_id)},'
            f'"span_id":{_opt(self.span_id)},"model":{_s(self.model)},'
            f'"prompt":{{"text":{_s(p.text)},"tokens":{p.tokens},'
            f'"embedding":{_floats(p.embedding)}}},'
            f'"response":{{"text":{_s(r.text)},"tokens":{r.tokens},'
            f'"finish_reason":{_s(r.finish_reason)},"embedding":{_floats(r.embedding)}}},'
            f'"latency_ms":{self.latency_ms!r},"cost_usd":{self.cost_usd!r},'
            f'"metadata":{{{metadata}}},"errors":[{",".join(map(_s, self.errors))}]}}'
        ).encode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TelemetryEvent:
        """Build from the wire form.

        ``service_name`` and ``model`` are required; other fields take their defaults
        when absent. Unknown keys and bad values raise ``ValidationError``.
        """
        data = _mapping(data, "event")
        _reject_unknown(data, _EVENT_KEYS, "event")
        for required in ("service_name", "model"):
            if required not in data:
                raise ValidationError(f"{required} is required", field=required)
        kwargs: dict[str, Any] = {
            key: data[key] for key in data if key not in ("prompt", "response")
        }
        if "prompt" in data:
            kwargs["prompt"] = PromptInfo.from_dict(data["prompt"])
        if "response" in data:
            kwargs["response"] = ResponseInfo.from_dict(data["response"])
        for key in ("event_id", "timestamp"):
            if key in kwargs and kwargs[key] is None:
                raise ValidationError(f"{key} must not be null", field=key)
        return cls(**kwargs)

    @classmethod
    def from_json(cls, data: str | bytes | bytearray) -> TelemetryEvent:
        """Parse one event from JSON text (what a consumer reads from the topic)."""
        try:
            decoded = json.loads(data)
        except (ValueError, TypeError, RecursionError) as exc:
            # JSONDecodeError, UnicodeDecodeError, a non-text argument, absurd nesting.
            raise ValidationError(f"not valid JSON: {exc}", cause=exc) from exc
        return cls.from_dict(decoded)


def _opt(value: str | None) -> str:
    return "null" if value is None else _s(value)


def _floats(values: list[float] | None) -> str:
    return "null" if values is None else f"[{','.join(map(float.__repr__, values))}]"


def _coerce_part(value: object, kind: type[Any], name: str) -> Any:
    if isinstance(value, kind):
        value.validate()
        return value
    if isinstance(value, Mapping):
        return kind.from_dict(value)
    raise ValidationError(
        f"{name} must be a {kind.__name__}, got {type(value).__name__}", field=name
    )


@cache
def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the wire format, as shipped in the package."""
    text = resources.files("sentinel_sdk").joinpath("schema/telemetry_event.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema
