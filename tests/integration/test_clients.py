"""SentinelClient and AsyncSentinelClient against the real broker: volume, every
compression type, SASL PLAIN / SCRAM-SHA-512, TLS with CA verification, and the
failures a user meets first (wrong password, nothing listening, untrusted CA).

Every delivered message is read back with a consumer and compared, field for field,
with what was given to the client; every message is validated against the shipped
JSON Schema and keyed by its event id.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
import socket
import struct
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from sentinel_sdk import (
    AsyncSentinelClient,
    ConnectionError,
    SentinelClient,
    SentinelError,
    TelemetryEvent,
    TelemetryEventBuilder,
    coerce_metadata,
    json_schema,
)
from tests.kafka_helpers import Broker, new_topic

pytestmark = pytest.mark.kafka

VALIDATOR = jsonschema.Draft202012Validator(json_schema())
WRONG_PASSWORD = "Wr0ng-Passw0rd-Zq7"
COMPRESSIONS = ["none", "gzip", "snappy", "lz4", "zstd"]
# Record batch attribute bits 0-2 (Kafka protocol): the codec a batch was written with.
CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
MANY = 10_000
SLACK_S = 1.0  # what ping() may take beyond its timeout to tear down its producer


# -- helpers -----------------------------------------------------------------------------


def consume_records(
    bootstrap: str, topic: str, *, expected: int, timeout: float = 120.0, idle: float = 2.0
) -> list[tuple[bytes | None, bytes]]:
    """(key, value) of every message in ``topic``, read until ``expected`` arrived and
    then ``idle`` seconds passed without more (so duplicates would show)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    try:
        deadline = time.monotonic() + timeout
        partitions = consumer.partitions_for_topic(topic)
        while not partitions and time.monotonic() < deadline:
            time.sleep(0.2)
            partitions = consumer.partitions_for_topic(topic)
        assert partitions, f"topic {topic} never appeared"
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list[tuple[bytes | None, bytes]] = []
        last = time.monotonic()
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500, max_records=5000)
            got = [(r.key, r.value) for rs in batch.values() for r in rs]
            if got:
                records.extend(got)
                last = time.monotonic()
            if len(records) >= expected and time.monotonic() - last >= idle:
                break
        return records
    finally:
        consumer.close()


def read_back(kafka: Broker, topic: str, expected: int) -> dict[str, dict[str, Any]]:
    """The topic's messages by event id; each is schema-valid, keyed by its id, unique."""
    records = consume_records(kafka.plaintext, topic, expected=expected)
    by_id: dict[str, dict[str, Any]] = {}
    for key, value in records:
        data = json.loads(value)
        VALIDATOR.validate(data)
        assert key == data["event_id"].encode()
        assert data["event_id"] not in by_id, f"duplicate {data['event_id']}"
        by_id[data["event_id"]] = data
    assert len(records) == expected
    return by_id


def built_event(i: int) -> TelemetryEvent:
    """A distinct, fully populated event (cost set, so the sender's pricing leaves it be)."""
    builder = (
        TelemetryEventBuilder()
        .service(f"svc-{i % 7}")
        .model(["gpt-4o", "claude-3-5-sonnet", "llama-3"][i % 3])
        .prompt(
            text=f'prompt {i} ✓ 漢字 😀 "quoted"\n' + "x" * (i % 50),
            tokens=i,
            embedding=[i / 7, -1.5, 3.0e38] if i % 10 == 0 else None,
        )
        .response(text=f"response {i}", tokens=2 * i, finish_reason="stop" if i % 2 else "length")
        .latency(10.0 + i / 3)
        .cost(0.0001 * (i + 1))
        .metadata({"i": i, "region": "eu-west-1", "ключ": "значение"})
        .trace(f"{i:032x}", span_id=f"{i:016x}")
        .timestamp(datetime(2024, 5, 1, tzinfo=timezone.utc) + timedelta(microseconds=i))
        .event_id(str(uuid.UUID(int=(0x5E17 << 64) + i, version=4)))
    )
    if i % 13 == 0:
        builder.error(f"error {i}")
    return builder.build()


