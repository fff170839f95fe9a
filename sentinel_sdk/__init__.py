"""LLM Sentinel SDK: capture every LLM call your app makes and ship it to Kafka.

import sentinel_sdk

sentinel_sdk.init(brokers=["localhost:9092"], service_name="chat-api")
sentinel_sdk.track(model="gpt-4o", prompt="Hi", response="Hello!", latency_ms=420.0)
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from ._assembly import TrackFields
from ._client_protocol import Client
from ._coercion import coerce_metadata
from ._default_client import current_client, get_client, init, set_client
from ._stats import ClientStats, DropReason
from ._validation import MAX_TEXT_LENGTH, MAX_TOKENS
from .builders import TelemetryEventBuilder
from .client import SentinelClient
from .config import SentinelConfig
from .events import PromptInfo, ResponseInfo, TelemetryEvent, json_schema
from .exceptions import (
    ConfigurationError,
    ConnectionError,
    SendError,
    SentinelError,
    TimeoutError,
    ValidationError,
)
from .scope import RequestScope, current_scope, request_scope, set_user
from .types import AnomalyType, DetectionMethod, Severity

if TYPE_CHECKING:  # at run time it is imported on first use: aiokafka is an extra
    from .async_client import AsyncSentinelClient

__version__ = "0.2.0"

__all__ = [
    "MAX_TEXT_LENGTH",
    "MAX_TOKENS",
    "AnomalyType",
    "AsyncSentinelClient",
    "Client",
    "ClientStats",
    "ConfigurationError",
    "ConnectionError",
    "DetectionMethod",
    "DropReason",
    "PromptInfo",
    "RequestScope",
    "ResponseInfo",
    "SendError",
    "SentinelClient",
    "SentinelConfig",
    "SentinelError",
    "Severity",
    "TelemetryEvent",
    "TelemetryEventBuilder",
    "TimeoutError",
    "TrackFields",
    "ValidationError",
    "__version__",
    "coerce_metadata",
    "current_client",
    "current_scope",
    "flush",
    "get_client",
    "init",
    "json_schema",
    "request_scope",
    "set_client",
    "set_user",
    "track",
]


def track(**fields: Unpack[TrackFields]) -> str:
    """Capture one LLM call with the current client (see ``SentinelClient.track``)."""
    return current_client().track_nowait(**fields)


def flush(timeout: float | None = None) -> bool:
    """Flush the default client (see ``SentinelClient.flush``).

    Raises ``ConfigurationError`` when the default is an ``AsyncSentinelClient``,
    whose ``flush()`` is a coroutine: ``await client.flush()`` it instead.
    """
    client = get_client()
    flusher = getattr(client, "flush", None)
    if flusher is None:
        return True
    if inspect.iscoroutinefunction(flusher):
        raise ConfigurationError(
            f"the default client is a {type(client).__name__}, whose flush() is a coroutine: "
            "use `await client.flush()` (e.g. `await sentinel_sdk.get_client().flush()`)"
        )
    return bool(flusher(timeout))


def __getattr__(name: str) -> Any:
    # aiokafka is an optional extra: import the async client only when asked for.
    if name == "AsyncSentinelClient":
        from .async_client import AsyncSentinelClient

        return AsyncSentinelClient
    raise AttributeError(f"module 'sentinel_sdk' has no attribute {name!r}")
