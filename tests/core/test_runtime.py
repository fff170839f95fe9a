"""Process-wide plumbing (``sentinel_sdk._default_client``, ``sentinel_sdk._lifecycle``):
the default client, the exit hook
and fork safety.

No broker: where a client must deliver, its kafka-python producer is replaced by a
fake that acknowledges every event at once (``FakeProducer``), so the real sender
thread, queue, spool and fork hook run unchanged around it.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import sentinel_sdk
from sentinel_sdk import AsyncSentinelClient, SentinelClient, _lifecycle
from sentinel_sdk._default_client import get_client, init, set_client
from sentinel_sdk._lifecycle import after_fork_in_child
from sentinel_sdk._transports.kafka_python import KafkaPythonProducer
from sentinel_sdk.scope import request_scope

UNUSED_BROKER = ["127.0.0.1:9"]  # never contacted: the producer is a fake


class FakeProducer:
    """Stands in for ``KafkaPythonProducer``: acknowledges every event as it is handed over."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.abandoned = False
        self.closed = False

    def connect(self, timeout_ms: int | None = None) -> None:
        pass

    def send(
        self, topic: str, key: bytes, value: bytes, done: Callable[[BaseException | None], None]
    ) -> None:
        self.sent.append(key)
        done(None)

    def flush(self, timeout: float) -> None:
        pass

    def close(self, timeout: float) -> None:
        self.closed = True

    def abandon(self) -> Any:
        self.abandoned = True
        return None


@pytest.fixture
def default_slot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """An empty default-client slot for the test; the previous default is put back."""
    monkeypatch.delenv("SENTINEL_BROKERS", raising=False)
    monkeypatch.setenv("SENTINEL_SPOOL_DIR", str(tmp_path / "default-spool"))
    previous = set_client(None)
    try:
        yield
    finally:
        current = set_client(previous)
        if current is not None and current is not previous and not current.closed:
            close = getattr(current, "close", None)
            if isinstance(current, SentinelClient) and close is not None:
                close(0)


def delivering_client(spool_dir: str, **options: Any) -> tuple[SentinelClient, FakeProducer]:
    client = SentinelClient(brokers=UNUSED_BROKER, spool_dir=spool_dir, **options)
    fake = FakeProducer()
    client._producer = fake  # type: ignore[assignment]
    return client, fake


# -- the default client ----------------------------------------------------------------


def test_get_client_without_configuration_is_disabled_and_warns_once(
    default_slot: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sentinel_sdk"):
        client = get_client()
        again = get_client()
    assert client is again
    assert isinstance(client, SentinelClient)
    assert client.config.enabled is False
    warnings_logged = [r for r in caplog.records if "not configured" in r.getMessage()]
    assert len(warnings_logged) == 1
    assert "SENTINEL_BROKERS" in warnings_logged[0].getMessage()
    event_id = client.track(model="m")  # a no-op that still answers
    assert len(event_id) == 36
    assert client.stats()["queued"] == 0
    assert client._thread is None
    assert sentinel_sdk.current_client() is client


def test_get_client_with_sentinel_brokers_is_a_real_client(
    default_slot: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SENTINEL_BROKERS", "127.0.0.1:9,127.0.0.1:10")
    monkeypatch.setenv("SENTINEL_TOPIC", "from.env")
    with caplog.at_level(logging.WARNING, logger="sentinel_sdk"):
        client = get_client()
    assert isinstance(client, SentinelClient)
    assert client.config.enabled is True
    assert list(client.config.brokers) == ["127.0.0.1:9", "127.0.0.1:10"]
    assert client.config.topic == "from.env"
    assert get_client() is client
    assert not [r for r in caplog.records if "not configured" in r.getMessage()]
    assert client._thread is None  # no I/O until the first event


def test_get_client_is_created_once_under_concurrent_first_use(default_slot: None) -> None:
    seen: list[object] = []
    start = threading.Barrier(8)

    def first_use() -> None:
        start.wait()
        seen.append(get_client())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in seen}) == 1


