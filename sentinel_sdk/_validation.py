"""Field checks for the wire contract the Rust core enforces (serde + validator).

Each check returns the normalised value or raises ``ValidationError`` naming the
field. They are written for speed (exact-type fast paths first) because one
``TelemetryEvent`` is validated on the caller's thread for every ``track()``.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from .exceptions import ValidationError

__all__ = [
    "F32_MAX",
    "MAX_SERVICE_NAME_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_TOKENS",
    "check_embedding",
    "check_event_id",
    "check_metadata",
    "check_non_negative",
    "check_optional_str",
    "check_str",
    "check_str_list",
    "check_text",
    "check_timestamp",
    "check_tokens",
    "coerce_metadata",
    "format_timestamp",
    "parse_timestamp",
    "truncate_text",
]

MAX_TEXT_LENGTH = 100_000
"""Longest prompt or response text the core accepts, in characters (code points)."""
MAX_TOKENS = 2**32 - 1
"""Token counts are ``u32`` in the core."""
MAX_SERVICE_NAME_LENGTH = 255
F32_MAX = 3.4028234663852886e38
"""Largest finite ``f32``: embeddings are ``Vec<f32>`` in the core."""

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# re.ASCII: \d would otherwise also match other scripts' digits (fullwidth, Arabic-Indic).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_encodable(value: str, field: str) -> None:
    # A lone surrogate (e.g. from a surrogateescape-decoded file name) is not Unicode
    # text: it cannot be written as UTF-8, so the event could never be serialized.
    # isascii() is O(1) in CPython, so ASCII text pays nothing for this check.
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"{field} contains a lone surrogate {value[exc.start]!r} at index {exc.start}: "
                "not valid Unicode text (decode with errors='replace' instead)",
                field=field,
            ) from None


def check_str(value: object, field: str, *, min_len: int = 0, max_len: int | None = None) -> str:
    if type(value) is not str:
        if not isinstance(value, str):
            raise ValidationError(f"{field} must be a string, got {_type_name(value)}", field=field)
        value = str.__str__(value)  # a str subclass (e.g. a str enum): keep its text
    _check_encodable(value, field)
    n = len(value)
    if n < min_len:
        raise ValidationError(
            f"{field} must not be empty"
            if min_len == 1
            else f"{field} must have at least {min_len} characters",
            field=field,
        )
    if max_len is not None and n > max_len:
        raise ValidationError(f"{field} has {n} characters; the maximum is {max_len}", field=field)
    return value


def check_optional_str(value: object, field: str) -> str | None:
    return None if value is None else check_str(value, field)


def check_text(value: object, field: str) -> str:
    return check_str(value, field, max_len=MAX_TEXT_LENGTH)


def check_tokens(value: object, field: str) -> int:
    if type(value) is not int:
        # bool is an int subclass but never a token count; other ints (numpy, IntEnum) are fine.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(
                f"{field} must be an integer, got {_type_name(value)}", field=field
            )
        value = int(value)
    if not 0 <= value <= MAX_TOKENS:
        raise ValidationError(
            f"{field} must be between 0 and {MAX_TOKENS} (an unsigned 32-bit integer), got {value}",
            field=field,
        )
    return value


def check_non_negative(value: object, field: str) -> float:
    if type(value) is float:
        number = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int beyond any float
            number = math.inf
    else:
        raise ValidationError(f"{field} must be a number, got {_type_name(value)}", field=field)
    # `not number >= 0` is also true for NaN.
    if not number >= 0.0 or number == math.inf:
        raise ValidationError(f"{field} must be a finite number >= 0, got {number!r}", field=field)
    return number


def check_embedding(value: object, field: str) -> list[float] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"{field} must be a list of numbers or None, got {_type_name(value)}", field=field
        )
    out: list[float] = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise ValidationError(
                f"{field}[{i}] must be a number, got {_type_name(item)}", field=field
            )
        try:
            number = float(item)
        except OverflowError:  # an int beyond any float
            number = math.inf
        if not -F32_MAX <= number <= F32_MAX:
            raise ValidationError(
                f"{field}[{i}] must be a finite 32-bit float, got {number!r}", field=field
            )
        out.append(number)
    return out


def check_metadata(value: object, field: str = "metadata") -> dict[str, str]:
    if type(value) is not dict:
        if not isinstance(value, Mapping):
            raise ValidationError(
                f"{field} must be a mapping of strings to strings, got {_type_name(value)}",
                field=field,
            )
        value = dict(value)
    for key, item in value.items():
        if type(key) is not str or type(item) is not str or not key.isascii() or not item.isascii():
            return _check_metadata_slow(value, field)
    return value


def _check_metadata_slow(value: dict[Any, Any], field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise ValidationError(
                f"{field} keys must be strings, got {_type_name(key)}", field=field
            )
        if not isinstance(item, str):
            raise ValidationError(
                f"{field}[{key!r}] must be a string, got {_type_name(item)} (the core reads "
                "metadata as string to string; track() and the builder convert values with "
                "sentinel_sdk.coerce_metadata)",
                field=f"{field}.{key}",
            )
        key, item = str.__str__(key), str.__str__(item)
        _check_encodable(key, field)
        _check_encodable(item, f"{field}.{key}")
        out[key] = item
    return out


def check_str_list(value: object, field: str) -> list[str]:
    # A mapping would pass as the list of its keys, silently dropping its values.
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"{field} must be a list of strings, got {_type_name(value)}", field=field
        )
    out = list(value)
    for i, item in enumerate(out):
        if type(item) is not str or not item.isascii():
            out[i] = check_str(item, f"{field}[{i}]")
    return out


def check_event_id(value: object) -> str:
    if type(value) is str and _CANONICAL_UUID.fullmatch(value):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise ValidationError(f"event_id must be a UUID string, got {value!r}", field="event_id")


def check_timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            # Naive datetimes are taken as UTC (what datetime.utcnow() users mean).
            return value.replace(tzinfo=timezone.utc)
        if value.utcoffset() == timedelta(0):
            return value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)
        try:
            return value.astimezone(timezone.utc)
        except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise ValidationError(
                f"timestamp {value.isoformat()} is out of range in UTC",
                field="timestamp",
                cause=exc,
            ) from exc
    if isinstance(value, str):
        return parse_timestamp(value)
    raise ValidationError(
        f"timestamp must be a datetime or an RFC 3339 string, got {_type_name(value)}",
        field="timestamp",
    )


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (as chrono writes it: up to 9 fraction digits) into UTC."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValidationError(
            f"timestamp must be RFC 3339 (e.g. 2024-01-01T00:00:00.000000Z), got {text!r}",
            field="timestamp",
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        if offset in ("Z", "z"):
            tz = timezone.utc
        else:
            off_hours, off_minutes = int(offset[1:3]), int(offset[4:6])
            if off_hours > 23 or off_minutes > 59:
                raise ValueError(f"UTC offset {offset} out of range")
            sign = 1 if offset[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=off_hours, minutes=off_minutes))
        parsed = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tz
        )
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise ValidationError(
            f"timestamp {text!r} is not a valid date: {exc}", field="timestamp", cause=exc
        ) from exc


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a ``Z``: ``2024-01-01T00:00:00.000000Z``."""
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
        f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z"
    )