def track_fields(i: int) -> dict[str, Any]:
    return {
        "model": "gpt-4o-mini",
        "prompt": f"tracked prompt {i} 😀",
        "response": f"tracked response {i}",
        "prompt_tokens": i,
        "response_tokens": i + 1,
        "finish_reason": "stop",
        "latency_ms": 1.0 + i,
        "cost_usd": 0.5 + i,
        "metadata": {"n": i, "ok": True},
        "errors": ["boom"] if i % 11 == 0 else [],
        "trace_id": f"{i + 1:032x}",
        "span_id": f"{i + 1:016x}",
    }


def expected_from_track(event_id: str, fields: dict[str, Any], service_name: str) -> dict[str, Any]:
    """The wire form ``track(**fields)`` must produce (timestamp checked separately)."""
    return {
        "event_id": event_id,
        "service_name": service_name,
        "trace_id": fields["trace_id"],
        "span_id": fields["span_id"],
        "model": fields["model"],
        "prompt": {"text": fields["prompt"], "tokens": fields["prompt_tokens"], "embedding": None},
        "response": {
            "text": fields["response"],
            "tokens": fields["response_tokens"],
            "finish_reason": fields["finish_reason"],
            "embedding": None,
        },
        "latency_ms": float(fields["latency_ms"]),
        "cost_usd": float(fields["cost_usd"]),
        "metadata": coerce_metadata(fields["metadata"]),
        "errors": fields["errors"],
    }


class Expectations:
    """What was given to a client, to compare with what the consumer reads."""

    def __init__(self, service_name: str) -> None:
        self.service_name = service_name
        self.sent: dict[str, dict[str, Any]] = {}
        self.tracked: dict[str, dict[str, Any]] = {}
        self.started = datetime.now(timezone.utc)

    def check(self, got: dict[str, dict[str, Any]]) -> None:
        assert set(got) == set(self.sent) | set(self.tracked)
        for event_id, expected in self.sent.items():
            assert got[event_id] == expected, event_id
        ended = datetime.now(timezone.utc)
        for event_id, expected in self.tracked.items():
            data = dict(got[event_id])
            stamp = TelemetryEvent.from_dict(data).timestamp
            assert self.started - timedelta(seconds=1) <= stamp <= ended
            del data["timestamp"]
            assert data == expected, event_id


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def batch_codecs(kafka: Broker, topic: str) -> set[int] | None:
    """Codecs of the record batches in the broker's log for ``topic`` (repo broker only)."""
    if kafka.state_dir is None:
        return None
    codecs: set[int] = set()
    for segment in Path(kafka.state_dir, "data").glob(f"{topic}-*/*.log"):
        data = segment.read_bytes()
        pos = 0
        while pos + 23 <= len(data):
            (length,) = struct.unpack_from(">i", data, pos + 8)
            (attributes,) = struct.unpack_from(">h", data, pos + 21)
            codecs.add(attributes & 0x7)
            pos += 12 + length
    return codecs


def client_kwargs(kafka: Broker, how: str) -> dict[str, Any]:
    if how == "plaintext":
        return {"brokers": [kafka.plaintext]}
    if how in ("PLAIN", "SCRAM-SHA-512"):
        return {
            "brokers": [kafka.sasl_plaintext],
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": how,
            "sasl_username": kafka.sasl_username,
            "sasl_password": kafka.sasl_password,
        }
    if how == "SSL":
        return {
            "brokers": [kafka.ssl],
            "security_protocol": "SSL",
            "ssl_cafile": kafka.ssl_cafile,
            "ssl_check_hostname": True,
        }
    raise AssertionError(how)


def assert_clean(error: BaseException, *secrets: str) -> None:
    """No secret anywhere in the error, its cause chain, or their messages."""
    seen: BaseException | None = error
    while seen is not None:
        for text in (str(seen), repr(seen), repr(getattr(seen, "args", ()))):
            for secret in secrets:
                assert secret not in text
        seen = seen.__cause__ or seen.__context__


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_no_secret_logged(caplog: pytest.LogCaptureFixture, secret: str) -> None:
    """No record of the SDK's logger, and no WARNING+ record of any logger, carries it."""
    for record in caplog.records:
        if record.name.startswith("sentinel_sdk") or record.levelno >= logging.WARNING:
            assert secret not in record.getMessage(), (record.name, record.getMessage())


