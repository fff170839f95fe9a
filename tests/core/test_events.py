"""TelemetryEvent, PromptInfo, ResponseInfo: every wire rule, at its boundaries."""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from sentinel_sdk import (
    MAX_TEXT_LENGTH,
    MAX_TOKENS,
    PromptInfo,
    ResponseInfo,
    TelemetryEvent,
    ValidationError,
    json_schema,
)
from sentinel_sdk._validation import F32_MAX

VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def make(**fields: Any) -> TelemetryEvent:
    return TelemetryEvent(**{"service_name": "svc", "model": "gpt-4o", **fields})


def wire(event: TelemetryEvent) -> dict[str, Any]:
    """The event's JSON, checked against the shipped schema."""
    data: dict[str, Any] = json.loads(event.to_json())
    VALIDATOR.validate(data)
    return data


def rejects(field: str, build: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.field == field, str(info.value)
    assert field.split(".")[0].split("[")[0] in str(info.value)
    return info.value


# -- text --------------------------------------------------------------------------------


def test_limits_are_the_cores() -> None:
    assert MAX_TEXT_LENGTH == 100_000
    assert MAX_TOKENS == 2**32 - 1


@pytest.mark.parametrize("char", ["a", "é", "漢", "😀"])
def test_prompt_and_response_text_of_exactly_100000_chars_accepted(char: str) -> None:
    text = char * 100_000
    event = make(prompt=PromptInfo(text=text), response=ResponseInfo(text=text))
    data = wire(event)
    assert len(data["prompt"]["text"]) == 100_000
    assert len(data["response"]["text"]) == 100_000


@pytest.mark.parametrize("char", ["a", "😀"])
def test_prompt_text_of_100001_chars_rejected(char: str) -> None:
    err = rejects("prompt.text", lambda: PromptInfo(text=char * 100_001))
    assert "100001" in str(err)
    assert "100000" in str(err)


@pytest.mark.parametrize("char", ["a", "😀"])
def test_response_text_of_100001_chars_rejected(char: str) -> None:
    rejects("response.text", lambda: ResponseInfo(text=char * 100_001))


@pytest.mark.parametrize("bad", [None, 5, b"bytes", ["a"]])
def test_text_must_be_a_string(bad: Any) -> None:
    rejects("prompt.text", lambda: PromptInfo(text=bad))
    rejects("response.text", lambda: ResponseInfo(text=bad))


def test_text_with_lone_surrogate_rejected_because_it_cannot_be_utf8() -> None:
    rejects("prompt.text", lambda: PromptInfo(text="ok \udc80"))
    rejects("response.finish_reason", lambda: ResponseInfo(finish_reason="\ud800"))
    rejects("model", lambda: make(model="m\ud800"))
    rejects("errors[0]", lambda: make(errors=["\udfff"]))
    rejects("metadata.k", lambda: make(metadata={"k": "v\ud800"}))
    rejects("metadata", lambda: make(metadata={"k\ud800": "v"}))


def test_str_subclass_text_is_kept_as_plain_str() -> None:
    class Text(str):
        pass

    prompt = PromptInfo(text=Text("hi"))
    assert type(prompt.text) is str
    assert prompt.text == "hi"


# -- tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("tokens", [0, 1, 2**32 - 1])
def test_tokens_within_u32_accepted(tokens: int) -> None:
    event = make(prompt=PromptInfo(tokens=tokens), response=ResponseInfo(tokens=tokens))
    assert wire(event)["prompt"]["tokens"] == tokens


@pytest.mark.parametrize("tokens", [2**32, 2**64, -1, -(2**40)])
def test_tokens_outside_u32_rejected(tokens: int) -> None:
    err = rejects("prompt.tokens", lambda: PromptInfo(tokens=tokens))
    assert "4294967295" in str(err)
    rejects("response.tokens", lambda: ResponseInfo(tokens=tokens))


@pytest.mark.parametrize("tokens", [True, False, 1.0, 2.5, "3", None, math.nan])
def test_tokens_must_be_an_int_not_bool_float_or_text(tokens: Any) -> None:
    rejects("prompt.tokens", lambda: PromptInfo(tokens=tokens))
    rejects("response.tokens", lambda: ResponseInfo(tokens=tokens))


def test_int_subclass_tokens_become_plain_int() -> None:
    import enum

    class N(enum.IntEnum):
        FIVE = 5

    prompt = PromptInfo(tokens=N.FIVE)
    assert type(prompt.tokens) is int
    assert prompt.tokens == 5


# -- latency / cost ----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["latency_ms", "cost_usd"])
@pytest.mark.parametrize("value", [0, 0.0, 5e-324, 1.5, 1e300, 10**20])
def test_latency_and_cost_finite_non_negative_accepted(field: str, value: float) -> None:
    event = make(**{field: value})
    assert getattr(event, field) == float(value)
    assert type(getattr(event, field)) is float
    assert wire(event)[field] == float(value)


@pytest.mark.parametrize("field", ["latency_ms", "cost_usd"])
@pytest.mark.parametrize(
    "value", [-1, -0.001, -5e-324, math.nan, math.inf, -math.inf, 10**400, -(10**400)]
)
def test_latency_and_cost_negative_or_non_finite_rejected(field: str, value: float) -> None:
    err = rejects(field, lambda: make(**{field: value}))
    assert ">= 0" in str(err)


@pytest.mark.parametrize("field", ["latency_ms", "cost_usd"])
@pytest.mark.parametrize("value", [True, False, "1.5", None, [1.0]])
def test_latency_and_cost_must_be_numbers(field: str, value: Any) -> None:
    err = rejects(field, lambda: make(**{field: value}))
    assert "number" in str(err)


def test_negative_zero_latency_is_accepted_as_zero() -> None:
    assert make(latency_ms=-0.0).latency_ms == 0.0


# -- service_name / model ----------------------------------------------------------------


def test_service_name_length_bounds() -> None:
    assert make(service_name="a").service_name == "a"
    assert wire(make(service_name="s" * 255))["service_name"] == "s" * 255
    assert len(make(service_name="😀" * 255).service_name) == 255
    err = rejects("service_name", lambda: make(service_name="s" * 256))
    assert "256" in str(err)
    assert "255" in str(err)
    rejects("service_name", lambda: make(service_name=""))
    rejects("service_name", lambda: make(service_name=None))
    rejects("service_name", lambda: make(service_name=3))


def test_model_required_and_non_empty() -> None:
    rejects("model", lambda: make(model=""))
    rejects("model", lambda: make(model=None))
    rejects("model", lambda: make(model=4))
    with pytest.raises(TypeError):
        TelemetryEvent(service_name="svc")  # type: ignore[call-arg]
    rejects("model", lambda: TelemetryEvent.from_dict({"service_name": "svc"}))
    rejects("service_name", lambda: TelemetryEvent.from_dict({"model": "m"}))


# -- metadata ----------------------------------------------------------------------------


def test_metadata_strings_accepted_and_unicode_kept() -> None:
    event = make(metadata={"region": "eu", "ключ": "значение 😀", "": ""})
    assert wire(event)["metadata"] == {"region": "eu", "ключ": "значение 😀", "": ""}


@pytest.mark.parametrize("value", [1, 1.5, True, None, ["a"], {"a": "b"}, b"x"])
def test_metadata_non_string_values_rejected_naming_the_key(value: Any) -> None:
    err = rejects("metadata.k", lambda: make(metadata={"k": value}))
    assert "coerce_metadata" in str(err)


@pytest.mark.parametrize("key", [1, None, 1.5, ("a",)])
def test_metadata_non_string_keys_rejected(key: Any) -> None:
    rejects("metadata", lambda: make(metadata={key: "v"}))


@pytest.mark.parametrize("value", [None, "a=b", [("a", "b")], 5])
def test_metadata_must_be_a_mapping(value: Any) -> None:
    rejects("metadata", lambda: make(metadata=value))


def test_metadata_mapping_types_are_copied_into_a_dict() -> None:
    from types import MappingProxyType

    event = make(metadata=MappingProxyType({"a": "b"}))
    assert type(event.metadata) is dict
    assert event.metadata == {"a": "b"}


# -- embeddings --------------------------------------------------------------------------


def test_embedding_f32_range_accepted() -> None:
    values = [0.0, -0.0, 1, -1.5, F32_MAX, -F32_MAX, 1e-45, 5e-324]
    prompt = PromptInfo(embedding=values)
    assert prompt.embedding == [float(x) for x in values]
    assert all(type(x) is float for x in prompt.embedding)
    event = make(prompt=prompt, response=ResponseInfo(embedding=(1, 2.5)))  # type: ignore[arg-type]
    data = wire(event)
    assert data["prompt"]["embedding"] == [float(x) for x in values]
    assert data["response"]["embedding"] == [1.0, 2.5]
    assert PromptInfo(embedding=[]).embedding == []
    assert PromptInfo(embedding=None).embedding is None


@pytest.mark.parametrize(
    "item", [math.nan, math.inf, -math.inf, F32_MAX * 1.0000001, -3.5e38, 1e39, 10**400]
)
def test_embedding_values_outside_f32_rejected(item: float) -> None:
    err = rejects("prompt.embedding", lambda: PromptInfo(embedding=[0.5, item]))
    assert "[1]" in str(err)
    rejects("response.embedding", lambda: ResponseInfo(embedding=[item]))


@pytest.mark.parametrize("item", ["1.0", None, True, [1.0], b"1"])
def test_embedding_items_must_be_numbers(item: Any) -> None:
    rejects("prompt.embedding", lambda: PromptInfo(embedding=[item]))


@pytest.mark.parametrize("value", ["1,2", b"12", {"a": 1.0}, 1.0, 3])
def test_embedding_must_be_a_list_or_none(value: Any) -> None:
    rejects("prompt.embedding", lambda: PromptInfo(embedding=value))


# -- errors / trace ids ------------------------------------------------------------------


def test_errors_list_of_strings() -> None:
    event = make(errors=["timeout", "retry: rate limited"])
    assert event.errors == ["timeout", "retry: rate limited"]
    assert event.has_errors
    assert not make().has_errors
    assert make(errors=("a", "b")).errors == ["a", "b"]
    assert wire(event)["errors"] == ["timeout", "retry: rate limited"]
    rejects("errors", lambda: make(errors="just text"))
    rejects("errors", lambda: make(errors=None))
    rejects("errors", lambda: make(errors=5))
    rejects("errors", lambda: make(errors={"timeout": "after 30 s"}))
    rejects("errors[1]", lambda: make(errors=["ok", 5]))
    rejects("errors[0]", lambda: make(errors=[None]))


def test_trace_and_span_ids_strings_or_none() -> None:
    event = make(trace_id="abc", span_id="def")
    assert (wire(event)["trace_id"], wire(event)["span_id"]) == ("abc", "def")
    assert wire(make())["trace_id"] is None
    rejects("trace_id", lambda: make(trace_id=5))
    rejects("span_id", lambda: make(span_id=b"x"))


# -- event_id ----------------------------------------------------------------------------


def test_default_event_id_is_a_fresh_uuid4() -> None:
    ids = {make().event_id for _ in range(1000)}
    assert len(ids) == 1000
    for event_id in list(ids)[:50]:
        parsed = uuid.UUID(event_id)
        assert parsed.version == 4
        assert str(parsed) == event_id


@pytest.mark.parametrize(
    "given",
    [
        "12345678-1234-4234-8234-1234567890AB",
        "{12345678-1234-4234-8234-1234567890ab}",
        "urn:uuid:12345678-1234-4234-8234-1234567890ab",
        "123456781234423482341234567890ab",
        uuid.UUID("12345678-1234-4234-8234-1234567890ab"),
    ],
)
def test_event_id_uuid_forms_normalised_to_canonical_lowercase(given: Any) -> None:
    event = make(event_id=given)
    assert event.event_id == "12345678-1234-4234-8234-1234567890ab"
    wire(event)


@pytest.mark.parametrize(
    "bad", ["", "not-a-uuid", "12345678-1234-4234-8234-1234567890ag", "1234", 5, None, b"x" * 16]
)
def test_event_id_garbage_rejected(bad: Any) -> None:
    rejects("event_id", lambda: make(event_id=bad))


# -- timestamp ---------------------------------------------------------------------------


def test_default_timestamp_is_now_in_utc() -> None:
    before = datetime.now(timezone.utc)
    event = make()
    after = datetime.now(timezone.utc)
    assert event.timestamp.tzinfo is timezone.utc
    assert before <= event.timestamp <= after


def test_naive_datetime_is_taken_as_utc() -> None:
    event = make(timestamp=datetime(2024, 1, 2, 3, 4, 5, 678901))
    assert event.timestamp == datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
    assert wire(event)["timestamp"] == "2024-01-02T03:04:05.678901Z"


def test_aware_datetime_is_converted_to_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    event = make(timestamp=datetime(2024, 1, 1, 1, 30, tzinfo=plus2))
    assert event.timestamp.tzinfo is timezone.utc
    assert wire(event)["timestamp"] == "2023-12-31T23:30:00.000000Z"
    minus = timezone(timedelta(hours=-5, minutes=-30))
    assert make(timestamp=datetime(2024, 1, 1, tzinfo=minus)).timestamp == datetime(
        2024, 1, 1, 5, 30, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=timezone.utc)),
        ("2024-01-01T00:00:00.5Z", datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=timezone.utc)),
        ("2024-01-01T00:00:00.123456Z", datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=timezone.utc)),
        # chrono writes nanoseconds: 9 fraction digits, cut (not rounded) to microseconds.
        (
            "2024-01-01T00:00:00.123456789Z",
            datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=timezone.utc),
        ),
        ("2024-01-01t00:00:00z", datetime(2024, 1, 1, tzinfo=timezone.utc)),
        ("2024-01-01 00:00:00Z", datetime(2024, 1, 1, tzinfo=timezone.utc)),
        ("2024-01-01T02:00:00+02:00", datetime(2024, 1, 1, tzinfo=timezone.utc)),
        ("2023-12-31T18:30:00-05:30", datetime(2024, 1, 1, tzinfo=timezone.utc)),
        (
            "2024-02-29T23:59:59.999999+00:00",
            datetime(2024, 2, 29, 23, 59, 59, 999999, timezone.utc),
        ),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=timezone.utc)),
        ("9999-12-31T23:59:59.999999Z", datetime(9999, 12, 31, 23, 59, 59, 999999, timezone.utc)),
    ],
)
def test_rfc3339_strings_parsed_to_utc(text: str, expected: datetime) -> None:
    event = make(timestamp=text)
    assert event.timestamp == expected
    assert event.timestamp.tzinfo is timezone.utc
    wire(event)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-01-01",
        "2024-01-01T00:00:00",  # no offset: ambiguous
        "2024-1-01T00:00:00Z",
        "2024-02-30T00:00:00Z",  # no such day
        "2023-02-29T00:00:00Z",  # not a leap year
        "2024-13-01T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:60:00Z",
        "2016-12-31T23:59:60Z",  # leap second: Python's datetime cannot hold it
        "0000-01-01T00:00:00Z",
        "2024-01-01T00:00:00+24:00",
        "2024-01-01T00:00:00+01:60",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00+0100",
        "\uff12\uff10\uff12\uff14-01-01T00:00:00Z",  # fullwidth digits
        " 2024-01-01T00:00:00Z",
    ],
)
def test_invalid_timestamps_rejected(text: str) -> None:
    rejects("timestamp", lambda: make(timestamp=text))


