"""Sustained throughput: the SDK clients against the raw Kafka producers, same settings, same run.

    .venv/bin/python benchmarks/bench_clients.py [--events 20000] [--rounds 3]

For each pair it sends the same LLM-call records to a fresh topic and times
from the first call to the last broker acknowledgement:

- raw kafka-python: ``KafkaProducer(**kafka_python_settings(SentinelConfig(...)))``,
  the caller builds the JSON event itself (uuid4 id, timestamp, json.dumps) and
  calls ``send()``; then ``flush()``.
- ``SentinelClient``: ``track(**fields)`` per call, then ``flush()``.
- raw aiokafka / ``AsyncSentinelClient``: the same on the event loop.

Each figure is the median of ``--rounds`` rounds; the ratio is SDK / raw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from _common import FIELDS, bootstrap, median, new_topic

from sentinel_sdk import AsyncSentinelClient, SentinelClient, SentinelConfig
from sentinel_sdk._transports.aiokafka import aiokafka_settings
from sentinel_sdk._transports.kafka_python import kafka_python_settings


def raw_payload() -> tuple[bytes, bytes]:
    """What a user of the bare producer would do per call: build and serialize the event."""
    event_id = str(uuid.uuid4())
    event = {
        "event_id": event_id,
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "service_name": "bench",
        "trace_id": None,
        "span_id": None,
        "model": FIELDS["model"],
        "prompt": {"text": FIELDS["prompt"], "tokens": FIELDS["prompt_tokens"], "embedding": None},
        "response": {
            "text": FIELDS["response"],
            "tokens": FIELDS["response_tokens"],
            "finish_reason": FIELDS["finish_reason"],
            "embedding": None,
        },
        "latency_ms": FIELDS["latency_ms"],
        "cost_usd": 0.0,
        "metadata": FIELDS["metadata"],
        "errors": [],
    }
    return event_id.encode(), json.dumps(event, separators=(",", ":")).encode()


def config(brokers: str, topic: str, spool_dir: str) -> SentinelConfig:
    return SentinelConfig(
        brokers=[brokers],
        topic=topic,
        service_name="bench",
        spool_dir=spool_dir,
        max_queue_size=100_000,
        max_queue_bytes=512 * 1024 * 1024,
    )


def run_raw_sync(brokers: str, n: int) -> float:
    from kafka import KafkaProducer

    topic = new_topic("raw-sync")
    producer = KafkaProducer(**kafka_python_settings(config(brokers, topic, "/tmp/unused")))
    producer.send(topic, b"warmup").get(timeout=30)
    started = time.perf_counter()
    for _ in range(n):
        key, value = raw_payload()
        producer.send(topic, key=key, value=value)
    producer.flush(timeout=120)
    elapsed = time.perf_counter() - started
    producer.close()
    return n / elapsed


def run_sdk_sync(brokers: str, n: int, spool_dir: str) -> float:
    topic = new_topic("sdk-sync")
    client = SentinelClient(config(brokers, topic, spool_dir))
    client.track(**FIELDS)
    assert client.flush(30), "warm-up event not delivered"
    started = time.perf_counter()
    for _ in range(n):
        client.track(**FIELDS)
    delivered = client.flush(120)
    elapsed = time.perf_counter() - started
    stats = client.stats()
    client.close()
    assert delivered and stats["sent"] == n + 1, stats
    return n / elapsed


async def run_raw_async(brokers: str, n: int) -> float:
    from aiokafka import AIOKafkaProducer

    topic = new_topic("raw-async")
    producer = AIOKafkaProducer(**aiokafka_settings(config(brokers, topic, "/tmp/unused")))
    await producer.start()
    await producer.send_and_wait(topic, b"warmup")
    started = time.perf_counter()
    for _ in range(n):
        key, value = raw_payload()
        await producer.send(topic, value, key=key)
    await producer.flush()
    elapsed = time.perf_counter() - started
    await producer.stop()
    return n / elapsed


async def run_sdk_async(brokers: str, n: int, spool_dir: str) -> float:
    topic = new_topic("sdk-async")
    client = AsyncSentinelClient(config(brokers, topic, spool_dir))
    await client.track(**FIELDS)
    assert await client.flush(30), "warm-up event not delivered"
    started = time.perf_counter()
    for _ in range(n):
        await client.track(**FIELDS)
    delivered = await client.flush(120)
    elapsed = time.perf_counter() - started
    stats = client.stats()
    await client.close()
    assert delivered and stats["sent"] == n + 1, stats
    return n / elapsed


def rounds(k: int, fn: Callable[[], float]) -> float:
    return median([fn() for _ in range(k)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    brokers, n, k = bootstrap(), args.events, args.rounds
    spool = f"/tmp/sentinel-bench-spool-{uuid.uuid4().hex[:8]}"
    results: dict[str, Any] = {}
    # Interleave raw and SDK rounds so drift on the machine hits both alike.
    raw_sync, sdk_sync, raw_async, sdk_async = [], [], [], []
    for _ in range(k):
        raw_sync.append(run_raw_sync(brokers, n))
        sdk_sync.append(run_sdk_sync(brokers, n, spool))
        raw_async.append(asyncio.run(run_raw_async(brokers, n)))
        sdk_async.append(asyncio.run(run_sdk_async(brokers, n, spool)))
    results = {
        "raw kafka-python": median(raw_sync),
        "SentinelClient": median(sdk_sync),
        "raw aiokafka": median(raw_async),
        "AsyncSentinelClient": median(sdk_async),
    }
    print(
        f"sustained throughput, {n} events of ~1.2 KB JSON, gzip, median of {k} rounds, "
        f"broker {brokers}"
    )
    print(f"{'producer':<22}{'events/s':>12}")
    for name, rate in results.items():
        print(f"{name:<22}{rate:>12,.0f}")
    sync_ratio = results["SentinelClient"] / results["raw kafka-python"]
    async_ratio = results["AsyncSentinelClient"] / results["raw aiokafka"]
    print(f"ratio SentinelClient / raw kafka-python   = {sync_ratio:.2f}x  (target >= 0.90x)")
    print(f"ratio AsyncSentinelClient / raw aiokafka  = {async_ratio:.2f}x  (target >= 0.90x)")


if __name__ == "__main__":
    main()
