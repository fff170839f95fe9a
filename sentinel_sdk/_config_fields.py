"""How one configuration option (a field of ``SentinelConfig``) is declared, read and checked.

``SentinelConfig`` (``config.py``) is the table of options; this is the machinery
behind each row: ``option()`` declares a field with its doc, its kind (how text
from an environment variable or a settings file is parsed) and its bounds;
``check()`` validates and normalises a value; ``parse_text()`` reads text.
Secrets (``SECRET``) are never shown in messages.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from typing import Any, Literal

from ._validation import MAX_SERVICE_NAME_LENGTH
from .exceptions import ConfigurationError

__all__ = ["SECRET", "check", "describe", "option", "parse_text"]

SECRET = ("sasl_password", "ssl_keyfile_password")
"""Options whose values never appear in repr(), logs or error messages."""


def option(
    default: Any,
    doc: str,
    *,
    kind: str,
    env: bool = True,
    choices: Sequence[str] = (),
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    """A config field: ``kind`` is how text (env vars) is parsed and values are checked."""
    meta = {
        "doc": doc,
        "kind": kind,
        "env": env,
        "choices": tuple(choices),
        "minimum": minimum,
        "maximum": maximum,
    }
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


Kind = Literal["str", "str?", "int", "float", "bool", "list", "choice", "choice?", "callable"]
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def describe(f: dataclasses.Field[Any], value: Any) -> str:
    """The value as it may appear in an error message (never a secret)."""
    return "<hidden>" if f.name in SECRET else repr(value)


def parse_text(f: dataclasses.Field[Any], text: str, *, source: str) -> Any:
    kind = f.metadata["kind"]
    # A password is taken verbatim: its spaces may be part of it.
    raw = text if f.name in SECRET else text.strip()
    try:
        if kind == "bool":
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
            raise ValueError
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "list":
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if kind in ("str?", "choice?"):
            return raw or None
        return raw
    except ValueError:
        expected = {
            "bool": "true/false/1/0/yes/no/on/off",
            "int": "an integer",
            "float": "a number",
        }[kind]
        raise ConfigurationError(
            f"{source} must be {expected}, got {describe(f, text)}", option=f.name
        ) from None


def _bound(limit: float) -> str:
    # Exact, unlike :g (which shows 1048576 as 1.04858e+06).
    return str(int(limit)) if float(limit).is_integer() else repr(limit)


def check(f: dataclasses.Field[Any], value: Any) -> Any:
    """Check one option's value against its kind and bounds; return it normalised."""
    kind, name = f.metadata["kind"], f.name

    def fail(expected: str) -> ConfigurationError:
        return ConfigurationError(
            f"{name} must be {expected}, got {describe(f, value)}", option=name
        )

    if kind == "callable":
        if value is not None and not callable(value):
            raise fail("a callable or None")
        return value
    if name == "pricing":
        if value is not None and not isinstance(value, (str, Mapping)):
            raise fail("a mapping of model -> prices, a JSON file path, or None")
        return value
    if value is None and kind.endswith("?"):
        return None
    checker = _CHECKERS.get(kind)
    if checker is None:  # pragma: no cover - every kind has one
        raise AssertionError(f"unknown option kind {kind!r}")
    return checker(f, value, fail)


_Fail = Callable[[str], ConfigurationError]


def _check_list(f: dataclasses.Field[Any], value: Any, fail: _Fail) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if (
        not isinstance(value, Sequence)
        or not value
        or not all(isinstance(v, str) and v for v in value)
    ):
        raise fail("a non-empty list of host:port strings")
    return tuple(value)


def _check_bool(f: dataclasses.Field[Any], value: Any, fail: _Fail) -> bool:
    if not isinstance(value, bool):
        raise fail("true or false")
    return value


def _check_choice(f: dataclasses.Field[Any], value: Any, fail: _Fail) -> str:
    choices = f.metadata["choices"]
    if isinstance(value, str) and value not in choices:
        folded = {c.lower(): c for c in choices}
        value = folded.get(value.lower(), value)
    if value not in choices:
        raise fail(f"one of {', '.join(choices)}")
    return str(value)


def _check_str(f: dataclasses.Field[Any], value: Any, fail: _Fail) -> str:
    optional = f.metadata["kind"] == "str?"
    if not isinstance(value, str) or (not optional and not value):
        raise fail("a string or None" if optional else "a non-empty string")
    if f.name == "service_name" and len(value) > MAX_SERVICE_NAME_LENGTH:
        raise fail(f"at most {MAX_SERVICE_NAME_LENGTH} characters")
    return value


def _check_number(f: dataclasses.Field[Any], value: Any, fail: _Fail) -> int | float:
    kind, meta = f.metadata["kind"], f.metadata
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (kind == "int" and not isinstance(value, int))
    ):
        raise fail("an integer" if kind == "int" else "a number")
    if kind == "float":
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int too large for a float
            finite = False
        if not finite:
            raise fail("a finite number")
    low, high = meta["minimum"], meta["maximum"]
    if low is not None and value < low:
        raise fail(f">= {_bound(low)}")
    if high is not None and value > high:
        raise fail(f"<= {_bound(high)}")
    return float(value) if kind == "float" else value


_CHECKERS: dict[str, Callable[[dataclasses.Field[Any], Any, _Fail], Any]] = {
    "list": _check_list,
    "bool": _check_bool,
    "choice": _check_choice,
    "choice?": _check_choice,
    "str": _check_str,
    "str?": _check_str,
    "int": _check_number,
    "float": _check_number,
}
