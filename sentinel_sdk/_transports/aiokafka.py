"""The aiokafka transport: ``AIOKafkaProducer`` behind ``AsyncTransport`` (``AsyncSentinelClient``).

``aiokafka_settings`` is the one place that knows aiokafka's option names.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any

from sentinel_sdk.exceptions import SendError

from .base import Done, ProducerAdapter, require_codec, sasl_settings
from .errors import client_logs, explain_connect_failure
from .redaction import protect_secrets

if TYPE_CHECKING:
    from sentinel_sdk.config import SentinelConfig

__all__ = ["AIOKafkaAdapter", "aiokafka_settings"]

# aiokafka's codecs all come from cramjam (extra: async).
_CODECS = {"snappy": "cramjam", "lz4": "cramjam", "zstd": "cramjam"}


def aiokafka_settings(config: SentinelConfig) -> dict[str, Any]:
    """Keyword arguments for ``aiokafka.AIOKafkaProducer``: idempotent, ``acks=all``.

    aiokafka has no delivery timeout: a batch expires after ``request_timeout_ms``
    and the sender then spools it, so the end-to-end bound is the same shape.
    """
    settings: dict[str, Any] = {
        "bootstrap_servers": list(config.brokers),
        "client_id": config.client_id,
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": require_codec(config, _CODECS, "async"),
        "max_batch_size": config.batch_size or 16384,
        "linger_ms": config.linger_ms,
        "request_timeout_ms": config.request_timeout_ms,
        "retry_backoff_ms": config.retry_backoff_ms,
        "security_protocol": config.security_protocol,
    }
    settings.update(sasl_settings(config))
    if config.security_protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context

        context = create_ssl_context(
            cafile=config.ssl_cafile,
            certfile=config.ssl_certfile,
            keyfile=config.ssl_keyfile,
            password=config.ssl_keyfile_password,
        )
        context.check_hostname = config.ssl_check_hostname
        settings["ssl_context"] = context
    return settings


class AIOKafkaAdapter(ProducerAdapter):
    """aiokafka ``AIOKafkaProducer``: async connect, future-based sends."""

    async def connect(self) -> None:
        """Start the producer and fetch the topic's metadata (raises mapped errors)."""
        from aiokafka import AIOKafkaProducer

        protect_secrets(self.config)
        with client_logs("aiokafka") as logs:
            producer = AIOKafkaProducer(**aiokafka_settings(self.config))
            try:
                await producer.start()
                await producer.partitions_for(self.config.topic)
            except Exception as exc:
                with suppress(Exception):
                    await producer.stop()
                raise explain_connect_failure(exc, logs, self.config) from exc
        self._producer = producer

    async def send(self, topic: str, key: bytes, value: bytes, done: Done) -> None:
        """Hand one message over; ``done`` is called when the broker answers."""
        producer = self._producer
        partition = self._partitioner.pick(topic, None)
        if partition is None:
            partition = self._partitioner.pick(topic, await producer.partitions_for(topic))
        future = await producer.send(topic, value, key=key, partition=partition)

        def _on_done(fut: Any) -> None:
            if fut.cancelled():
                done(SendError("delivery cancelled"))
            else:
                done(fut.exception())

        future.add_done_callback(_on_done)

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
