"""``sentinel spool show|replay|clear`` on spools a real client left behind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from sentinel_sdk import SentinelClient, TelemetryEvent
from sentinel_sdk._spool import Spool, default_spool_dir
from sentinel_sdk.cli import cli
from tests.cli.support import clean_env, run_sentinel
from tests.kafka_helpers import Broker, consume_events, new_topic


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def spool_with_unreachable_broker(spool_dir: str, topic: str, count: int) -> list[str]:
    """What an app leaves when Kafka is down: a real client spools its events at close."""
    client = SentinelClient(
        brokers=[f"127.0.0.1:{closed_port()}"],
        topic=topic,
        spool_dir=spool_dir,
        request_timeout_ms=1000,
        shutdown_timeout=2.0,
    )
    ids = [client.track(model="gpt-4o", prompt=f"question {i}") for i in range(count)]
    client.close(timeout=2.0)
    assert client.stats()["spooled"] == count
    return ids


def spool_rows(spool_dir: str, rows: list[tuple[str, TelemetryEvent]]) -> None:
    """Append ``(topic, event)`` rows as the sender does (for exact timestamps and topics)."""
    store = Spool(spool_dir, 1 << 30)
    assert store.append([(e.event_id, topic, e.to_json()) for topic, e in rows]) == len(rows)
    store.close()


def event_at(stamp: str) -> TelemetryEvent:
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc)
    return TelemetryEvent(service_name="svc", model="m", timestamp=when)


def test_show_without_a_spool(tmp_path: Path) -> None:
    result = run_sentinel(
        "spool", "show", "--spool-dir", str(tmp_path / "none"), env=clean_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Spool:   {tmp_path / 'none'}",
        "Events:  0 (no spool file: nothing is waiting)",
    ]
    assert not (tmp_path / "none").exists()  # looking creates nothing


def test_show_counts_bytes_time_span_and_topics(tmp_path: Path) -> None:
    directory = str(tmp_path / "spool")
    rows = [
        ("llm.telemetry", event_at("2024-05-01T12:00:03.000000Z")),
        ("llm.telemetry", event_at("2024-05-01T11:59:00.500000Z")),
        ("other.topic", event_at("2024-05-02T08:00:00.000000Z")),
    ]
    spool_rows(directory, rows)
    size = sum(len(e.to_json()) for _, e in rows)
    result = run_sentinel("spool", "show", "--spool-dir", directory, env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Spool:   {directory}",
        f"Events:  3 ({size} bytes of events)",
        "Oldest:  2024-05-01T11:59:00.500000Z",
        "Newest:  2024-05-02T08:00:00.000000Z",
        "Topics:  llm.telemetry (2), other.topic (1)",
    ]
    as_json = run_sentinel(
        "spool", "show", "--json", "--spool-dir", directory, env=clean_env(tmp_path)
    )
    assert json.loads(as_json.stdout) == {
        "spool_dir": directory,
        "exists": True,
        "events": 3,
        "bytes": size,
        "oldest": "2024-05-01T11:59:00.500000Z",
        "newest": "2024-05-02T08:00:00.000000Z",
        "topics": {"llm.telemetry": 2, "other.topic": 1},
    }


def test_default_spool_dir_is_the_one_an_app_with_that_config_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.startswith("SENTINEL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    brokers, topic = ["10.0.0.1:9092", "10.0.0.2:9092"], new_topic("cli-spool")
    expected = default_spool_dir(brokers, topic)
    assert expected.startswith(str(tmp_path / "cache"))
    # An app configured with these brokers and topic (no spool_dir) spools there.
    client = SentinelClient(brokers=brokers, topic=topic, enabled=True)
    assert client._spool is not None and str(client._spool.directory) == expected
    client.close(timeout=0)
    event = event_at("2024-05-01T12:00:00.000000Z")
    spool_rows(expected, [(topic, event)])

    runner = CliRunner()
    flags = runner.invoke(cli, ["spool", "show", "--brokers", ",".join(brokers), "--topic", topic])
    assert flags.exit_code == 0, flags.output
    assert flags.stdout.splitlines()[:2] == [
        f"Spool:   {expected}",
        f"Events:  1 ({len(event.to_json())} bytes of events)",
    ]
    variables = runner.invoke(
        cli,
        ["spool", "show"],
        env={"SENTINEL_BROKERS": ",".join(reversed(brokers)), "SENTINEL_TOPIC": topic},
    )
    assert variables.stdout.splitlines()[0] == f"Spool:   {expected}"  # broker order is moot
    configured = runner.invoke(
        cli, ["spool", "show"], env={"SENTINEL_SPOOL_DIR": str(tmp_path / "elsewhere")}
    )
    assert configured.stdout.splitlines()[0] == f"Spool:   {tmp_path / 'elsewhere'}"


@pytest.mark.kafka
def test_replay_delivers_a_left_spool_and_empties_it(
    kafka: Broker, tmp_path: Path, spool_dir: str
) -> None:
    topic = new_topic("cli-spool")
    ids = spool_with_unreachable_broker(spool_dir, topic, 20)
    shown = run_sentinel(
        "spool", "show", "--json", "--spool-dir", spool_dir, env=clean_env(tmp_path)
    )
    assert json.loads(shown.stdout)["events"] == 20
    assert json.loads(shown.stdout)["topics"] == {topic: 20}

    result = run_sentinel(
        "spool", "replay", "--spool-dir", spool_dir, "--brokers", kafka.plaintext,
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Replayed 20 event(s) from {spool_dir} to {kafka.plaintext} (PLAINTEXT); "
        "the spool is empty."
    ]
    events = consume_events(kafka.plaintext, topic, expected=20, timeout=30, idle=1.0)
    assert sorted(e["event_id"] for e in events) == sorted(ids)
    assert Spool(spool_dir, 1 << 30).totals() == (0, 0)

    again = run_sentinel("spool", "replay", "--spool-dir", spool_dir, env=clean_env(tmp_path))
    assert again.returncode == 0
    assert again.stdout == f"Nothing to replay: the spool at {spool_dir} is empty.\n"


def test_replay_to_an_unreachable_broker_keeps_everything(tmp_path: Path, spool_dir: str) -> None:
    topic = new_topic("cli-spool")
    spool_with_unreachable_broker(spool_dir, topic, 5)
    port = closed_port()
    result = run_sentinel(
        "spool", "replay", "--spool-dir", spool_dir, "--brokers", f"127.0.0.1:{port}",
        "--timeout", "3",
        env=clean_env(tmp_path, {"SENTINEL_REQUEST_TIMEOUT_MS": "1000"}),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"Error: replayed 0 of 5 event(s); 5 still in the spool at {spool_dir}: "
        f"no Kafka broker answered at 127.0.0.1:{port}"
    )
    assert Spool(spool_dir, 1 << 30).totals()[0] == 5


def test_replay_refuses_while_another_process_replays(tmp_path: Path, spool_dir: str) -> None:
    spool_rows(spool_dir, [("t", event_at("2024-05-01T12:00:00.000000Z"))])
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(
            f"""
            import sys, time
            from sentinel_sdk._spool import Spool
            assert Spool({spool_dir!r}, 1 << 30).acquire_replay()
            print("held", flush=True)
            sys.stdin.read()
            """
        )],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        result = run_sentinel("spool", "replay", "--spool-dir", spool_dir, env=clean_env(tmp_path))
    finally:
        holder.communicate("", timeout=10)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: another process is replaying the spool at {spool_dir} (it holds "
        "replay.lock); it delivers these events itself\n"
    )


def test_clear_asks_first_and_deletes(tmp_path: Path, spool_dir: str) -> None:
    spool_rows(spool_dir, [("t", event_at("2024-05-01T12:00:00.000000Z"))] * 3)
    env = clean_env(tmp_path)
    declined = run_sentinel("spool", "clear", "--spool-dir", spool_dir, env=env, stdin="n\n")
    assert declined.returncode == 1
    assert "Delete 3 event(s)" in declined.stderr
    assert Spool(spool_dir, 1 << 30).totals()[0] == 3

    confirmed = run_sentinel("spool", "clear", "--spool-dir", spool_dir, env=env, stdin="y\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stdout == f"Deleted 3 event(s) from {spool_dir}.\n"
    assert Spool(spool_dir, 1 << 30).totals() == (0, 0)


def test_clear_yes_does_not_ask(tmp_path: Path, spool_dir: str) -> None:
    spool_rows(spool_dir, [("t", event_at("2024-05-01T12:00:00.000000Z"))] * 2)
    result = CliRunner().invoke(cli, ["spool", "clear", "--yes", "--spool-dir", spool_dir])
    assert result.exit_code == 0, result.output
    assert result.output == f"Deleted 2 event(s) from {spool_dir}.\n"
    empty = CliRunner().invoke(cli, ["spool", "clear", "--yes", "--spool-dir", spool_dir])
    assert empty.output == f"Nothing to clear: the spool at {spool_dir} is empty.\n"
