"""The SDK's exceptions: one root, each error keeps the exception that caused it.

    SentinelError
    ├── ValidationError        an event or one of its fields breaks the wire contract
    ├── ConfigurationError     a SentinelConfig option has a value it cannot take
    ├── ConnectionError        broker unreachable or refused us (builtins.ConnectionError too)
    ├── SendError              the broker did not accept an event
    └── TimeoutError           an operation did not finish in time (builtins.TimeoutError too)

Backend (kafka-python / aiokafka) errors are mapped to these at the producer
boundary (``sentinel_sdk._producers``), so callers never need to import Kafka
client exceptions.
"""

from __future__ import annotations

import builtins

__all__ = [
    "ConfigurationError",
    "ConnectionError",
    "SendError",
    "SentinelError",
    "TimeoutError",
    "ValidationError",
]


class SentinelError(Exception):
    """Root of every exception the SDK raises.

    ``cause`` is the lower-level exception that led to this one (also chained
    as ``__cause__`` when raised with ``raise ... from``), or ``None``.
    """

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause

    def __str__(self) -> str:
        return self.message


class ValidationError(SentinelError, ValueError):
    """An event, or a value given for one of its fields, breaks the wire contract.

    ``field`` names the offending field (dotted for nested ones, e.g.
    ``prompt.tokens``) when there is a single one.
    """

    def __init__(
        self, message: str, *, field: str | None = None, cause: BaseException | None = None
    ) -> None:
        super().__init__(message, cause=cause)
        self.field = field


class ConfigurationError(SentinelError, ValueError):
    """A configuration option has a value the SDK cannot use.

    ``option`` names the option (as a ``SentinelConfig`` field name).
    """

    def __init__(
        self, message: str, *, option: str | None = None, cause: BaseException | None = None
    ) -> None:
        super().__init__(message, cause=cause)
        self.option = option


class ConnectionError(SentinelError, builtins.ConnectionError):
    """The Kafka cluster could not be reached, or refused the connection (e.g. bad credentials)."""


class SendError(SentinelError):
    """The broker did not accept an event (after retries)."""


class TimeoutError(SentinelError, builtins.TimeoutError):
    """An operation (connect, flush, close, delivery) did not finish within its timeout."""
