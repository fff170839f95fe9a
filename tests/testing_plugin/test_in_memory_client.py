"""``InMemoryClient``: the production capture path up to the producer, into a list."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

import sentinel_sdk
from sentinel_sdk import (
    PromptInfo,
    SentinelConfig,
    TelemetryEvent,
    ValidationError,
    json_schema,
    request_scope,
)
from sentinel_sdk._client_base import BaseClient
from sentinel_sdk.pricing import estimate_cost
from sentinel_sdk.testing import AsyncInMemoryClient, InMemoryClient, capture_events

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_track_captures_the_event_as_it_would_go_on_the_wire() -> None:
    client = InMemoryClient(service_name="chat")
    event_id = client.track(
        model="gpt-4o",
        prompt="Hi",
        response="Hello!",
        prompt_tokens=10,
        response_tokens=20,
        latency_ms=420.0,
        metadata={"user_tier": 3},
    )
    (event,) = client.events
    assert event.event_id == event_id
    assert (event.model, event.service_name) == ("gpt-4o", "chat")
    assert (event.prompt.text, event.prompt.tokens) == ("Hi", 10)
    assert (event.response.text, event.response.tokens) == ("Hello!", 20)
    assert event.latency_ms == 420.0
    assert event.metadata["user_tier"] == "3"  # coerced to a string, as on the wire
    (payload,) = client.payloads
    jsonschema.validate(json.loads(payload), json_schema())
    assert TelemetryEvent.from_json(payload) == event
    assert isinstance(client, BaseClient)  # what integrations take as client=


def test_cost_is_filled_from_the_price_table() -> None:
    client = InMemoryClient()
    client.track(model="gpt-4o", prompt_tokens=1000, response_tokens=500)
    client.track(model="gpt-4o", prompt_tokens=1000, response_tokens=500, cost_usd=1.5)
    client.track(model="my-own-model", prompt_tokens=1000)
    expected = estimate_cost("gpt-4o", 1000, 500)
    assert expected is not None and expected > 0
    assert [e.cost_usd for e in client.events] == [pytest.approx(expected), 1.5, 0.0]
    assert client.events[2].metadata["sentinel.cost_known"] == "false"


def test_pricing_overrides_apply() -> None:
    client = InMemoryClient(pricing={"my-own-model": {"input": 1.0, "output": 2.0}})
    client.track(model="my-own-model", prompt_tokens=1_000_000, response_tokens=1_000_000)
    assert client.events[0].cost_usd == pytest.approx(3.0)


def test_before_send_redacts_and_drops_as_in_production() -> None:
    def redact(event: TelemetryEvent) -> TelemetryEvent | None:
        if event.model == "internal":
            return None
        event.prompt = PromptInfo(event.prompt.text.replace("hunter2", "[redacted]"))
        return event

    client = InMemoryClient(before_send=redact)
    client.track(model="gpt-4o", prompt="my password is hunter2")
    client.track(model="internal", prompt="skip me")
    assert [e.prompt.text for e in client.events] == ["my password is [redacted]"]
    assert b"hunter2" not in client.payloads[0]
    stats = client.stats()
    assert stats["sent"] == 1
    assert stats["dropped"] == {"before_send": 1}


def test_a_raising_before_send_drops_the_event_and_counts_it() -> None:
    def broken(event: TelemetryEvent) -> TelemetryEvent:
        raise RuntimeError("bug in the hook")

    client = InMemoryClient(before_send=broken)
    client.track(model="gpt-4o")  # the caller does not see the hook's failure
    assert client.events == []
    assert client.stats()["dropped"] == {"before_send_error": 1}


def test_sampling_keeps_or_drops_whole_traces() -> None:
    none = InMemoryClient(sample_rate=0.0)
    for _ in range(5):
        none.track(model="gpt-4o")
    assert none.events == []
    assert none.stats()["sampled_out"] == 5

    half = InMemoryClient(sample_rate=0.5)
    for i in range(200):
        trace = hashlib.sha256(str(i).encode()).hexdigest()[:32]
        half.track(model="a", trace_id=trace)
        half.track(model="b", trace_id=trace)
    kept = [e.trace_id for e in half.events]
    assert 0 < len(kept) < 400
    assert kept.count(kept[0]) == 2  # both calls of a kept trace are kept


def test_content_capture_off_and_truncation() -> None:
    client = InMemoryClient(capture_content=False)
    client.track(model="gpt-4o", prompt="secret", response="answer", prompt_tokens=3)
    event = client.events[0]
    assert (event.prompt.text, event.response.text, event.prompt.tokens) == ("", "", 3)

    short = InMemoryClient(max_text_length=5)
    short.track(model="gpt-4o", prompt="0123456789")
    assert short.events[0].prompt.text == "01234"
    assert short.events[0].metadata["sentinel.truncated"] == "prompt"


def test_invalid_fields_raise_at_the_call_site_and_capture_nothing() -> None:
    client = InMemoryClient()
    with pytest.raises(ValidationError, match="model is required"):
        client.track(prompt="no model")
    with pytest.raises(ValidationError, match="latency_ms"):
        client.track(model="gpt-4o", latency_ms=-1.0)
    with pytest.raises(ValidationError, match="unknown field"):
        client.track(model="gpt-4o", tokens=3)  # type: ignore[call-arg]
    assert client.events == []


def test_send_and_track_many() -> None:
    client = InMemoryClient(service_name="svc")
    built = TelemetryEvent(service_name="other", model="claude-3-5-sonnet", trace_id=TRACE)
    assert client.send(built) == built.event_id
    ids = client.track_many([{"model": "a"}, TelemetryEvent(service_name="x", model="b")])
    assert [e.model for e in client.events] == ["claude-3-5-sonnet", "a", "b"]
    assert [e.event_id for e in client.events[1:]] == ids
    assert client.events[0].service_name == "other"
    assert client.events[0] is not built  # decoded from its JSON, the caller's object untouched
    with pytest.raises(ValidationError):
        client.track_many([{"model": "ok"}, {"model": ""}])
    assert len(client.events) == 3  # a bad item queues none


def test_request_scope_is_merged() -> None:
    client = InMemoryClient()
    with request_scope(
        traceparent=f"00-{TRACE}-00f067aa0ba902b7-01", metadata={"http.route": "/chat"}
    ):
        client.track(model="gpt-4o", metadata={"k": "v"})
        client.track(model="gpt-4o")
    first, second = client.events
    assert first.trace_id == second.trace_id == TRACE
    assert first.span_id and second.span_id and first.span_id != second.span_id
    assert first.metadata["http.route"] == "/chat"
    assert first.metadata["k"] == "v"


def test_after_close_events_are_dropped_and_counted() -> None:
    with InMemoryClient() as client:
        client.track(model="gpt-4o")
        assert client.flush() is True
    assert client.closed
    client.track(model="gpt-4o")
    assert len(client.events) == 1
    assert client.stats()["dropped"] == {"closed": 1}


def test_on_success_is_called_for_each_captured_event() -> None:
    seen: list[str] = []
    client = InMemoryClient(on_success=lambda event: seen.append(event.model))
    client.track(model="a")
    client.track(model="b")
    assert seen == ["a", "b"]


def test_clear_empties_the_same_list() -> None:
    client = InMemoryClient()
    events = client.events
    client.track(model="gpt-4o")
    client.clear()
    assert events == [] and client.payloads == []
    client.track(model="gpt-4o-mini")
    assert [e.model for e in events] == ["gpt-4o-mini"]


def test_many_threads_capture_every_event_once() -> None:
    client = InMemoryClient()

    def work(n: int) -> None:
        for i in range(250):
            client.track(model=f"m{n}", prompt=str(i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(client.events) == 2000
    assert len({e.event_id for e in client.events}) == 2000
    for n in range(8):  # each thread's events in its own order
        assert [e.prompt.text for e in client.events if e.model == f"m{n}"] == [
            str(i) for i in range(250)
        ]
    stats = client.stats()
    assert (stats["sent"], stats["queue_depth"], stats["in_flight"]) == (2000, 0, 0)


def test_no_environment_and_no_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SENTINEL_SERVICE_NAME", "from-env")
    monkeypatch.setenv("SENTINEL_SPOOL_DIR", str(tmp_path / "spool"))
    client = InMemoryClient(spool_enabled=True)
    assert client.config.service_name == "unknown_service"
    assert client.config.spool_enabled is False
    client.track(model="gpt-4o")
    assert not (tmp_path / "spool").exists()
    configured = InMemoryClient(SentinelConfig(service_name="given"), sample_rate=1.0)
    assert configured.config.service_name == "given"
    assert client.ping() == 0.0


async def test_async_twin() -> None:
    async with AsyncInMemoryClient(service_name="async-svc") as client:
        event_id = await client.track(model="gpt-4o")
        await client.send(TelemetryEvent(service_name="x", model="b"))
        await client.track_many([{"model": "c"}])
        client.track_nowait(model="d")  # what integrations call, from any thread
        assert await client.flush() is True
        assert await client.ping() == 0.0
    assert client.closed
    assert client.events[0].event_id == event_id
    assert [e.model for e in client.events] == ["gpt-4o", "b", "c", "d"]


def test_capture_events_swaps_the_default_and_restores_it() -> None:
    before = sentinel_sdk.set_client(None)
    original = InMemoryClient()
    sentinel_sdk.set_client(original)
    try:
        swapped: list[InMemoryClient] = []

        def failing_test() -> None:
            with capture_events(service_name="inner") as client:
                swapped.append(client)
                assert sentinel_sdk.get_client() is client
                sentinel_sdk.track(model="gpt-4o")
                raise RuntimeError("the test failed")

        with pytest.raises(RuntimeError):
            failing_test()
        (client,) = swapped
        assert sentinel_sdk.get_client() is original
        assert client.closed
        assert [e.service_name for e in client.events] == ["inner"]
        assert original.events == []
    finally:
        sentinel_sdk.set_client(before)
