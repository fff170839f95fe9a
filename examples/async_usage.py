"""Async usage: an AsyncSentinelClient tracks concurrent LLM calls from asyncio code.

    SENTINEL_BROKERS=127.0.0.1:19092 python examples/async_usage.py

``await client.track(...)`` never waits on the network: it queues the event and
returns; an asyncio task on the same loop ships it to Kafka.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time

from _readback import Readback, show

from sentinel_sdk import AsyncSentinelClient


async def answer(client: AsyncSentinelClient, question: str) -> str:
    started = time.perf_counter()
    await asyncio.sleep(random.uniform(0.01, 0.05))  # stands in for an awaited LLM call
    reply = f"Answer to {question!r}"
    return await client.track(
        model="claude-sonnet-4-5",
        prompt=question,
        response=reply,
        prompt_tokens=20,
        response_tokens=8,
        finish_reason="end_turn",
        latency_ms=(time.perf_counter() - started) * 1000,
        metadata={"worker": "async-example"},
    )


async def main() -> int:
    brokers = os.environ.get("SENTINEL_BROKERS", "127.0.0.1:19092")
    topic = os.environ.get("SENTINEL_TOPIC", "llm.telemetry")
    readback = await asyncio.to_thread(Readback, brokers, topic)

    async with AsyncSentinelClient(
        brokers=brokers.split(","), topic=topic, service_name="async-example"
    ) as client:
        ids = await asyncio.gather(*(answer(client, f"question {i}") for i in range(20)))
        delivered = await client.flush(timeout=30)
        print(
            f"sent {len(ids)} events concurrently; flush: "
            f"{'all acknowledged' if delivered else 'NOT all acknowledged'}"
        )
        print(f"stats: {client.stats()}")

    events = await asyncio.to_thread(readback.events, list(ids))
    print(f"\nread back {len(events)} of {len(ids)} events:")
    show(events[:5])
    print("...")
    return 0 if delivered and len(events) == len(ids) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
