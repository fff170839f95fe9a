"""Properties of the event API, checked on generated inputs (hypothesis).

1. Every event the API accepts serializes to JSON that the shipped JSON Schema
   accepts, byte for byte what ``json.dumps(to_dict())`` gives, and round-trips
   through ``from_json(to_json())`` to an equal event.
2. Anything else is a ``ValidationError``: junk given to ``TelemetryEvent(...)``,
   ``from_dict``, ``from_json``, ``PromptInfo`` / ``ResponseInfo`` and the builder is
   either accepted (and then property 1 holds) or raises ``ValidationError``, never
   another exception type.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinel_sdk import (
    MAX_TEXT_LENGTH,
    MAX_TOKENS,
    PromptInfo,
    ResponseInfo,
    TelemetryEvent,
    TelemetryEventBuilder,
    ValidationError,
    json_schema,
)
from sentinel_sdk._validation import F32_MAX

VALIDATOR = jsonschema.Draft202012Validator(json_schema())
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EVENT_FIELDS = [
    "service_name",
    "model",
    "prompt",
    "response",
    "latency_ms",
    "cost_usd",
    "metadata",
    "errors",
    "trace_id",
    "span_id",
    "event_id",
    "timestamp",
]


def check_accepted(event: TelemetryEvent) -> None:
    """Property 1, for one event the API accepted."""
    payload = event.to_json()
    data = json.loads(payload)
    VALIDATOR.validate(data)
    assert (
        payload == json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
    )
    again = TelemetryEvent.from_json(payload)
    assert again == event
    assert again.to_json() == payload


# -- valid values ------------------------------------------------------------------------

# Any Unicode scalar value: everything but lone surrogates (which are not text).
chars = st.characters(codec="utf-8")
short_text = st.text(chars, max_size=40)
# Long texts are built from one repeated character so generation stays cheap.
boundary_text = st.builds(
    lambda c, n: c * n, chars, st.sampled_from([MAX_TEXT_LENGTH, MAX_TEXT_LENGTH - 1, 4096])
)
texts = st.one_of(short_text, short_text, boundary_text)
tokens = st.one_of(st.integers(0, MAX_TOKENS), st.sampled_from([0, 1, MAX_TOKENS]))
non_negative = st.one_of(
    st.floats(min_value=0.0, allow_nan=False, allow_infinity=False),
    st.integers(0, 10**300),
    st.sampled_from([0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]),
)
f32 = st.one_of(
    st.floats(width=32, allow_nan=False, allow_infinity=False),
    st.floats(min_value=-F32_MAX, max_value=F32_MAX, allow_nan=False),
    st.integers(-(2**100), 2**100),
    st.sampled_from([F32_MAX, -F32_MAX, 1e-45, -0.0]),
)
embeddings = st.one_of(st.none(), st.lists(f32, max_size=16), st.tuples(f32, f32))
service_names = st.one_of(
    st.text(chars, min_size=1, max_size=255),
    st.builds(lambda c: c * 255, chars),
)
model_names = st.text(chars, min_size=1, max_size=60)
metadata = st.dictionaries(short_text, short_text, max_size=6)
offsets = st.builds(
    timezone,
    st.timedeltas(
        min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
    ),
)
timestamps = st.one_of(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets),
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)).map(
        lambda d: d.isoformat() + "Z"
    ),
)
event_ids = st.one_of(
    st.uuids().map(str),
    st.uuids(),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
)
prompts = st.builds(PromptInfo, text=texts, tokens=tokens, embedding=embeddings)
responses = st.builds(
    ResponseInfo, text=texts, tokens=tokens, finish_reason=short_text, embedding=embeddings
)


@st.composite
def valid_event_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"service_name": draw(service_names), "model": draw(model_names)}
    optional: dict[str, st.SearchStrategy[Any]] = {
        "prompt": prompts,
        "response": responses,
        "latency_ms": non_negative,
        "cost_usd": non_negative,
        "metadata": metadata,
        "errors": st.lists(short_text, max_size=4),
        "trace_id": st.none() | short_text,
        "span_id": st.none() | short_text,
        "event_id": event_ids,
        "timestamp": timestamps,
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            kwargs[name] = draw(strategy)
    return kwargs


@PROPERTY
@given(valid_event_kwargs())
def test_every_valid_event_serializes_to_schema_valid_json_and_round_trips(
    kwargs: dict[str, Any],
) -> None:
    event = TelemetryEvent(**kwargs)
    check_accepted(event)
    # to_dict() / from_dict() round-trip too.
    assert TelemetryEvent.from_dict(event.to_dict()) == event


@PROPERTY
@given(
    service=service_names,
    model=model_names,
    prompt=st.tuples(texts, tokens, embeddings),
    response=st.tuples(texts, tokens, short_text, embeddings),
    latency=non_negative,
    cost=non_negative,
    meta=st.dictionaries(
        short_text,
        st.one_of(short_text, st.integers(), st.floats(), st.booleans(), st.none()),
        max_size=5,
    ),
    errors=st.lists(short_text, max_size=3),
    trace=st.none() | st.tuples(short_text, st.none() | short_text),
)
def test_every_event_the_builder_accepts_is_valid_and_round_trips(
    service: str,
    model: str,
    prompt: tuple[str, int, Any],
    response: tuple[str, int, str, Any],
    latency: float,
    cost: float,
    meta: dict[str, Any],
    errors: list[str],
    trace: tuple[str, str | None] | None,
) -> None:
    builder = (
        TelemetryEventBuilder()
        .service(service)
        .model(model)
        .prompt(text=prompt[0], tokens=prompt[1], embedding=prompt[2])
        .response(
            text=response[0], tokens=response[1], finish_reason=response[2], embedding=response[3]
        )
        .latency(latency)
        .cost(cost)
        .metadata(meta)
    )
    if trace is not None:
        builder.trace(trace[0], span_id=trace[1])
    for message in errors:
        builder.error(message)
    event = builder.build()
    check_accepted(event)
    assert event.total_tokens == prompt[1] + response[1]
    assert event.has_errors is bool(errors)


# -- junk --------------------------------------------------------------------------------


class Opaque:
    """An object of no known kind."""

    def __repr__(self) -> str:
        return "Opaque()"


class BadStr:
    """An object whose str() fails."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        return "BadStr()"


