"""``coerce_metadata``: the one rule that turns any metadata mapping into the core's strings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._validation import _check_encodable, _type_name
from .exceptions import ValidationError

__all__ = ["coerce_metadata"]


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
