"""The kafka-python transport: ``KafkaProducer`` behind ``SyncTransport`` (``SentinelClient``).

``kafka_python_settings`` is the one place that knows kafka-python's option names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Done, ProducerAdapter, require_codec, sasl_settings
from .errors import FatalProducerState, client_logs, explain_connect_failure
from .redaction import protect_secrets

if TYPE_CHECKING:
    from sentinel_sdk.config import SentinelConfig

__all__ = ["KafkaPythonProducer", "kafka_python_settings"]

# Python modules kafka-python needs for a compression type (extra: compression).
_CODECS = {"snappy": "snappy", "lz4": "lz4", "zstd": "zstandard"}


def kafka_python_settings(config: SentinelConfig) -> dict[str, Any]:
    """Keyword arguments for ``kafka.KafkaProducer``: idempotent, ``acks=all``."""
    settings: dict[str, Any] = {
        "bootstrap_servers": list(config.brokers),
        "client_id": config.client_id,
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": require_codec(config, _CODECS, "compression"),
        "batch_size": config.batch_size,
        "linger_ms": config.linger_ms,
        "request_timeout_ms": config.request_timeout_ms,
        # kafka-python requires delivery_timeout_ms >= linger_ms + request_timeout_ms.
        "delivery_timeout_ms": max(
            config.delivery_timeout_ms, config.linger_ms + config.request_timeout_ms
        ),
        "retry_backoff_ms": config.retry_backoff_ms,
        "reconnect_backoff_ms": config.retry_backoff_ms,
        "reconnect_backoff_max_ms": config.retry_backoff_max_ms,
        # The constructor and a send() without topic metadata block the (sender) thread;
        # bound both by the request timeout rather than kafka-python's 30 s / 60 s.
        "bootstrap_timeout_ms": config.request_timeout_ms,
        "max_block_ms": config.request_timeout_ms,
        "security_protocol": config.security_protocol,
        # kafka-python records a dozen client metrics per message in pure Python; the
        # SDK reports its own counters (stats()), so spare that CPU.
        "metrics_enabled": False,
    }
    settings.update(sasl_settings(config))
    if config.security_protocol in ("SSL", "SASL_SSL"):
        settings.update(
            ssl_cafile=config.ssl_cafile,
            ssl_certfile=config.ssl_certfile,
            ssl_keyfile=config.ssl_keyfile,
            ssl_password=config.ssl_keyfile_password,
            ssl_check_hostname=config.ssl_check_hostname,
        )
    return settings


class KafkaPythonProducer(ProducerAdapter):
    """kafka-python ``KafkaProducer``: blocking connect, callback-based sends."""

    _culprit: BaseException | None = None  # the error that left this producer unusable

    def connect(self, timeout_ms: int | None = None) -> None:
        """Connect and fetch the topic's metadata (blocks; raises mapped errors)."""
        from kafka import KafkaProducer

        protect_secrets(self.config)
        settings = kafka_python_settings(self.config)
        if timeout_ms is not None:
            settings.update(
                bootstrap_timeout_ms=timeout_ms,
                max_block_ms=timeout_ms,
                request_timeout_ms=min(timeout_ms, settings["request_timeout_ms"]),
            )
        with client_logs("kafka") as logs:
            try:
                producer = KafkaProducer(**settings)
            except Exception as exc:
                raise explain_connect_failure(exc, logs, self.config, timeout_ms) from exc
            # The SDK closes its producer itself (flushing its own queue first); kafka-python's
            # exit hook would otherwise close it before ours runs.
            unregister = getattr(producer, "_unregister_cleanup", None)
            if callable(unregister):
                unregister()
            try:
                producer.partitions_for(self.config.topic)
            except Exception as exc:
                producer.close(timeout=0)
                raise explain_connect_failure(exc, logs, self.config, timeout_ms) from exc
        self._producer = producer
        self._culprit = None

    def send(self, topic: str, key: bytes, value: bytes, done: Done) -> None:
        """Hand one message over; ``done(None)`` on ack, ``done(exc)`` on final failure."""
        producer = self._producer
        fatal = self._fatal_error()
        if fatal is not None:
            raise FatalProducerState(fatal)
        partition = self._partitioner.pick(topic, None)
        if partition is None:
            partition = self._partitioner.pick(topic, producer.partitions_for(topic))
        future = producer.send(topic, key=key, value=value, partition=partition)
        future.add_callback(lambda _metadata: done(None))
        future.add_errback(lambda exc: done(self._own_error(exc)))

    def _fatal_error(self) -> BaseException | None:
        """The error that left the producer unusable, if one did (see FatalProducerState)."""
        manager = getattr(self._producer, "_transaction_manager", None)
        if manager is None or not manager.has_fatal_error():
            return None
        error: BaseException | None = manager.last_error
        return error

    def _own_error(self, exc: BaseException) -> BaseException:
        """``exc`` if it is the record's own failure; a ``FatalProducerState`` when the
        producer failed it only for an earlier record's error. The first record to fail
        with the fatal error is the one that caused it (records fail in order)."""
        if exc is not self._fatal_error():
            return exc
        if self._culprit is None:
            self._culprit = exc
            return exc
        return FatalProducerState(exc)

    def flush(self, timeout: float) -> None:
        if self._producer is not None:
            self._producer.flush(timeout=timeout)

    def close(self, timeout: float) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=timeout)
