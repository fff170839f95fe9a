"""Translate a ``SentinelConfig`` into producer settings: kafka-python here, aiokafka here.

The two functions are the only places that know the Kafka clients' option
names. Both ask for the same delivery semantics: idempotent producer,
``acks=all``, the event id as the message key (set by the sender).
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from .config import SentinelConfig

__all__ = ["aiokafka_settings", "kafka_python_settings"]

# Python modules each client needs for a compression type, and the extra providing them.
_KAFKA_PYTHON_CODECS = {"snappy": "snappy", "lz4": "lz4", "zstd": "zstandard"}
_AIOKAFKA_CODECS = {"snappy": "cramjam", "lz4": "cramjam", "zstd": "cramjam"}


def _require_codec(config: SentinelConfig, modules: dict[str, str], extra: str) -> str | None:
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


def kafka_python_settings(config: SentinelConfig) -> dict[str, Any]:
    """Keyword arguments for ``kafka.KafkaProducer``."""
    settings: dict[str, Any] = {
        "bootstrap_servers": list(config.brokers),
        "client_id": config.client_id,
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": _require_codec(config, _KAFKA_PYTHON_CODECS, "compression"),
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
    if config.sasl_mechanism:
        settings.update(
            sasl_mechanism=config.sasl_mechanism,
            sasl_plain_username=config.sasl_username,
            sasl_plain_password=config.sasl_password,
        )
    if config.security_protocol in ("SSL", "SASL_SSL"):
        settings.update(
            ssl_cafile=config.ssl_cafile,
            ssl_certfile=config.ssl_certfile,
            ssl_keyfile=config.ssl_keyfile,
            ssl_password=config.ssl_keyfile_password,
            ssl_check_hostname=config.ssl_check_hostname,
        )
    return settings


def aiokafka_settings(config: SentinelConfig) -> dict[str, Any]:
    """Keyword arguments for ``aiokafka.AIOKafkaProducer``.

    aiokafka has no delivery timeout: a batch expires after ``request_timeout_ms``
    and the sender then spools it, so the end-to-end bound is the same shape.
    """
    settings: dict[str, Any] = {
        "bootstrap_servers": list(config.brokers),
        "client_id": config.client_id,
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": _require_codec(config, _AIOKAFKA_CODECS, "async"),
        "max_batch_size": config.batch_size or 16384,
        "linger_ms": config.linger_ms,
        "request_timeout_ms": config.request_timeout_ms,
        "retry_backoff_ms": config.retry_backoff_ms,
        "security_protocol": config.security_protocol,
    }
    if config.sasl_mechanism:
        settings.update(
            sasl_mechanism=config.sasl_mechanism,
            sasl_plain_username=config.sasl_username,
            sasl_plain_password=config.sasl_password,
        )
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