# -- volume: 10,000 events each ---------------------------------------------------------


def test_sync_client_delivers_10000_events_equal_by_id_and_content(
    kafka: Broker, spool_dir: str
) -> None:
    topic = new_topic("clients-sync-10k")
    expect = Expectations("sync-10k")
    with SentinelClient(
        brokers=[kafka.plaintext], topic=topic, service_name="sync-10k", spool_dir=spool_dir
    ) as client:
        for i in range(MANY):
            if i % 2:
                fields = track_fields(i)
                event_id = client.track(**fields)
                expect.tracked[event_id] = expected_from_track(event_id, fields, "sync-10k")
            else:
                event = built_event(i)
                assert client.send(event) == event.event_id
                expect.sent[event.event_id] = event.to_dict()
        assert client.flush(120)
        stats = client.stats()
    assert stats["sent"] == MANY
    assert stats["dropped_total"] == 0
    assert stats["queue_depth"] == stats["in_flight"] == stats["spool_events"] == 0
    expect.check(read_back(kafka, topic, MANY))


async def test_async_client_delivers_10000_events_equal_by_id_and_content(
    kafka: Broker, spool_dir: str
) -> None:
    topic = new_topic("clients-async-10k")
    expect = Expectations("async-10k")
    async with AsyncSentinelClient(
        brokers=[kafka.plaintext], topic=topic, service_name="async-10k", spool_dir=spool_dir
    ) as client:
        for i in range(MANY):
            if i % 2:
                fields = track_fields(i)
                event_id = await client.track(**fields)
                expect.tracked[event_id] = expected_from_track(event_id, fields, "async-10k")
            else:
                event = built_event(i)
                assert await client.send(event) == event.event_id
                expect.sent[event.event_id] = event.to_dict()
            if i % 1000 == 999:
                await asyncio.sleep(0)  # a real app yields now and then
        assert await client.flush(120)
        stats = client.stats()
    assert stats["sent"] == MANY
    assert stats["dropped_total"] == 0
    assert stats["queue_depth"] == stats["in_flight"] == stats["spool_events"] == 0
    got = await asyncio.to_thread(read_back, kafka, topic, MANY)
    expect.check(got)


@pytest.mark.parametrize("cost", [0.25, 0.0])
def test_send_leaves_the_callers_event_unchanged(
    kafka: Broker, spool_dir: str, cost: float
) -> None:
    topic = new_topic("clients-unchanged")
    event = built_event(3)
    event.cost_usd = cost
    before = event.to_dict()
    with SentinelClient(brokers=[kafka.plaintext], topic=topic, spool_dir=spool_dir) as client:
        client.send(event)
        assert client.flush(30)
    assert event.to_dict() == before
    delivered = read_back(kafka, topic, 1)[event.event_id]
    if cost:
        assert delivered == before


# -- compression ------------------------------------------------------------------------


def deliver_sync(spool_dir: str, topic: str, n: int, **options: Any) -> None:
    with SentinelClient(topic=topic, spool_dir=spool_dir, **options) as client:
        for i in range(n):
            client.send(built_event(i))
        assert client.flush(60)
        assert client.stats()["sent"] == n


async def deliver_async(spool_dir: str, topic: str, n: int, **options: Any) -> None:
    async with AsyncSentinelClient(topic=topic, spool_dir=spool_dir, **options) as client:
        for i in range(n):
            await client.send(built_event(i))
        assert await client.flush(60)
        assert client.stats()["sent"] == n


def check_delivered(kafka: Broker, topic: str, n: int) -> None:
    got = read_back(kafka, topic, n)
    for i in range(n):
        event = built_event(i)
        assert got[event.event_id] == event.to_dict()


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_sync_client_delivers_with_each_compression_type(
    kafka: Broker, spool_dir: str, compression: str
) -> None:
    topic = new_topic(f"clients-sync-{compression}")
    deliver_sync(spool_dir, topic, 200, brokers=[kafka.plaintext], compression_type=compression)
    check_delivered(kafka, topic, 200)
    codecs = batch_codecs(kafka, topic)
    if codecs is not None:
        assert codecs == {CODEC_IDS[compression]}


