"""Assert on the telemetry your app records, in its own tests, without Kafka (a pytest plugin).

Installing the SDK registers this module as a pytest plugin (entry point
``sentinel_sdk``; with plugin autoloading off, pass ``-p sentinel_sdk.testing``).
Its fixtures swap the process default client for an ``InMemoryClient`` for the
length of one test, so whatever your code records through ``sentinel_sdk.track()``,
``SentinelHandler()``, a ``wrap_openai`` client or a request through the ASGI,
Django or Flask integrations (configured without a client of their own) lands in
a list you can assert on::

    import sentinel_sdk

    def answer(question: str) -> str:  # your app code
        sentinel_sdk.track(model="gpt-4o", prompt=question, response="42",
                           prompt_tokens=7, response_tokens=1, latency_ms=310.0)
        return "42"

    def test_answer_is_recorded(sentinel_events):
        answer("What is the answer?")
        assert len(sentinel_events) == 1
        assert sentinel_events[0].model == "gpt-4o"
        assert sentinel_events[0].prompt.tokens == 7

Events take the production path up to the producer: validation, request-scope
merge (trace id, ``http.*`` metadata), sampling, ``before_send``, cost fill-in
from the price table and JSON serialization; ``sentinel_events`` holds each one
as decoded back from the JSON that would have gone to Kafka. Options of the
in-memory client (``SentinelConfig`` fields; the environment is not read) come
from the ``sentinel_options`` fixture (override it in a ``conftest.py``) and
then from a ``@pytest.mark.sentinel(service_name="chat", capture_content=False)``
marker on the test. Fixtures:

- ``sentinel_events``: the captured ``TelemetryEvent`` list (live; empty at start).
- ``sentinel_client``: the ``InMemoryClient`` itself (``.clear()``, ``.payloads``,
  ``.stats()``), to pass explicitly, e.g. ``Sentinel(app, client=sentinel_client)``.

Outside pytest, ``capture_events(**options)`` is the same swap as a context
manager. Code that calls ``sentinel_sdk.init()`` while a test runs replaces the
swapped-in default: in tests, skip ``init()`` or give the integration
``client=sentinel_client``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from typing_extensions import Self, Unpack

from ._assembly import Captured, Deferred, TrackFields
from ._client_base import BaseClient
from ._default_client import set_client
from ._delivery_core import BATCH
from .config import SentinelConfig
from .events import TelemetryEvent

try:
    import pytest
except ImportError:  # pragma: no cover - unittest users: the clients work without pytest
    pytest = None  # type: ignore[assignment]

__all__ = [
    "AsyncInMemoryClient",
    "InMemoryClient",
    "capture_events",
    "pytest_configure",
    "sentinel_client",
    "sentinel_events",
    "sentinel_options",
]

MARKER = "sentinel"


class InMemoryClient(BaseClient):
    """A client that keeps events in a list instead of sending them to Kafka.

    Same surface as ``SentinelClient`` (``track``, ``send``, ``track_many``, the
    ``*_nowait`` twins, ``flush``, ``close``, ``stats``, ``ping``) and the same
    path up to the producer, run synchronously on the calling thread: once
    ``track()`` returns, the event is in ``events`` (unless sampling or
    ``before_send`` dropped it, which ``stats()`` counts). Options are
    ``SentinelConfig`` fields, or pass ``config=``; the environment is not read,
    and the disk spool is always off. Thread-safe.
    """

    def __init__(self, config: SentinelConfig | None = None, **options: Any) -> None:
        # replace() names unknown or bad options in a ConfigurationError.
        config = (config or SentinelConfig()).replace(**{**options, "spool_enabled": False})
        self.events: list[TelemetryEvent] = []
        """Captured events, oldest first, each decoded from its JSON wire form."""
        self.payloads: list[bytes] = []
        """The JSON each captured event would have been written to Kafka as."""
        self._deliver_lock = threading.Lock()
        super().__init__(config)

    # -- the SentinelClient surface -------------------------------------------------------

    def track(self, **fields: Unpack[TrackFields]) -> str:
        """Capture one LLM call (see ``SentinelClient.track``); returns its event id."""
        return self._track(fields)

    def send(self, event: TelemetryEvent) -> str:
        """Capture a pre-built event (see ``SentinelClient.send``); returns its id."""
        return self.send_nowait(event)

    def track_many(self, events: Iterable[TelemetryEvent | Mapping[str, Any]]) -> list[str]:
        """Capture several events (``TelemetryEvent`` objects or ``track()`` field mappings)."""
        return self.track_many_nowait(events)

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing is ever pending: returns ``True``."""
        return True

    def close(self, timeout: float | None = None) -> None:
        """Stop capturing: later events are dropped and counted, as ``SentinelClient`` does."""
        self._closed = True

    def ping(self, timeout: float = 10.0) -> float:
        """No broker to reach: returns ``0.0`` at once."""
        return 0.0

    def clear(self) -> None:
        """Forget the events captured so far (the ``events`` list is emptied in place)."""
        with self._deliver_lock:
            self.events.clear()
            self.payloads.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} events={len(self.events)} closed={self._closed}>"

    # -- where SentinelClient hands events to Kafka, this appends them ---------------------

    def _admit(self, item: TelemetryEvent | Captured | Deferred, size: int) -> None:
        super()._admit(item, size)
        self._deliver()

    def _deliver(self) -> None:
        core = self._core
        with self._deliver_lock:
            while self._queue.waiting:
                # prepare(): before_send, validation, cost fill-in, serialization. Then
                # book each record as acknowledged, as the sender does on a broker ack
                # (counters, memory budget, on_success).
                for record in core.prepare(self._queue.take(BATCH)):
                    core.sending(record)
                    core.complete(record, None)
                    self.payloads.append(record.payload)
                    self.events.append(TelemetryEvent.from_json(record.payload))
                core.process_completions()

    # -- lifecycle hooks of BaseClient (no sender to run) ---------------------------------

    def _wake(self) -> None:
        pass

    def _ensure_started(self) -> None:
        # Stay "not started": every capture then takes the clients' full path through
        # _admit, where this client delivers, instead of their queue-only fast path.
        self._started = False

    def _close_at_exit(self, timeout: float) -> None:
        self._closed = True

    def _close_from_sync(self, timeout: float) -> None:
        self._closed = True