@pytest.mark.parametrize("bad", [0, 1.7e9, None, b"2024-01-01T00:00:00Z"])
def test_timestamp_must_be_datetime_or_text(bad: Any) -> None:
    rejects("timestamp", lambda: make(timestamp=bad))


def test_aware_datetime_out_of_utc_range_rejected() -> None:
    plus1 = timezone(timedelta(hours=1))
    rejects("timestamp", lambda: make(timestamp=datetime(1, 1, 1, tzinfo=plus1)))


# -- serialization -----------------------------------------------------------------------


def full_event() -> TelemetryEvent:
    return make(
        service_name="chat-api ✓",
        model="gpt-4o",
        prompt=PromptInfo(
            text='Say "hi"\n\t\\ 漢字 😀 \x00\x1f\u2028', tokens=12, embedding=[0.1, -2.0]
        ),
        response=ResponseInfo(text="hi!", tokens=3, finish_reason="stop", embedding=[1e-45]),
        latency_ms=150.5,
        cost_usd=0.0012,
        metadata={"region": "us-east-1", "quote": '"', "ключ": "😀"},
        errors=["first", "second \u2029"],
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
        span_id="00f067aa0ba902b7",
        event_id="12345678-1234-4234-8234-1234567890ab",
        timestamp=datetime(2024, 1, 1, 12, 0, 0, 1, tzinfo=timezone.utc),
    )


