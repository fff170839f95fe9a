"""Configured secrets kept out of the Kafka clients' own log records.

kafka-python and aiokafka log every request at DEBUG, the SASL PLAIN login bytes
(user and password) included. A filter on exactly the loggers that do so
replaces any configured secret in such a record before handlers see it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentinel_sdk.config import SentinelConfig

__all__ = ["protect_secrets"]

_LOGGERS_WITH_REQUEST_DUMPS = ("kafka.net.connection", "kafka.protocol.parser", "aiokafka.conn")


class _RedactSecrets(logging.Filter):
    """Replaces each registered secret in a record's message by ``***``."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            try:
                message = record.getMessage()
            except Exception:
                return True
            if any(secret in message for secret in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, "***")
                record.msg, record.args = message, None
        return True


_redactor = _RedactSecrets()


def protect_secrets(config: SentinelConfig) -> None:
    """Register this config's secrets with the Kafka clients' log redaction."""
    for secret in (config.sasl_password, config.ssl_keyfile_password):
        if secret:
            _redactor.secrets.add(secret)
            _redactor.secrets.add(repr(secret.encode())[2:-1])  # as it shows in a bytes repr
    if _redactor.secrets:
        for name in _LOGGERS_WITH_REQUEST_DUMPS:
            log = logging.getLogger(name)
            if _redactor not in log.filters:
                log.addFilter(_redactor)
