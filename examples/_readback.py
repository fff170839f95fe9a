"""Example plumbing, not SDK usage: read back from Kafka the events an example just sent.

``Readback(brokers, topic)`` notes where the topic ends *before* the example sends, so
``events(ids)`` returns exactly the events with those ids, as a consumer (e.g. the LLM
Sentinel core) sees them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition


class Readback:
    """Remembers the topic's end offsets now; reads what arrives after them."""

    def __init__(self, brokers: str, topic: str) -> None:
        self.topic = topic
        self.consumer = KafkaConsumer(bootstrap_servers=brokers, enable_auto_commit=False)
        partitions = self.consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        self.start = self.consumer.end_offsets(tps) if tps else {}

    def events(self, ids: list[str], timeout: float = 30.0) -> list[dict[str, Any]]:
        """The events with these ids, in the order of ``ids``."""
        wanted = set(ids)
        found = {
            e["event_id"]: e
            for e in self._collect(lambda e: e["event_id"] in wanted, len(wanted), timeout)
        }
        return [found[i] for i in ids if i in found]

    def events_for_traces(
        self, trace_ids: list[str], expected: int, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """Events of these trace ids, as written, until ``expected`` arrived (or timeout)."""
        wanted = set(trace_ids)
        return self._collect(lambda e: e["trace_id"] in wanted, expected, timeout)

    def _collect(
        self, keep: Callable[[dict[str, Any]], bool], expected: int, timeout: float
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        partitions: set[int] | None = None
        while partitions is None and time.monotonic() < deadline:
            self.consumer.topics()  # refresh metadata: the topic may be new
            partitions = self.consumer.partitions_for_topic(self.topic)
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions or ())]
        self.consumer.assign(tps)
        for tp in tps:
            self.consumer.seek(tp, self.start.get(tp, 0))
        kept: list[dict[str, Any]] = []
        while len(kept) < expected and time.monotonic() < deadline:
            for records in self.consumer.poll(timeout_ms=500).values():
                for record in records:
                    event = json.loads(record.value)
                    if keep(event):
                        kept.append(event)
        self.consumer.close()
        return kept


def show(events: list[dict[str, Any]]) -> None:
    """Print one line per event: id, model, tokens, latency, cost, errors."""
    print(f"{'event id':<38}{'model':<16}{'tokens':>7}{'latency ms':>12}{'cost $':>10}  errors")
    for e in events:
        tokens = e["prompt"]["tokens"] + e["response"]["tokens"]
        print(
            f"{e['event_id']:<38}{e['model']:<16}{tokens:>7}{e['latency_ms']:>12.1f}"
            f"{e['cost_usd']:>10.5f}  {'; '.join(e['errors']) or '-'}"
        )
