"""Process-wide plumbing: the default client, the exit hook and fork safety.

- ``init(**options)`` makes the process default client (what integrations and
  ``SentinelHandler()`` use outside a scope that names its own client);
  ``get_client()`` returns it, creating one from ``SENTINEL_*`` variables on
  first use.
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
from typing import TYPE_CHECKING, Any

from ._log import logger, warn_once

if TYPE_CHECKING:
    from ._base import BaseClient
    from .client import SentinelClient

__all__ = ["after_fork_in_child", "get_client", "init", "register", "set_client"]

_clients: weakref.WeakSet[BaseClient] = weakref.WeakSet()
_default: BaseClient | None = None
_lock = threading.Lock()
_pid = os.getpid()


def register(client: BaseClient) -> None:
    """Track a live client for the exit hook and fork handling."""
    _clients.add(client)


def init(**options: Any) -> SentinelClient:
    """Configure the process-wide default client and return it.

    Options are ``SentinelConfig`` fields (``SENTINEL_*`` variables fill the rest).
    Calling ``init`` again closes the previous default client first.
    """
    from .client import SentinelClient

    client = SentinelClient(**options)
    previous = set_client(client)
    if previous is not None and previous is not client and not previous.closed:
        try:
            previous._close_from_sync(previous.config.shutdown_timeout)
        except Exception as exc:
            warn_once("init-close", "sentinel_sdk: closing the previous client: %r", exc)
    return client


def set_client(client: BaseClient | None) -> BaseClient | None:
    """Make ``client`` the default (``None`` unsets it); returns the previous default."""
    global _default
    with _lock:
        previous, _default = _default, client
    return previous


def get_client() -> BaseClient:
    """The default client; on first use without ``init()``, one configured from
    ``SENTINEL_*`` variables (disabled, with a warning, if ``SENTINEL_BROKERS`` is unset)."""
    global _default
    client = _default
    if client is not None:
        return client
    with _lock:
        if _default is None:
            from .client import SentinelClient

            if "SENTINEL_BROKERS" in os.environ:
                _default = SentinelClient()
            else:
                logger.warning(
                    "sentinel_sdk is not configured: call sentinel_sdk.init(brokers=[...]) or "
                    "set SENTINEL_BROKERS; until then LLM calls are not recorded"
                )
                _default = SentinelClient(enabled=False)
        return _default


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
            warn_once("fork", "sentinel_sdk: resetting a client after fork failed: %r", exc)


def _at_fork_child() -> None:
    global _lock
    _lock = threading.Lock()  # the parent's may have been held by a thread we lack
    after_fork_in_child()


atexit.register(_close_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_at_fork_child)
