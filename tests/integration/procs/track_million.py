"""With the broker down, call track() a million times; report peak memory growth.

    python track_million.py SPOOL_DIR CALLS

Prints ``BASELINE_RSS <bytes>``, ``PEAK_RSS <bytes>``, ``ERRORS <n>``, ``MAX_QUEUE_BYTES <n>``
and the client's counters as ``STATS <json>``.
"""

from __future__ import annotations

import json
import socket
import sys

import psutil

from sentinel_sdk import SentinelClient

spool_dir, calls = sys.argv[1], int(sys.argv[2])
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    dead = f"127.0.0.1:{s.getsockname()[1]}"
process = psutil.Process()
client = SentinelClient(
    brokers=[dead],
    topic="million",
    spool_dir=spool_dir,
    request_timeout_ms=1000,
    service_name="million",
)
client.track(model="warm-up")
baseline = peak = process.memory_info().rss
errors = 0
text = "What is the capital of France? Please answer in one word. " * 4
for i in range(calls):
    try:
        client.track(
            model="gpt-4o",
            prompt=text,
            response="Paris.",
            prompt_tokens=60,
            response_tokens=2,
            latency_ms=250.0,
            metadata={"i": i},
        )
    except Exception:
        errors += 1
    if i % 10_000 == 0:
        peak = max(peak, process.memory_info().rss)
peak = max(peak, process.memory_info().rss)
print(f"BASELINE_RSS {baseline}")
print(f"PEAK_RSS {peak}")
print(f"ERRORS {errors}")
print(f"MAX_QUEUE_BYTES {client.config.max_queue_bytes}")
client.close(timeout=2)
print(f"STATS {json.dumps(client.stats())}", flush=True)