def test_init_makes_the_default_and_closes_the_previous_one(
    default_slot: None, tmp_path: Path
) -> None:
    first = init(brokers=UNUSED_BROKER, spool_dir=str(tmp_path / "a"), service_name="one")
    assert get_client() is first and sentinel_sdk.current_client() is first
    assert first.config.service_name == "one"
    second = init(brokers=UNUSED_BROKER, spool_dir=str(tmp_path / "b"), service_name="two")
    assert first.closed and not second.closed
    assert get_client() is second
    first.track(model="m")  # a closed client drops and counts, never raises
    assert first.stats()["dropped"] == {"closed": 1}


def test_init_delivers_what_the_previous_default_still_held(
    default_slot: None, tmp_path: Path
) -> None:
    old, fake = delivering_client(str(tmp_path / "a"))
    set_client(old)
    ids = [old.track(model="m") for _ in range(20)]
    init(brokers=UNUSED_BROKER, spool_dir=str(tmp_path / "b"))
    assert old.closed
    assert sorted(fake.sent) == sorted(i.encode() for i in ids)


def test_init_closes_a_previous_async_default_too(default_slot: None, tmp_path: Path) -> None:
    previous = AsyncSentinelClient(brokers=UNUSED_BROKER, spool_dir=str(tmp_path / "a"))
    set_client(previous)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        init(brokers=UNUSED_BROKER, spool_dir=str(tmp_path / "b"))
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert previous.closed


def test_set_client_swaps_the_default_and_returns_the_previous(
    default_slot: None, tmp_path: Path
) -> None:
    a = SentinelClient(brokers=UNUSED_BROKER, spool_dir=str(tmp_path / "a"))
    b = SentinelClient(brokers=UNUSED_BROKER, spool_dir=str(tmp_path / "b"))
    assert set_client(a) is None
    assert get_client() is a
    assert set_client(b) is a
    assert get_client() is b
    assert not a.closed  # set_client never closes anything
    with request_scope(client=a):
        assert sentinel_sdk.current_client() is a  # the request's client wins
    assert sentinel_sdk.current_client() is b
    assert set_client(None) is b
    a.close(0)
    b.close(0)


# -- the exit hook ---------------------------------------------------------------------


class ExitRecorder:
    def __init__(self, timeout: float, *, closed: bool = False, fails: bool = False) -> None:
        self.config = type("Config", (), {"shutdown_timeout": timeout})()
        self.closed = closed
        self.fails = fails
        self.given: float | None = None

    def _close_at_exit(self, timeout: float) -> None:
        self.given = timeout
        if self.fails:
            raise RuntimeError("half torn-down interpreter")


def test_exit_hook_closes_open_clients_within_one_shared_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = ExitRecorder(2.0, fails=True)
    fine = ExitRecorder(3.0)
    done = ExitRecorder(9.0, closed=True)
    clients: weakref.WeakSet[Any] = weakref.WeakSet([broken, fine, done])
    monkeypatch.setattr(_lifecycle, "_clients", clients)
    _lifecycle._close_all_at_exit()  # never raises
    assert done.given is None  # already closed: left alone
    assert broken.given is not None and fine.given is not None
    assert 0 < broken.given <= 3.0 and 0 < fine.given <= 3.0  # the longest open client's


