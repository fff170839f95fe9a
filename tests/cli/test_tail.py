"""``sentinel tail`` reads events other processes write, live, with filters, and stops cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sentinel_sdk import SentinelClient
from tests.cli.support import LineReader, clean_env, run_sentinel, start_sentinel
from tests.kafka_helpers import Broker, new_topic

pytestmark = pytest.mark.kafka

READY = "Tailing "


def produce(bootstrap: str, topic: str, spool_dir: str, events: list[dict[str, object]]) -> None:
    with SentinelClient(brokers=[bootstrap], topic=topic, spool_dir=spool_dir) as client:
        client.track_many(events)
        assert client.flush(30)


def test_tail_json_prints_events_another_process_produces(
    kafka: Broker, tmp_path: Path, spool_dir: str
) -> None:
    topic = new_topic("cli-tail")
    produce(kafka.plaintext, topic, spool_dir, [{"model": "before-the-tail"}])  # not shown
    tail = start_sentinel(
        "tail", "--json", "--brokers", kafka.plaintext, "--topic", topic,
        "--max-events", "3", "--timeout", "60",
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert tail.stdout is not None and tail.stderr is not None
    out, err = LineReader(tail.stdout), LineReader(tail.stderr)
    try:
        assert err.wait_for(READY, timeout=30), err.lines
        # A second process, not this one, writes the events.
        producer = textwrap.dedent(
            f"""
            from sentinel_sdk import SentinelClient
            with SentinelClient(brokers=[{kafka.plaintext!r}], topic={topic!r},
                                spool_dir={spool_dir!r}, service_name="producer-proc") as c:
                for i in range(3):
                    c.track(model="gpt-4o", prompt=f"q{{i}}", prompt_tokens=i + 1,
                            event_id=f"00000000-0000-4000-8000-00000000000{{i}}")
                assert c.flush(30)
            """
        )
        subprocess.run([sys.executable, "-c", producer], check=True, timeout=60)
        assert tail.wait(timeout=30) == 0
        out.join(5)
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
    events = [json.loads(line) for line in out.lines]
    assert [e["event_id"] for e in events] == [
        f"00000000-0000-4000-8000-00000000000{i}" for i in range(3)
    ]
    assert {e["service_name"] for e in events} == {"producer-proc"}
    assert [e["prompt"]["tokens"] for e in events] == [1, 2, 3]
    assert "3 event(s) printed." in err.lines


def test_tail_waits_for_a_topic_that_does_not_exist_yet(
    kafka: Broker, tmp_path: Path, spool_dir: str
) -> None:
    topic = new_topic("cli-tail")
    tail = start_sentinel(
        "tail", "--json", "--brokers", kafka.plaintext, "--topic", topic,
        "--max-events", "1", "--timeout", "60",
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert tail.stdout is not None and tail.stderr is not None
    out, err = LineReader(tail.stdout), LineReader(tail.stderr)
    try:
        assert err.wait_for("does not exist yet", timeout=30), err.lines
        produce(kafka.plaintext, topic, spool_dir, [{"model": "first-ever"}])
        assert tail.wait(timeout=30) == 0
        out.join(5)
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
    assert [json.loads(line)["model"] for line in out.lines] == ["first-ever"]


def test_filters_and_the_readable_line(kafka: Broker, tmp_path: Path, spool_dir: str) -> None:
    topic = new_topic("cli-tail")
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    produce(
        kafka.plaintext,
        topic,
        spool_dir,
        [
            {
                "model": "gpt-4o",
                "service_name": "chat",
                "trace_id": trace,
                "prompt_tokens": 12,
                "response_tokens": 40,
                "latency_ms": 412.4,
                "cost_usd": 0.00043,
                "timestamp": "2024-05-01T12:00:00.123456Z",
            },
            {"model": "gpt-4o", "service_name": "search", "trace_id": trace},
            {
                "model": "claude-3-5-sonnet",
                "service_name": "chat",
                "trace_id": trace,
                "errors": ["rate limited:\n429"],
            },
            {"model": "gpt-4o", "service_name": "chat"},
        ],
    )
    result = run_sentinel(
        "tail", "--brokers", kafka.plaintext, "--topic", topic, "--from-beginning",
        "--service", "chat", "--trace-id", trace, "--timeout", "5",
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].split() == [
        "2024-05-01", "12:00:00.123Z", "chat", "gpt-4o", "12+40", "tok", "412", "ms",
        "$0.000430", "trace", trace,
    ]  # fmt: skip
    assert lines[1].split()[2:4] == ["chat", "claude-3-5-sonnet"]
    assert lines[1].endswith("ERROR rate limited: 429")

    by_model = run_sentinel(
        "tail", "--json", "--brokers", kafka.plaintext, "--topic", topic, "--from-beginning",
        "--model", "claude-3-5-sonnet", "--model", "gpt-4o", "--service", "search",
        "--max-events", "1", "--timeout", "30",
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert by_model.returncode == 0, by_model.stderr
    (line,) = by_model.stdout.splitlines()
    assert json.loads(line)["service_name"] == "search"


def test_ctrl_c_exits_cleanly(kafka: Broker, tmp_path: Path) -> None:
    tail = start_sentinel(
        "tail", "--brokers", kafka.plaintext, "--topic", new_topic("cli-tail"),
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert tail.stdout is not None and tail.stderr is not None
    err = LineReader(tail.stderr)
    try:
        # Ready to be interrupted: Python installs its SIGINT handler at start-up, before
        # the CLI runs, and this line is printed inside the ``try`` that turns Ctrl-C
        # (KeyboardInterrupt) into a clean stop: any moment from now on will do.
        assert err.wait_for("does not exist yet", timeout=30), err.lines
        tail.send_signal(signal.SIGINT)
        assert tail.wait(timeout=15) == 0
        err.join(5)
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
    assert err.lines[-1] == "0 event(s) printed."
    assert not any("Traceback" in line for line in err.lines), err.lines


def test_timeout_stops_an_idle_tail(kafka: Broker, tmp_path: Path, spool_dir: str) -> None:
    topic = new_topic("cli-tail")
    produce(kafka.plaintext, topic, spool_dir, [{"model": "old"}])
    started = time.monotonic()
    result = run_sentinel(
        "tail", "--brokers", kafka.plaintext, "--topic", topic, "--timeout", "2",
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # starts at the end: the old event is not shown
    assert time.monotonic() - started < 20


def test_unreachable_brokers_fail_with_one_line(tmp_path: Path) -> None:
    result = run_sentinel(
        "tail", "--brokers", "127.0.0.1:1", "--connect-timeout", "2", env=clean_env(tmp_path)
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: cannot read 'llm.telemetry': no Kafka broker answered at 127.0.0.1:1 within "
        "2000 ms: is it running, and are brokers / security_protocol right?"
    ]
