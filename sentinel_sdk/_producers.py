"""The producer boundary: kafka-python and aiokafka behind one small shape each.

Everything Kafka-client-specific lives here: constructing and connecting the
producer, handing it one message with a completion callback, closing it, and
mapping the clients' exceptions to the SDK's own (``map_error``) with a
message that says what went wrong in plain words.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from .exceptions import ConnectionError, SendError, SentinelError, TimeoutError

if TYPE_CHECKING:
    from .config import SentinelConfig

__all__ = ["AsyncProducer", "SyncProducer", "is_permanent", "map_error", "needs_new_producer"]

Done = Callable[["BaseException | None"], None]

# Errors that re-sending the same bytes can never fix.
_PERMANENT = {
    "MessageSizeTooLargeError",
    "RecordListTooLargeError",
    "InvalidRecordError",
    "CorruptRecordError",
    "CorruptRecordException",
    "UnsupportedCompressionTypeError",
    "InvalidTopicError",
}


# Errors after which an idempotent producer's sequence state is unusable (e.g. the
# broker restarted and forgot our producer id): only a new producer recovers.
_BROKEN_PRODUCER = {
    "OutOfOrderSequenceNumber",
    "OutOfOrderSequenceNumberError",
    "UnknownProducerId",
    "UnknownProducerIdError",
    "InvalidProducerEpoch",
    "InvalidProducerEpochError",
    "ProducerFenced",
    "ProducerFencedError",
    "InvalidProducerIdMapping",
    "InvalidProducerIdMappingError",
    "IllegalStateError",
}


def needs_new_producer(exc: BaseException) -> bool:
    """True if this error leaves the producer unable to send again (make a new one)."""
    return type(exc).__name__ in _BROKEN_PRODUCER


def is_permanent(exc: BaseException) -> bool:
    """True if the broker will never accept this event, however often it is re-sent."""
    return type(exc).__name__ in _PERMANENT or (
        isinstance(exc, SendError)
        and isinstance(exc.cause, BaseException)
        and type(exc.cause).__name__ in _PERMANENT
    )


class _ClientLogCapture(logging.Handler):
    """Collects what kafka-python / aiokafka log while connecting: they report the real
    reason (refused, bad credentials, bad certificate) only there, then raise a bare
    'unable to bootstrap' timeout."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING and len(self.messages) < 100:
            self.messages.append(record.getMessage())


class _RedactSecrets(logging.Filter):
    """Keeps configured passwords out of the Kafka clients' own log records.

    kafka-python and aiokafka log every request at DEBUG, the SASL PLAIN login
    bytes (user and password) included. This filter, on exactly the loggers that
    do so, replaces any configured secret in such a record before handlers see it.
    """

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
_LOGGERS_WITH_REQUEST_DUMPS = ("kafka.net.connection", "kafka.protocol.parser", "aiokafka.conn")


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


@contextmanager
def _capture_client_logs(logger_name: str) -> Iterator[_ClientLogCapture]:
    capture = _ClientLogCapture()
    log = logging.getLogger(logger_name)
    log.addHandler(capture)
    try:
        yield capture
    finally:
        log.removeHandler(capture)


def _explain(
    exc: BaseException,
    logged: list[str],
    config: SentinelConfig,
    timeout_ms: int | None = None,
    reachable: bool | None = None,
) -> SentinelError:
    """Map a client exception (plus what the client logged) to a clear SDK error."""
    text = " ".join([repr(exc), *logged]).lower()
    brokers = ", ".join(config.brokers)
    waited = config.request_timeout_ms if timeout_ms is None else timeout_ms
    sasl = config.sasl_mechanism is not None
    if isinstance(exc, ssl.SSLCertVerificationError) or "certificate verify failed" in text:
        return ConnectionError(
            f"TLS certificate of {brokers} is not trusted: set ssl_cafile to the CA that "
            "signed it (or check ssl_check_hostname)",
            cause=exc,
        )
    auth_failed = any(
        marker in text
        for marker in ("authenticationfailed", "authentication failed", "invalid credentials")
    )
    hung_up = "disconnected" in text or "lost" in text
    if not (
        auth_failed
        or hung_up
        or "timeout" in text
        or "connect" in text
        or "bootstrap" in text
        or "refused" in text
        or isinstance(exc, OSError)
    ):
        return map_error(exc)  # not about reaching the brokers
    # The client's logs are shared by every producer in the process, so whether a broker
    # takes connections at all is asked directly, not read from them.
    if reachable is None:
        reachable = _any_broker_listens(config.brokers)
    if not reachable:
        return ConnectionError(
            f"no Kafka broker answered at {brokers} within {waited} ms: "
            "is it running, and are brokers / security_protocol right?",
            cause=exc,
        )
    # kafka-python often sees only the broker hanging up after a rejected SASL PLAIN
    # login: a connection the broker accepted, then closed.
    if auth_failed or (sasl and hung_up):
        user = config.sasl_username or ""
        return ConnectionError(
            f"SASL {config.sasl_mechanism} authentication failed for user {user!r} at "
            f"{brokers}: check sasl_username / sasl_password",
            cause=exc,
        )
    if "ssl" in text and config.security_protocol not in ("SSL", "SASL_SSL"):
        return ConnectionError(
            f"{brokers} expects TLS: set security_protocol to SSL or SASL_SSL", cause=exc
        )
    if "unable to bootstrap" in text or "connect" in text:
        return ConnectionError(
            f"a broker at {brokers} takes connections but the Kafka client could not "
            f"talk to it within {waited} ms: check security_protocol (and the listener)",
            cause=exc,
        )
    return map_error(exc)