@pytest.mark.parametrize("compression", COMPRESSIONS)
async def test_async_client_delivers_with_each_compression_type(
    kafka: Broker, spool_dir: str, compression: str
) -> None:
    topic = new_topic(f"clients-async-{compression}")
    await deliver_async(
        spool_dir, topic, 200, brokers=[kafka.plaintext], compression_type=compression
    )
    await asyncio.to_thread(check_delivered, kafka, topic, 200)
    codecs = batch_codecs(kafka, topic)
    if codecs is not None:
        assert codecs == {CODEC_IDS[compression]}


# -- SASL and TLS -----------------------------------------------------------------------

SECURED = ["PLAIN", "SCRAM-SHA-512", "SSL"]


@pytest.mark.parametrize("how", SECURED)
def test_sync_client_delivers_over_sasl_and_tls(
    kafka_full: Broker, spool_dir: str, how: str, logs: pytest.LogCaptureFixture
) -> None:
    topic = new_topic(f"clients-sync-{how.lower()}")
    options = client_kwargs(kafka_full, how)
    client = SentinelClient(topic=topic, spool_dir=spool_dir, **options)
    try:
        assert client.ping(timeout=15) > 0
    finally:
        client.close(0)
    deliver_sync(spool_dir, topic, 50, **options)
    check_delivered_with_ping(kafka_full, topic, 50)
    if kafka_full.sasl_password:
        assert_no_secret_logged(logs, kafka_full.sasl_password)


@pytest.mark.parametrize("how", SECURED)
async def test_async_client_delivers_over_sasl_and_tls(
    kafka_full: Broker, spool_dir: str, how: str, logs: pytest.LogCaptureFixture
) -> None:
    topic = new_topic(f"clients-async-{how.lower()}")
    options = client_kwargs(kafka_full, how)
    client = AsyncSentinelClient(topic=topic, spool_dir=spool_dir, **options)
    try:
        assert await client.ping(timeout=15) > 0
    finally:
        await client.close(0)
    await deliver_async(spool_dir, topic, 50, **options)
    await asyncio.to_thread(check_delivered_with_ping, kafka_full, topic, 50)
    if kafka_full.sasl_password:
        assert_no_secret_logged(logs, kafka_full.sasl_password)


def check_delivered_with_ping(kafka: Broker, topic: str, n: int) -> None:
    """The n events, plus the one test event ping() wrote (marked so consumers skip it)."""
    records = consume_records(kafka.plaintext, topic, expected=n + 1)
    events = [json.loads(value) for _, value in records]
    for data in events:
        VALIDATOR.validate(data)
    pings = [e for e in events if e["metadata"].get("sentinel.test") == "true"]
    assert len(pings) == 1
    assert pings[0]["model"] == "sentinel-check"
    got = {e["event_id"]: e for e in events if e not in pings}
    assert len(got) == n
    for i in range(n):
        event = built_event(i)
        assert got[event.event_id] == event.to_dict()


# -- failures: ping() -------------------------------------------------------------------

PING_TIMEOUT = 4.0


def wrong_password(kafka: Broker, mechanism: str) -> dict[str, Any]:
    return {**client_kwargs(kafka, mechanism), "sasl_password": WRONG_PASSWORD}


def names_failed_authentication(message: str, *, sync: bool) -> None:
    """The message says the credentials were refused (and whose)."""
    assert "authentication failed" in message.lower()
    assert "'sentinel'" in message  # the user name, to say whose credentials failed


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "PLAIN"])
def test_sync_ping_with_a_wrong_password_is_a_clear_connection_error(
    kafka_full: Broker, spool_dir: str, mechanism: str
) -> None:
    client = SentinelClient(spool_dir=spool_dir, **wrong_password(kafka_full, mechanism))
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionError) as info:
            client.ping(timeout=PING_TIMEOUT)
    finally:
        client.close(0)
    elapsed = time.monotonic() - started
    assert elapsed <= PING_TIMEOUT + SLACK_S
    assert isinstance(info.value, builtins.ConnectionError)
    assert_clean(info.value, WRONG_PASSWORD)
    names_failed_authentication(str(info.value), sync=True)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "PLAIN"])