def test_to_dict_is_the_wire_form() -> None:
    data = full_event().to_dict()
    assert data == {
        "event_id": "12345678-1234-4234-8234-1234567890ab",
        "timestamp": "2024-01-01T12:00:00.000001Z",
        "service_name": "chat-api ✓",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "00f067aa0ba902b7",
        "model": "gpt-4o",
        "prompt": {
            "text": 'Say "hi"\n\t\\ 漢字 😀 \x00\x1f\u2028',
            "tokens": 12,
            "embedding": [0.1, -2.0],
        },
        "response": {
            "text": "hi!",
            "tokens": 3,
            "finish_reason": "stop",
            "embedding": [1e-45],
        },
        "latency_ms": 150.5,
        "cost_usd": 0.0012,
        "metadata": {"region": "us-east-1", "quote": '"', "ключ": "😀"},
        "errors": ["first", "second \u2029"],
    }
    VALIDATOR.validate(data)


@pytest.mark.parametrize(
    "event",
    [
        full_event(),
        make(),
        make(latency_ms=1e300, cost_usd=5e-324, prompt=PromptInfo(embedding=[-0.0, 3.4e38])),
        make(latency_ms=10**20, cost_usd=1, timestamp=datetime(1, 1, 1, tzinfo=timezone.utc)),
        make(metadata={"\x7f": "\ud83d\ude00".encode("utf-16", "surrogatepass").decode("utf-16")}),
    ],
)
def test_to_json_is_byte_for_byte_json_dumps_of_to_dict(event: TelemetryEvent) -> None:
    expected = json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
    assert event.to_json() == expected
    assert isinstance(event.to_json(), bytes)
    VALIDATOR.validate(json.loads(event.to_json()))


