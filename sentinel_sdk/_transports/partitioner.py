"""Sticky partitioning: one partition for a run of messages, then another at random."""

from __future__ import annotations

import random
from collections.abc import Iterable

__all__ = ["StickyPartitioner"]


class StickyPartitioner:
    """Picks the partition of each message, the same way for every transport.

    The message key (the event id) is there so consumers recognise duplicates, not
    to pin events to partitions. Choosing the partition here skips the clients'
    pure-Python murmur2 hash of every key, and sticking to one partition for a while
    fills batches faster (Kafka's own producer does the same for keyless records,
    KIP-480).
    """

    RUN = 128

    def __init__(self) -> None:
        self._runs: dict[str, list[int]] = {}

    def pick(self, topic: str, partitions: Iterable[int] | None) -> int | None:
        """The partition for the next message, or ``None`` while ``partitions`` is
        unknown (then the client chooses). Call with ``None`` first: the current run's
        partition needs no metadata lookup."""
        run = self._runs.get(topic)
        if run is not None and run[1] > 0:
            run[1] -= 1
            return run[0]
        if not partitions:
            return None  # metadata unknown: let the client choose
        self._runs[topic] = [random.choice(sorted(partitions)), self.RUN - 1]
        return self._runs[topic][0]