async def test_async_ping_with_a_wrong_password_is_a_clear_connection_error(
    kafka_full: Broker, spool_dir: str, mechanism: str
) -> None:
    client = AsyncSentinelClient(spool_dir=spool_dir, **wrong_password(kafka_full, mechanism))
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionError) as info:
            await client.ping(timeout=PING_TIMEOUT)
    finally:
        await client.close(0)
    assert time.monotonic() - started <= PING_TIMEOUT + SLACK_S
    assert_clean(info.value, WRONG_PASSWORD)
    names_failed_authentication(str(info.value), sync=False)


def test_sync_ping_to_an_unreachable_broker_is_a_connection_error_within_the_timeout(
    spool_dir: str,
) -> None:
    address = f"127.0.0.1:{closed_port()}"
    # request_timeout_ms stays at its 30 s default: ping's own timeout must bound it.
    client = SentinelClient(brokers=[address], spool_dir=spool_dir)
    started = time.monotonic()
    try:
        with pytest.raises(builtins.ConnectionError) as info:
            client.ping(timeout=PING_TIMEOUT)
    finally:
        client.close(0)
    assert time.monotonic() - started <= PING_TIMEOUT + SLACK_S
    assert isinstance(info.value, ConnectionError)
    assert address in str(info.value)
    assert "no kafka broker answered" in str(info.value).lower()


async def test_async_ping_to_an_unreachable_broker_is_a_connection_error_within_the_timeout(
    spool_dir: str,
) -> None:
    address = f"127.0.0.1:{closed_port()}"
    client = AsyncSentinelClient(brokers=[address], spool_dir=spool_dir)
    started = time.monotonic()
    try:
        with pytest.raises(builtins.ConnectionError) as info:
            await client.ping(timeout=PING_TIMEOUT)
    finally:
        await client.close(0)
    assert time.monotonic() - started <= PING_TIMEOUT + SLACK_S
    assert isinstance(info.value, ConnectionError)
    assert address in str(info.value)
    assert "no kafka broker answered" in str(info.value).lower()


def untrusted_tls(kafka: Broker) -> dict[str, Any]:
    assert kafka.ssl is not None
    return {"brokers": [kafka.ssl], "security_protocol": "SSL", "ssl_check_hostname": True}


def test_sync_ping_to_a_broker_with_an_untrusted_certificate(
    kafka_full: Broker, spool_dir: str
) -> None:
    client = SentinelClient(spool_dir=spool_dir, **untrusted_tls(kafka_full))
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionError, match=r"certificate .* is not trusted"):
            client.ping(timeout=PING_TIMEOUT)
    finally:
        client.close(0)
    assert time.monotonic() - started <= PING_TIMEOUT + SLACK_S


async def test_async_ping_to_a_broker_with_an_untrusted_certificate(
    kafka_full: Broker, spool_dir: str
) -> None:
    client = AsyncSentinelClient(spool_dir=spool_dir, **untrusted_tls(kafka_full))
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionError, match=r"certificate .* is not trusted"):
            await client.ping(timeout=PING_TIMEOUT)
    finally:
        await client.close(0)
    assert time.monotonic() - started <= PING_TIMEOUT + SLACK_S


# -- failures: the background path loses nothing and says why --------------------------

HELD = 25


def held_and_counted(stats: dict[str, Any]) -> bool:
    return bool(stats["spool_events"] + stats["queue_depth"] + stats["in_flight"] == HELD)


def check_background_failure(stats: dict[str, Any], *secrets: str) -> str:
    """Checks the counters; returns ``last_error`` (for the caller to check its words)."""
    assert stats["queued"] == HELD
    assert stats["sent"] == 0
    assert stats["dropped_total"] == 0
    assert stats["connected"] is False
    assert stats["spool_events"] > 0 or stats["queue_depth"] > 0
    assert held_and_counted(stats), stats
    last_error = stats["last_error"]
    assert last_error, stats
    for secret in secrets:
        assert secret not in last_error
    return str(last_error)


