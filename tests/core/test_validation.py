"""The field checks of ``sentinel_sdk._validation``, called directly, and ``coerce_metadata``.

``test_events.py`` checks the same rules through the dataclasses; here each check's own
contract: the normalised value it returns, the field it names, the timestamp text
format, and the one documented metadata conversion rule.
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from sentinel_sdk import ValidationError, coerce_metadata
from sentinel_sdk import _validation as v


class Color(str, enum.Enum):
    RED = "red"


class Count(enum.IntEnum):
    TEN = 10


# -- strings -----------------------------------------------------------------------------


def test_check_str_returns_plain_str_and_names_the_field() -> None:
    assert v.check_str("x", "f") == "x"
    value = v.check_str(Color.RED, "f")
    assert value == "red"
    assert type(value) is str
    with pytest.raises(ValidationError) as info:
        v.check_str(3, "some.field")
    assert info.value.field == "some.field"
    assert "some.field must be a string, got int" in str(info.value)


def test_check_str_length_bounds_count_code_points() -> None:
    assert v.check_str("😀" * 3, "f", min_len=3, max_len=3) == "😀" * 3
    with pytest.raises(ValidationError, match="must not be empty"):
        v.check_str("", "f", min_len=1)
    with pytest.raises(ValidationError, match="at least 2"):
        v.check_str("a", "f", min_len=2)
    with pytest.raises(ValidationError, match="has 4 characters; the maximum is 3"):
        v.check_str("abcd", "f", max_len=3)


@pytest.mark.parametrize("text", ["\ud800", "a\udfff", "é\udc80z", "😀\ud83d"])
def test_check_str_rejects_lone_surrogates_with_their_index(text: str) -> None:
    with pytest.raises(ValidationError, match="lone surrogate") as info:
        v.check_str(text, "f")
    assert info.value.field == "f"
    index = next(i for i, c in enumerate(text) if 0xD800 <= ord(c) <= 0xDFFF)
    assert f"at index {index}" in str(info.value)


@pytest.mark.parametrize("text", ["", "ascii", "é", "漢字", "😀", "\U0010ffff", "\ufffd"])
def test_check_str_accepts_every_scalar_value(text: str) -> None:
    assert v.check_str(text, "f") == text


def test_check_text_limit() -> None:
    assert len(v.check_text("a" * v.MAX_TEXT_LENGTH, "t")) == 100_000
    with pytest.raises(ValidationError) as info:
        v.check_text("a" * (v.MAX_TEXT_LENGTH + 1), "t")
    assert info.value.field == "t"


# -- the rules as predicates: the checks' own fast path -----------------------------


SAMPLES: list[Any] = [
    None, True, False, 0, 1, -1, 2**32 - 1, 2**32, Count.TEN, 0.0, -0.0, 1.5, -1.0,
    math.inf, math.nan, 10**400, "", "ascii", "\u00e9", "\ud800", Color.RED, b"x",
    {}, {"k": "v"}, {"k": 1}, {1: "v"}, {"\u00e9": "v"}, [], ["x"],
    str(uuid.uuid4()), str(uuid.uuid4()).upper(), datetime.now(timezone.utc),
    datetime(2024, 1, 1), datetime.now(timezone(timedelta(hours=1))),
]  # fmt: skip
PREDICATES: list[tuple[Callable[[Any], bool], Callable[[Any], Any]]] = [
    (v.is_token_count, lambda x: v.check_tokens(x, "t")),
    (v.is_finite_non_negative, lambda x: v.check_non_negative(x, "n")),
    (v.is_plain_str, lambda x: v.check_str(x, "s")),
    (lambda x: v.is_plain_text(x, 3), lambda x: v.check_text(x, "t", 3)),
    (v.is_string_metadata, v.check_metadata),
    (v.is_event_id, v.check_event_id),
    (v.is_utc_datetime, v.check_timestamp),
]


@pytest.mark.parametrize(("predicate", "check"), PREDICATES)
def test_a_value_the_predicate_accepts_passes_its_check_unchanged(
    predicate: Any, check: Any
) -> None:
    accepted = [x for x in SAMPLES if predicate(x)]
    assert accepted, "every predicate accepts some sample"
    for value in accepted:
        assert check(value) is value


@pytest.mark.parametrize(("predicate", "check"), PREDICATES)
def test_the_predicates_accept_only_the_exact_form(predicate: Any, check: Any) -> None:
    # Whatever the check rejects, or has to convert, the predicate turns down: the fast
    # path of track() then takes the full build, which converts or raises.
    for value in SAMPLES:
        try:
            checked = check(value)
        except ValidationError:
            assert not predicate(value), value
            continue
        if checked is not value:
            assert not predicate(value), value


# -- numbers -----------------------------------------------------------------------------


def test_check_tokens_normalises_int_subclasses() -> None:
    assert v.check_tokens(Count.TEN, "t") == 10
    assert type(v.check_tokens(Count.TEN, "t")) is int
    assert v.check_tokens(v.MAX_TOKENS, "t") == 2**32 - 1
    for bad in (2**32, -1, True, 1.0, "1", None):
        with pytest.raises(ValidationError) as info:
            v.check_tokens(bad, "t")
        assert info.value.field == "t"


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 0.0), (3, 3.0), (1.5, 1.5), (10**300, 1e300), (Count.TEN, 10.0)]
)
def test_check_non_negative_returns_a_float(value: Any, expected: float) -> None:
    result = v.check_non_negative(value, "n")
    assert result == expected
    assert type(result) is float


@pytest.mark.parametrize(
    "value", [-1, -1e-300, math.nan, math.inf, -math.inf, 10**309, True, "1", None]
)
def test_check_non_negative_rejects(value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        v.check_non_negative(value, "n")
    assert info.value.field == "n"


def test_check_embedding_converts_to_floats() -> None:
    assert v.check_embedding(None, "e") is None
    assert v.check_embedding((1, 2.5), "e") == [1.0, 2.5]
    assert v.check_embedding(iter([3]), "e") == [3.0]
    assert v.check_embedding([v.F32_MAX, -v.F32_MAX], "e") == [v.F32_MAX, -v.F32_MAX]
    with pytest.raises(ValidationError, match=r"e\[0\]"):
        v.check_embedding([10**39], "e")


def test_f32_max_is_the_largest_finite_f32() -> None:
    import struct

    assert struct.unpack(">f", struct.pack(">f", v.F32_MAX))[0] == v.F32_MAX
    with pytest.raises(OverflowError):
        struct.pack(">f", math.nextafter(v.F32_MAX, math.inf) * 1.0000001)


# -- metadata ----------------------------------------------------------------------------


def test_check_metadata_fast_and_slow_paths_agree() -> None:
    plain = {"a": "1", "é": "ü"}
    assert v.check_metadata(plain) == plain
    mixed = {Color.RED: Color.RED, "b": "2"}
    out = v.check_metadata(mixed)
    assert out == {"red": "red", "b": "2"}
    assert all(type(k) is str and type(x) is str for k, x in out.items())


def test_check_metadata_names_the_bad_key() -> None:
    with pytest.raises(ValidationError) as info:
        v.check_metadata({"ok": "1", "bad": 2})
    assert info.value.field == "metadata.bad"
    assert "coerce_metadata" in str(info.value)


def test_check_str_list() -> None:
    assert v.check_str_list(("a", Color.RED), "errors") == ["a", "red"]
    assert v.check_str_list(iter(["x"]), "errors") == ["x"]
    for bad in ("abc", b"abc", {"a": "b"}, 5, None):
        with pytest.raises(ValidationError) as info:
            v.check_str_list(bad, "errors")
        assert info.value.field == "errors"


# -- event id ----------------------------------------------------------------------------


def test_check_event_id_forms() -> None:
    canonical = "0f8fad5b-d9cb-469f-a165-70867728950e"
    for given in (
        canonical,
        canonical.upper(),
        "{" + canonical + "}",
        "urn:uuid:" + canonical,
        canonical.replace("-", ""),
        uuid.UUID(canonical),
    ):
        assert v.check_event_id(given) == canonical
    for bad in ("", "0f8fad5b", canonical + "0", 1, None, b"0" * 16):
        with pytest.raises(ValidationError) as info:
            v.check_event_id(bad)
        assert info.value.field == "event_id"


# -- timestamps --------------------------------------------------------------------------


def test_format_timestamp_is_rfc3339_utc_with_microseconds() -> None:
    assert v.format_timestamp(datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == (
        "2024-01-02T03:04:05.000000Z"
    )
    assert v.format_timestamp(datetime(1, 1, 1, tzinfo=timezone.utc)) == (
        "0001-01-01T00:00:00.000000Z"
    )
    assert v.format_timestamp(datetime(999, 12, 31, 23, 59, 59, 999999, timezone.utc)) == (
        "0999-12-31T23:59:59.999999Z"
    )


def test_parse_and_format_round_trip() -> None:
    for stamp in (
        datetime(2024, 2, 29, 12, 30, 15, 123456, tzinfo=timezone.utc),
        datetime(1, 1, 1, tzinfo=timezone.utc),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
    ):
        assert v.parse_timestamp(v.format_timestamp(stamp)) == stamp


def test_parse_timestamp_truncates_nanoseconds() -> None:
    assert v.parse_timestamp("2024-01-01T00:00:00.999999999Z").microsecond == 999999
    assert v.parse_timestamp("2024-01-01T00:00:00.1Z").microsecond == 100000


def test_parse_timestamp_offsets_at_the_edge() -> None:
    assert v.parse_timestamp("2024-01-01T23:59:00+23:59") == datetime(
        2024, 1, 1, 0, 0, tzinfo=timezone.utc
    )
    assert v.parse_timestamp("2024-01-01T00:00:00-23:59") == datetime(
        2024, 1, 1, 23, 59, tzinfo=timezone.utc
    )
    for bad in ("2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00-00:60"):
        with pytest.raises(ValidationError) as info:
            v.parse_timestamp(bad)
        assert info.value.field == "timestamp"


def test_check_timestamp_keeps_utc_objects_and_converts_others() -> None:
    utc = datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert v.check_timestamp(utc) is utc
    zero = timezone(timedelta(0), "UTC+0")
    converted = v.check_timestamp(datetime(2024, 1, 1, tzinfo=zero))
    assert converted == utc
    assert converted.tzinfo is timezone.utc
    naive = v.check_timestamp(datetime(2024, 1, 1))
    assert naive == utc
    assert naive.tzinfo is timezone.utc


# -- coerce_metadata ---------------------------------------------------------------------


def test_coerce_metadata_rule() -> None:
    class Obj:
        def __str__(self) -> str:
            return "obj!"

    stamp = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    ident = uuid.UUID(int=1)
    got = coerce_metadata(
        {
            "s": "text",
            "t": True,
            "f": False,
            "n": None,
            "i": 3,
            "x": 0.5,
            "l": [1, "a", None],
            "tu": (1, 2),
            "d": {"b": 1, "a": [True]},
            "nested_obj": {"when": stamp},
            "nan": math.nan,
            "inf": -math.inf,
            "when": stamp,
            "id": ident,
            "obj": Obj(),
            7: "int key",
            "uni": {"ключ": "😀"},
        }
    )
    assert got == {
        "s": "text",
        "t": "true",
        "f": "false",
        "n": "null",
        "i": "3",
        "x": "0.5",
        "l": '[1,"a",null]',
        "tu": "[1,2]",
        "d": '{"a":[true],"b":1}',
        "nested_obj": '{"when":"2024-01-02 03:04:05+00:00"}',
        "nan": "NaN",
        "inf": "-Infinity",
        "when": "2024-01-02 03:04:05+00:00",
        "id": "00000000-0000-0000-0000-000000000001",
        "obj": "obj!",
        "7": "int key",
        "uni": '{"ключ":"😀"}',
    }
    # The result is always acceptable metadata.
    assert v.check_metadata(got) == got


def test_coerce_metadata_edge_cases_never_raise_anything_but_validation_error() -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    circular: dict[str, Any] = {}
    circular["self"] = circular
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    got = coerce_metadata(
        {
            "broken": Broken(),
            "mixed_keys": {1: "a", "b": 2},
            "circular": circular,
            "huge": 10**5000,
            "deep": deep,
            Broken(): "key that cannot print",
        }
    )
    assert got["broken"] == "<unprintable Broken>"
    assert got["mixed_keys"] == "{1: 'a', 'b': 2}"
    assert got["circular"] == "{'self': {...}}"
    assert got["huge"] == "<unprintable int>"
    assert got["<unprintable Broken>"] == "key that cannot print"
    assert isinstance(got["deep"], str)
    assert coerce_metadata(None) == {}
    assert coerce_metadata({}) == {}
    with pytest.raises(ValidationError) as info:
        coerce_metadata([("a", 1)])  # type: ignore[arg-type]
    assert info.value.field == "metadata"
    with pytest.raises(ValidationError):
        coerce_metadata({"a": "\udc80"})
