"""Shared fixtures: the real Kafka broker every delivery test runs against.

The session broker is the repo's own (``scripts/kafka start``); if this test session
started it, it stops it at the end. ``SENTINEL_TEST_BOOTSTRAP=host:port`` points the
tests at a broker someone else runs instead (then SASL / SSL tests, which need the
repo broker's listeners and users, are skipped with that reason).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kafka_helpers import Broker, PrivateBroker, broker_status, start_broker, stop_broker


@pytest.fixture(scope="session")
def kafka() -> Iterator[Broker]:
    """The session's Kafka broker."""
    external = os.environ.get("SENTINEL_TEST_BOOTSTRAP")
    if external:
        yield Broker(plaintext=external)
        return
    running = broker_status()
    broker = running or start_broker()
    try:
        yield broker
    finally:
        if running is None:
            stop_broker()


@pytest.fixture
def kafka_full(kafka: Broker) -> Broker:
    """The repo broker with its SASL and SSL listeners (skips against an external one)."""
    if kafka.sasl_plaintext is None or kafka.ssl is None:
        pytest.skip("SENTINEL_TEST_BOOTSTRAP broker: no SASL/SSL listeners of the repo broker")
    return kafka


@pytest.fixture
def private_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    """A broker of this test's own, which the test may stop and restart."""
    from tests.kafka_helpers import private_broker

    yield from private_broker(Path(tmp_path_factory.mktemp("private-kafka")))


@pytest.fixture
def spool_dir(tmp_path: Path) -> str:
    """A fresh spool directory (tests never touch the user's cache dir)."""
    return str(tmp_path / "spool")


@pytest.fixture(autouse=True)
def _fresh_log_rate_limits() -> None:
    """Each test sees the SDK's first warning of a kind (they are rate-limited per process)."""
    from sentinel_sdk import _log

    _log._last_logged.clear()
