"""Helpers for tests against the real broker: start/stop it, read a topic back."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KAFKA_SCRIPT = ROOT / "scripts" / "kafka"


@dataclass(frozen=True)
class Broker:
    """Addresses of a running broker (as written by ``scripts/kafka`` to env.json)."""

    plaintext: str
    sasl_plaintext: str | None = None
    ssl: str | None = None
    ssl_cafile: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    state_dir: str | None = None

    @classmethod
    def from_env_json(cls, data: dict[str, Any]) -> Broker:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


def run_kafka_script(*args: str, timeout: float = 180.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(KAFKA_SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def broker_status(state_dir: str | None = None) -> Broker | None:
    args = ["env"] + (["--state-dir", state_dir] if state_dir else [])
    result = run_kafka_script(*args, timeout=30)
    if result.returncode != 0:
        return None
    return Broker.from_env_json(json.loads(result.stdout))


def start_broker(state_dir: str | None = None, port_base: int | None = None) -> Broker:
    args = ["start"]
    if state_dir:
        args += ["--state-dir", state_dir]
    if port_base:
        args += ["--port-base", str(port_base)]
    result = run_kafka_script(*args)
    if result.returncode != 0:
        raise RuntimeError(f"scripts/kafka start failed:\n{result.stdout}\n{result.stderr}")
    broker = broker_status(state_dir)
    assert broker is not None, "broker started but env.json is missing"
    return broker


def stop_broker(state_dir: str | None = None) -> None:
    args = ["stop"] + (["--state-dir", state_dir] if state_dir else [])
    result = run_kafka_script(*args, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"scripts/kafka stop failed:\n{result.stdout}\n{result.stderr}")


def free_port_base(count: int = 4) -> int:
    """A base port with ``count`` consecutive free ports on 127.0.0.1."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base: int = probe.getsockname()[1]
        if base + count >= 65535:
            continue
        ok = True
        for port in range(base, base + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free port range found")


def new_topic(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def consume(
    bootstrap: str, topic: str, *, expected: int, timeout: float = 60.0, idle: float = 0.0
) -> list[bytes]:
    """Read ``topic`` from the beginning until ``expected`` messages arrived (or ``timeout``).

    First waits (within ``timeout``) until the topic's metadata lists every partition
    with a leader; a topic that never gets there reads as ``[]``. With ``idle`` > 0,
    keep reading until no message came for ``idle`` seconds after the expected count,
    to catch extra (duplicate) messages.
    """
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=500,
    )
    try:
        deadline = time.monotonic() + timeout
        tps = _partitions_with_leaders(consumer, topic, deadline)
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        values: list[bytes] = []
        last_message = time.monotonic()
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500, max_records=5000)
            got = [record.value for records in batch.values() for record in records]
            if got:
                values.extend(got)
                last_message = time.monotonic()
            if len(values) >= expected and time.monotonic() - last_message >= idle:
                break
        return values
    finally:
        consumer.close()


def _partitions_with_leaders(consumer: Any, topic: str, deadline: float) -> list[Any]:
    """Every partition of ``topic`` once the metadata gives each one a leader; ``[]`` if
    that did not happen by ``deadline``.

    kafka-python's ``partitions_for_topic`` answers ``set()`` (not ``None``) for a topic
    not known yet, and only asks the brokers while the topic is missing from its cache:
    so fresh metadata is fetched each round (``topics()`` always asks) and read from the
    consumer's cluster metadata, where a partition without a leader has leader ``-1``.
    """
    from kafka import TopicPartition
    from kafka.errors import KafkaError

    while True:
        # A metadata request for every topic, which refreshes the cache; if the broker
        # did not answer this round, the next one asks again (until the deadline).
        with contextlib.suppress(KafkaError):
            consumer.topics()
        cluster = consumer._client.cluster
        partitions = cluster.partitions_for_topic(topic)  # None while the topic is unknown
        if partitions:
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            if all(cluster.leader_for_partition(tp) not in (None, -1) for tp in tps):
                return tps
        if time.monotonic() >= deadline:
            return []
        time.sleep(0.2)


def consume_events(
    bootstrap: str, topic: str, *, expected: int, timeout: float = 60.0, idle: float = 0.0
) -> list[dict[str, Any]]:
    return [
        json.loads(v)
        for v in consume(bootstrap, topic, expected=expected, timeout=timeout, idle=idle)
    ]


@dataclass
class PrivateBroker:
    """A broker of a test's own (in a temp dir, on free ports) that it may stop and restart."""

    state_dir: str
    port_base: int
    broker: Broker | None = None

    def start(self) -> Broker:
        self.broker = start_broker(self.state_dir, self.port_base)
        return self.broker

    def stop(self) -> None:
        stop_broker(self.state_dir)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port_base}"


def private_broker(tmp_dir: Path) -> Iterator[PrivateBroker]:
    broker = PrivateBroker(str(tmp_dir / "kafka"), free_port_base())
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
