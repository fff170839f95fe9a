"""The transports (``sentinel_sdk._transports``) without a broker.

Error mapping by type with the real kafka-python and aiokafka exception classes
(``map_error``, ``explain_connect_failure``, ``is_permanent``, ``needs_new_producer``),
sticky partitioning, and the two adapters' ``send`` completion wiring over fake clients.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

import aiokafka.errors as ae
import kafka.errors as ke
import pytest

from sentinel_sdk import SentinelConfig
from sentinel_sdk._transports.aiokafka import AIOKafkaAdapter
from sentinel_sdk._transports.errors import (
    FatalProducerState,
    client_logs,
    explain_connect_failure,
    is_permanent,
    map_error,
    needs_new_producer,
)
from sentinel_sdk._transports.kafka_python import KafkaPythonProducer
from sentinel_sdk._transports.partitioner import StickyPartitioner
from sentinel_sdk.exceptions import (
    ConnectionError,
    SendError,
    SentinelError,
    TimeoutError,
    ValidationError,
)

CONFIG = SentinelConfig(brokers=["kafka-a:9092", "kafka-b:9092"], request_timeout_ms=1234)


# -- map_error -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ke.KafkaTimeoutError("metadata"), TimeoutError),
        (ae.KafkaTimeoutError(), TimeoutError),
        (TimeoutError("ours"), TimeoutError),
        (ke.KafkaConnectionError("reset"), ConnectionError),
        (ae.KafkaConnectionError("reset"), ConnectionError),
        (ae.NoBrokersAvailable(), ConnectionError),
        (ConnectionRefusedError(111, "refused"), ConnectionError),
        (OSError("network unreachable"), ConnectionError),
        (ke.RequestTimedOutError(), TimeoutError),
        (ke.SaslAuthenticationFailedError(), ConnectionError),
        (ae.SaslAuthenticationFailed(), ConnectionError),
        (ke.MessageSizeTooLargeError("big"), SendError),
        (ke.UnknownTopicOrPartitionError(), SendError),
        (ValueError("weird"), SendError),
    ],
)
def test_map_error_sorts_client_errors_into_the_sdks(exc: BaseException, kind: type) -> None:
    mapped = map_error(exc)
    assert type(mapped) is kind
    if mapped is not exc:
        assert mapped.cause is exc and mapped.__cause__ is exc
    assert isinstance(mapped, SentinelError)


def test_map_error_keeps_sdk_errors_and_names_the_client_error() -> None:
    ours = ValidationError("bad")
    assert map_error(ours) is ours
    message = str(map_error(ke.MessageSizeTooLargeError("1048588 bytes")))
    assert "MessageSizeTooLargeError" in message and "1048588 bytes" in message


def test_mapped_errors_are_also_the_builtin_kinds() -> None:
    import builtins

    assert isinstance(map_error(ke.KafkaTimeoutError()), builtins.TimeoutError)
    assert isinstance(map_error(ke.KafkaConnectionError()), builtins.ConnectionError)


# -- explain_connect_failure: the real reason behind a failed connect, by type -----------


def during(outer: BaseException, inner: BaseException) -> BaseException:
    """``outer`` as raised while handling ``inner`` (its ``__context__``)."""
    outer.__context__ = inner
    return outer


SASL = SentinelConfig(
    brokers=["k:9093"],
    security_protocol="SASL_PLAINTEXT",
    sasl_mechanism="SCRAM-SHA-512",
    sasl_username="alice",
    sasl_password="hunter2",
)
TLS = SentinelConfig(brokers=["k:9094"], security_protocol="SSL")
BOOTSTRAP = ke.KafkaTimeoutError("Unable to bootstrap from [('k', 9093)]")


def test_explain_untrusted_certificate() -> None:
    error = explain_connect_failure(ssl.SSLCertVerificationError("self-signed"), [], CONFIG)
    assert isinstance(error, ConnectionError)
    assert "ssl_cafile" in str(error) and "kafka-a:9092, kafka-b:9092" in str(error)
    handshake = during(ke.KafkaConnectionError("Handshake failed"), ssl.SSLCertVerificationError())
    logged = explain_connect_failure(BOOTSTRAP, [handshake], CONFIG)
    assert "ssl_cafile" in str(logged)


@pytest.mark.parametrize(
    ("raised", "logged"),
    [
        (BOOTSTRAP, [ke.SaslAuthenticationFailedError("bad")]),  # kafka-python logs it
        (ae.KafkaConnectionError("Unable to bootstrap"), [ae.SaslAuthenticationFailed()]),
        (ae.AuthenticationFailedError(), []),
        # kafka-python drops the broker's answer half the time: only the hang-up is left.
        (BOOTSTRAP, [ke.KafkaConnectionError("socket disconnected")]),
    ],
)
def test_explain_bad_credentials_names_the_user_never_the_password(
    raised: BaseException, logged: list[BaseException]
) -> None:
    error = explain_connect_failure(raised, logged, SASL, reachable=True)
    assert isinstance(error, ConnectionError)
    text = str(error)
    assert "authentication failed" in text
    assert "SCRAM-SHA-512" in text and "'alice'" in text and "hunter2" not in text
    assert error.cause is raised


def test_explain_a_listener_without_sasl_or_without_the_mechanism() -> None:
    plain = explain_connect_failure(BOOTSTRAP, [ke.IllegalSaslStateError()], SASL, reachable=True)
    assert "takes no SASL login" in str(plain) and "security_protocol" in str(plain)
    other = explain_connect_failure(
        BOOTSTRAP, [ke.UnsupportedSaslMechanismError()], SASL, reachable=True
    )
    assert "does not offer SASL SCRAM-SHA-512" in str(other)


@pytest.mark.parametrize(
    "logged",
    [
        during(ke.KafkaConnectionError("Handshake failed"), ssl.SSLEOFError()),  # kafka-python
        ConnectionResetError(),  # aiokafka: the plaintext listener hangs up mid-handshake
    ],
)
def test_explain_tls_asked_of_a_plaintext_listener(logged: BaseException) -> None:
    error = explain_connect_failure(BOOTSTRAP, [logged], TLS, reachable=True)
    assert "does not speak TLS" in str(error) and "security_protocol" in str(error)


@pytest.mark.parametrize(
    "logged",
    [
        ke.InvalidReceiveError("Invalid frame length: 352518912"),  # kafka-python
        during(  # aiokafka read a TLS alert as the length of a Kafka frame
            ae.KafkaConnectionError("closed"), asyncio.IncompleteReadError(b"", 0x15030300)
        ),
    ],
)
def test_explain_plaintext_sent_to_a_tls_listener(logged: BaseException) -> None:
    error = explain_connect_failure(BOOTSTRAP, [logged], CONFIG, reachable=True)
    assert isinstance(error, ConnectionError)
    assert "expects TLS" in str(error) and "security_protocol" in str(error)


def test_explain_a_broker_that_listens_but_says_nothing_useful() -> None:
    error = explain_connect_failure(
        BOOTSTRAP, [ke.KafkaConnectionError("socket disconnected")], TLS, reachable=True
    )
    assert "takes connections but the Kafka client could not talk to it" in str(error)
    assert "expects TLS" not in str(error) and "authentication" not in str(error)


def test_explain_asks_the_network_whether_a_broker_listens() -> None:
    # Shared client logs may carry another producer's errors: whether anything listens
    # is asked of the configured brokers with a TCP probe instead.
    sasl = SASL.replace(brokers=["127.0.0.1:1"])
    closed = explain_connect_failure(BOOTSTRAP, [ke.SaslAuthenticationFailedError()], sasl)
    assert "no Kafka broker answered at 127.0.0.1:1" in str(closed)


def test_explain_nobody_answering() -> None:
    for exc, logged in (
        (ke.KafkaTimeoutError("Unable to bootstrap from [('kafka-a', 9092)]"), []),
        (BOOTSTRAP, [ke.KafkaConnectionError("111 ECONNREFUSED")]),
        (ConnectionRefusedError(111, "Connection refused"), []),
    ):
        error = explain_connect_failure(exc, logged, CONFIG)
        assert isinstance(error, ConnectionError)
        assert "no Kafka broker answered at kafka-a:9092, kafka-b:9092 within 1234 ms" in str(error)


def test_explain_anything_else_is_mapped_as_usual() -> None:
    error = explain_connect_failure(ke.MessageSizeTooLargeError(), [], CONFIG)
    assert type(error) is SendError


def test_client_logs_collects_the_exception_objects_the_clients_log() -> None:
    import logging

    refused = ke.KafkaConnectionError("111 ECONNREFUSED")
    log = logging.getLogger("kafka.net.manager")
    with client_logs("kafka") as logged:
        log.warning("Bootstrap connection to %s failed: %s (backoff %.2f secs)", "k", refused, 1.0)
        log.info("not collected: below WARNING %s", ke.KafkaTimeoutError())
        try:
            raise ke.IllegalSaslStateError()
        except ke.IllegalSaslStateError:
            log.error("with exc_info", exc_info=True)
    log.warning("after the block %s", ke.KafkaTimeoutError())
    assert logged[0] is refused
    assert isinstance(logged[1], ke.IllegalSaslStateError) and len(logged) == 2


# -- is_permanent / needs_new_producer --------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        ke.MessageSizeTooLargeError(),
        ae.MessageSizeTooLargeError(),
        ke.RecordListTooLargeError(),
        ae.RecordListTooLargeError(),
        ke.InvalidRecordError(),
        ke.CorruptRecordError(),
        ae.CorruptRecordException(),
        ke.UnsupportedCompressionTypeError(),
        ke.InvalidTopicError(),
        ae.InvalidTopicError(),
        SendError("no", cause=ke.MessageSizeTooLargeError()),
    ],
)
def test_errors_no_resend_can_fix_are_permanent(exc: BaseException) -> None:
    assert is_permanent(exc)
    assert not needs_new_producer(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ke.KafkaTimeoutError(),
        ae.KafkaTimeoutError(),
        ke.NotLeaderForPartitionError(),
        ke.UnknownTopicOrPartitionError(),
        ke.NotEnoughReplicasError(),
        ke.RequestTimedOutError(),
        ae.KafkaConnectionError(),
        ConnectionRefusedError(),
        SendError("no", cause=ke.KafkaTimeoutError()),
        SendError("no cause"),
        RuntimeError(),
    ],
)
def test_retriable_errors_are_not_permanent(exc: BaseException) -> None:
    assert not is_permanent(exc)
    assert not needs_new_producer(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ke.OutOfOrderSequenceNumberError(),
        ae.OutOfOrderSequenceNumber(),
        ke.UnknownProducerIdError(),
        ae.UnknownProducerId(),
        ke.InvalidProducerEpochError(),
        ae.InvalidProducerEpoch(),
        ke.ProducerFencedError(),
        ae.ProducerFenced(),
        ke.IllegalStateError(),
        ae.IllegalStateError(),
    ],
)
def test_errors_that_leave_the_producer_unusable_ask_for_a_new_one(exc: BaseException) -> None:
    assert needs_new_producer(exc)
    assert not is_permanent(exc)


@pytest.mark.parametrize("exc", [ke.InvalidProducerIdMappingError(), ae.InvalidProducerIdMapping()])
def test_an_invalid_producer_id_mapping_asks_for_a_new_producer(exc: BaseException) -> None:
    assert needs_new_producer(exc)


# -- sticky partitions -----------------------------------------------------------------


def test_sticky_partitions_keep_one_partition_for_a_run_then_choose_again() -> None:
    sticky = StickyPartitioner()
    assert sticky.pick("t", None) is None  # metadata unknown and no run: the client picks
    assert sticky.pick("t", set()) is None
    first = sticky.pick("t", {0, 1, 2})
    assert first in {0, 1, 2}
    # The rest of the run needs no metadata at all (no murmur2, no partitions_for call).
    assert [sticky.pick("t", None) for _ in range(sticky.RUN - 1)] == [first] * (sticky.RUN - 1)
    assert sticky.pick("t", None) is None  # run over
    assert sticky.pick("t", {5}) == 5


def test_sticky_partitions_are_per_topic_and_spread_over_time() -> None:
    sticky = StickyPartitioner()
    a = sticky.pick("a", {0})
    b = sticky.pick("b", {7})
    assert (a, b) == (0, 7)
    assert sticky.pick("a", None) == 0 and sticky.pick("b", None) == 7
    seen = set()
    spread = StickyPartitioner()
    for _ in range(60):
        seen.add(spread.pick("t", {0, 1, 2, 3}))
        for _ in range(spread.RUN - 1):
            spread.pick("t", None)
    assert seen == {0, 1, 2, 3}


# -- send wiring -----------------------------------------------------------------------


class FakeFuture:
    def __init__(self) -> None:
        self.callbacks: list[Callable[[Any], None]] = []
        self.errbacks: list[Callable[[BaseException], None]] = []

    def add_callback(self, fn: Callable[[Any], None]) -> None:
        self.callbacks.append(fn)

    def add_errback(self, fn: Callable[[BaseException], None]) -> None:
        self.errbacks.append(fn)


class FakeKafkaProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes, int | None]] = []
        self.futures: list[FakeFuture] = []
        self.metadata_calls = 0

    def partitions_for(self, topic: str) -> set[int]:
        self.metadata_calls += 1
        return {0, 1}

    def send(self, topic: str, *, key: bytes, value: bytes, partition: int | None) -> FakeFuture:
        self.sent.append((topic, key, value, partition))
        future = FakeFuture()
        self.futures.append(future)
        return future


def test_sync_send_wires_acks_and_errors_to_done() -> None:
    producer = KafkaPythonProducer(CONFIG)
    fake = FakeKafkaProducer()
    producer._producer = fake
    answers: list[BaseException | None] = []
    for i in range(300):
        producer.send("t", f"k{i}".encode(), b"v", answers.append)
    assert fake.metadata_calls == 3  # once per run of sticky picks, not per message
    assert all(p in (0, 1) for *_, p in fake.sent)
    assert fake.sent[0][:3] == ("t", b"k0", b"v")
    fake.futures[0].callbacks[0]("record metadata")
    boom = ke.KafkaTimeoutError("expired")
    fake.futures[1].errbacks[0](boom)
    assert answers == [None, boom]
    assert producer.abandon() is fake and producer._producer is None


class FakeAioFuture:
    def __init__(self, *, cancelled: bool = False, exc: BaseException | None = None) -> None:
        self._cancelled, self._exc = cancelled, exc

    def cancelled(self) -> bool:
        return self._cancelled

    def exception(self) -> BaseException | None:
        return self._exc

    def add_done_callback(self, fn: Callable[[Any], None]) -> None:
        fn(self)


class FakeAioProducer:
    def __init__(self, outcomes: list[FakeAioFuture]) -> None:
        self.outcomes = outcomes
        self.sent: list[tuple[str, bytes, bytes | None, int | None]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {3}

    async def send(
        self, topic: str, value: bytes, *, key: bytes | None, partition: int | None
    ) -> FakeAioFuture:
        self.sent.append((topic, value, key, partition))
        return self.outcomes.pop(0)


def test_async_send_wires_acks_errors_and_cancellation_to_done() -> None:
    boom = ae.KafkaTimeoutError()
    fake = FakeAioProducer(
        [FakeAioFuture(), FakeAioFuture(exc=boom), FakeAioFuture(cancelled=True)]
    )
    producer = AIOKafkaAdapter(CONFIG)
    producer._producer = fake
    answers: list[BaseException | None] = []

    async def main() -> None:
        for i in range(3):
            await producer.send("t", f"k{i}".encode(), b"v", answers.append)

    asyncio.run(main())
    assert [s[3] for s in fake.sent] == [3, 3, 3]
    assert fake.sent[0] == ("t", b"v", b"k0", 3)
    assert answers[:2] == [None, boom]
    assert isinstance(answers[2], SendError) and "cancelled" in str(answers[2])
    assert producer.abandon() is fake


class FakeTransactionManager:
    def __init__(self) -> None:
        self.last_error: BaseException | None = None

    def has_fatal_error(self) -> bool:
        return self.last_error is not None


def test_records_failed_for_an_earlier_records_error_ask_for_a_new_producer() -> None:
    # kafka-python's idempotent producer fails every record after one fatal rejection
    # with that same error object; only the first record to fail is at fault.
    producer = KafkaPythonProducer(CONFIG)
    fake = FakeKafkaProducer()
    fake._transaction_manager = FakeTransactionManager()  # type: ignore[attr-defined]
    producer._producer = fake
    answers: list[BaseException | None] = []
    for i in range(3):
        producer.send("t", f"k{i}".encode(), b"v", answers.append)
    too_large = ke.MessageSizeTooLargeError("the topic's limit")
    fake._transaction_manager.last_error = too_large  # type: ignore[attr-defined]
    for future in fake.futures:
        future.errbacks[0](too_large)
    culprit, *victims = answers
    assert culprit is too_large and is_permanent(culprit)
    for victim in victims:
        assert isinstance(victim, FatalProducerState) and victim.cause is too_large
        assert needs_new_producer(victim) and not is_permanent(victim)
    with pytest.raises(FatalProducerState):  # and nothing more is handed to it
        producer.send("t", b"k", b"v", answers.append)
    assert len(fake.sent) == 3
    other = ke.KafkaTimeoutError("its own")
    fake.futures[0].errbacks[0](other)
    assert answers[-1] is other  # an error of the record's own passes through