def _any_broker_listens(brokers: Sequence[str], budget: float = 1.0) -> bool:
    """True if any bootstrap address accepts a TCP connection (nothing is sent), asked
    within ``budget`` seconds in all."""
    deadline = time.monotonic() + budget
    for address in brokers:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "localhost", int(port)), remaining):
                return True
        except (OSError, ValueError):
            continue
    return False


def map_error(exc: BaseException) -> SentinelError:
    """Map any Kafka client exception to the SDK's hierarchy (``raise ... from exc``)."""
    if isinstance(exc, SentinelError):
        return exc
    name = type(exc).__name__
    if "Timeout" in name or isinstance(exc, TimeoutError):
        return TimeoutError(f"Kafka operation timed out: {exc}", cause=exc)
    if "Connection" in name or "NoBrokers" in name or isinstance(exc, OSError):
        return ConnectionError(f"Kafka connection failed: {exc}", cause=exc)
    return SendError(f"Kafka did not accept the event: {name}: {exc}", cause=exc)


class _StickyPartitions:
    """Sticky partitioning: one partition for a run of messages, then another at random.

    The message key (the event id) is there so consumers recognise duplicates, not
    to pin events to partitions. Choosing the partition here skips the clients'
    pure-Python murmur2 hash of every key, and sticking to one partition for a while
    fills batches faster (Kafka's own producer does the same for keyless records,
    KIP-480).
    """

    RUN = 128

    def __init__(self) -> None:
        self._runs: dict[str, list[int]] = {}

    def pick(self, topic: str, partitions: Any) -> int | None:
        run = self._runs.get(topic)
        if run is not None and run[1] > 0:
            run[1] -= 1
            return run[0]
        if not partitions:
            return None  # metadata unknown: let the client choose
        self._runs[topic] = [random.choice(sorted(partitions)), self.RUN - 1]
        return self._runs[topic][0]


class SyncProducer:
    """kafka-python ``KafkaProducer``: blocking connect, callback-based sends."""

    def __init__(self, config: SentinelConfig) -> None:
        self.config = config
        self._producer: Any = None
        self._sticky = _StickyPartitions()

    def connect(self, timeout_ms: int | None = None) -> None:
        """Connect and fetch the topic's metadata (blocks; raise mapped errors)."""
        from kafka import KafkaProducer

        protect_secrets(self.config)
        settings = self.config.kafka_python_settings()
        if timeout_ms is not None:
            settings.update(
                bootstrap_timeout_ms=timeout_ms,
                max_block_ms=timeout_ms,
                request_timeout_ms=min(timeout_ms, settings["request_timeout_ms"]),
            )
        with _capture_client_logs("kafka") as logs:
            try:
                producer = KafkaProducer(**settings)
            except Exception as exc:
                raise _explain(exc, logs.messages, self.config, timeout_ms) from exc
            # The SDK closes its producer itself (flushing its own queue first); kafka-python's
            # exit hook would otherwise close it before ours runs.
            unregister = getattr(producer, "_unregister_cleanup", None)
            if callable(unregister):
                unregister()
            try:
                producer.partitions_for(self.config.topic)
            except Exception as exc:
                producer.close(timeout=0)
                raise _explain(exc, logs.messages, self.config, timeout_ms) from exc
        self._producer = producer

    def send(self, topic: str, key: bytes, value: bytes, done: Done) -> None:
        """Hand one message over; ``done(None)`` on ack, ``done(exc)`` on final failure."""
        producer = self._producer
        partition = self._sticky.pick(topic, None)
        if partition is None:
            partition = self._sticky.pick(topic, producer.partitions_for(topic))
        future = producer.send(topic, key=key, value=value, partition=partition)
        future.add_callback(lambda _metadata: done(None))
        future.add_errback(done)

    def flush(self, timeout: float) -> None:
        if self._producer is not None:
            self._producer.flush(timeout=timeout)

    def close(self, timeout: float) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=timeout)

    def abandon(self) -> Any:
        """Forget the producer without closing it (after fork); returns it."""
        producer, self._producer = self._producer, None
        return producer


class AsyncProducer:
    """aiokafka ``AIOKafkaProducer``: async connect, future-based sends."""

    def __init__(self, config: SentinelConfig) -> None:
        self.config = config
        self._producer: Any = None
        self._sticky = _StickyPartitions()

    async def connect(self) -> None:
        """Start the producer and fetch the topic's metadata (raise mapped errors)."""
        from aiokafka import AIOKafkaProducer

        protect_secrets(self.config)
        with _capture_client_logs("aiokafka") as logs:
            producer = AIOKafkaProducer(**self.config.aiokafka_settings())
            try:
                await producer.start()
                await producer.partitions_for(self.config.topic)
            except Exception as exc:
                with suppress(Exception):
                    await producer.stop()
                raise _explain(exc, logs.messages, self.config) from exc
        self._producer = producer

    async def send(self, topic: str, key: bytes, value: bytes, done: Done) -> None:
        """Hand one message over; ``done`` is called when the broker answers."""
        producer = self._producer
        partition = self._sticky.pick(topic, None)
        if partition is None:
            partition = self._sticky.pick(topic, await producer.partitions_for(topic))
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

    def abandon(self) -> Any:
        producer, self._producer = self._producer, None
        return producer
