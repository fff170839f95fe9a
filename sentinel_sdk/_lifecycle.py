"""Every live client's lifecycle in the process: the exit hook and fork safety.

- At interpreter exit every open client gets ``close()`` with its
  ``shutdown_timeout`` (one shared deadline), tolerating a half torn-down
  interpreter.
- After ``os.fork()`` the child never uses the parent's producer, threads,
  locks or spool handle: each live client resets itself in the child
  (``os.register_at_fork``), and starts fresh senders on next use.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING

from ._log import log_rate_limited

if TYPE_CHECKING:
    from ._client_base import BaseClient

__all__ = ["after_fork_in_child", "register"]

_clients: weakref.WeakSet[BaseClient] = weakref.WeakSet()
_lock = threading.Lock()
_pid = os.getpid()


def register(client: BaseClient) -> None:
    """Track a live client for the exit hook and fork handling."""
    _clients.add(client)


def _close_all_at_exit() -> None:
    clients = [c for c in list(_clients) if not c.closed]
    if not clients:
        return
    deadline = time.monotonic() + max(c.config.shutdown_timeout for c in clients)
    for client in clients:
        # The interpreter may be half torn down: never fail the exit.
        with contextlib.suppress(Exception):
            client._close_at_exit(max(0.0, deadline - time.monotonic()))


def after_fork_in_child() -> None:
    """Reset every live client for this (child) process. Idempotent per process."""
    global _pid
    with _lock:
        if _pid == os.getpid():
            return
        _pid = os.getpid()
    for client in list(_clients):
        try:
            client._reset_after_fork()
        except Exception as exc:
            log_rate_limited("fork", "sentinel_sdk: resetting a client after fork failed: %r", exc)


def _at_fork_child() -> None:
    global _lock
    _lock = threading.Lock()  # the parent's may have been held by a thread we lack
    after_fork_in_child()


atexit.register(_close_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_at_fork_child)
