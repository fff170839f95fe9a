"""The wire contract the Rust core enforces (serde + validator), as one set of rules.

Each rule is stated once, as a predicate that says whether a value already has
the exact form the core accepts: ``is_token_count``, ``is_plain_text``,
``is_finite_non_negative``, ``is_plain_str``, ``is_string_metadata``,
``is_event_id``, ``is_utc_datetime``. The ``check_*`` functions start with that
predicate and, for anything else, either normalise the value (an ``int``
latency, a ``str`` subclass) or raise ``ValidationError`` naming the field.
``track()``'s fast path calls the predicates alone (``sentinel_sdk._assembly``);
``TelemetryEvent`` and the full build call the checks, so the two can never
disagree.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TypeGuard

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
    "check_service_name",
    "check_str",
    "check_str_list",
    "check_text",
    "check_timestamp",
    "check_tokens",
    "format_timestamp",
    "is_event_id",
    "is_finite_non_negative",
    "is_plain_str",
    "is_plain_text",
    "is_string_metadata",
    "is_token_count",
    "is_utc_datetime",
    "parse_timestamp",
]

MAX_TEXT_LENGTH = 100_000
"""Longest prompt or response text the core accepts, in characters (code points)."""
MAX_TOKENS = 2**32 - 1
"""Token counts are ``u32`` in the core."""
MAX_SERVICE_NAME_LENGTH = 255
F32_MAX = 3.4028234663852886e38
"""Largest finite ``f32``: embeddings are ``Vec<f32>`` in the core."""

_INF = math.inf
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# re.ASCII: \d would otherwise also match other scripts' digits (fullwidth, Arabic-Indic).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


# -- the rules, as predicates: True when the value is already exactly what the core takes --
#
# They are the fast path of every check, so each is one expression on exact types:
# isascii() is O(1) in CPython, and ASCII text can hold no lone surrogate.


def is_plain_str(value: object) -> TypeGuard[str]:
    """An exact ``str`` of ASCII text: valid UTF-8 as it is, without a look at each character."""
    return type(value) is str and value.isascii()


def is_plain_text(value: object, limit: int = MAX_TEXT_LENGTH) -> TypeGuard[str]:
    """A plain string (``is_plain_str``) of at most ``limit`` characters."""
    return type(value) is str and value.isascii() and len(value) <= limit


def is_token_count(value: object) -> TypeGuard[int]:
    """An exact ``int`` that fits the core's ``u32`` (0 to 4,294,967,295)."""
    return type(value) is int and 0 <= value <= MAX_TOKENS


def is_finite_non_negative(value: object) -> TypeGuard[float]:
    """An exact ``float``, finite and >= 0 (NaN fails every comparison)."""
    return type(value) is float and 0.0 <= value < _INF


def is_string_metadata(value: object) -> TypeGuard[dict[str, str]]:
    """An exact ``dict`` of plain strings to plain strings (``HashMap<String, String>``)."""
    if type(value) is not dict:
        return False
    for key, item in value.items():
        if type(key) is not str or type(item) is not str or not key.isascii() or not item.isascii():
            return False
    return True


def is_event_id(value: object) -> TypeGuard[str]:
    """A UUID string in canonical lowercase form (what ``event_id`` is on the wire)."""
    return type(value) is str and _CANONICAL_UUID.fullmatch(value) is not None


def is_utc_datetime(value: object) -> TypeGuard[datetime]:
    """An exact aware ``datetime`` in UTC (serialized as RFC 3339 with a ``Z``)."""
    return type(value) is datetime and value.tzinfo is timezone.utc


# -- the checks: the rule's predicate first, then normalise or raise ----------------------


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
    """A string field: text writable as UTF-8, ``min_len`` to ``max_len`` characters long."""
    if not is_plain_str(value):
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


def check_service_name(value: object, field: str = "service_name") -> str:
    """A service name: 1 to 255 characters."""
    return check_str(value, field, min_len=1, max_len=MAX_SERVICE_NAME_LENGTH)


def check_text(value: object, field: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """A prompt or response text (at most ``limit`` characters)."""
    if is_plain_text(value, limit):
        return value
    return check_str(value, field, max_len=limit)


def check_tokens(value: object, field: str) -> int:
    """A token count (``u32``)."""
    if is_token_count(value):
        return value
    # bool is an int subclass but never a token count; other ints (numpy, IntEnum) are fine.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an integer, got {_type_name(value)}", field=field)
    value = int(value)
    if not 0 <= value <= MAX_TOKENS:
        raise ValidationError(
            f"{field} must be between 0 and {MAX_TOKENS} (an unsigned 32-bit integer), got {value}",
            field=field,
        )
    return value


def check_non_negative(value: object, field: str) -> float:
    """A latency or cost: a finite number >= 0, as a ``float``."""
    if is_finite_non_negative(value):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
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
    """``None``, or a list of finite 32-bit floats (the core's ``Vec<f32>``)."""
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
    """Metadata: strings to strings (``coerce_metadata`` converts other values first)."""
    if is_string_metadata(value):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{field} must be a mapping of strings to strings, got {_type_name(value)}",
            field=field,
        )
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
    """A list of strings (``errors``), copied."""
    # A mapping would pass as the list of its keys, silently dropping its values.
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"{field} must be a list of strings, got {_type_name(value)}", field=field
        )
    out = list(value)
    for i, item in enumerate(out):
        if not is_plain_str(item):
            out[i] = check_str(item, f"{field}[{i}]")
    return out


def check_event_id(value: object, field: str = "event_id") -> str:
    """An event id: a UUID (or its text in any form ``uuid.UUID`` reads), canonicalised."""
    if is_event_id(value):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise ValidationError(f"{field} must be a UUID string, got {value!r}", field=field)


def check_timestamp(value: object, field: str = "timestamp") -> datetime:
    """A timestamp: a datetime (naive means UTC) or RFC 3339 text, as an aware UTC datetime."""
    if is_utc_datetime(value):
        return value
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
                f"{field} {value.isoformat()} is out of range in UTC",
                field=field,
                cause=exc,
            ) from exc
    if isinstance(value, str):
        return parse_timestamp(value, field)
    raise ValidationError(
        f"{field} must be a datetime or an RFC 3339 string, got {_type_name(value)}",
        field=field,
    )


def parse_timestamp(text: str, field: str = "timestamp") -> datetime:
    """Parse an RFC 3339 timestamp (as chrono writes it: up to 9 fraction digits) into UTC."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValidationError(
            f"{field} must be RFC 3339 (e.g. 2024-01-01T00:00:00.000000Z), got {text!r}",
            field=field,
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
            f"{field} {text!r} is not a valid date: {exc}", field=field, cause=exc
        ) from exc


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a ``Z``: ``2024-01-01T00:00:00.000000Z``."""
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
        f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z"
    )
