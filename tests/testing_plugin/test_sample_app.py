"""The sample app's own suite (examples/sample_app) passes with no Kafka anywhere.

It runs as a user runs it: ``pytest`` in its folder, in a fresh process, with
``SENTINEL_BROKERS`` pointing at a socket this test listens on; nothing may
connect there (the suite must not even try Kafka).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample_app"


@pytest.fixture
def trap() -> Iterator[socket.socket]:
    """A listening loopback socket standing in for the brokers; it must stay unvisited."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.setblocking(False)
        yield listener


def run_sample_suite(
    trap: socket.socket, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    host, port = trap.getsockname()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SENTINEL_")}
    environ.update(SENTINEL_BROKERS=f"{host}:{port}", **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:asyncio", *args],
        cwd=SAMPLE,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_no_connection(trap: socket.socket) -> None:
    try:
        conn, peer = trap.accept()
    except BlockingIOError:
        return
    conn.close()
    raise AssertionError(f"the sample suite connected to the broker address (from {peer})")


def test_sample_suite_passes_with_the_installed_plugin(trap: socket.socket) -> None:
    result = run_sample_suite(trap)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout
    assert_no_connection(trap)


def test_sample_suite_passes_with_the_plugin_named_explicitly(trap: socket.socket) -> None:
    # With autoloading off (some CI setups), `-p sentinel_sdk.testing` turns it on.
    result = run_sample_suite(
        trap, "-p", "sentinel_sdk.testing", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout
    assert_no_connection(trap)
