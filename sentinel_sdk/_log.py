"""The SDK's own logging: rate-limited, and the one place internal failures are swallowed.

Contract (DESIGN.md): no SDK error ever propagates into the host app. Code on a
path the app calls (integration hooks, ``track()`` internals after validation,
the sender) wraps its work in ``capture_internal_exceptions()``, which logs the
failure at most once per interval per call site on the ``sentinel_sdk`` logger.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["capture_internal_exceptions", "logger", "warn_once"]

logger = logging.getLogger("sentinel_sdk")

LOG_INTERVAL_S = 60.0
_last_logged: dict[str, float] = {}
_lock = threading.Lock()


def _due(key: str, interval: float) -> bool:
    now = time.monotonic()
    last = _last_logged.get(key)  # the usual answer, without the lock: not yet
    if last is not None and now - last < interval:
        return False
    with _lock:
        last = _last_logged.get(key)
        if last is not None and now - last < interval:
            return False
        _last_logged[key] = now
        return True


def warn_once(
    key: str,
    message: str,
    *args: object,
    interval: float = LOG_INTERVAL_S,
    level: int = logging.WARNING,
    exc_info: BaseException | None = None,
) -> None:
    """Log ``message`` unless the same ``key`` was logged less than ``interval`` s ago."""
    if _due(key, interval):
        logger.log(level, message, *args, exc_info=exc_info)


@contextmanager
def capture_internal_exceptions(where: str) -> Iterator[None]:
    """Swallow any exception raised inside, logging it (rate-limited) under ``where``."""
    try:
        yield
    except Exception as exc:
        warn_once(
            f"internal:{where}",
            "sentinel_sdk: internal error in %s (suppressed; the app is not affected): %r",
            where,
            exc,
            level=logging.ERROR,
            exc_info=exc,
        )
