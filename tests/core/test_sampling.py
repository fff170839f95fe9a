"""Sampling per trace id (``sentinel_sdk._sampling``): deterministic across processes,
close to the rate, the same decisions as OpenTelemetry's ratio sampler for W3C ids."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import uuid

import pytest
from opentelemetry.sdk.trace.sampling import Decision, TraceIdRatioBased

from sentinel_sdk._ids import new_event_id, new_trace_id
from sentinel_sdk._sampling import sampled

# -- sampling --------------------------------------------------------------------------


def test_sampling_extremes_keep_or_drop_everything() -> None:
    ids = [(new_trace_id(), new_event_id()) for _ in range(200)] + [(None, new_event_id())]
    assert all(sampled(1.0, t, e) for t, e in ids)
    assert not any(sampled(0.0, t, e) for t, e in ids)


def test_sampling_is_decided_per_trace_id() -> None:
    for _ in range(50):
        trace_id = new_trace_id()
        decisions = {sampled(0.5, trace_id, new_event_id()) for _ in range(20)}
        assert len(decisions) == 1


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_sampling_keeps_close_to_the_rate(rate: float) -> None:
    n = 20_000
    rng = random.Random(1)
    trace_ids = [f"{rng.getrandbits(128):032x}" for _ in range(n)]
    kept = sum(sampled(rate, t, "unused") for t in trace_ids)
    assert abs(kept / n - rate) < 0.015
    event_ids = [new_event_id() for _ in range(n)]  # no trace id: per event
    kept = sum(sampled(rate, None, e) for e in event_ids)
    assert abs(kept / n - rate) < 0.015


def test_sampling_matches_opentelemetrys_ratio_sampler_for_w3c_ids() -> None:
    rng = random.Random(2)
    for rate in (0.25, 0.5, 0.75):
        sampler = TraceIdRatioBased(rate)
        for _ in range(2000):
            trace_int = rng.getrandbits(128) or 1
            otel = (
                sampler.should_sample(None, trace_int, "span").decision
                is Decision.RECORD_AND_SAMPLE
            )
            assert sampled(rate, f"{trace_int:032x}", "unused") == otel


def test_sampling_decisions_are_the_same_in_another_process() -> None:
    rng = random.Random(3)
    keys: list[tuple[str | None, str]] = [(f"{rng.getrandbits(128):032x}", "e") for _ in range(300)]
    keys += [(None, str(uuid.UUID(int=rng.getrandbits(128), version=4))) for _ in range(300)]
    keys += [(f"custom-trace-{i}", "e") for i in range(100)]
    rates = (0.1, 0.5, 0.9)
    here = [sampled(rate, t, e) for rate in rates for t, e in keys]
    script = (
        "import json, sys\n"
        "from sentinel_sdk._sampling import sampled\n"
        "keys = json.load(sys.stdin)\n"
        f"print(json.dumps([sampled(r, t, e) for r in {rates!r} for t, e in keys]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(keys),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert json.loads(out.stdout) == here
    assert 0 < sum(here) < len(here)
