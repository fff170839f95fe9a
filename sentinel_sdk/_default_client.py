"""The process default client: what ``sentinel_sdk.track()`` and the integrations use
outside a scope that names its own client.

``init(**options)`` makes it; ``get_client()`` returns it, creating one from
``SENTINEL_*`` variables on first use; ``current_client()`` is the client an
event captured here goes to (the current request scope's, else the default).
"""

from __future__ import annotations

import os
import threading

from ._client_protocol import Client
from ._log import log_rate_limited, logger
from ._scope_context import current_scope
from .client import SentinelClient

__all__ = ["current_client", "get_client", "init", "set_client"]

_default: Client | None = None
_lock = threading.Lock()


def init(**options: object) -> SentinelClient:
    """Configure the process-wide default client and return it.

    Options are ``SentinelConfig`` fields (``SENTINEL_*`` variables fill the rest).
    Calling ``init`` again closes the previous default client first.
    """
    client = SentinelClient(**options)
    previous = set_client(client)
    # Closed as close() would, whatever kind of client it is (an async one included).
    close = getattr(previous, "_close_from_sync", None)
    if previous is not None and close is not None and not previous.closed:
        try:
            close(previous.config.shutdown_timeout)
        except Exception as exc:
            log_rate_limited("init-close", "sentinel_sdk: closing the previous client: %r", exc)
    return client


def set_client(client: Client | None) -> Client | None:
    """Make ``client`` the default (``None`` unsets it); returns the previous default."""
    global _default
    with _lock:
        previous, _default = _default, client
    return previous


def get_client() -> Client:
    """The default client; on first use without ``init()``, one configured from
    ``SENTINEL_*`` variables (disabled, with a warning, if ``SENTINEL_BROKERS`` is unset)."""
    global _default
    client = _default
    if client is not None:
        return client
    with _lock:
        if _default is None:
            if "SENTINEL_BROKERS" in os.environ:
                _default = SentinelClient()
            else:
                logger.warning(
                    "sentinel_sdk is not configured: call sentinel_sdk.init(brokers=[...]) or "
                    "set SENTINEL_BROKERS; until then LLM calls are not recorded"
                )
                _default = SentinelClient(enabled=False)
        return _default


def current_client() -> Client:
    """The client for an event captured here: the current request's, else the default."""
    scope = current_scope()
    if scope is not None and scope.client is not None:
        return scope.client
    return get_client()


def _at_fork_child() -> None:
    global _lock
    _lock = threading.Lock()  # the parent's may have been held by a thread we lack


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_at_fork_child)
