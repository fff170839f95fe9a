"""A parent that used the client forks; both keep tracking; both exit normally.

    python fork_child.py BROKER TOPIC SPOOL_DIR

Prints ``parent <id>`` and ``child <id>`` lines (the child's before it exits).
"""

from __future__ import annotations

import os
import sys

from sentinel_sdk import SentinelClient

broker, topic, spool_dir = sys.argv[1:4]
client = SentinelClient(brokers=[broker], topic=topic, spool_dir=spool_dir, service_name="fork")
before = [client.track(model="m", prompt=f"parent-before {i}") for i in range(100)]
assert client.flush(30), "parent could not deliver before forking"
print("\n".join(f"parent {i}" for i in before), flush=True)

pid = os.fork()
if pid == 0:
    child_ids = [client.track(model="m", prompt=f"child {i}") for i in range(100)]
    delivered = client.flush(30)
    print("\n".join(f"child {i}" for i in child_ids), flush=True)
    client.close()
    os._exit(0 if delivered else 3)

after = [client.track(model="m", prompt=f"parent-after {i}") for i in range(100)]
_, status = os.waitpid(pid, 0)
delivered = client.flush(30)
print("\n".join(f"parent {i}" for i in after), flush=True)
print(f"CHILD_EXIT {os.waitstatus_to_exitcode(status)}", flush=True)
client.close()
sys.exit(0 if delivered else 4)