def test_round_trip_dict_and_json() -> None:
    event = full_event()
    assert TelemetryEvent.from_dict(event.to_dict()) == event
    assert TelemetryEvent.from_json(event.to_json()) == event
    assert TelemetryEvent.from_json(event.to_json().decode()) == event
    assert TelemetryEvent.from_json(bytearray(event.to_json())) == event


def test_from_dict_fills_defaults_for_optional_fields() -> None:
    event = TelemetryEvent.from_dict({"service_name": "svc", "model": "m"})
    assert event.prompt == PromptInfo()
    assert event.response == ResponseInfo()
    assert event.response.finish_reason == "unknown"
    assert (event.latency_ms, event.cost_usd, event.metadata, event.errors) == (0.0, 0.0, {}, [])
    uuid.UUID(event.event_id)
    wire(event)
    partial = TelemetryEvent.from_dict(
        {"service_name": "svc", "model": "m", "prompt": {"text": "x"}, "response": {}}
    )
    assert partial.prompt.text == "x"
    assert partial.prompt.tokens == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"service_name": "s", "model": "m", "extra": 1}, None),
        ({"service_name": "s", "model": "m", "prompt": {"text": "", "nope": 1}}, "prompt"),
        ({"service_name": "s", "model": "m", "response": {"reason": "stop"}}, "response"),
    ],
)
def test_from_dict_rejects_unknown_keys(data: dict[str, Any], field: str | None) -> None:
    with pytest.raises(ValidationError, match="unknown field") as info:
        TelemetryEvent.from_dict(data)
    assert info.value.field == field