class StrSub(str):
    pass


class IntSub(int):
    pass


lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
atoms = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**32 - 1, 2**32, -1, 10**400, -(10**400)]),
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, F32_MAX * 2, -0.0]),
    st.text(max_size=20),
    st.text(st.one_of(chars, lone_surrogates), max_size=5),
    st.builds(lambda n: "x" * n, st.sampled_from([MAX_TEXT_LENGTH, MAX_TEXT_LENGTH + 1, 256])),
    st.binary(max_size=10),
    st.uuids(),
    st.uuids().map(str),
    st.datetimes(),
    st.datetimes(timezones=offsets),
    st.sampled_from(
        [
            "2024-01-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "2024-01-01T00:00:00+24:00",
            "not a date",
            "12345678-1234-1234-1234-1234567890AB",
            "\ud800",
        ]
    ),
    st.builds(Decimal, st.integers()),
    st.builds(Fraction, st.integers(), st.integers(1, 9)),
    st.complex_numbers(),
    st.builds(StrSub, st.text(max_size=5)),
    st.builds(IntSub, st.integers(-5, 5)),
    st.just(Opaque()),
    st.just(BadStr()),
    st.just(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))),
)
junk = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(
            st.one_of(st.text(max_size=8), st.sampled_from(EVENT_FIELDS)), inner, max_size=4
        ),
        st.dictionaries(st.integers(), inner, max_size=2),
        st.frozensets(st.integers(), max_size=3),
        st.lists(inner, max_size=3).map(iter),
    ),
    max_leaves=12,
)
# Values at or just past each rule's edge, mixed into the junk of the field they test:
# plain junk rarely reaches them (most junk fails an earlier check).
edge_numbers = st.sampled_from(
    [
        *(10**400, -(10**400), 2**1024, math.nan, math.inf, -math.inf, -1, -1e-300, True),
        *(2**32, -0.0, F32_MAX * 2, "1", None, Decimal("1.5"), 1.0, IntSub(3)),
    ]
)
edge_texts = st.one_of(
    st.text(st.one_of(chars, lone_surrogates), min_size=1, max_size=5),
    st.sampled_from(["", "x" * 256, "x" * (MAX_TEXT_LENGTH + 1), "\udcff", "é\ud800"]),
    st.builds(StrSub, st.text(chars, max_size=5)),
)
edge_timestamps = st.one_of(
    st.datetimes(timezones=st.none() | offsets),
    st.sampled_from(
        [
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
            datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-2))),
            "0001-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01",
            "2024-01-01T00:00:00+23:60",
            "2024-01-01T00:00:00+99:00",
            "2024-13-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "\uff12024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.1234567890123Z",
        ]
    ),
)
edge_ids = st.one_of(
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.uuids().map(lambda u: "urn:uuid:" + str(u)),
    st.sampled_from(["", "0" * 32, "g" * 32, "\ud800" * 36, str(uuid.uuid4())[:-1]]),
)
edge_embeddings = st.one_of(
    st.lists(st.one_of(edge_numbers, f32), min_size=1, max_size=4),
    st.sampled_from(["1,2", b"\x00", {"a": 1.0}, 1.0, bytearray(b"ab"), frozenset({1.0})]),
)
part_keys = st.sampled_from(["text", "tokens", "finish_reason", "embedding"])
part_value = {
    "text": st.one_of(edge_texts, junk),
    "tokens": st.one_of(edge_numbers, junk),
    "finish_reason": st.one_of(edge_texts, junk),
    "embedding": st.one_of(edge_embeddings, junk),
}


