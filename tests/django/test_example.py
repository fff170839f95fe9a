"""``examples/django_project``: its checks pass and ``manage.py sentinel_check`` exits right."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.kafka_helpers import ROOT, Broker, consume, new_topic

PROJECT = ROOT / "examples" / "django_project"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "chat_project.settings",  # not this process's
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_example_project_passes_its_checks() -> None:
    result = manage("check", "--fail-level", "WARNING", SENTINEL_BROKERS="127.0.0.1:9092")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.kafka
def test_sentinel_check_succeeds_against_the_broker(kafka: Broker) -> None:
    topic = new_topic("example-django-check")
    result = manage("sentinel_check", SENTINEL_BROKERS=kafka.plaintext, SENTINEL_TOPIC=topic)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: the broker acknowledged the test event" in result.stdout
    assert len(consume(kafka.plaintext, topic, expected=1, timeout=30)) == 1


def test_sentinel_check_exits_non_zero_when_the_broker_is_unreachable() -> None:
    result = manage("sentinel_check", "--timeout", "2", SENTINEL_BROKERS="127.0.0.1:1")
    assert result.returncode == 1
    assert "FAILED" in result.stderr
    assert "OK" not in result.stdout