@pytest.mark.parametrize(
    "field",
    [
        "event_id",
        "timestamp",
        "service_name",
        "model",
        "prompt",
        "response",
        "latency_ms",
        "cost_usd",
        "metadata",
        "errors",
    ],
)
def test_from_dict_rejects_null_where_not_allowed(field: str) -> None:
    data = full_event().to_dict()
    data[field] = None
    with pytest.raises(ValidationError) as info:
        TelemetryEvent.from_dict(data)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("part", "field"),
    [
        ("prompt", "text"),
        ("prompt", "tokens"),
        ("response", "text"),
        ("response", "tokens"),
        ("response", "finish_reason"),
    ],
)
def test_from_dict_rejects_null_in_parts(part: str, field: str) -> None:
    data = full_event().to_dict()
    data[part][field] = None
    with pytest.raises(ValidationError) as info:
        TelemetryEvent.from_dict(data)
    assert info.value.field == f"{part}.{field}"


def test_from_dict_accepts_null_where_allowed() -> None:
    data = full_event().to_dict()
    data.update(trace_id=None, span_id=None)
    data["prompt"]["embedding"] = None
    data["response"]["embedding"] = None
    event = TelemetryEvent.from_dict(data)
    assert event.trace_id is None
    assert event.prompt.embedding is None