BACKGROUND_CASES = ["unreachable", "wrong-password-PLAIN", "wrong-password-SCRAM-SHA-512"]


def background_options(kafka: Broker, case: str) -> dict[str, Any]:
    if case == "unreachable":
        return {"brokers": [f"127.0.0.1:{closed_port()}"]}
    if kafka.sasl_plaintext is None:
        pytest.skip("external broker: no SASL listener")
    return wrong_password(kafka, case.removeprefix("wrong-password-"))


def says_why(last_error: str, case: str, *, sync: bool) -> None:
    if case == "unreachable":
        assert "no kafka broker answered" in last_error.lower()
    else:
        names_failed_authentication(last_error, sync=sync)


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


async def wait_until_async(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` (the clients' counters have no change event to wait on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


@pytest.mark.parametrize("case", BACKGROUND_CASES)
def test_sync_background_failure_keeps_and_counts_events(
    kafka: Broker, spool_dir: str, case: str, logs: pytest.LogCaptureFixture
) -> None:
    options = background_options(kafka, case)
    client = SentinelClient(
        topic=new_topic("clients-down"), spool_dir=spool_dir, request_timeout_ms=3000, **options
    )
    try:
        for i in range(HELD):
            client.track(**track_fields(i))
        client.flush(2.0)
        wait_until(
            lambda: held_and_counted(dict(client.stats())) and bool(client.stats()["last_error"]),
            5.0,
        )
        last_error = check_background_failure(dict(client.stats()), WRONG_PASSWORD)
    finally:
        client.close(1.0)
    after = client.stats()
    assert after["spool_events"] == HELD  # kept on disk for the next run
    assert after["dropped_total"] == 0
    assert_no_secret_logged(logs, WRONG_PASSWORD)
    says_why(last_error, case, sync=True)


@pytest.mark.parametrize("case", BACKGROUND_CASES)
async def test_async_background_failure_keeps_and_counts_events(
    kafka: Broker, spool_dir: str, case: str, logs: pytest.LogCaptureFixture
) -> None:
    options = background_options(kafka, case)
    client = AsyncSentinelClient(
        topic=new_topic("clients-down"), spool_dir=spool_dir, request_timeout_ms=3000, **options
    )
    try:
        for i in range(HELD):
            await client.track(**track_fields(i))
        await client.flush(2.0)
        await wait_until_async(
            lambda: held_and_counted(dict(client.stats())) and bool(client.stats()["last_error"]),
            5.0,
        )
        last_error = check_background_failure(dict(client.stats()), WRONG_PASSWORD)
    finally:
        await client.close(1.0)
    after = client.stats()
    assert after["spool_events"] == HELD
    assert after["dropped_total"] == 0
    assert_no_secret_logged(logs, WRONG_PASSWORD)
    says_why(last_error, case, sync=False)


# -- secrets in the client libraries' own debug logs ------------------------------------


def test_sync_no_password_in_any_log_record_even_at_debug(
    kafka_full: Broker, spool_dir: str, logs: pytest.LogCaptureFixture
) -> None:
    client = SentinelClient(spool_dir=spool_dir, **wrong_password(kafka_full, "PLAIN"))
    try:
        with pytest.raises(SentinelError):
            client.ping(timeout=PING_TIMEOUT)
    finally:
        client.close(0)
    assert WRONG_PASSWORD not in logs.text


async def test_async_no_password_in_any_log_record_even_at_debug(
    kafka_full: Broker, spool_dir: str, logs: pytest.LogCaptureFixture
) -> None:
    client = AsyncSentinelClient(spool_dir=spool_dir, **wrong_password(kafka_full, "PLAIN"))
    try:
        with pytest.raises(SentinelError):
            await client.ping(timeout=PING_TIMEOUT)
    finally:
        await client.close(0)
    assert WRONG_PASSWORD not in logs.text
