"""Caller-visible ``track()`` latency, with the broker up and with it down.

    .venv/bin/python benchmarks/bench_track.py [--calls 100000]

Times each ``SentinelClient.track()`` call on the caller's thread
(``perf_counter_ns`` around the call) over ``--calls`` calls, while the
sender thread works in the background, in two states:

- broker up: the repo broker (or ``SENTINEL_BROKERS``); events go to Kafka.
- broker down: brokers point at a closed port on 127.0.0.1; events go to the
  disk spool.

and two load shapes:

- bursts: ``--burst`` calls back to back, then a ``--pause`` (default 500 calls
  then 150 ms: ~3k calls/s on average, within what kafka-python delivers on this
  2-core machine, ~4k events/s; see bench_clients.py), so the sender keeps up;
- flat out: calls back to back with nothing in between, far more than Kafka
  takes: the latency under overload and, in the counters, what the SDK does
  with the excess (spools it; drops and counts what even the spool cannot
  take in time).

Calls are timed back to back rather than spread out evenly because on this
kind of VM a thread that has just slept runs its next few microseconds of
Python 2-4x slower (cold caches and a descheduled vCPU): spacing calls out
measures the machine waking up, not the SDK.

The async client's ``await track()`` is timed the same way in bursts (its sender
task runs in the pauses). As a baseline from the same run it times a call that
only appends the fields to a list (the floor of a Python call on this machine).
Prints p50 / p99 / max in µs and the client's counters. Targets: p50 <= 10 µs
and p99 <= 100 µs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import socket
import tempfile
import time
from typing import Any

from _common import FIELDS, bootstrap, new_topic, percentile

from sentinel_sdk import AsyncSentinelClient, SentinelClient


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"  # nothing listens once closed


def time_calls(call: Any, n: int, burst: int = 0, pause: float = 0.0) -> list[float]:
    """Per-call latency in µs, sorted; with ``burst`` > 0, pause after every burst."""
    clock = time.perf_counter_ns
    samples = [0.0] * n
    gc.collect()
    for i in range(n):
        if burst and i and i % burst == 0:
            time.sleep(pause)
        start = clock()
        call(**FIELDS)
        samples[i] = (clock() - start) / 1000
    samples.sort()
    return samples


async def time_calls_async(
    client: AsyncSentinelClient, n: int, burst: int, pause: float
) -> list[float]:
    """The same for ``await AsyncSentinelClient.track()``, pausing with asyncio.sleep (the
    sender task runs in the pauses, as it would while a request awaits its LLM call)."""
    clock = time.perf_counter_ns
    samples = [0.0] * n
    gc.collect()
    for i in range(n):
        if burst and i and i % burst == 0:
            await asyncio.sleep(pause)
        start = clock()
        await client.track(**FIELDS)
        samples[i] = (clock() - start) / 1000
    samples.sort()
    return samples


async def async_rows(brokers: str, dead: str, spool: str, n: int, burst: int, pause: float) -> None:
    for state, address in (("up", brokers), ("down", dead)):
        client = AsyncSentinelClient(
            brokers=[address],
            topic=new_topic("track-async"),
            spool_dir=f"{spool}/a-{state}",
            request_timeout_ms=2000,
            service_name="bench",
        )
        await client.track(**FIELDS)
        if state == "up":
            assert await client.flush(30), "broker not reachable"
        else:
            await asyncio.sleep(0.5)  # the first connect attempt fails: the client spools
        samples = await time_calls_async(client, n, burst, pause)
        await client.flush(120 if state == "up" else 2)
        report(f"async, broker {state}, bursts", samples, counters(client))
        await client.close(timeout=5)


def counters(client: SentinelClient | AsyncSentinelClient) -> str:
    s = client.stats()
    return (
        f"sent={s['sent']} spooled={s['spooled']} held={s['queue_depth'] + s['in_flight']}"
        f" dropped={s['dropped_total']}"
    )


def report(label: str, samples: list[float], extra: str = "") -> None:
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    print(f"{label:<30}{p50:>9.1f}{p99:>9.1f}{samples[-1]:>10.0f}  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=500, help="calls per burst")
    parser.add_argument("--pause", type=float, default=0.15, help="seconds between bursts")
    args = parser.parse_args()
    n = args.calls
    spool = tempfile.mkdtemp(prefix="sentinel-bench-track-")
    sink: list[Any] = []

    def baseline(**fields: Any) -> str:
        sink.append(fields)
        return ""

    print(f"track() latency on the caller's thread, {n} calls each, µs")
    print(f"{'':<30}{'p50':>9}{'p99':>9}{'max':>10}")
    report("baseline (list.append)", time_calls(baseline, n))
    sink.clear()

    shapes = ((f"bursts of {args.burst:,}", args.burst), ("flat out", 0))
    for label, burst in shapes:
        up = SentinelClient(
            brokers=[bootstrap()],
            topic=new_topic("track"),
            spool_dir=f"{spool}/up",
            service_name="bench",
        )
        up.track(**FIELDS)
        assert up.flush(30), "broker not reachable"
        samples = time_calls(up.track, n, burst, args.pause)
        up.flush(120)
        report(f"broker up, {label}", samples, counters(up))
        up.close()

        down = SentinelClient(
            brokers=[closed_port()],
            topic="bench-down",
            request_timeout_ms=2000,
            spool_dir=f"{spool}/down-{burst}",
            service_name="bench",
        )
        down.track(**FIELDS)
        time.sleep(0.5)  # let the first connect attempt fail: the client now spools
        samples = time_calls(down.track, n, burst, args.pause)
        down.flush(2)
        report(f"broker down, {label}", samples, counters(down))
        down.close(timeout=5)
    asyncio.run(async_rows(bootstrap(), closed_port(), spool, n, args.burst, args.pause))
    shutil.rmtree(spool, ignore_errors=True)


if __name__ == "__main__":
    main()
