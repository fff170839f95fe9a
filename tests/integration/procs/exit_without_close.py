"""Track events and exit normally without closing anything: the exit hook must deliver.

    python exit_without_close.py BROKER TOPIC SPOOL_DIR N MODE

MODE: ``client`` (a SentinelClient left open), ``default`` (sentinel_sdk.init +
sentinel_sdk.track), ``async`` (an AsyncSentinelClient inside asyncio.run, never
closed). Prints the event ids.
"""

from __future__ import annotations

import asyncio
import sys

import sentinel_sdk
from sentinel_sdk import AsyncSentinelClient, SentinelClient

broker, topic, spool_dir, count, mode = sys.argv[1:6]
n = int(count)
options = {"brokers": [broker], "topic": topic, "spool_dir": spool_dir, "service_name": "exit"}

if mode == "client":
    client = SentinelClient(**options)
    ids = [client.track(model="m", prompt=str(i)) for i in range(n)]
elif mode == "default":
    sentinel_sdk.init(**options)
    ids = [sentinel_sdk.track(model="m", prompt=str(i)) for i in range(n)]
else:

    async def main() -> list[str]:
        client = AsyncSentinelClient(**options)
        return [await client.track(model="m", prompt=str(i)) for i in range(n)]

    ids = asyncio.run(main())
print("\n".join(ids), flush=True)
