"""The shape of a transport adapter, and what the adapters share."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from sentinel_sdk.exceptions import ConfigurationError

from .partitioner import StickyPartitioner

if TYPE_CHECKING:
    from sentinel_sdk.config import SentinelConfig

__all__ = [
    "AsyncTransport",
    "Done",
    "ProducerAdapter",
    "SyncTransport",
    "require_codec",
    "sasl_settings",
]

Done = Callable[["BaseException | None"], None]
"""Completion callback: ``done(None)`` on the broker's ack, ``done(exc)`` on a final failure."""


class SyncTransport(Protocol):
    """A producer driven with blocking calls (``SentinelClient``'s sender thread)."""

    def connect(self, timeout_ms: int | None = None) -> None:
        """Connect and fetch the topic's metadata; raises a mapped ``SentinelError``."""

    def send(self, topic: str, key: bytes, value: bytes, done: Done) -> None:
        """Hand one message over (never waits for the broker)."""

    def flush(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for what was handed over."""

    def close(self, timeout: float) -> None:
        """Close, giving in-flight messages up to ``timeout`` s."""

    def abandon(self) -> Any:
        """Forget the producer without closing it (after fork); returns it."""


class AsyncTransport(Protocol):
    """A producer driven from an event loop (``AsyncSentinelClient``'s sender task)."""

    async def connect(self) -> None:
        """Start and fetch the topic's metadata; raises a mapped ``SentinelError``."""

    async def send(self, topic: str, key: bytes, value: bytes, done: Done) -> None:
        """Hand one message over; ``done`` is called when the broker answers."""

    async def close(self) -> None:
        """Stop the producer."""

    def abandon(self) -> Any:
        """Forget the producer without stopping it (its loop is gone); returns it."""


class ProducerAdapter:
    """What every adapter holds: the config, the client library's producer once connected,
    and the partitioner."""

    def __init__(self, config: SentinelConfig) -> None:
        self.config = config
        self._producer: Any = None
        self._partitioner = StickyPartitioner()

    def abandon(self) -> Any:
        """Forget the producer without closing it (after fork, or its loop is gone);
        returns it."""
        producer, self._producer = self._producer, None
        return producer


def sasl_settings(config: SentinelConfig) -> dict[str, Any]:
    """The SASL login settings, as kafka-python and aiokafka both name them ({} without SASL)."""
    if not config.sasl_mechanism:
        return {}
    return {
        "sasl_mechanism": config.sasl_mechanism,
        "sasl_plain_username": config.sasl_username,
        "sasl_plain_password": config.sasl_password,
    }


def require_codec(config: SentinelConfig, modules: dict[str, str], extra: str) -> str | None:
    """The ``compression_type`` to ask the client for (``None`` for none), or a
    ``ConfigurationError`` naming the extra that installs the codec it needs."""
    kind = config.compression_type
    if kind == "none":
        return None
    module = modules.get(kind)
    if module is not None and importlib.util.find_spec(module) is None:
        raise ConfigurationError(
            f"compression_type {kind!r} needs the {module!r} package: "
            f"pip install 'llm-sentinel-sdk[{extra}]' (or use gzip, which needs nothing)",
            option="compression_type",
        )
    return kind
