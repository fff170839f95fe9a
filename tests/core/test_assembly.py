"""Event assembly (``sentinel_sdk._assembly``): ``track()`` fields -> a validated event.

Each field's checks as ``track()`` applies them, the caller-side rules (truncation
marked in ``sentinel.truncated``, ``capture_content``, ``truncate_text``, parts given
as objects, scope and OpenTelemetry ids), the unchecked assembly against the
dataclasses' own constructors, the size estimate, and ``copy_for_send`` for ``send()``.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider

from sentinel_sdk import (
    PromptInfo,
    ResponseInfo,
    SentinelConfig,
    TelemetryEvent,
    ValidationError,
    json_schema,
)
from sentinel_sdk._assembly import TrackFields, build_event, copy_for_send, estimate_size
from sentinel_sdk._ids import is_span_id, new_event_id, new_trace_id
from sentinel_sdk.scope import request_scope

VALIDATOR = jsonschema.Draft202012Validator(json_schema())
CONFIG = SentinelConfig(service_name="svc")
TRUNCATED = "sentinel.truncated"


class Tokens(enum.IntEnum):
    SEVEN = 7


class Reason(str, enum.Enum):
    STOP = "stop"


def build(config: SentinelConfig = CONFIG, **fields: Any) -> TelemetryEvent:
    fields.setdefault("model", "gpt-4o")
    return build_event(config, fields)[0]


def wire(event: TelemetryEvent) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(event.to_json())
    VALIDATOR.validate(data)
    return data


# -- the fields ------------------------------------------------------------------------


def test_model_alone_gives_a_complete_event_with_defaults() -> None:
    event = build(model="gpt-4o")
    assert event.model == "gpt-4o"
    assert event.service_name == "svc"
    assert event.prompt == PromptInfo("", 0, None)
    assert event.response == ResponseInfo("", 0, "unknown", None)
    assert (event.latency_ms, event.cost_usd) == (0.0, 0.0)
    assert event.metadata == {}
    assert event.errors == []
    assert (event.trace_id, event.span_id) == (None, None)
    assert uuid.UUID(event.event_id).version == 4
    assert event.timestamp.tzinfo is timezone.utc
    assert abs(event.timestamp - datetime.now(timezone.utc)) < timedelta(seconds=5)
    wire(event)


def test_model_is_required() -> None:
    for fields in ({}, {"model": None}):
        with pytest.raises(ValidationError, match="model is required") as info:
            build_event(CONFIG, fields)
        assert info.value.field == "model"


def test_unknown_fields_are_named_with_the_known_ones() -> None:
    with pytest.raises(ValidationError) as info:
        build_event(CONFIG, {"model": "m", "tokens": 3, "prompt_text": "x"})
    message = str(info.value)
    assert "prompt_text, tokens" in message
    assert "prompt_tokens" in message  # the list of known fields


def test_every_event_field_can_be_given_to_track() -> None:
    known = set(TrackFields.__annotations__)
    assert {f.name for f in dataclasses.fields(TelemetryEvent)} <= known
    assert {"prompt_tokens", "response_tokens", "finish_reason"} <= known


BAD_VALUES: list[tuple[str, Any, str]] = [
    ("model", 3, "model"),
    ("model", "", "model"),
    ("model", "\ud800", "model"),
    ("prompt", 3, "prompt"),
    ("prompt", b"text", "prompt"),
    ("prompt", {"text": "x"}, "prompt"),
    ("response", 3, "response"),
    ("response", ["x"], "response"),
    ("prompt", "caf\udce9", "prompt.text"),  # a lone surrogate: not encodable text
    ("response", "\ud800", "response.text"),
    ("prompt_tokens", -1, "prompt.tokens"),
    ("prompt_tokens", 2**32, "prompt.tokens"),
    ("prompt_tokens", True, "prompt.tokens"),
    ("prompt_tokens", 1.0, "prompt.tokens"),
    ("prompt_tokens", "3", "prompt.tokens"),
    ("response_tokens", -1, "response.tokens"),
    ("response_tokens", 2**32, "response.tokens"),
    ("response_tokens", False, "response.tokens"),
    ("finish_reason", 1, "response.finish_reason"),
    ("latency_ms", -0.5, "latency_ms"),
    ("latency_ms", math.nan, "latency_ms"),
    ("latency_ms", math.inf, "latency_ms"),
    ("latency_ms", "5", "latency_ms"),
    ("latency_ms", True, "latency_ms"),
    ("cost_usd", -1, "cost_usd"),
    ("cost_usd", math.nan, "cost_usd"),
    ("cost_usd", 10**400, "cost_usd"),
    ("metadata", "k=v", "metadata"),
    ("metadata", [("k", "v")], "metadata"),
    ("metadata", {"k": "\udcff"}, "metadata.k"),
    ("errors", "boom", "errors"),
    ("errors", {"e": "boom"}, "errors"),
    ("errors", [1], "errors[0]"),
    ("errors", ["ok", None], "errors[1]"),
    ("trace_id", 3, "trace_id"),
    ("span_id", b"ab", "span_id"),
    ("service_name", "", "service_name"),
    ("service_name", "s" * 256, "service_name"),
    ("service_name", 3, "service_name"),
    ("event_id", "not-a-uuid", "event_id"),
    ("event_id", 3, "event_id"),
    ("timestamp", "yesterday", "timestamp"),
    ("timestamp", "2024-02-30T00:00:00Z", "timestamp"),
    ("timestamp", 1700000000, "timestamp"),
]


@pytest.mark.parametrize(("name", "value", "field"), BAD_VALUES)
def test_each_bad_value_raises_naming_its_field(name: str, value: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        build_event(CONFIG, {"model": "m", name: value})
    assert info.value.field == field


@pytest.mark.parametrize(
    ("name", "value"), [("errors", ""), ("errors", 0), ("metadata", []), ("metadata", "")]
)
def test_falsy_values_of_the_wrong_type_are_rejected_too(name: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        TelemetryEvent(service_name="s", model="m", **{name: value})  # the slow way rejects
    with pytest.raises(ValidationError):
        build_event(CONFIG, {"model": "m", name: value})


def test_values_are_normalised_as_the_event_rules_say() -> None:
    upper = "A1B2C3D4-0000-4000-8000-00000000000A"
    event = build(
        prompt_tokens=Tokens.SEVEN,
        response_tokens=2**32 - 1,
        finish_reason=Reason.STOP,
        latency_ms=3,
        cost_usd=0,
        metadata={"n": 1, "b": True, "none": None, "list": [1, "a"]},
        errors=("e1", "e2"),
        event_id=upper,
        timestamp="2024-01-01T01:00:00.5+01:00",
    )
    assert event.prompt.tokens == 7 and type(event.prompt.tokens) is int
    assert event.response.tokens == 2**32 - 1
    assert event.response.finish_reason == "stop" and type(event.response.finish_reason) is str
    assert event.latency_ms == 3.0 and type(event.latency_ms) is float
    assert type(event.cost_usd) is float
    assert event.metadata == {"n": "1", "b": "true", "none": "null", "list": '[1,"a"]'}
    assert event.errors == ["e1", "e2"]
    assert event.event_id == upper.lower()
    assert event.timestamp == datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=timezone.utc)
    naive = build(timestamp=datetime(2024, 5, 6, 7, 8, 9)).timestamp
    assert naive == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert build(event_id=uuid.UUID(upper)).event_id == upper.lower()
    wire(event)


def test_given_ids_and_service_name_win() -> None:
    event = build(
        trace_id="t" * 5, span_id="s", service_name="other", event_id=str(uuid.UUID(int=7))
    )
    assert (event.trace_id, event.span_id, event.service_name) == ("ttttt", "s", "other")
    assert event.event_id == str(uuid.UUID(int=7))


# -- texts: truncation, capture_content, truncate_text ---------------------------------


def test_long_texts_are_cut_and_marked() -> None:
    config = CONFIG.replace(max_text_length=10)
    exact = build(config, prompt="x" * 10, response="y" * 10)
    assert exact.prompt.text == "x" * 10
    assert TRUNCATED not in exact.metadata

    prompt_only = build(config, prompt="x" * 11, response="y")
    assert prompt_only.prompt.text == "x" * 10
    assert prompt_only.metadata == {TRUNCATED: "prompt"}

    both = build(config, prompt="é" * 50, response="y" * 11, metadata={"k": "v"})
    assert both.prompt.text == "é" * 10  # characters, not bytes
    assert both.response.text == "y" * 10
    assert both.metadata == {"k": "v", TRUNCATED: "prompt,response"}
    wire(both)


def test_truncate_text_false_rejects_long_texts() -> None:
    config = CONFIG.replace(max_text_length=10, truncate_text=False)
    assert build(config, prompt="x" * 10).prompt.text == "x" * 10
    for part in ("prompt", "response"):
        with pytest.raises(ValidationError, match="truncate_text=True") as info:
            build(config, **{part: "x" * 11})
        assert info.value.field == f"{part}.text"
    with pytest.raises(ValidationError) as info:
        build(config, response=ResponseInfo("y" * 11))
    assert info.value.field == "response.text"


def test_capture_content_false_strips_texts_and_keeps_counts() -> None:
    config = CONFIG.replace(capture_content=False, max_text_length=5)
    event = build(
        config,
        prompt="secret " * 10,
        response=ResponseInfo("answer " * 10, 9, "stop", [0.5]),
        prompt_tokens=3,
    )
    assert event.prompt == PromptInfo("", 3, None)
    assert event.response == ResponseInfo("", 9, "stop", [0.5])
    assert TRUNCATED not in event.metadata  # nothing was cut: nothing was kept


def test_prompt_and_response_objects_are_taken_as_they_are_and_fitted() -> None:
    config = CONFIG.replace(max_text_length=4)
    prompt = PromptInfo("abcdef", 5, [1.0, 2.0])
    response = ResponseInfo("uvwxyz", 6, "length", None)
    event = build(config, prompt=prompt, response=response)
    assert event.prompt == PromptInfo("abcd", 5, [1.0, 2.0])
    assert event.response == ResponseInfo("uvwx", 6, "length", None)
    assert event.metadata[TRUNCATED] == "prompt,response"
    assert prompt.text == "abcdef"  # the caller's objects are not cut
    assert response.text == "uvwxyz"
    assert event.prompt is not prompt and event.response is not response


def test_part_objects_are_revalidated_and_conflicting_fields_refused() -> None:
    prompt = PromptInfo("p", 1)
    prompt.tokens = -5  # changed by hand after construction
    with pytest.raises(ValidationError) as info:
        build(prompt=prompt)
    assert info.value.field == "prompt.tokens"
    with pytest.raises(ValidationError) as info:
        build(prompt=PromptInfo("p", 1), prompt_tokens=1)
    assert info.value.field == "prompt_tokens"
    for name, value in (("response_tokens", 1), ("finish_reason", "stop")):
        with pytest.raises(ValidationError) as info:
            build_event(CONFIG, {"model": "m", "response": ResponseInfo("r"), name: value})
        assert info.value.field == name


def test_str_subclasses_become_plain_str() -> None:
    event = build(model=Reason.STOP, prompt=Reason.STOP, response=Reason.STOP)
    for value in (event.model, event.prompt.text, event.response.text):
        assert value == "stop" and type(value) is str


# -- scope and OpenTelemetry -----------------------------------------------------------


def test_scope_trace_id_and_metadata_merged_under_the_events_own() -> None:
    trace_id = new_trace_id()
    with request_scope(trace_id=trace_id, metadata={"http.route": "/a", "k": "scope"}) as scope:
        first = build(metadata={"k": "event", "x": 1})
        second = build()
        given = build(trace_id="mine", span_id="span")
    assert first.trace_id == second.trace_id == trace_id
    assert first.span_id is not None and is_span_id(first.span_id)
    assert second.span_id is not None and first.span_id != second.span_id
    assert first.metadata == {"http.route": "/a", "k": "event", "x": "1"}
    assert second.metadata == {"http.route": "/a", "k": "scope"}
    assert (given.trace_id, given.span_id) == ("mine", "span")
    # The scope's own metadata was not changed by the events merged over it.
    assert scope.metadata == {"http.route": "/a", "k": "scope"}
    assert build().trace_id is None  # after the scope


def test_truncation_marker_joins_scope_metadata_without_leaking_into_the_scope() -> None:
    config = CONFIG.replace(max_text_length=1)
    with request_scope(metadata={"a": "b"}) as scope:
        event = build(config, prompt="long")
    assert event.metadata == {"a": "b", TRUNCATED: "prompt"}
    assert scope.metadata == {"a": "b"}


def test_active_opentelemetry_span_gives_the_ids_outside_a_scope() -> None:
    tracer = TracerProvider().get_tracer("tests.capture")
    with tracer.start_as_current_span("llm-call") as span:
        context = span.get_span_context()
        event = build()
        with request_scope(trace_id="a" * 32):
            in_scope = build()
    assert event.trace_id == f"{context.trace_id:032x}"
    assert event.span_id == f"{context.span_id:016x}"
    assert in_scope.trace_id == "a" * 32  # the request scope wins over the span
    assert in_scope.span_id != event.span_id
    assert build().trace_id is None  # no span, no scope


# -- the fast assembler against the slow way -------------------------------------------


def _all_attributes_set(obj: Any) -> None:
    for f in dataclasses.fields(obj):
        getattr(obj, f.name)  # AttributeError if the fast path forgot a slot


def test_fast_assembler_sets_every_field_and_equals_the_slow_way() -> None:
    event_id = new_event_id()
    timestamp = datetime(2024, 3, 4, 5, 6, 7, 890123, tzinfo=timezone.utc)
    fields: dict[str, Any] = {
        "model": "gpt-4o",
        "prompt": "hello",
        "response": "hi",
        "prompt_tokens": 3,
        "response_tokens": 4,
        "finish_reason": "stop",
        "latency_ms": 12.5,
        "cost_usd": 0.25,
        "metadata": {"k": 1},
        "errors": ["e"],
        "trace_id": "t",
        "span_id": "s",
        "service_name": "svc2",
        "event_id": event_id,
        "timestamp": timestamp,
    }
    assert set(fields) == set(TrackFields.__annotations__)
    event, _ = build_event(CONFIG, fields)
    for obj in (event, event.prompt, event.response):
        _all_attributes_set(obj)
    slow = TelemetryEvent(
        service_name="svc2",
        model="gpt-4o",
        prompt=PromptInfo("hello", 3),
        response=ResponseInfo("hi", 4, "stop"),
        latency_ms=12.5,
        cost_usd=0.25,
        metadata={"k": "1"},
        errors=["e"],
        trace_id="t",
        span_id="s",
        event_id=event_id,
        timestamp=timestamp,
    )
    assert event == slow
    assert event.to_json() == slow.to_json()
    event.validate()
    wire(event)

    minimal = build()
    for obj in (minimal, minimal.prompt, minimal.response):
        _all_attributes_set(obj)
    assert minimal == TelemetryEvent(
        service_name="svc", model="gpt-4o", event_id=minimal.event_id, timestamp=minimal.timestamp
    )


texts = st.text(max_size=40)
metadata_values = st.one_of(st.text(max_size=10), st.integers(), st.booleans(), st.none())
track_fields = st.fixed_dictionaries(
    {"model": st.text(min_size=1, max_size=20)},
    optional={
        "prompt": texts,
        "response": texts,
        "prompt_tokens": st.integers(0, 2**32 - 1),
        "response_tokens": st.integers(0, 2**32 - 1),
        "finish_reason": st.text(max_size=10),
        "latency_ms": st.floats(0, 1e9),
        "cost_usd": st.floats(0, 1e6),
        "metadata": st.dictionaries(st.text(max_size=8), metadata_values, max_size=4),
        "errors": st.lists(st.text(max_size=10), max_size=3),
        "trace_id": st.text(max_size=40),
        "span_id": st.text(max_size=20),
        "service_name": st.text(min_size=1, max_size=30),
    },
).filter(lambda d: all(_encodable(v) for v in _strings(d)))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(fields=track_fields, limit=st.integers(0, 50))
def test_property_fast_path_equals_slow_path_and_size_agrees(
    fields: dict[str, Any], limit: int
) -> None:
    config = CONFIG.replace(max_text_length=limit)
    event, size = build_event(config, fields)
    for obj in (event, event.prompt, event.response):
        _all_attributes_set(obj)
    slow = TelemetryEvent(
        service_name=event.service_name,
        model=fields["model"],
        prompt=PromptInfo(fields.get("prompt", "")[:limit], fields.get("prompt_tokens", 0)),
        response=ResponseInfo(
            fields.get("response", "")[:limit],
            fields.get("response_tokens", 0),
            fields.get("finish_reason", "unknown"),
        ),
        latency_ms=fields.get("latency_ms", 0.0),
        cost_usd=fields.get("cost_usd", 0.0),
        metadata=event.metadata,
        errors=fields.get("errors", []),
        trace_id=fields.get("trace_id"),
        span_id=fields.get("span_id"),
        event_id=event.event_id,
        timestamp=event.timestamp,
    )
    assert event == slow
    event.validate()
    assert event == slow  # validate() normalised nothing: the fast path was already exact
    wire(event)
    assert size == estimate_size(event)


# -- the size estimate -----------------------------------------------------------------


def test_size_estimate_agrees_with_build_event_and_grows_with_content() -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"prompt": "x" * 1000, "response": "y" * 10},
        {"metadata": {"a": "b" * 100, "c": 1}},
        {"prompt": PromptInfo("p", 1, [0.1] * 100)},
        {"response": ResponseInfo("r", 1, "stop", [0.2] * 10)},
    ]
    sizes = []
    for fields in cases:
        with request_scope(metadata={"http.request.method": "GET"}):
            event, size = build_event(CONFIG, {"model": "m", **fields})
        assert size == estimate_size(event)
        sizes.append(size)
    assert sizes[1] > sizes[0] + 3000  # texts are held about three times
    assert sizes[3] > sizes[0] + 48 * 100  # embeddings count
    truncated, size = build_event(
        CONFIG.replace(max_text_length=3), {"model": "m", "prompt": "long"}
    )
    assert size == estimate_size(truncated)


# -- send(): copy_for_send --------------------------------------------------------


def test_copy_for_send_fits_texts_on_a_copy() -> None:
    original = TelemetryEvent(
        service_name="s", model="m", prompt=PromptInfo("abcdef", 2), metadata={"k": "v"}
    )
    sent = copy_for_send(CONFIG.replace(max_text_length=3), original)
    assert sent is not original
    # The queued copy owns its containers: the sender's cost fill never reaches the caller.
    assert sent.metadata is not original.metadata and sent.errors is not original.errors
    assert sent.prompt == PromptInfo("abc", 2)
    assert sent.metadata == {"k": "v", TRUNCATED: "prompt"}
    assert original.prompt.text == "abcdef"
    assert original.metadata == {"k": "v"}
    stripped = copy_for_send(CONFIG.replace(capture_content=False), original)
    assert stripped.prompt.text == "" and stripped.response.text == ""
    assert original.prompt.text == "abcdef"
    with pytest.raises(ValidationError) as info:
        copy_for_send(CONFIG.replace(max_text_length=3, truncate_text=False), original)
    assert info.value.field == "prompt.text"


def test_copy_for_send_merges_the_scope_where_unset() -> None:
    event = TelemetryEvent(service_name="s", model="m", metadata={"k": "event"})
    with request_scope(trace_id="b" * 32, metadata={"k": "scope", "r": "1"}):
        sent = copy_for_send(CONFIG, event)
        own = copy_for_send(CONFIG, TelemetryEvent(service_name="s", model="m", trace_id="mine"))
    assert sent.trace_id == "b" * 32
    assert sent.span_id is not None and is_span_id(sent.span_id)
    assert sent.metadata == {"k": "event", "r": "1"}
    assert event.trace_id is None and event.metadata == {"k": "event"}
    assert (own.trace_id, own.span_id) == ("mine", None)
    outside = copy_for_send(CONFIG, event)
    assert (outside.trace_id, outside.span_id) == (None, None)


def test_copy_for_send_refuses_non_events_and_changed_invalid_events() -> None:
    with pytest.raises(ValidationError, match="use track"):
        copy_for_send(CONFIG, {"model": "m"})  # type: ignore[arg-type]
    event = TelemetryEvent(service_name="s", model="m")
    event.response.tokens = -1  # changed by hand after construction
    with pytest.raises(ValidationError) as info:
        copy_for_send(CONFIG, event)
    assert info.value.field == "response.tokens"
