"""The LLM Sentinel demo: a real web app's LLM calls, captured per request, read back from Kafka.

    scripts/demo        # starts the local broker, runs this, stops the broker

What it does, end to end:

1. serves a fake OpenAI-compatible API on 127.0.0.1 (so no key and no network);
2. serves ``examples/fastapi_app.py`` under uvicorn: ``SentinelMiddleware``, a
   LangChain chain on a fake chat model with ``SentinelHandler()``, and a
   ``wrap_openai`` client pointed at the fake API;
3. sends a burst of concurrent requests, each with its own W3C ``traceparent``:
   chats (async and sync routes), streamed answers, OpenAI calls, and failures;
4. reads the SDK's counters from the app, stops the server (which flushes the
   SDK), reads the topic back and prints one table per request;
5. stops everything it started.

Needs ``SENTINEL_BROKERS`` (``scripts/demo`` sets it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from _fake_openai import serve_fake_openai
from _readback import Readback

from sentinel_sdk._ids import new_span_id, new_trace_id

HERE = Path(__file__).resolve().parent
TOPIC = os.environ.get("SENTINEL_TOPIC", "llm.telemetry")
# (route, how many requests, LLM calls each request makes)
BURST = [
    ("/chat/{n}", 6, 2),
    ("/chat-sync/{n}", 3, 2),
    ("/stream/{n}", 3, 1),
    ("/openai/{n}", 3, 1),
    ("/fail", 2, 1),
]


def progress(message: str) -> None:
    print(message, end="", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_app(brokers: str, openai_url: str, spool: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "SENTINEL_BROKERS": brokers,
        "SENTINEL_TOPIC": TOPIC,
        "SENTINEL_SERVICE_NAME": "sentinel-demo",
        "SENTINEL_SPOOL_DIR": spool,
        "OPENAI_BASE_URL": openai_url,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "fastapi_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=HERE,
        env=env,
    )
    return server, f"http://127.0.0.1:{port}"


def wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    progress("starting the FastAPI app under uvicorn ")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"\nthe app exited with code {server.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                print(" up")
                return
        except httpx.HTTPError:
            pass
        progress(".")
        time.sleep(0.25)
    raise SystemExit("\nthe app did not come up in time")


async def one_request(http: httpx.AsyncClient, route: str, n: int) -> dict[str, Any]:
    trace_id = new_trace_id()
    path = route.format(n=f"s{n}")
    headers = {"traceparent": f"00-{trace_id}-{new_span_id()}-01"}
    started = time.perf_counter()
    async with http.stream("GET", path, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_bytes()])
    return {
        "route": route.replace("{n}", "{session_id}"),
        "path": path,
        "trace_id": trace_id,
        "echoed": response.headers.get("x-sentinel-trace-id"),
        "status": response.status_code,
        "ms": (time.perf_counter() - started) * 1000,
        "bytes": len(body),
    }


async def burst(base: str) -> list[dict[str, Any]]:
    total = sum(count for _, count, _ in BURST)
    progress(f"sending {total} concurrent requests (each with its own traceparent) ")
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as http:
        jobs = [one_request(http, route, n) for route, count, _ in BURST for n in range(count)]
        results = await asyncio.gather(*jobs)
        progress(". ")
        stats = (await http.get("/sentinel/stats")).json()
    print("done")
    return [*results, {"stats": stats}]


def stop_app(server: subprocess.Popen[bytes]) -> None:
    progress("stopping the app (its SDK client flushes on shutdown) ")
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=5)
    print("done")


def print_tables(requests: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_trace[event["trace_id"]].append(event)
    for r in requests:
        mine = by_trace.get(r["trace_id"], [])
        print(
            f"\n{r['route']}  {r['path']}  HTTP {r['status']}  {r['ms']:.0f} ms  "
            f"trace {r['trace_id']}  ({len(mine)} LLM calls)"
        )
        print(
            f"  {'model':<24}{'tokens in/out':>14}{'latency ms':>12}{'ttft ms':>9}"
            f"{'cost $':>11}  route seen / errors"
        )
        for e in sorted(mine, key=lambda e: e["timestamp"]):
            md = e["metadata"]
            ttft = md.get("sentinel.time_to_first_token_ms")
            ttft_text = f"{float(ttft):.1f}" if ttft else "-"
            errors = "; ".join(e["errors"])
            print(
                f"  {e['model']:<24}{e['prompt']['tokens']:>7}/{e['response']['tokens']:<6}"
                f"{e['latency_ms']:>12.1f}{ttft_text:>9}{e['cost_usd']:>11.6f}  "
                f"{md.get('http.route', '?')}{'  ' + errors if errors else ''}"
            )


def main() -> int:
    brokers = os.environ.get("SENTINEL_BROKERS")
    if not brokers:
        print("set SENTINEL_BROKERS (scripts/demo does it for you)", file=sys.stderr)
        return 2
    spool = tempfile.mkdtemp(prefix="sentinel-demo-spool-")
    fake_openai, openai_url = serve_fake_openai()
    readback = Readback(brokers, TOPIC)
    server, base = start_app(brokers, openai_url, spool)
    try:
        wait_until_up(base, server)
        *requests, counters = asyncio.run(burst(base))
    finally:
        stop_app(server)
        fake_openai.shutdown()

    expected = {route.replace("{n}", "{session_id}"): calls for route, _, calls in BURST}
    ids_wanted = sum(expected[r["route"]] for r in requests)
    progress(f"reading {ids_wanted} events back from topic {TOPIC!r} ")
    trace_ids = [r["trace_id"] for r in requests]
    events = readback.events_for_traces(trace_ids, expected=ids_wanted, timeout=30)
    print(f"got {len(events)}")
    print_tables(requests, events)

    stats = counters["stats"]
    print("\nthe SDK's own counters in the app (before shutdown):")
    print(
        "  "
        + json.dumps(
            {
                k: stats[k]
                for k in (
                    "queued",
                    "sent",
                    "spooled",
                    "replayed",
                    "dropped_total",
                    "in_flight",
                    "connected",
                )
            }
        )
    )
    echoed = sum(r["echoed"] == r["trace_id"] for r in requests)
    print(
        f"{echoed}/{len(requests)} responses echoed their trace id in X-Sentinel-Trace-Id; "
        f"{len(events)}/{ids_wanted} LLM calls read back from Kafka"
    )
    return 0 if len(events) == ids_wanted and echoed == len(requests) else 1


if __name__ == "__main__":
    sys.exit(main())
