"""``AsyncSentinelClient``: the asyncio client, a sender task over aiokafka.

Its methods are coroutines, but none waits on the network: ``await
client.track(...)`` queues the event and returns. The sender is a task on the
event loop the client is first used on; it runs the same ``Sender`` steps as
the sync client, awaiting the producer and doing spool I/O on one worker
thread so the loop never blocks on disk. Events can also be captured from
other threads (``track_nowait``); they wake the loop thread-safely.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

from typing_extensions import Self, Unpack

from ._assembly import TrackFields
from ._client_base import BaseClient
from ._log import capture_internal_exceptions
from ._sender import CloseProducer, IORequest, Produce, Sender, StartConnect, Step, drive
from ._spool import _leaked
from ._transports.aiokafka import AIOKafkaAdapter
from .events import TelemetryEvent
from .exceptions import SentinelError, TimeoutError

try:
    import aiokafka  # noqa: F401  (fail early, with the extra to install)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "AsyncSentinelClient needs aiokafka: pip install 'llm-sentinel-sdk[async]'"
    ) from exc

__all__ = ["AsyncSentinelClient"]


class AsyncSentinelClient(BaseClient):
    """Ships telemetry events to Kafka from asyncio code, without blocking the loop.

    ``AsyncSentinelClient(brokers=["localhost:9092"])``; use ``async with`` or
    ``await client.close()``. The sender task starts on the first event, on the
    running loop; a client whose loop has ended restarts on the next loop it is
    used on.
    """

    def __init__(self, config: Any = None, **options: Any) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._task: asyncio.Task[None] | None = None
        self._wake_event: asyncio.Event | None = None
        self._stopping = False
        self._executor: ThreadPoolExecutor | None = None
        super().__init__(config, **options)
        self._producer = AIOKafkaAdapter(self.config)

    # -- public API (coroutines) -------------------------------------------------------

    async def track(self, **fields: Unpack[TrackFields]) -> str:
        """Capture one LLM call; returns its event id at once (see ``SentinelClient.track``)."""
        return self._track(fields)

    async def send(self, event: TelemetryEvent) -> str:
        """Queue a pre-built event; returns its id at once."""
        return self.send_nowait(event)

    async def track_many(self, events: Iterable[TelemetryEvent | Mapping[str, Any]]) -> list[str]:
        """Queue several events at once (``TelemetryEvent`` objects or field mappings)."""
        return self.track_many_nowait(events)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event so far is acknowledged; ``False`` on timeout."""
        self._ensure_started()
        deadline = time.monotonic() + (self.config.shutdown_timeout if timeout is None else timeout)
        while not self._core.idle():
            if time.monotonic() >= deadline or self._task is None or self._task.done():
                return self._core.idle()
            self._wake()
            await asyncio.sleep(0.005)
        return True

    async def close(self, timeout: float | None = None) -> None:
        """Flush (up to ``timeout``, default ``shutdown_timeout``), then stop; what could
        not be delivered goes to the spool."""
        if self._closed:
            return
        self._closed = True
        timeout = self.config.shutdown_timeout if timeout is None else timeout
        await self.flush(timeout)
        self._stopping = True
        task = self._task
        if task is not None and not task.done() and self._loop is asyncio.get_running_loop():
            self._wake()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), timeout=max(1.0, timeout))
        else:
            await self._drive(self._sender.shutdown())
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    async def ping(self, timeout: float = 10.0) -> float:
        """Connect, send one test event, wait for the ack; returns the round trip in ms.

        Raises ``ConnectionError``, ``TimeoutError`` or ``SendError`` with a plain reason.
        """
        started = time.monotonic()
        producer = AIOKafkaAdapter(self.config)
        try:
            try:
                await asyncio.wait_for(producer.connect(), timeout)
            except SentinelError:
                raise  # already says what failed (a TimeoutError among them)
            except asyncio.TimeoutError as exc:
                raise TimeoutError(f"no connection within {timeout:g} s", cause=exc) from exc
            event = self._ping_event()
            done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

            def on_done(exc: BaseException | None) -> None:
                if not done.done():
                    done.set_result(exc)

            key, payload = event.event_id.encode(), event.to_json()
            await producer.send(self.config.topic, key, payload, on_done)
            remaining = max(0.01, timeout - (time.monotonic() - started))
            try:
                error, acknowledged = await asyncio.wait_for(done, remaining), True
            except asyncio.TimeoutError:
                error, acknowledged = None, False
            self._ping_verdict(acknowledged, error, timeout)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.close(), 2.0)
        return (time.monotonic() - started) * 1000

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- sender task -------------------------------------------------------------------

    def _wake(self) -> None:
        event, loop = self._wake_event, self._loop
        if event is None or loop is None or event.is_set():
            return
        if threading.get_ident() == self._loop_thread:
            event.set()
        else:
            with contextlib.suppress(RuntimeError):  # that loop is closed
                loop.call_soon_threadsafe(event.set)

    def _ensure_started(self) -> None:
        task = self._task
        if task is not None and not task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # Called from a thread without a loop: the events wait in the queue for the
            # sender on the client's loop (woken thread-safely by _wake).
            return
        if self._loop is not loop and self._loop is not None and task is not None:
            # The loop the sender lived on has ended (e.g. a second asyncio.run()).
            self._core.reset_connection()
            self._sender = Sender(self._core)
            _leaked.append(self._producer.abandon())
            self._producer = AIOKafkaAdapter(self.config)
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._wake_event = asyncio.Event()
        self._task = loop.create_task(self._run(), name="sentinel-sdk-sender")
        # While the task runs, track() takes the queue-only fast path; once it ends
        # (its loop closed, or cancelled before it ran) every capture comes back here.
        self._started = True
        self._task.add_done_callback(self._sender_ended)

    def _sender_ended(self, task: asyncio.Task[None]) -> None:
        if task is self._task:
            self._started = False

    async def _run(self) -> None:
        sender = self._sender
        loop = asyncio.get_running_loop()
        event = self._wake_event
        assert event is not None
        try:
            while not self._stopping:
                timeout = sender.wait_timeout()
                if timeout is None:
                    sender.asleep(True)
                    if not self._queue.waiting:  # see EventQueue.put
                        await event.wait()
                    sender.asleep(False)
                elif timeout > 0:
                    handle = loop.call_later(timeout, event.set)
                    await event.wait()
                    handle.cancel()
                event.clear()
                with capture_internal_exceptions():
                    await self._drive(sender.cycle())
        except asyncio.CancelledError:
            # The loop is shutting down (asyncio.run() ending) without close(). aiokafka's
            # own tasks are being cancelled with ours, so nothing can be sent any more:
            # everything goes to the spool below, and the exit hook delivers it.
            pass
        finally:
            self._started = False  # no fast path from now on: see _ensure_started
            with capture_internal_exceptions():
                await self._drive(sender.shutdown())

    async def _drive(self, step: Step) -> None:
        """Run one sender step, awaiting each I/O request it yields."""
        result: Any = None
        error: BaseException | None = None
        while True:
            try:
                request = step.send(result) if error is None else step.throw(error)
            except StopIteration:
                return
            result, error = None, None
            try:
                result = await self._io(request)
            except Exception as exc:
                error = exc

    async def _io(self, request: IORequest) -> Any:
        if type(request) is Produce:
            record = request.record
            await self._producer.send(
                record.topic, record.key, record.payload, self._done_callback(record)
            )
            return None
        if isinstance(request, StartConnect):
            asyncio.get_running_loop().create_task(self._connect())
            return None
        if isinstance(request, CloseProducer):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._producer.close(), max(0.1, request.timeout))
            return None
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="sentinel-sdk-spool")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._io_sync, request)

    async def _connect(self) -> None:
        try:
            await self._producer.connect()
        except Exception as exc:
            self._connect_finished(exc)
        else:
            self._connect_finished(None)

    def _close_at_exit(self, timeout: float) -> None:
        """At interpreter exit the event loop is usually gone: put what is still held on
        the spool, then deliver the spool with a synchronous client, within ``timeout``."""
        started = time.monotonic()
        loop = self._loop
        if loop is not None and loop.is_running():
            return  # the loop outlives the interpreter's exit hooks: nothing safe to do
        self._closed = True
        self._stopping = True

        def io(request: IORequest) -> Any:
            if isinstance(request, (Produce, StartConnect, CloseProducer)):
                return None  # no loop to do network I/O on
            return self._io_sync(request)

        drive(self._sender.shutdown(), io)
        if self._spool is not None and self._spool.totals()[0]:
            from .client import SentinelClient

            remaining = max(0.0, timeout - (time.monotonic() - started))
            replayer = SentinelClient(self.config)
            replayer.replay_spool(remaining)
            replayer.close(timeout=0.5)

    def _close_from_sync(self, timeout: float) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            if threading.get_ident() == self._loop_thread:
                loop.create_task(self.close(timeout))  # called from async code on our loop
            else:
                asyncio.run_coroutine_threadsafe(self.close(timeout), loop)
            return
        self._close_at_exit(timeout)  # no loop: spool what is held, deliver synchronously

    def _reset_after_fork(self) -> None:
        _leaked.append(self._producer.abandon())
        self._loop = None
        self._loop_thread = 0
        self._task = None
        self._started = False
        self._wake_event = None
        self._stopping = False
        self._executor = None
        super()._reset_after_fork()
        self._producer = AIOKafkaAdapter(self.config)
