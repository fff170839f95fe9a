"""The capture controls behave as documented, against the real broker, counters included:
``before_send`` (raising, returning None, redacting), ``sample_rate`` 0.0 / 0.5 / 1.0
(per trace id), ``enabled=False``, ``capture_content=False`` and the delivery callbacks."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

import pytest

from sentinel_sdk import SentinelClient, TelemetryEvent
from sentinel_sdk._ids import new_trace_id
from tests.kafka_helpers import Broker, consume_events, new_topic

pytestmark = pytest.mark.kafka


def _client(kafka: Broker, spool_dir: str, topic: str, **options: object) -> SentinelClient:
    return SentinelClient(brokers=[kafka.plaintext], topic=topic, spool_dir=spool_dir, **options)


def test_before_send_that_raises_drops_the_event_counts_it_and_never_raises(
    kafka: Broker, spool_dir: str, caplog: pytest.LogCaptureFixture
) -> None:
    topic = new_topic()
    calls = Counter[str]()

    def hook(event: TelemetryEvent) -> TelemetryEvent:
        calls[threading.current_thread().name] += 1
        if event.model == "bad":
            raise RuntimeError("hook bug")
        return event

    with (
        caplog.at_level(logging.WARNING, logger="sentinel_sdk"),
        _client(kafka, spool_dir, topic, before_send=hook) as client,
    ):
        good = [client.track(model="good") for _ in range(5)]
        for _ in range(3):
            client.track(model="bad")  # must not raise
        assert client.flush(30)
        stats = client.stats()
    assert stats["dropped"] == {"before_send_error": 3}
    assert stats["sent"] == 5 and stats["queued"] == 8
    assert set(calls) == {"sentinel-sdk-sender"}, "before_send must run on the sender thread"
    assert sum("before_send raised" in r.getMessage() for r in caplog.records) == 1
    consumed = consume_events(kafka.plaintext, topic, expected=5, idle=1)
    assert sorted(e["event_id"] for e in consumed) == sorted(good)


def test_before_send_returning_none_drops_and_a_changed_event_is_what_is_sent(
    kafka: Broker, spool_dir: str
) -> None:
    topic = new_topic()

    def hook(event: TelemetryEvent) -> TelemetryEvent | None:
        if event.metadata.get("drop") == "yes":
            return None
        event.prompt.text = "[redacted]"
        return event

    with _client(kafka, spool_dir, topic, before_send=hook) as client:
        kept = client.track(model="m", prompt="my card is 4111 1111 1111 1111")
        client.track(model="m", metadata={"drop": "yes"})
        assert client.flush(30)
        stats = client.stats()
    assert stats["dropped"] == {"before_send": 1} and stats["sent"] == 1
    (event,) = consume_events(kafka.plaintext, topic, expected=1, idle=1)
    assert event["event_id"] == kept and event["prompt"]["text"] == "[redacted]"


@pytest.mark.parametrize("rate", [0.0, 0.5, 1.0])
def test_sampling_keeps_or_drops_whole_traces(kafka: Broker, spool_dir: str, rate: float) -> None:
    topic = new_topic()
    traces = [new_trace_id() for _ in range(400)]
    with _client(kafka, spool_dir, topic, sample_rate=rate) as client:
        for trace_id in traces:
            for call in range(3):
                client.track(model="m", trace_id=trace_id, prompt=str(call))
        assert client.flush(30)
        stats = client.stats()
    kept = stats["sent"]
    assert kept + stats["sampled_out"] == 1200
    consumed = consume_events(kafka.plaintext, topic, expected=kept, timeout=30, idle=1)
    assert len(consumed) == kept
    per_trace = Counter(e["trace_id"] for e in consumed)
    assert set(per_trace.values()) <= {3}, "a trace was split by sampling"
    if rate == 0.0:
        assert kept == 0
    elif rate == 1.0:
        assert kept == 1200 and stats["sampled_out"] == 0
    else:
        assert 0.4 * 1200 <= kept <= 0.6 * 1200, kept


def test_disabled_client_is_a_no_op(kafka: Broker, spool_dir: str) -> None:
    topic = new_topic()
    client = _client(kafka, spool_dir, topic, enabled=False)
    ids = [client.track(model="m") for _ in range(50)]
    assert len(set(ids)) == 50
    assert client.flush(1)
    client.close()
    stats = client.stats()
    assert (stats["queued"], stats["sent"], stats["dropped_total"], stats["sampled_out"]) == (
        0,
        0,
        0,
        0,
    )
    assert consume_events(kafka.plaintext, topic, expected=1, timeout=3) == []


def test_disabled_by_environment(
    monkeypatch: pytest.MonkeyPatch, kafka: Broker, spool_dir: str
) -> None:
    monkeypatch.setenv("SENTINEL_ENABLED", "false")
    client = SentinelClient(brokers=[kafka.plaintext], spool_dir=spool_dir)
    client.track(model="m")
    assert client.stats()["queued"] == 0
    client.close()


def test_capture_content_false_strips_texts_keeps_tokens(kafka: Broker, spool_dir: str) -> None:
    topic = new_topic()
    with _client(kafka, spool_dir, topic, capture_content=False) as client:
        client.track(
            model="m",
            prompt="secret prompt",
            response="secret answer",
            prompt_tokens=7,
            response_tokens=9,
        )
        assert client.flush(30)
    (event,) = consume_events(kafka.plaintext, topic, expected=1, idle=1)
    assert (event["prompt"]["text"], event["response"]["text"]) == ("", "")
    assert (event["prompt"]["tokens"], event["response"]["tokens"]) == (7, 9)


def test_on_success_and_on_error_callbacks(kafka: Broker, spool_dir: str) -> None:
    topic = new_topic()
    succeeded: list[str] = []
    failed: list[tuple[str, str]] = []
    with _client(
        kafka,
        spool_dir,
        topic,
        on_success=lambda e: succeeded.append(e.event_id),
        on_error=lambda e, exc: failed.append((e.event_id, type(exc).__name__)),
    ) as client:
        ids = client.track_many([{"model": "m", "prompt": str(i)} for i in range(20)])
        # Larger than the broker's 1 MB message limit: rejected for good, not retried.
        too_big = client.track(model="m", metadata={"blob": "x" * 1_100_000})
        assert client.flush(30)
        stats = client.stats()
    assert sorted(succeeded) == sorted(ids)
    assert failed == [(too_big, "MessageSizeTooLargeError")]
    assert stats["dropped"] == {"rejected": 1} and stats["sent"] == 20


def _topic_with_a_small_message_limit(kafka: Broker, limit: int) -> str:
    """A fresh topic whose brokers take messages (batches) of at most ``limit`` bytes."""
    from kafka.admin import KafkaAdminClient, NewTopic

    topic = new_topic("small-limit")
    admin = KafkaAdminClient(bootstrap_servers=[kafka.plaintext])
    try:
        admin.create_topics(
            [NewTopic(topic, 1, 1, topic_configs={"max.message.bytes": str(limit)})]
        )
    finally:
        admin.close()
    return topic


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_one_event_the_broker_rejects_costs_that_event_only(
    kafka: Broker, spool_dir: str, kind: str
) -> None:
    # The broker (not the client's own size check) refuses the big event for good: it
    # is dropped as rejected, and every event before and after it is still delivered.
    # (kafka-python's idempotent producer turns every later send into the same error
    # after such a rejection: the SDK must replace it, not drop the rest.)
    topic = _topic_with_a_small_message_limit(kafka, 8_192)
    options = {
        "brokers": [kafka.plaintext],
        "topic": topic,
        "spool_dir": spool_dir,
        "compression_type": "none",
        "linger_ms": 0,
    }
    big = {"model": "m", "prompt": "x" * 50_000}
    if kind == "sync":
        with SentinelClient(**options) as client:
            before = [client.track(model="m", prompt=f"before {i}") for i in range(5)]
            assert client.flush(30)
            client.track(**big)  # type: ignore[arg-type]
            after = [client.track(model="m", prompt=f"after {i}") for i in range(5)]
            assert client.flush(60), client.stats()
            stats = client.stats()
    else:
        import asyncio

        from sentinel_sdk import AsyncSentinelClient

        async def run() -> tuple[list[str], list[str], Any]:
            async with AsyncSentinelClient(**options) as client:
                before = [await client.track(model="m", prompt=f"before {i}") for i in range(5)]
                assert await client.flush(30)
                await client.track(**big)  # type: ignore[arg-type]
                after = [await client.track(model="m", prompt=f"after {i}") for i in range(5)]
                assert await client.flush(60), client.stats()
                return before, after, client.stats()

        before, after, stats = asyncio.run(run())
    assert stats["dropped"] == {"rejected": 1}, stats
    assert stats["sent"] == 10, stats
    consumed = consume_events(kafka.plaintext, topic, expected=10, idle=1)
    assert sorted(e["event_id"] for e in consumed) == sorted(before + after)
