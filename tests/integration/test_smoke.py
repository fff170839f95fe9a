"""The sync and async clients deliver to the real broker."""

from __future__ import annotations

import json

import pytest

from sentinel_sdk import AsyncSentinelClient, SentinelClient
from tests.kafka_helpers import Broker, consume, new_topic

pytestmark = pytest.mark.kafka


def test_sync_client_delivers(kafka: Broker, spool_dir: str) -> None:
    topic = new_topic()
    with SentinelClient(brokers=[kafka.plaintext], topic=topic, spool_dir=spool_dir) as client:
        ids = [client.track(model="gpt-4o", prompt="hi", response="yo") for _ in range(10)]
        assert client.flush(30)
    got = [json.loads(v)["event_id"] for v in consume(kafka.plaintext, topic, expected=10)]
    assert sorted(got) == sorted(ids)


async def test_async_client_delivers(kafka: Broker, spool_dir: str) -> None:
    topic = new_topic()
    async with AsyncSentinelClient(
        brokers=[kafka.plaintext], topic=topic, spool_dir=spool_dir
    ) as client:
        ids = [await client.track(model="gpt-4o", prompt="hi") for _ in range(10)]
        assert await client.flush(30)
    got = [json.loads(v)["event_id"] for v in consume(kafka.plaintext, topic, expected=10)]
    assert sorted(got) == sorted(ids)
