"""Delivery guarantees under faults, against real brokers (issue 3).

Each test stops by itself within a bounded time. The broker-outage tests stop
and restart a private broker of their own (``private_kafka``), never the shared one.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from sentinel_sdk import AsyncSentinelClient, SentinelClient
from tests.kafka_helpers import Broker, PrivateBroker, consume_events, new_topic

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

PROCS = Path(__file__).parent / "procs"
STREAM_EVENTS = 20_000
STREAM_SECONDS = 40.0  # 500 events/s
OUTAGE_AFTER_S = 8.0
OUTAGE_S = 20.0


class Outage(threading.Thread):
    """Stops the broker after ``after`` s, keeps it down ``down_for`` s, restarts it."""

    def __init__(self, broker: PrivateBroker, after: float, down_for: float) -> None:
        super().__init__(daemon=True)
        self.broker, self.after, self.down_for = broker, after, down_for
        self.error: BaseException | None = None
        self.stopped_at = self.restarted_at = 0.0

    def run(self) -> None:
        try:
            time.sleep(self.after)
            self.broker.stop()
            self.stopped_at = time.monotonic()
            time.sleep(self.down_for)
            self.broker.start()
            self.restarted_at = time.monotonic()
        except BaseException as exc:
            self.error = exc


def _report(kind: str, ids: list[str], consumed: list[dict[str, object]], stats: object) -> None:
    counts = Counter(str(e["event_id"]) for e in consumed)
    missing = set(ids) - set(counts)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    print(
        f"\n[{kind}] tracked={len(ids)} consumed={len(consumed)} unique={len(counts)} "
        f"missing={len(missing)} duplicates={duplicates}\n[{kind}] stats={stats}"
    )
    assert not missing, f"{len(missing)} events lost, e.g. {sorted(missing)[:3]}"
    assert set(counts) == set(ids), "the topic holds events nobody tracked"


def test_sync_client_loses_nothing_across_a_20s_broker_outage(
    private_kafka: PrivateBroker, spool_dir: str
) -> None:
    topic = new_topic("outage-sync")
    client = SentinelClient(
        brokers=[private_kafka.bootstrap],
        topic=topic,
        spool_dir=spool_dir,
        request_timeout_ms=5000,
        service_name="outage",
    )
    outage = Outage(private_kafka, OUTAGE_AFTER_S, OUTAGE_S)
    ids: list[str] = []
    started = time.monotonic()
    outage.start()
    for i in range(STREAM_EVENTS):
        ids.append(client.track(model="gpt-4o", prompt=f"event {i}", response="ok"))
        behind = started + i * STREAM_SECONDS / STREAM_EVENTS - time.monotonic()
        if behind > 0:
            time.sleep(behind)
    outage.join(timeout=120)
    assert outage.error is None and outage.restarted_at, f"outage thread failed: {outage.error}"
    assert client.flush(timeout=180), f"not delivered in time: {client.stats()}"
    stats = client.stats()
    client.close()
    assert stats["spooled"] > 0, "the outage never sent anything to the spool"
    consumed = consume_events(
        private_kafka.bootstrap, topic, expected=STREAM_EVENTS, timeout=120, idle=3
    )
    _report("sync", ids, consumed, stats)


async def test_async_client_loses_nothing_across_a_20s_broker_outage(
    private_kafka: PrivateBroker, spool_dir: str
) -> None:
    topic = new_topic("outage-async")
    client = AsyncSentinelClient(
        brokers=[private_kafka.bootstrap],
        topic=topic,
        spool_dir=spool_dir,
        request_timeout_ms=5000,
        service_name="outage",
    )
    outage = Outage(private_kafka, OUTAGE_AFTER_S, OUTAGE_S)
    ids: list[str] = []
    started = time.monotonic()
    outage.start()
    for i in range(STREAM_EVENTS):
        ids.append(await client.track(model="gpt-4o", prompt=f"event {i}", response="ok"))
        behind = started + i * STREAM_SECONDS / STREAM_EVENTS - time.monotonic()
        if behind > 0:
            await asyncio.sleep(behind)
    await asyncio.get_running_loop().run_in_executor(None, outage.join, 120)
    assert outage.error is None and outage.restarted_at, f"outage thread failed: {outage.error}"
    assert await client.flush(timeout=180), f"not delivered in time: {client.stats()}"
    stats = client.stats()
    await client.close()
    assert stats["spooled"] > 0, "the outage never sent anything to the spool"
    consumed = await asyncio.get_running_loop().run_in_executor(
        None,
        lambda: consume_events(
            private_kafka.bootstrap, topic, expected=STREAM_EVENTS, timeout=120, idle=3
        ),
    )
    _report("async", ids, consumed, stats)


def _python(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROCS / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_events_spooled_by_a_killed_process_are_delivered_by_the_next(
    private_kafka: PrivateBroker, spool_dir: str
) -> None:
    topic = new_topic("sigkill")
    private_kafka.stop()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(PROCS / "spool_then_hang.py"),
            private_kafka.bootstrap,
            topic,
            spool_dir,
            "5000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        ids: list[str] = []
        assert proc.stdout is not None
        deadline = time.monotonic() + 150
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline().strip()
            if not line or line.startswith("SPOOLED"):
                break
            ids.append(line)
        assert line == "SPOOLED 5000", f"first process did not spool everything: {line!r}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert len(ids) == 5000

    private_kafka.start()
    with SentinelClient(
        brokers=[private_kafka.bootstrap], topic=topic, spool_dir=spool_dir
    ) as client:
        assert client.flush(timeout=120), f"spool not replayed: {client.stats()}"
        stats = client.stats()
    assert stats["replayed"] == 5000 and stats["spool_events"] == 0, stats
    consumed = consume_events(private_kafka.bootstrap, topic, expected=5000, timeout=60, idle=2)
    _report("sigkill", ids, consumed, stats)


def test_a_kill_during_heavy_spooling_never_corrupts_the_spool(
    tmp_path: Path, spool_dir: str
) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(PROCS / "track_million.py"), spool_dir, "1000000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        database = Path(spool_dir) / "spool.sqlite3"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            not database.exists() or database.stat().st_size < 2_000_000
        ):
            time.sleep(0.05)
        assert database.exists(), "the process never started spooling"
        os.kill(proc.pid, signal.SIGKILL)  # mid-write, most likely
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    db = sqlite3.connect(database)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows, counted = db.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT events FROM totals)"
        ).fetchone()
        assert rows == counted > 0
        for (payload,) in db.execute("SELECT payload FROM events"):
            json.loads(payload)  # every stored event is whole
    finally:
        db.close()


def test_a_million_tracks_with_the_broker_down_stay_within_the_memory_bound(
    spool_dir: str,
) -> None:
    result = _python("track_million.py", spool_dir, "1000000", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    values = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    growth = int(values["PEAK_RSS"]) - int(values["BASELINE_RSS"])
    bound = int(values["MAX_QUEUE_BYTES"]) + 50 * 1024 * 1024
    stats = json.loads(values["STATS"])
    print(
        f"\n[million] growth={growth / 2**20:.1f} MiB bound={bound / 2**20:.1f} MiB stats={stats}"
    )
    assert int(values["ERRORS"]) == 0
    assert growth < bound
    # Every call is accounted for: accepted or dropped at the door, and every accepted
    # event ended on disk or in a named drop (closed: nothing is held any more).
    queue_full = stats["dropped"].get("queue_full", 0)
    assert stats["queued"] + queue_full == 1_000_001, stats
    assert stats["queue_depth"] == stats["in_flight"] == stats["sent"] == 0, stats
    assert stats["spooled"] + stats["dropped_total"] - queue_full == stats["queued"], stats


def test_a_forked_child_delivers_and_so_does_its_parent(kafka: Broker, spool_dir: str) -> None:
    topic = new_topic("fork")
    result = _python("fork_child.py", kafka.plaintext, topic, spool_dir)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "CHILD_EXIT 0" in lines
    parent = [line.split()[1] for line in lines if line.startswith("parent ")]
    child = [line.split()[1] for line in lines if line.startswith("child ")]
    assert len(parent) == 200 and len(child) == 100
    consumed = consume_events(kafka.plaintext, topic, expected=300, timeout=60, idle=2)
    _report("fork", parent + child, consumed, {})


@pytest.mark.parametrize("mode", ["client", "default", "async"])
def test_a_script_that_exits_without_closing_delivers_everything(
    kafka: Broker, spool_dir: str, mode: str
) -> None:
    topic = new_topic(f"exit-{mode}")
    result = _python("exit_without_close.py", kafka.plaintext, topic, spool_dir, "2000", mode)
    assert result.returncode == 0, result.stderr[-3000:]
    ids = result.stdout.split()
    assert len(ids) == 2000
    consumed = consume_events(kafka.plaintext, topic, expected=2000, timeout=60, idle=1)
    _report(f"exit-{mode}", ids, consumed, {})
