"""The telemetry event: one LLM call, exactly as the Rust core deserializes it.

``TelemetryEvent``, ``PromptInfo`` and ``ResponseInfo`` validate on construction
(and again through ``validate()`` after a ``before_send`` hook may have changed
them), so an event that exists is an event the core accepts. The rules (each
stated once, in ``sentinel_sdk._validation``):

- ``service_name``: 1 to 255 characters; ``model``: a non-empty string.
- ``prompt.text`` / ``response.text``: strings of at most 100,000 characters.
- ``tokens``: unsigned 32-bit integers (0 to 4,294,967,295).
- ``latency_ms``, ``cost_usd``: finite numbers >= 0.
- ``embedding``: ``None`` or a list of finite 32-bit floats.
- ``metadata``: strings to strings (``coerce_metadata`` converts other values).
- ``errors``: a list of strings; ``trace_id`` / ``span_id``: strings or ``None``.
- ``event_id``: a UUID (canonical lowercase); ``timestamp``: an aware UTC datetime,
  serialized as RFC 3339 with microseconds (``2024-01-01T00:00:00.000000Z``).

The dataclass fields are the one list of the wire format's keys: the dict and
JSON forms, parsing and the SDK's own assembly (``_unchecked``) are all derived
from them, so a field is added in one place. The same rules ship as a JSON
Schema (``sentinel_sdk/schema/telemetry_event.schema.json``, ``json_schema()``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from json.encoder import encode_basestring as _s
from typing import Any, ClassVar, TypeVar

from typing_extensions import Self

from . import _validation as v
from ._ids import new_event_id
from .exceptions import ValidationError

__all__ = ["PromptInfo", "ResponseInfo", "TelemetryEvent", "json_schema"]

T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _Part:
    """What the two parts of an event share: checked when built, and their wire form."""

    __slots__ = ()
    _part: ClassVar[str]  # "prompt" / "response": the name in the event and in errors

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field against the wire contract (raises ``ValidationError``)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The wire form (a JSON-ready dict)."""
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from the wire form; unknown keys and bad values raise ``ValidationError``."""
        return _from_dict(cls, data, cls._part)


@dataclass(slots=True)
class PromptInfo(_Part):
    """The prompt of one LLM call: its text, token count and optional embedding."""

    _part: ClassVar[str] = "prompt"
    text: str = ""
    tokens: int = 0
    embedding: list[float] | None = None

    def validate(self) -> None:
        """Check every field against the wire contract (raises ``ValidationError``)."""
        self.text = v.check_text(self.text, "prompt.text")
        self.tokens = v.check_tokens(self.tokens, "prompt.tokens")
        if self.embedding is not None:
            self.embedding = v.check_embedding(self.embedding, "prompt.embedding")


@dataclass(slots=True)
class ResponseInfo(_Part):
    """The response of one LLM call: text, token count, finish reason, optional embedding."""

    _part: ClassVar[str] = "response"
    text: str = ""
    tokens: int = 0
    finish_reason: str = "unknown"
    embedding: list[float] | None = None

    def validate(self) -> None:
        """Check every field against the wire contract (raises ``ValidationError``)."""
        self.text = v.check_text(self.text, "response.text")
        self.tokens = v.check_tokens(self.tokens, "response.tokens")
        self.finish_reason = v.check_str(self.finish_reason, "response.finish_reason")
        if self.embedding is not None:
            self.embedding = v.check_embedding(self.embedding, "response.embedding")


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
        self.service_name = v.check_service_name(self.service_name)
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
        return _to_dict(self)

    def to_json(self) -> bytes:
        """The wire form as compact UTF-8 JSON (what is written to Kafka).

        Byte-for-byte what ``json.dumps(self.to_dict(), ensure_ascii=False,
        separators=(",", ":"))`` gives, at about half the cost: this runs once per
        event on the sender.
        """
        return _json_text(self).encode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TelemetryEvent:
        """Build from the wire form.

        ``service_name`` and ``model`` are required; other fields take their defaults
        when absent. Unknown keys and bad values raise ``ValidationError``.
        """
        return _from_dict(cls, data, "event")

    @classmethod
    def from_json(cls, data: str | bytes | bytearray) -> TelemetryEvent:
        """Parse one event from JSON text (what a consumer reads from the topic)."""
        try:
            decoded = json.loads(data)
        except (ValueError, TypeError, RecursionError) as exc:
            # JSONDecodeError, UnicodeDecodeError, a non-text argument, absurd nesting.
            raise ValidationError(f"not valid JSON: {exc}", cause=exc) from exc
        return cls.from_dict(decoded)


# -- everything below is derived from the dataclass fields --------------------------------

_MISSING = dataclasses.MISSING
_PARTS: dict[str, type[Any]] = {"PromptInfo": PromptInfo, "ResponseInfo": ResponseInfo}


def _fields(cls: type[Any]) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


def _unchecked(cls: type[T]) -> Callable[..., T]:
    """A keyword-only constructor of ``cls`` that skips validation, for values the SDK's
    own assembly has checked already (``sentinel_sdk._assembly``); fields not given take
    their defaults. Compiled once per class, the way dataclasses compiles ``__init__``."""
    constructor = _constructors.get(cls)
    if constructor is None:
        constructor = _constructors[cls] = _compile_unchecked(cls)
    return constructor


_constructors: dict[type[Any], Callable[..., Any]] = {}


def _compile_unchecked(cls: type[T]) -> Callable[..., T]:
    namespace: dict[str, Any] = {"_cls": cls, "_new": object.__new__, "_MISSING": _MISSING}
    params, lines = [], []
    for f in _fields(cls):
        name = f.name
        if f.default_factory is not _MISSING:
            namespace[f"_factory_{name}"] = f.default_factory
            params.append(f"{name}=_MISSING")
            lines.append(f"    obj.{name} = _factory_{name}() if {name} is _MISSING else {name}")
        else:
            if f.default is not _MISSING:
                namespace[f"_default_{name}"] = f.default
                params.append(f"{name}=_default_{name}")
            else:
                params.append(name)
            lines.append(f"    obj.{name} = {name}")
    body = "\n".join(lines)
    source = (
        f"def unchecked(*, {', '.join(params)}):\n    obj = _new(_cls)\n{body}\n    return obj\n"
    )
    exec(source, namespace)
    constructor: Callable[..., T] = namespace["unchecked"]
    return constructor


def _to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in _fields(type(obj)):
        value = getattr(obj, f.name)
        if type(value) is datetime:
            value = v.format_timestamp(value)
        elif type(value) in _PARTS.values():
            value = value.to_dict()
        out[f.name] = value
    return out


def _from_dict(cls: type[T], data: object, what: str) -> T:
    if not isinstance(data, Mapping):
        raise ValidationError(
            f"{what} must be a JSON object, got {type(data).__name__}",
            field=what if what != "event" else None,
        )
    fields = {f.name: f for f in _fields(cls)}
    unknown = [key for key in data if key not in fields]
    if unknown:
        raise ValidationError(
            f"{what} has unknown field(s) {sorted(map(str, unknown))}; allowed: {sorted(fields)}",
            field=None if what == "event" else what,
        )
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        path = name if what == "event" else f"{what}.{name}"
        if name not in data:
            if f.default is _MISSING and f.default_factory is _MISSING:
                raise ValidationError(f"{path} is required", field=path)
            continue
        value = data[name]
        part = _PARTS.get(str(f.type))
        if part is not None:
            value = part.from_dict(value)
        elif value is None and "None" not in str(f.type):
            raise ValidationError(f"{path} must not be null", field=path)
        kwargs[name] = value
    return cls(**kwargs)


def _coerce_part(value: object, kind: type[Any], name: str) -> Any:
    if isinstance(value, kind):
        value.validate()
        return value
    if isinstance(value, Mapping):
        return kind.from_dict(value)
    raise ValidationError(
        f"{name} must be a {kind.__name__}, got {type(value).__name__}", field=name
    )


# The JSON form of each field type: an f-string fragment with ``%s`` for the value.
_JSON_FRAGMENTS = {
    "str": "{_s(%s)}",
    "str | None": "{_opt(%s)}",
    "int": "{%s!r}",
    "float": "{%s!r}",
    "datetime": '"{_timestamp(%s)}"',
    "dict[str, str]": "{{{_string_map(%s)}}}",
    "list[str]": "[{_strings(%s)}]",
    "list[float] | None": "{_floats(%s)}",
    **dict.fromkeys(_PARTS, "{_json_text(%s)}"),
}
_encoders: dict[type[Any], Callable[[Any], str]] = {}


def _json_text(obj: Any) -> str:
    """``obj`` as compact JSON text, by an encoder compiled once per class from its fields."""
    encoder = _encoders.get(type(obj))
    if encoder is None:
        encoder = _encoders[type(obj)] = _compile_encoder(type(obj))
    return encoder(obj)


def _compile_encoder(cls: type[Any]) -> Callable[[Any], str]:
    # One f-string for the whole object, as a hand-written encoder would be (the way
    # dataclasses compiles __init__): a generic loop over the fields costs ~25% more.
    parts = []
    for f in _fields(cls):
        fragment = _JSON_FRAGMENTS.get(str(f.type))
        if fragment is None:
            raise TypeError(f"{cls.__name__}.{f.name}: no JSON form for type {f.type}")
        parts.append(f'"{f.name}":' + fragment % f"obj.{f.name}")
    source = "def encode(obj):\n    return f'{{" + ",".join(parts) + "}}'\n"
    namespace: dict[str, Any] = {
        "_s": _s,
        "_opt": _opt,
        "_timestamp": v.format_timestamp,
        "_string_map": _string_map,
        "_strings": _strings,
        "_floats": _floats,
        "_json_text": _json_text,
    }
    exec(source, namespace)
    encoder: Callable[[Any], str] = namespace["encode"]
    return encoder


def _opt(value: str | None) -> str:
    return "null" if value is None else _s(value)


def _string_map(values: dict[str, str]) -> str:
    return ",".join([f"{_s(k)}:{_s(item)}" for k, item in values.items()])


def _strings(values: list[str]) -> str:
    return ",".join(map(_s, values))


def _floats(values: list[float] | None) -> str:
    return "null" if values is None else f"[{','.join(map(float.__repr__, values))}]"


@cache
def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the wire format, as shipped in the package."""
    text = resources.files("sentinel_sdk").joinpath("schema/telemetry_event.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema
