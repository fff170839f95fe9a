"""The SDK's own logging: rate-limited, and the one place internal failures are swallowed.

No SDK error ever propagates into the host app. Code on a path the app calls
(integration hooks, the sender, the exit hook) runs inside
``with capture_internal_exceptions():``, which logs a failure on the
``sentinel_sdk`` logger (at most once a minute per place it happened) and lets
the app go on. ``log_rate_limited`` is the same limit for any other message.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType

__all__ = ["capture_internal_exceptions", "log_rate_limited", "logger"]

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


def log_rate_limited(
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


class _InternalExceptionGuard:
    """A context manager that swallows any ``Exception`` raised inside and logs it.

    Stateless, so one instance serves every thread and every call site: entering it
    costs two method calls (a ``@contextmanager`` costs a generator, ~0.8 µs). The
    log line names the function the failure passed through and is rate-limited per
    function, so a failure on a hot path is logged once a minute, not per call.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False  # nothing raised, or KeyboardInterrupt / SystemExit / cancellation
        where = "?"
        if tb is not None:
            code = tb.tb_frame.f_code
            where = f"{tb.tb_frame.f_globals.get('__name__', '?')}.{code.co_name}"
        log_rate_limited(
            f"internal:{where}",
            "sentinel_sdk: internal error in %s (suppressed; the app is not affected): %r",
            where,
            exc,
            level=logging.ERROR,
            exc_info=exc,
        )
        return True


_GUARD = _InternalExceptionGuard()


def capture_internal_exceptions() -> _InternalExceptionGuard:
    """``with capture_internal_exceptions(): ...``: the SDK's work, never the app's failure."""
    return _GUARD