def test_a_script_that_never_closes_its_client_still_delivers(tmp_path: Path) -> None:
    out = tmp_path / "delivered.txt"
    script = f"""
        from sentinel_sdk import SentinelClient

        class FileProducer:
            def connect(self, timeout_ms=None): pass
            def send(self, topic, key, value, done):
                with open({str(out)!r}, "ab") as f:
                    f.write(key + b"\\n")
                done(None)
            def flush(self, timeout): pass
            def close(self, timeout): pass
            def abandon(self): return None

        client = SentinelClient(brokers=["127.0.0.1:9"], spool_dir={str(tmp_path / "s")!r})
        client._producer = FileProducer()
        for i in range(200):
            print(client.track(model="m", prompt=str(i)))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    tracked = result.stdout.split()
    assert len(tracked) == 200
    assert sorted(out.read_text().split()) == sorted(tracked)


# -- fork ------------------------------------------------------------------------------


def test_after_fork_in_child_does_nothing_in_the_same_process(tmp_path: Path) -> None:
    client, _ = delivering_client(str(tmp_path))
    core, queue_items = client._core, client._queue
    client.track(model="m")
    after_fork_in_child()
    assert client._core is core and client._queue is queue_items
    assert client._thread is not None and client._thread.is_alive()
    client.close(5)


def test_a_forked_child_gets_a_fresh_producer_thread_and_queue(tmp_path: Path) -> None:
    client, fake = delivering_client(str(tmp_path))
    client.track(model="m", prompt="parent before")
    assert client.flush(10)
    parent_thread, parent_core, parent_sender = client._thread, client._core, client._sender
    parent_stats = client._stats
    assert parent_thread is not None and parent_thread.is_alive()
    client.track(model="m", prompt="still queued?")  # may be in flight at the fork
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        result: dict[str, Any] = {}
        try:
            result["thread_reset"] = client._thread is None
            result["fake_abandoned"] = fake.abandoned
            result["new_producer"] = type(client._producer) is KafkaPythonProducer
            result["new_core"] = client._core is not parent_core
            result["new_sender"] = client._sender is not parent_sender
            result["new_stats"] = client._stats is not parent_stats
            result["queue"] = [client._queue.accepted, client._queue.held_count]
            result["spool_abandoned"] = client._spool is not None and client._spool._db is None
            result["stats"] = [client.stats()["queued"], client.stats()["sent"]]
            child_fake = FakeProducer()
            client._producer = child_fake  # type: ignore[assignment]
            event_id = client.track(model="m", prompt="child")
            result["child_delivered"] = client.flush(10)
            result["child_sent"] = [k.decode() for k in child_fake.sent] == [event_id]
            result["child_thread"] = (
                client._thread is not None
                and client._thread is not parent_thread
                and client._thread.is_alive()
            )
            client.close(5)
        except BaseException as exc:
            result["error"] = repr(exc)
        finally:
            os.write(write_fd, json.dumps(result).encode())
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        child = json.loads(pipe.read())
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert child == {
        "thread_reset": True,
        "fake_abandoned": True,
        "new_producer": True,
        "new_core": True,
        "new_sender": True,
        "new_stats": True,
        "queue": [0, 0],
        "spool_abandoned": True,
        "stats": [0, 0],
        "child_delivered": True,
        "child_sent": True,
        "child_thread": True,
    }
    # The parent's client is untouched and keeps delivering.
    assert client._thread is parent_thread and parent_thread.is_alive()
    assert client._producer is fake and not fake.abandoned  # type: ignore[comparison-overlap]
    assert client._core is parent_core and client._stats is parent_stats
    client.track(model="m", prompt="parent after")
    assert client.flush(10)
    assert client.stats()["sent"] == 3 == len(fake.sent)
    client.close(5)


def test_flush_with_an_async_default_client_says_to_await_it() -> None:
    from sentinel_sdk import ConfigurationError
    from sentinel_sdk.testing import AsyncInMemoryClient

    previous = set_client(AsyncInMemoryClient())
    try:
        with pytest.raises(ConfigurationError, match=r"await client\.flush\(\)"):
            sentinel_sdk.flush()
    finally:
        set_client(previous)


def test_current_client_is_the_scopes_else_the_default() -> None:
    from sentinel_sdk import Client
    from sentinel_sdk.testing import InMemoryClient

    default, own = InMemoryClient(), InMemoryClient()
    previous = set_client(default)
    try:
        assert sentinel_sdk.current_client() is default
        with request_scope(client=own):
            assert sentinel_sdk.current_client() is own
        assert isinstance(sentinel_sdk.current_client(), Client)  # the protocol, at run time
    finally:
        set_client(previous)