@st.composite
def junk_part(draw: st.DrawFn, keys: tuple[str, ...], unknown: bool = True) -> dict[str, Any]:
    """A prompt / response mapping with one or two bad values (or an unknown key)."""
    out: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True)):
        out[key] = draw(part_value[key])
    if unknown and draw(st.integers(0, 9)) == 0:
        out[draw(st.text(max_size=5))] = draw(junk)
    return out


PROMPT_KEYS = ("text", "tokens", "embedding")
RESPONSE_KEYS = ("text", "tokens", "finish_reason", "embedding")
strings = st.one_of(edge_texts, junk)
field_junk: dict[str, st.SearchStrategy[Any]] = {
    "service_name": strings,
    "model": strings,
    "prompt": st.one_of(junk_part(PROMPT_KEYS), junk),
    "response": st.one_of(junk_part(RESPONSE_KEYS), junk),
    "latency_ms": st.one_of(edge_numbers, junk),
    "cost_usd": st.one_of(edge_numbers, junk),
    "metadata": st.one_of(
        st.dictionaries(st.one_of(edge_texts, atoms), st.one_of(edge_texts, junk), max_size=3),
        junk,
    ),
    "errors": st.one_of(st.lists(st.one_of(edge_texts, junk), max_size=3), junk),
    "trace_id": strings,
    "span_id": strings,
    "event_id": st.one_of(edge_ids, junk),
    "timestamp": st.one_of(edge_timestamps, junk),
}


def accepted_or_validation_error(build: Callable[[], Any]) -> None:
    try:
        result = build()
    except ValidationError:
        return
    if isinstance(result, TelemetryEvent):
        check_accepted(result)
    else:
        assert isinstance(result, (PromptInfo, ResponseInfo))
        # A part that was accepted makes an event that is accepted.
        if isinstance(result, PromptInfo):
            check_accepted(TelemetryEvent(service_name="s", model="m", prompt=result))
        else:
            check_accepted(TelemetryEvent(service_name="s", model="m", response=result))