def truncate_text(text: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """``text`` cut to at most ``limit`` characters (code points, as the core counts them)."""
    return text if len(text) <= limit else text[:limit]


def coerce_metadata(metadata: Mapping[Any, Any] | None) -> dict[str, str]:
    """Convert any mapping into the core's ``HashMap<String, String>``, by one rule.

    Keys become ``str(key)``. String values are kept as they are. Every other value
    of JSON's own types becomes its compact JSON text, so ``True`` -> ``"true"``,
    ``None`` -> ``"null"``, ``3`` -> ``"3"``, ``0.5`` -> ``"0.5"``, ``[1, 2]`` ->
    ``"[1,2]"``, ``{"a": 1}`` -> ``'{"a":1}'`` (keys sorted; objects nested inside
    become ``str(obj)``; NaN and infinities become ``NaN`` / ``Infinity``); any other
    value (a datetime, a UUID, a custom object) becomes ``str(value)``. A value whose
    ``str()`` fails becomes ``<unprintable TYPE>``. The result is always valid
    metadata: anything but a mapping (or ``None``), or text with a lone surrogate,
    raises ``ValidationError``.
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise ValidationError(
            f"metadata must be a mapping, got {_type_name(metadata)}", field="metadata"
        )
    out: dict[str, str] = {}
    for key, value in metadata.items():
        name = key if type(key) is str else _safe_str(key)
        if type(value) is str:
            text = value
        elif isinstance(value, str):
            text = str.__str__(value)
        else:
            text = _to_json_text(value)
        if not (name.isascii() and text.isascii()):
            _check_encodable(name, "metadata")
            _check_encodable(text, f"metadata.{name}")
        out[name] = text
    return out


_JSON_NATIVE = (dict, list, tuple, int, float, bool, type(None))


def _safe_str(value: Any) -> str:
    try:
        text = str(value)
    except Exception:  # a broken __str__, an int past the digit limit, deep nesting
        return f"<unprintable {_type_name(value)}>"
    return text if type(text) is str else str.__str__(text)


def _to_json_text(value: Any) -> str:
    if not isinstance(value, _JSON_NATIVE):
        return _safe_str(value)
    try:
        return json.dumps(
            value, separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=_safe_str
        )
    except (TypeError, ValueError, RecursionError):
        # Unsortable mixed-type keys, a circular structure, deep nesting, a huge int.
        return _safe_str(value)