@pytest.mark.parametrize("data", [None, [], "event", 5, [("service_name", "s")]])
def test_from_dict_needs_an_object(data: Any) -> None:
    with pytest.raises(ValidationError, match="JSON object"):
        TelemetryEvent.from_dict(data)


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"{",
        b"\xff\xfe",
        "{'service_name': 's'}",
        "[" * 100_000,
        '{"service_name":"s","model":"m"} trailing',
        "1" * 5000,
    ],
)
def test_from_json_invalid_json_is_a_validation_error(text: str | bytes) -> None:
    with pytest.raises(ValidationError, match="not valid JSON"):
        TelemetryEvent.from_json(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"service_name":"s","model":"m","latency_ms":NaN}',
        '{"service_name":"s","model":"m","cost_usd":-Infinity}',
        '{"service_name":"s","model":"m","latency_ms":1e400}',
        '{"service_name":"s","model":"m","prompt":{"tokens":1.0}}',
        '{"service_name":"s","model":"m","prompt":{"tokens":4294967296}}',
        '{"service_name":"s","model":"m","metadata":{"n":1}}',
        '{"service_name":"s","model":"m","errors":"x"}',
        "[]",
        "null",
        '"event"',
    ],
)
def test_from_json_valid_json_but_bad_event_is_a_validation_error(text: str) -> None:
    with pytest.raises(ValidationError):
        TelemetryEvent.from_json(text)


@pytest.mark.parametrize("value", [None, 5, {"a": 1}])
def test_from_json_of_a_non_text_is_a_validation_error(value: Any) -> None:
    with pytest.raises(ValidationError):
        TelemetryEvent.from_json(value)


def test_parts_round_trip_and_reject_non_objects() -> None:
    prompt = PromptInfo(text="p", tokens=2, embedding=[0.5])
    response = ResponseInfo(text="r", tokens=3, finish_reason="length")
    assert PromptInfo.from_dict(prompt.to_dict()) == prompt
    assert ResponseInfo.from_dict(response.to_dict()) == response
    with pytest.raises(ValidationError):
        PromptInfo.from_dict("p")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ResponseInfo.from_dict(None)  # type: ignore[arg-type]


def test_parts_given_as_mappings_are_converted() -> None:
    event = make(prompt={"text": "hi", "tokens": 1}, response={"text": "yo"})
    assert event.prompt == PromptInfo(text="hi", tokens=1)
    assert event.response == ResponseInfo(text="yo")
    rejects("prompt", lambda: make(prompt="hi"))
    rejects("response", lambda: make(response=5))
    rejects("prompt.tokens", lambda: make(prompt={"tokens": -1}))


