"""Shared bits of the benchmarks: which broker to use, sample LLM-call fields, statistics."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "Summarise the following support ticket in two sentences. " * 7  # ~400 chars
RESPONSE = "The customer cannot log in after the update; a password reset fixed it. " * 6
FIELDS: dict[str, Any] = {
    "model": "gpt-4o",
    "prompt": PROMPT,
    "response": RESPONSE,
    "prompt_tokens": 96,
    "response_tokens": 88,
    "finish_reason": "stop",
    "latency_ms": 812.5,
    "metadata": {"gen_ai.provider.name": "openai", "http.route": "/chat/{session_id}"},
}


def bootstrap() -> str:
    """``SENTINEL_BROKERS``, else the repo broker (started if it is not running)."""
    if os.environ.get("SENTINEL_BROKERS"):
        return os.environ["SENTINEL_BROKERS"].split(",")[0]
    script = ROOT / "scripts" / "kafka"
    env = subprocess.run([sys.executable, str(script), "env"], capture_output=True, text=True)
    if env.returncode != 0:
        subprocess.run([sys.executable, str(script), "start"], check=True, stdout=sys.stderr)
        env = subprocess.run(
            [sys.executable, str(script), "env"], capture_output=True, text=True, check=True
        )
    address: str = json.loads(env.stdout)["plaintext"]
    return address


def new_topic(name: str) -> str:
    return f"bench-{name}-{uuid.uuid4().hex[:8]}"


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of already sorted values (nearest rank)."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def median(values: list[float]) -> float:
    return statistics.median(values)
