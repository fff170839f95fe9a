"""Track N events while the broker is down, report when they are spooled, then hang.

    python spool_then_hang.py BROKER TOPIC SPOOL_DIR N

Prints the event ids (one per line), then ``SPOOLED <n>`` once the client's
counters say every event is on disk, then sleeps until killed.
"""

from __future__ import annotations

import sys
import time

from sentinel_sdk import SentinelClient

broker, topic, spool_dir, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
client = SentinelClient(
    brokers=[broker],
    topic=topic,
    spool_dir=spool_dir,
    request_timeout_ms=2000,
    service_name="spool-then-hang",
)
ids = [client.track(model="gpt-4o", prompt=f"prompt {i}", response="r") for i in range(count)]
print("\n".join(ids), flush=True)
deadline = time.monotonic() + 120
while client.stats()["spooled"] < count and time.monotonic() < deadline:
    time.sleep(0.05)
print(f"SPOOLED {client.stats()['spooled']}", flush=True)
time.sleep(3600)
