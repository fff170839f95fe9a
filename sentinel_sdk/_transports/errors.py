"""The Kafka clients' exceptions, mapped to the SDK's by type, at one boundary.

    kafka-python / aiokafka / builtin exception        SDK exception
    -------------------------------------------        -------------------
    KafkaTimeoutError, RequestTimedOutError,            TimeoutError
      TimeoutError (asyncio's too)
    KafkaConnectionError, NoBrokersAvailable,           ConnectionError
      SASL authentication / handshake errors, OSError
    any other exception                                 SendError

The maps are built from the clients' own exception classes, most specific first
(the way httpx maps httpcore's), from the modules already loaded: an exception
can only come from a client that was imported, so neither is imported here.
The sender asks two more questions of a failed delivery: ``is_permanent`` (the
broker will never take these bytes) and ``needs_new_producer`` (the idempotent
producer's sequence state is gone).

A failed connect raises a bare "unable to bootstrap" timeout in both clients;
the real reason is only in the exception objects they log while connecting.
``client_logs`` collects those objects and ``explain_connect_failure`` turns
them, by type, into an error that says what to fix. Whether a broker listens
at all is asked of the network (``_any_broker_listens``): the clients' loggers
are shared by every producer in the process.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import socket
import ssl
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from sentinel_sdk.exceptions import ConnectionError, SendError, SentinelError, TimeoutError

if TYPE_CHECKING:
    from sentinel_sdk.config import SentinelConfig

__all__ = [
    "FatalProducerState",
    "client_logs",
    "explain_connect_failure",
    "is_permanent",
    "map_error",
    "needs_new_producer",
]

_Classes = tuple[type[BaseException], ...]
_CLIENTS = ("kafka.errors", "aiokafka.errors")

# Errors that re-sending the same bytes can never fix (aiokafka reports some of
# these codes as UnknownError, which says nothing: those stay retriable).
_PERMANENT = (
    "MessageSizeTooLargeError",
    "RecordListTooLargeError",
    "InvalidRecordError",
    "CorruptRecordError",
    "CorruptRecordException",
    "UnsupportedCompressionTypeError",
    "InvalidTopicError",
)
# Errors after which an idempotent producer's sequence state is unusable (e.g. the
# broker restarted and forgot our producer id): only a new producer recovers.
# kafka-python spells them with an "Error" suffix, aiokafka without.
_BROKEN_PRODUCER = (
    *(
        name + suffix
        for name in (
            "OutOfOrderSequenceNumber",
            "UnknownProducerId",
            "InvalidProducerEpoch",
            "ProducerFenced",
            "InvalidProducerIdMapping",
        )
        for suffix in ("", "Error")
    ),
    "IllegalStateError",
)
_TIMEOUTS = ("KafkaTimeoutError", "RequestTimedOutError")
# kafka-python's SaslAuthenticationFailedError; aiokafka's broker-side and client-side ones.
_AUTH_FAILED = ("SaslAuthenticationFailedError", "SaslAuthenticationFailed")
_AUTH_FAILED_CLIENT_SIDE = ("AuthenticationFailedError",)
_NOT_SASL = ("IllegalSaslStateError",)  # SASL asked of a listener that takes none
_NO_MECHANISM = ("UnsupportedSaslMechanismError",)
_CONNECTION = ("KafkaConnectionError", "NoBrokersAvailable")
_UNREADABLE_REPLY = ("InvalidReceiveError",)  # kafka-python: a frame that is no Kafka frame


class FatalProducerState(Exception):
    """A record the producer refused only because an earlier error left it unusable.

    kafka-python's idempotent producer, after one record the broker rejected for good
    (e.g. larger than the topic's ``max.message.bytes``), fails every later record with
    that same error. Those records are not at fault: they are sent again by a new
    producer (``needs_new_producer``), never dropped as rejected.
    """

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"the producer is unusable after an earlier error: {cause!r}")
        self.cause = cause


@dataclass(frozen=True)
class _Maps:
    """The clients' exception classes that the SDK tells apart, by kind."""

    permanent: _Classes
    broken_producer: _Classes
    timeout: _Classes
    connection: _Classes
    auth_failed: _Classes
    not_sasl: _Classes
    no_mechanism: _Classes
    unreadable_reply: _Classes


def _maps() -> _Maps:
    return _maps_for(tuple(name in sys.modules for name in _CLIENTS))


@cache
def _maps_for(loaded: tuple[bool, ...]) -> _Maps:
    modules = [sys.modules[name] for name, present in zip(_CLIENTS, loaded, strict=True) if present]

    def classes(*names: str) -> _Classes:
        found = (getattr(module, name, None) for module in modules for name in names)
        return tuple(c for c in found if isinstance(c, type) and issubclass(c, BaseException))

    return _Maps(
        permanent=classes(*_PERMANENT),
        broken_producer=(*classes(*_BROKEN_PRODUCER), FatalProducerState),
        timeout=(*classes(*_TIMEOUTS), builtins.TimeoutError),
        connection=(
            *classes(*_CONNECTION, *_AUTH_FAILED, *_AUTH_FAILED_CLIENT_SIDE),
            *classes(*_NOT_SASL, *_NO_MECHANISM),
            OSError,
        ),
        auth_failed=classes(*_AUTH_FAILED, *_AUTH_FAILED_CLIENT_SIDE),
        not_sasl=classes(*_NOT_SASL),
        no_mechanism=classes(*_NO_MECHANISM),
        unreadable_reply=classes(*_UNREADABLE_REPLY),
    )


def _unwrap(exc: BaseException) -> BaseException:
    # The SDK's own SendError around a client error: classify the client's.
    if isinstance(exc, SendError) and isinstance(exc.cause, BaseException):
        return exc.cause
    return exc


def is_permanent(exc: BaseException) -> bool:
    """True if the broker will never accept this event, however often it is re-sent."""
    return isinstance(_unwrap(exc), _maps().permanent)


def needs_new_producer(exc: BaseException) -> bool:
    """True if this error leaves the producer unable to send again (make a new one)."""
    return isinstance(_unwrap(exc), _maps().broken_producer)


def map_error(exc: BaseException) -> SentinelError:
    """Map any Kafka client exception to the SDK's hierarchy (``raise ... from exc``)."""
    if isinstance(exc, SentinelError):
        return exc
    maps = _maps()
    if isinstance(exc, maps.timeout):
        return TimeoutError(f"Kafka operation timed out: {exc}", cause=exc)
    if isinstance(exc, maps.connection):
        return ConnectionError(f"Kafka connection failed: {exc}", cause=exc)
    return SendError(f"Kafka did not accept the event: {type(exc).__name__}: {exc}", cause=exc)


# -- connect failures ---------------------------------------------------------------------


class _ClientLogs(logging.Handler):
    """Collects the exception objects a Kafka client logs (WARNING and above)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.exceptions: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        for item in (*args, record.exc_info[1] if record.exc_info else None):
            if isinstance(item, BaseException) and len(self.exceptions) < 100:
                self.exceptions.append(item)


@contextmanager
def client_logs(logger_name: str) -> Iterator[list[BaseException]]:
    """The exceptions the ``logger_name`` client logs inside the block, as a live list."""
    handler = _ClientLogs()
    log = logging.getLogger(logger_name)
    log.addHandler(handler)
    try:
        yield handler.exceptions
    finally:
        log.removeHandler(handler)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it was raised from or during, nearest first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 10:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def explain_connect_failure(
    exc: BaseException,
    logged: Sequence[BaseException],
    config: SentinelConfig,
    timeout_ms: int | None = None,
    reachable: bool | None = None,
) -> SentinelError:
    """A clear SDK error for a failed connect: ``exc`` as raised, ``logged`` as collected by
    ``client_logs``; ``reachable`` (asked of the network when ``None``) is whether any
    broker address takes TCP connections."""
    seen = [e for source in (exc, *logged) for e in _chain(source)]
    brokers = ", ".join(config.brokers)
    waited = config.request_timeout_ms if timeout_ms is None else timeout_ms
    if _any(seen, ssl.SSLCertVerificationError):
        return ConnectionError(
            f"TLS certificate of {brokers} is not trusted: set ssl_cafile to the CA that "
            "signed it (or check ssl_check_hostname)",
            cause=exc,
        )
    mapped = map_error(exc)
    about_reaching = isinstance(mapped, (ConnectionError, TimeoutError))
    if not about_reaching and not logged:
        return mapped  # not about reaching the brokers
    if reachable is None:
        reachable = _any_broker_listens(config.brokers)
    if not reachable:
        return ConnectionError(
            f"no Kafka broker answered at {brokers} within {waited} ms: "
            "is it running, and are brokers / security_protocol right?",
            cause=exc,
        )
    reason = _refusal(seen, config)
    if reason is not None:
        return ConnectionError(reason.format(brokers=brokers), cause=exc)
    if about_reaching:
        return ConnectionError(
            f"a broker at {brokers} takes connections but the Kafka client could not "
            f"talk to it within {waited} ms: check security_protocol (and the listener)",
            cause=exc,
        )
    return mapped


def _any(seen: Sequence[BaseException], kinds: _Classes | type[BaseException]) -> bool:
    return any(isinstance(e, kinds) for e in seen)


def _is_tls_reply(exc: BaseException) -> bool:
    # aiokafka read a TLS alert record (0x15 0x03 ...) as a Kafka frame length.
    return (
        isinstance(exc, asyncio.IncompleteReadError)
        and exc.expected is not None
        and exc.expected >> 16 == 0x1503
    )


def _refusal(seen: Sequence[BaseException], config: SentinelConfig) -> str | None:
    """Why a broker that takes connections would not talk to us, from the exceptions
    ``seen``: a message with ``{brokers}`` to fill in, or ``None`` if they do not say."""
    maps = _maps()
    tls = config.security_protocol in ("SSL", "SASL_SSL")
    sasl = config.sasl_mechanism is not None
    login = (
        f"SASL {config.sasl_mechanism} authentication failed for user "
        f"{config.sasl_username or ''!r} at {{brokers}}: check sasl_username / sasl_password"
    )
    if _any(seen, maps.auth_failed):
        return login
    if _any(seen, maps.not_sasl):
        return "{brokers} takes no SASL login there: check security_protocol (and the listener)"
    if _any(seen, maps.no_mechanism):
        return f"{{brokers}} does not offer SASL {config.sasl_mechanism}: check sasl_mechanism"
    if tls and _any(seen, (ssl.SSLError, ConnectionResetError)):
        return "{brokers} does not speak TLS there: check security_protocol (and the listener)"
    if not tls and (_any(seen, maps.unreadable_reply) or any(map(_is_tls_reply, seen))):
        return "{brokers} expects TLS: set security_protocol to SSL or SASL_SSL"
    if sasl and _any(seen, maps.connection):
        # kafka-python often sees only the broker hanging up after a rejected login: the
        # error response arrives with the close and is dropped (a race in the client).
        return login
    return None


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
