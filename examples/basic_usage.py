"""Basic usage: a SentinelClient tracks LLM calls and a consumer reads them back from Kafka.

    SENTINEL_BROKERS=127.0.0.1:19092 python examples/basic_usage.py

Every option also comes from ``SENTINEL_*`` variables (here ``SENTINEL_BROKERS``).
"""

from __future__ import annotations

import os
import sys
import time

from _readback import Readback, show

from sentinel_sdk import SentinelClient


def fake_llm_call(question: str) -> tuple[str, int, int]:
    """Stands in for your LLM client: returns (answer, prompt tokens, completion tokens)."""
    time.sleep(0.02)
    return f"An answer to: {question}", len(question.split()) + 8, 12


def main() -> int:
    brokers = os.environ.get("SENTINEL_BROKERS", "127.0.0.1:19092")
    topic = os.environ.get("SENTINEL_TOPIC", "llm.telemetry")
    readback = Readback(brokers, topic)

    with SentinelClient(
        brokers=brokers.split(","), topic=topic, service_name="basic-example"
    ) as client:
        ids = []
        for question in [
            "What is Kafka?",
            "Why batch messages?",
            "What is an idempotent producer?",
        ]:
            started = time.perf_counter()
            answer, prompt_tokens, completion_tokens = fake_llm_call(question)
            ids.append(
                client.track(
                    model="gpt-4o-mini",
                    prompt=question,
                    response=answer,
                    prompt_tokens=prompt_tokens,
                    response_tokens=completion_tokens,
                    finish_reason="stop",
                    latency_ms=(time.perf_counter() - started) * 1000,
                    metadata={"user_tier": "free", "attempt": 1},  # non-strings become strings
                )
            )
        # A failed call is an event too: it feeds the core's error-rate detection.
        ids.append(
            client.track(
                model="gpt-4o-mini",
                prompt="Summarise this",
                latency_ms=30000.0,
                finish_reason="error",
                errors=["upstream timeout after 30 s"],
            )
        )
        print(f"sent {len(ids)} events to {topic!r} at {brokers}")
        delivered = client.flush(timeout=30)
        print(
            f"flush: {'all acknowledged' if delivered else 'NOT all acknowledged'}; "
            f"stats: {client.stats()}"
        )

    events = readback.events(ids)
    print(f"\nread back {len(events)} of {len(ids)} events from the topic:")
    show(events)
    return 0 if delivered and len(events) == len(ids) else 1


if __name__ == "__main__":
    sys.exit(main())
