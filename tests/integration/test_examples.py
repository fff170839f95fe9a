"""Every example under examples/ runs against the real broker and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kafka_helpers import Broker

pytestmark = pytest.mark.kafka

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = ["basic_usage.py", "async_usage.py", "builder_pattern.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(script: str, kafka: Broker, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SENTINEL_BROKERS": kafka.plaintext,
        "SENTINEL_SPOOL_DIR": str(tmp_path / "spool"),
    }
    result = subprocess.run(
        [sys.executable, script],
        cwd=EXAMPLES,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "read back" in result.stdout