class AsyncInMemoryClient(InMemoryClient):
    """``InMemoryClient`` with the coroutine surface of ``AsyncSentinelClient``."""

    async def track(self, **fields: Unpack[TrackFields]) -> str:  # type: ignore[override]
        """Capture one LLM call; returns its event id."""
        return self._track(fields)

    async def send(self, event: TelemetryEvent) -> str:  # type: ignore[override]
        """Capture a pre-built event; returns its id."""
        return self.send_nowait(event)

    async def track_many(  # type: ignore[override]
        self, events: Iterable[TelemetryEvent | Mapping[str, Any]]
    ) -> list[str]:
        """Capture several events at once."""
        return self.track_many_nowait(events)

    async def flush(self, timeout: float | None = None) -> bool:  # type: ignore[override]
        """Nothing is ever pending: returns ``True``."""
        return True

    async def close(self, timeout: float | None = None) -> None:  # type: ignore[override]
        """Stop capturing (later events are dropped and counted)."""
        self._closed = True

    async def ping(self, timeout: float = 10.0) -> float:  # type: ignore[override]
        """No broker to reach: returns ``0.0``."""
        return 0.0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True


@contextmanager
def capture_events(**options: Any) -> Iterator[InMemoryClient]:
    """Make an ``InMemoryClient`` the process default inside the block (e.g. in unittest).

    ``with capture_events(service_name="chat") as client: ...; client.events``.
    The previous default client is restored on exit.
    """
    client = InMemoryClient(**options)
    previous = set_client(client)
    try:
        yield client
    finally:
        set_client(previous)
        client.close()


# -- the pytest plugin --------------------------------------------------------------------

if pytest is not None:

    def pytest_configure(config: pytest.Config) -> None:
        """Register the ``sentinel`` marker."""
        config.addinivalue_line(
            "markers",
            f"{MARKER}(**options): SentinelConfig options of the test's in-memory Sentinel client "
            "(sentinel_sdk.testing)",
        )

    @pytest.fixture
    def sentinel_options() -> Mapping[str, Any]:
        """Options of the in-memory client for every test here; override in a conftest.py."""
        return {}

    @pytest.fixture
    def sentinel_client(
        request: pytest.FixtureRequest, sentinel_options: Mapping[str, Any]
    ) -> Iterator[InMemoryClient]:
        """An ``InMemoryClient`` installed as the process default for this test."""
        options = dict(sentinel_options)
        for marker in reversed(list(request.node.iter_markers(MARKER))):
            if marker.args:
                pytest.fail(
                    f"@pytest.mark.{MARKER}() takes keyword options only, got {marker.args!r}",
                    pytrace=False,
                )
            options.update(marker.kwargs)  # the marker closest to the test wins
        with capture_events(**options) as client:
            yield client

    @pytest.fixture
    def sentinel_events(sentinel_client: InMemoryClient) -> list[TelemetryEvent]:
        """The events captured during this test (``sentinel_client.events``)."""
        return sentinel_client.events
