"""``SentinelClient``: the synchronous client, a sender thread over kafka-python.

``track()`` returns in microseconds; one daemon thread per client drains the
queue, produces to Kafka (kafka-python's own I/O thread does the network),
spills to the disk spool while the broker is unreachable and replays it once
the broker is back. The connection is made by a short-lived helper thread so
that the sender keeps spilling while a connect attempt hangs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from typing_extensions import Self, Unpack

from ._assembly import TrackFields
from ._client_base import BaseClient
from ._log import capture_internal_exceptions
from ._sender import CloseProducer, IORequest, Produce, StartConnect, Step, drive
from ._spool import _leaked
from ._transports.kafka_python import KafkaPythonProducer
from .events import TelemetryEvent

__all__ = ["SentinelClient"]

_YIELD_EVERY = 32  # I/O requests between voluntary GIL releases of the sender


class SentinelClient(BaseClient):
    """Ships telemetry events to Kafka from any thread, without ever blocking the caller.

    ``SentinelClient(brokers=["localhost:9092"])``: options are ``SentinelConfig``
    fields (``SENTINEL_*`` variables fill the rest), or pass ``config=``. No network
    I/O happens until the first event. Use it as a context manager, or call
    ``close()``; an exit hook closes it otherwise.
    """

    def __init__(self, config: Any = None, **options: Any) -> None:
        self._wake_event = threading.Event()
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopping = False
        super().__init__(config, **options)
        self._producer = KafkaPythonProducer(self.config)
        if self._enabled and self._spool is not None and self._spool.path.exists():
            # An earlier process left a spool here: deliver it without waiting for the
            # first event (a stat() call; the sender opens the file on its thread).
            self._ensure_started()

    # -- public API --------------------------------------------------------------------

    def track(self, **fields: Unpack[TrackFields]) -> str:
        """Capture one LLM call; returns its event id at once (never waits on the network).

        ``model`` is required; see ``TrackFields`` for the rest. Invalid values raise
        ``ValidationError``.
        """
        return self._track(fields)

    def send(self, event: TelemetryEvent) -> str:
        """Queue a pre-built event; returns its id at once."""
        return self.send_nowait(event)

    def track_many(self, events: Iterable[TelemetryEvent | Mapping[str, Any]]) -> list[str]:
        """Queue several events at once (``TelemetryEvent`` objects or field mappings)."""
        return self.track_many_nowait(events)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event so far is acknowledged by the broker.

        Returns ``False`` if ``timeout`` seconds passed first (events are not lost:
        they stay queued, in flight, or in the spool). ``None`` waits for
        ``shutdown_timeout``.
        """
        if self._thread is None:
            return not self._queue.waiting  # nothing was ever given to this client
        deadline = time.monotonic() + (self.config.shutdown_timeout if timeout is None else timeout)
        self._wake()
        with self._idle:
            while not self._core.idle():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._thread is None or not self._thread.is_alive():
                    return self._core.idle()
                self._idle.wait(min(remaining, 0.05))
        return True

    def replay_spool(self, timeout: float | None = None) -> bool:
        """Deliver what the spool holds now (e.g. left by an earlier process) and wait for
        it, up to ``timeout``; ``True`` once the spool is empty. Replay otherwise starts
        by itself with the first event."""
        self._ensure_started()
        delivered = self.flush(timeout)
        # flush() is about this process: the spool may be another's to replay right now.
        return delivered and (self._spool is None or self._spool.totals()[0] == 0)

    def close(self, timeout: float | None = None) -> None:
        """Flush (up to ``timeout``, default ``shutdown_timeout``), then stop.

        What could not be delivered in time goes to the spool; later ``track()``
        calls are dropped and counted.
        """
        if self._closed:
            return
        self._closed = True
        timeout = self.config.shutdown_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        self.flush(timeout)
        thread = self._thread
        self._stopping = True
        self._wake()
        if thread is None:
            self._drive(self._sender.shutdown())
        elif thread is not threading.current_thread():
            thread.join(max(0.5, deadline - time.monotonic() + 0.5))

    def ping(self, timeout: float = 10.0) -> float:
        """Connect with this client's settings, send one test event and wait for the
        broker's acknowledgement. Returns the round trip in ms.

        Raises ``ConnectionError`` (unreachable, bad credentials, untrusted
        certificate), ``TimeoutError`` or ``SendError``, with a plain-words reason.
        The test event has ``model="sentinel-check"`` and ``metadata["sentinel.test"]
        = "true"`` so consumers can skip it.
        """
        started = time.monotonic()
        producer = KafkaPythonProducer(self.config)
        producer.connect(timeout_ms=max(1, int(timeout * 1000)))
        try:
            event = self._ping_event()
            done = threading.Event()
            result: list[BaseException | None] = []

            def on_done(exc: BaseException | None) -> None:
                result.append(exc)
                done.set()

            producer.send(self.config.topic, event.event_id.encode(), event.to_json(), on_done)
            producer.flush(max(0.0, timeout - (time.monotonic() - started)))
            acknowledged = done.wait(max(0.0, timeout - (time.monotonic() - started)))
            self._ping_verdict(acknowledged, result[0] if result else None, timeout)
        finally:
            producer.close(timeout=0)
        return (time.monotonic() - started) * 1000

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sender thread: drives the shared Sender with blocking calls -------------------

    def _wake(self) -> None:
        if not self._wake_event.is_set():
            self._wake_event.set()

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="sentinel-sdk-sender", daemon=True)
                thread.start()
                self._thread = thread
                self._started = True

    def _run(self) -> None:
        sender = self._sender
        wake_event = self._wake_event
        while not self._stopping:
            timeout = sender.wait_timeout()
            if timeout is None:
                sender.asleep(True)
                # Re-check after announcing the sleep: an event put just before it
                # did not wake us (see EventQueue.put).
                if not self._queue.waiting:
                    wake_event.wait()
                sender.asleep(False)
            elif timeout > 0:
                wake_event.wait(timeout)
            wake_event.clear()
            with capture_internal_exceptions():
                self._drive(sender.cycle())
            with self._idle:
                self._idle.notify_all()
        with capture_internal_exceptions():
            self._drive(sender.shutdown())
        with self._idle:
            self._idle.notify_all()

    def _drive(self, step: Step) -> None:
        """Run one sender step, doing each I/O request it yields."""
        drive(step, self._io, yield_every=_YIELD_EVERY)

    def _io(self, request: IORequest) -> Any:
        if type(request) is Produce:
            record = request.record
            self._producer.send(
                record.topic, record.key, record.payload, self._done_callback(record)
            )
            return None
        if isinstance(request, StartConnect):
            threading.Thread(target=self._connect, name="sentinel-sdk-connect", daemon=True).start()
            return None
        if isinstance(request, CloseProducer):
            self._producer.close(timeout=request.timeout)
            return None
        return self._io_sync(request)

    def _connect(self) -> None:
        """On a short-lived thread, so the sender keeps spilling while this hangs."""
        try:
            self._producer.connect()
        except Exception as exc:
            self._connect_finished(exc)
        else:
            self._connect_finished(None)

    def _close_at_exit(self, timeout: float) -> None:
        self.close(timeout)

    def _close_from_sync(self, timeout: float) -> None:
        self.close(timeout)

    def _reset_after_fork(self) -> None:
        leaked = self._producer.abandon()
        if leaked is not None:
            # kafka-python's close() (from its __del__) would wait on batches copied from
            # the parent, with no I/O thread to send them: mark it closed instead.
            leaked._closed = True
            _leaked.append(leaked)
        self._wake_event = threading.Event()
        self._idle = threading.Condition()
        self._start_lock = threading.Lock()
        self._thread = None
        self._stopping = False
        super()._reset_after_fork()
        self._started = False
        self._producer = KafkaPythonProducer(self.config)
