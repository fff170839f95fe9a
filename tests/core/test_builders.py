"""TelemetryEventBuilder: the fluent API of the reference overview, validated at build()."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from sentinel_sdk import (
    PromptInfo,
    ResponseInfo,
    TelemetryEvent,
    TelemetryEventBuilder,
    ValidationError,
    json_schema,
)

VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def base() -> TelemetryEventBuilder:
    return TelemetryEventBuilder().service("svc").model("gpt-4")


def test_reference_example_builds_exactly_that_event() -> None:
    # Verbatim from python-sdk-overview.md ("Builder Pattern").
    event = (
        TelemetryEventBuilder()
        .service("my-service")
        .model("gpt-4")
        .prompt(text="Hello", tokens=5)
        .response(text="Hi!", tokens=10, finish_reason="stop")
        .latency(150.5)
        .cost(0.001)
        .metadata({"region": "us-east-1"})
        .build()
    )
    assert isinstance(event, TelemetryEvent)
    assert event.service_name == "my-service"
    assert event.model == "gpt-4"
    assert event.prompt == PromptInfo(text="Hello", tokens=5, embedding=None)
    assert event.response == ResponseInfo(text="Hi!", tokens=10, finish_reason="stop")
    assert event.latency_ms == 150.5
    assert event.cost_usd == 0.001
    assert event.metadata == {"region": "us-east-1"}
    assert event.errors == []
    assert event.trace_id is None
    assert event.span_id is None
    assert event.total_tokens == 15
    VALIDATOR.validate(json.loads(event.to_json()))


def test_every_setter_returns_the_builder() -> None:
    builder = TelemetryEventBuilder()
    calls: list[Callable[[TelemetryEventBuilder], TelemetryEventBuilder]] = [
        lambda b: b.service("s"),
        lambda b: b.model("m"),
        lambda b: b.prompt(text="p"),
        lambda b: b.response(text="r"),
        lambda b: b.latency(1.0),
        lambda b: b.cost(0.1),
        lambda b: b.metadata({"a": "b"}),
        lambda b: b.trace("t"),
        lambda b: b.error("e"),
        lambda b: b.event_id(str(uuid.uuid4())),
        lambda b: b.timestamp(datetime.now(timezone.utc)),
    ]
    for call in calls:
        assert call(builder) is builder


def test_keyword_arguments_of_prompt_and_response() -> None:
    event = (
        base()
        .prompt(text="q", tokens=3, embedding=[0.1, 0.2])
        .response(text="a", tokens=4, finish_reason="length", embedding=(1, 2))
        .build()
    )
    assert event.prompt == PromptInfo("q", 3, [0.1, 0.2])
    assert event.response == ResponseInfo("a", 4, "length", [1.0, 2.0])


def test_defaults_when_parts_are_not_set() -> None:
    event = base().build()
    assert event.prompt == PromptInfo(text="", tokens=0, embedding=None)
    assert event.response == ResponseInfo(text="", tokens=0, finish_reason="unknown")
    assert (event.latency_ms, event.cost_usd) == (0.0, 0.0)
    uuid.UUID(event.event_id)
    assert event.timestamp.tzinfo is timezone.utc


def test_trace_with_and_without_span() -> None:
    event = base().trace("trace-1", span_id="span-1").build()
    assert (event.trace_id, event.span_id) == ("trace-1", "span-1")
    event = base().trace("trace-2").build()
    assert (event.trace_id, event.span_id) == ("trace-2", None)


def test_error_accumulates() -> None:
    event = base().error("timeout").error("retried").build()
    assert event.errors == ["timeout", "retried"]
    assert event.has_errors


@pytest.mark.parametrize(
    ("builder", "field"),
    [
        (TelemetryEventBuilder().model("m"), "service_name"),
        (TelemetryEventBuilder().service("s"), "model"),
        (TelemetryEventBuilder(), "service_name"),
    ],
)
def test_missing_service_or_model_names_the_field(
    builder: TelemetryEventBuilder, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        builder.build()
    assert info.value.field == field
    assert ("service" if field == "service_name" else "model") in str(info.value)


@pytest.mark.parametrize(
    ("configure", "field"),
    [
        (lambda b: b.service(""), "service_name"),
        (lambda b: b.service("s" * 256), "service_name"),
        (lambda b: b.model(""), "model"),
        (lambda b: b.prompt(text="x" * 100_001), "prompt.text"),
        (lambda b: b.response(text="x" * 100_001), "response.text"),
        (lambda b: b.prompt(tokens=2**32), "prompt.tokens"),
        (lambda b: b.response(tokens=-1), "response.tokens"),
        (lambda b: b.prompt(tokens=True), "prompt.tokens"),
        (lambda b: b.prompt(embedding=[math.nan]), "prompt.embedding"),
        (lambda b: b.response(embedding="abc"), "response.embedding"),
        (lambda b: b.response(finish_reason=None), "response.finish_reason"),
        (lambda b: b.latency(-1), "latency_ms"),
        (lambda b: b.latency(math.nan), "latency_ms"),
        (lambda b: b.cost(math.inf), "cost_usd"),
        (lambda b: b.cost("0.1"), "cost_usd"),
        (lambda b: b.error(5), "errors[0]"),
        (lambda b: b.trace(5), "trace_id"),
        (lambda b: b.event_id("nope"), "event_id"),
        (lambda b: b.timestamp("yesterday"), "timestamp"),
    ],
)
def test_invalid_values_raise_at_build_naming_the_field(configure: Any, field: str) -> None:
    builder = configure(base())  # setters never raise on values
    with pytest.raises(ValidationError) as info:
        builder.build()
    assert info.value.field == field


def test_text_boundary_exactly_100000_builds() -> None:
    event = base().prompt(text="x" * 100_000).response(text="y" * 100_000).build()
    assert len(event.prompt.text) == len(event.response.text) == 100_000


def test_metadata_values_are_coerced_by_the_documented_rule() -> None:
    event = (
        base()
        .metadata({"n": 3, "ok": True, "none": None, "list": [1, "a"], "obj": {"b": 1, "a": 2}})
        .metadata(region="eu", ratio=0.5)
        .metadata({7: "int key"})  # type: ignore[dict-item]
        .build()
    )
    assert event.metadata == {
        "n": "3",
        "ok": "true",
        "none": "null",
        "list": '[1,"a"]',
        "obj": '{"a":2,"b":1}',
        "region": "eu",
        "ratio": "0.5",
        "7": "int key",
    }
    VALIDATOR.validate(json.loads(event.to_json()))


def test_metadata_merges_later_calls_over_earlier_ones() -> None:
    event = base().metadata({"a": "1", "b": "1"}).metadata({"b": "2"}).metadata(None).build()
    assert event.metadata == {"a": "1", "b": "2"}


@pytest.mark.parametrize("bad", [[("a", "b")], "a=b", 5])
def test_metadata_needs_a_mapping(bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        base().metadata(bad)
    assert info.value.field == "metadata"


def test_builder_is_reusable_each_build_a_fresh_event() -> None:
    builder = base().prompt(text="hi", tokens=1).metadata({"k": "v"}).error("e1")
    first = builder.build()
    second = builder.build()
    assert first.event_id != second.event_id
    assert first is not second
    assert first.metadata is not second.metadata
    assert first.errors is not second.errors
    # Changing one built event does not leak into the builder or the other event.
    first.metadata["k"] = "changed"
    first.errors.append("e2")
    third = builder.error("e3").build()
    assert second.metadata == {"k": "v"}
    assert second.errors == ["e1"]
    assert third.metadata == {"k": "v"}
    assert third.errors == ["e1", "e3"]
    # A later setter overrides an earlier one.
    assert builder.model("other").build().model == "other"


def test_embedding_list_is_copied_from_the_caller() -> None:
    values = [0.1, 0.2]
    builder = base().prompt(embedding=values)
    values.append(0.3)
    assert builder.build().prompt.embedding == [0.1, 0.2]


def test_explicit_event_id_and_timestamp_are_kept_across_builds() -> None:
    stamp = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    builder = base().event_id("12345678-1234-4234-8234-1234567890AB").timestamp(stamp)
    first, second = builder.build(), builder.build()
    assert first.event_id == second.event_id == "12345678-1234-4234-8234-1234567890ab"
    assert first.timestamp == second.timestamp == datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)
    assert first.timestamp.tzinfo is timezone.utc


def test_built_event_round_trips() -> None:
    event = (
        base()
        .prompt(text="Hello 😀", tokens=5, embedding=[0.25])
        .response(text="Hi!", tokens=10, finish_reason="stop")
        .latency(150.5)
        .cost(0.001)
        .metadata({"region": "us-east-1", "n": 1})
        .trace("t", "s")
        .error("boom")
        .build()
    )
    assert TelemetryEvent.from_json(event.to_json()) == event
