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
# script -> a line it prints when it worked
SCRIPTS = {
    "basic_usage.py": "read back 4 of 4 events",
    "async_usage.py": "read back 20 of 20 events",
    "builder_pattern.py": "read back 2 of 2 events",
    "langchain_usage.py": "",
    "openai_integration.py": "4 events acknowledged",
    "demo.py": "26/26 LLM calls read back from Kafka",
}
# Served apps, exercised by their framework's tests instead.
SERVED = {"fastapi_app.py": "tests/asgi", "flask_app.py": "tests/flask"}


def test_every_example_is_run_somewhere() -> None:
    examples = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert examples == set(SCRIPTS) | set(SERVED)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
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
    assert SCRIPTS[script] in result.stdout
