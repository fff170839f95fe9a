"""The fluent builder: construct an event step by step, validated once at ``build()``.

SENTINEL_BROKERS=127.0.0.1:19092 python examples/builder_pattern.py
"""

from __future__ import annotations

import os
import sys

from _readback import Readback, show

from sentinel_sdk import SentinelClient, TelemetryEventBuilder, ValidationError


def main() -> int:
    brokers = os.environ.get("SENTINEL_BROKERS", "127.0.0.1:19092")
    topic = os.environ.get("SENTINEL_TOPIC", "llm.telemetry")

    event = (
        TelemetryEventBuilder()
        .service("my-service")
        .model("gpt-4")
        .prompt(text="Hello", tokens=5)
        .response(text="Hi!", tokens=10, finish_reason="stop")
        .latency(150.5)
        .cost(0.001)
        .metadata({"region": "us-east-1"})
        .trace("4bf92f3577b34da6a3ce929d0e0e4736", span_id="00f067aa0ba902b7")
        .build()
    )
    print(f"built {event.event_id}: {event.total_tokens} tokens, errors={event.has_errors}")

    # Invalid input fails at build(), naming the field.
    try:
        TelemetryEventBuilder().service("my-service").model("gpt-4").latency(-1).build()
    except ValidationError as exc:
        print(f"rejected as expected: {exc} (field {exc.field!r})")
    try:
        TelemetryEventBuilder().model("gpt-4").build()
    except ValidationError as exc:
        print(f"rejected as expected: {exc}")

    failed = (
        TelemetryEventBuilder()
        .service("my-service")
        .model("gpt-4")
        .prompt(text="Translate this", tokens=4)
        .response(finish_reason="error")
        .latency(30_000.0)
        .error("rate limited (429)")
        .build()
    )

    readback = Readback(brokers, topic)
    with SentinelClient(brokers=brokers.split(","), topic=topic) as client:
        ids = [client.send(event), client.send(failed)]
        delivered = client.flush(timeout=30)
    events = readback.events(ids)
    print(f"\nread back {len(events)} of {len(ids)} events:")
    show(events)
    return 0 if delivered and len(events) == len(ids) else 1


if __name__ == "__main__":
    sys.exit(main())