# -- derived properties / validate() -----------------------------------------------------


def test_total_tokens_and_has_errors() -> None:
    event = make(prompt=PromptInfo(tokens=MAX_TOKENS), response=ResponseInfo(tokens=MAX_TOKENS))
    assert event.total_tokens == 2 * MAX_TOKENS
    assert make(prompt=PromptInfo(tokens=5), response=ResponseInfo(tokens=7)).total_tokens == 12
    assert make().total_tokens == 0
    event = make()
    assert not event.has_errors
    event.errors.append("late failure")
    assert event.has_errors


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: setattr(e.prompt, "tokens", -1), "prompt.tokens"),
        (lambda e: setattr(e.prompt, "text", "x" * 100_001), "prompt.text"),
        (lambda e: setattr(e.response, "finish_reason", None), "response.finish_reason"),
        (lambda e: setattr(e.response, "embedding", [math.nan]), "response.embedding"),
        (lambda e: setattr(e, "prompt", "text"), "prompt"),
        (lambda e: setattr(e, "latency_ms", math.inf), "latency_ms"),
        (lambda e: setattr(e, "cost_usd", -1.0), "cost_usd"),
        (lambda e: e.metadata.update(n=1), "metadata.n"),
        (lambda e: e.errors.append(5), "errors[0]"),
        (lambda e: setattr(e, "service_name", ""), "service_name"),
        (lambda e: setattr(e, "event_id", "nope"), "event_id"),
        (lambda e: setattr(e, "timestamp", "yesterday"), "timestamp"),
    ],
)
def test_validate_after_mutation_catches_bad_parts(mutate: Any, field: str) -> None:
    event = full_event()
    event.errors.clear()
    mutate(event)
    with pytest.raises(ValidationError) as info:
        event.validate()
    assert info.value.field == field


def test_validate_normalises_after_legal_mutation() -> None:
    event = make()
    event.timestamp = datetime(2024, 1, 1)  # naive
    event.latency_ms = 3
    event.validate()
    assert event.timestamp.tzinfo is timezone.utc
    assert type(event.latency_ms) is float
    wire(event)


def test_events_compare_by_value() -> None:
    assert full_event() == full_event()
    other = full_event()
    other.metadata["region"] = "eu"
    assert other != full_event()


# -- the field list is the dataclass's, derived everywhere ------------------------------


def test_the_wire_keys_are_the_dataclass_fields_everywhere() -> None:
    import dataclasses

    names = [f.name for f in dataclasses.fields(TelemetryEvent)]
    event = TelemetryEvent(service_name="svc", model="m")
    assert list(event.to_dict()) == names
    assert list(json.loads(event.to_json())) == names
    assert sorted(json_schema()["properties"]) == sorted(names)
    assert set(json_schema()["required"]) <= set(names)


def test_a_field_added_to_the_event_needs_no_other_change() -> None:
    import dataclasses

    from sentinel_sdk.events import _unchecked

    @dataclasses.dataclass(slots=True)
    class RegionalEvent(TelemetryEvent):
        region: str = "eu-west-1"
        shard: str | None = None

    event = RegionalEvent(service_name="svc", model="m", region="us-east-1")
    assert event.to_dict()["region"] == "us-east-1" and event.to_dict()["shard"] is None
    wire = event.to_json()
    assert json.loads(wire) == json.loads(json.dumps(event.to_dict()))
    assert json.loads(wire)["region"] == "us-east-1"
    assert RegionalEvent.from_json(wire) == event  # parsed by the same field list
    with pytest.raises(ValidationError, match="unknown field"):
        TelemetryEvent.from_json(wire)  # the base event does not know the field
    built = _unchecked(RegionalEvent)(service_name="svc", model="m")
    assert built.region == "eu-west-1" and built.shard is None  # defaults filled in
    assert type(built.prompt) is PromptInfo and built.errors == []