@st.composite
def junk_event_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event's fields with one or two of them replaced by junk (so validation
    reaches them), or, now and then, junk everywhere."""
    kwargs = draw(valid_event_kwargs())
    if draw(st.integers(0, 9)) == 0:
        names = EVENT_FIELDS
    else:
        names = draw(st.lists(st.sampled_from(EVENT_FIELDS), min_size=1, max_size=2, unique=True))
    for name in names:
        kwargs[name] = draw(field_junk[name])
    return kwargs


@PROPERTY
@given(junk_event_kwargs())
def test_junk_to_the_constructor_is_accepted_or_a_validation_error(kwargs: dict[str, Any]) -> None:
    accepted_or_validation_error(lambda: TelemetryEvent(**kwargs))


@PROPERTY
@given(st.one_of(junk, junk_event_kwargs(), st.dictionaries(st.sampled_from(EVENT_FIELDS), junk)))
def test_junk_to_from_dict_is_accepted_or_a_validation_error(data: Any) -> None:
    accepted_or_validation_error(lambda: TelemetryEvent.from_dict(data))


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=10),
        st.sampled_from(["2024-01-01T00:00:00Z", str(uuid.uuid4()), "x" * 100_001]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(EVENT_FIELDS), part_keys, st.text(max_size=5)),
            inner,
            max_size=6,
        ),
    ),
    max_leaves=20,
)


@st.composite
def json_documents(draw: st.DrawFn) -> str | bytes | bytearray:
    kind = draw(st.sampled_from(["object", "value", "text", "bytes", "event"]))
    if kind == "object":
        document: Any = draw(st.dictionaries(st.sampled_from(EVENT_FIELDS), json_values))
        document.setdefault("service_name", "s")
        document.setdefault("model", "m")
        text = json.dumps(document)
    elif kind == "value":
        text = json.dumps(draw(json_values))
    elif kind == "event":
        event = TelemetryEvent(**draw(valid_event_kwargs()))
        data = event.to_dict()
        key = draw(st.sampled_from(sorted(data)))
        data[key] = draw(json_values)
        text = json.dumps(data)
    elif kind == "text":
        return draw(
            st.text(st.one_of(chars, lone_surrogates, st.sampled_from('{}[]":,0e-.')), max_size=40)
        )
    else:
        return draw(st.binary(max_size=40))
    return text.encode() if draw(st.booleans()) else text


@PROPERTY
@given(st.one_of(json_documents(), junk))
def test_junk_to_from_json_is_accepted_or_a_validation_error(document: Any) -> None:
    accepted_or_validation_error(lambda: TelemetryEvent.from_json(document))


@PROPERTY
@given(
    kind=st.sampled_from([PromptInfo, ResponseInfo]),
    kwargs=st.one_of(
        junk_part(RESPONSE_KEYS, unknown=False), st.dictionaries(part_keys, junk, max_size=4)
    ),
)
def test_junk_to_prompt_and_response_is_accepted_or_a_validation_error(
    kind: type[PromptInfo] | type[ResponseInfo], kwargs: dict[str, Any]
) -> None:
    if kind is PromptInfo:
        kwargs.pop("finish_reason", None)
    accepted_or_validation_error(lambda: kind(**kwargs))


BUILDER_CALLS = ["service", "model", "prompt", "response", "latency", "cost", "metadata"]
BUILDER_CALLS += ["trace", "error", "event_id", "timestamp"]


@st.composite
def builder_scripts(draw: st.DrawFn) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    script: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    if draw(st.booleans()):
        script += [("service", ("svc",), {}), ("model", ("m",), {})]
    for _ in range(draw(st.integers(0, 8))):
        call = draw(st.sampled_from(BUILDER_CALLS))
        value = draw(st.one_of(edge_numbers, edge_texts, edge_timestamps, edge_ids, junk))
        if call == "prompt":
            script.append((call, (), draw(junk_part(PROMPT_KEYS, unknown=False))))
        elif call == "response":
            script.append((call, (), draw(junk_part(RESPONSE_KEYS, unknown=False))))
        elif call == "trace":
            script.append((call, (value,), {"span_id": draw(strings)}))
        elif call == "metadata":
            more = draw(st.dictionaries(st.text(max_size=5), field_junk["metadata"], max_size=2))
            script.append((call, (value,), more))
        else:
            script.append((call, (value,), {}))
    return script


@PROPERTY
@given(builder_scripts())
def test_junk_to_the_builder_is_accepted_or_a_validation_error(
    script: list[tuple[str, tuple[Any, ...], dict[str, Any]]],
) -> None:
    def run() -> TelemetryEvent:
        builder = TelemetryEventBuilder()
        for name, args, kwargs in script:
            getattr(builder, name)(*args, **kwargs)
        return builder.build()

    accepted_or_validation_error(run)
