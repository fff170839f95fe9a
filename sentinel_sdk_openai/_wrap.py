"""``wrap_openai``: capture the calls an OpenAI client makes, without changing what it returns.

The client's own ``chat.completions.create`` and ``responses.create`` are replaced,
on that client object only, by wrappers that time the call and hand the result to
a ``Call``. Results are returned as they are; exceptions are re-raised unchanged.
A streamed result is returned as a ``Stream`` / ``AsyncStream`` (subclass) that
yields the very chunks the server sent and records the event when the stream
ends, fails, or is closed (also on ``with`` exit, and when it is garbage-collected
unfinished). A client made later by ``client.with_options(...)`` is a new object:
wrap it too. ``with_raw_response``, ``.stream()`` and ``.parse()`` are not captured.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

import openai

from sentinel_sdk.integrations import Client, capture_internal_exceptions

from ._call import CHAT, RESPONSES, Call

__all__ = ["wrap_openai"]

_MARK = "__sentinel_wrapped__"
ClientT = TypeVar("ClientT", openai.OpenAI, openai.AsyncOpenAI)


def wrap_openai(client: ClientT, *, sentinel: Client | None = None) -> ClientT:
    """Capture every ``chat.completions.create`` / ``responses.create`` call of ``client``.

    Returns the same client object. Each call becomes one telemetry event sent with
    ``sentinel`` (a ``SentinelClient`` / ``AsyncSentinelClient``) if given, else with
    the client of the current request scope or the process default, looked up when
    the event is captured. Works for ``OpenAI`` and ``AsyncOpenAI`` (and their Azure
    subclasses). Wrapping an already wrapped client changes nothing.
    """
    if not isinstance(client, (openai.OpenAI, openai.AsyncOpenAI)):
        raise TypeError(
            f"wrap_openai() takes an openai.OpenAI or openai.AsyncOpenAI client, "
            f"got {type(client).__name__}"
        )
    is_async = isinstance(client, openai.AsyncOpenAI)
    server = _server(client)
    for resource, api in ((client.chat.completions, CHAT), (client.responses, RESPONSES)):
        original: Any = resource.create
        if getattr(original, _MARK, False):
            continue
        if is_async:
            wrapper = _async_create(original, api, sentinel, server)
        else:
            wrapper = _sync_create(original, api, sentinel, server)
        setattr(resource, "create", wrapper)  # noqa: B010
    return client


def _server(client: Any) -> str | None:
    try:
        host = client.base_url.host
        return str(host) if host else None
    except Exception:
        return None


def _begin(
    api: str, kwargs: dict[str, Any], sentinel: Client | None, server: str | None
) -> Call | None:
    with capture_internal_exceptions():
        return Call(api, kwargs, sentinel, server)
    return None


def _sync_create(
    original: Callable[..., Any], api: str, sentinel: Client | None, server: str | None
) -> Callable[..., Any]:
    @functools.wraps(original)
    def create(*args: Any, **kwargs: Any) -> Any:
        call = _begin(api, kwargs, sentinel, server)
        if call is None:
            return original(*args, **kwargs)
        with call.failing():
            return _settled(call, original(*args, **call.kwargs))

    return _marked(create)


def _async_create(
    original: Callable[..., Awaitable[Any]], api: str, sentinel: Client | None, server: str | None
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(original)
    async def create(*args: Any, **kwargs: Any) -> Any:
        call = _begin(api, kwargs, sentinel, server)
        if call is None:
            return await original(*args, **kwargs)
        with call.failing():
            return _settled(call, await original(*args, **call.kwargs))

    return _marked(create)


def _settled(call: Call, result: Any) -> Any:
    """The caller's result: a stream, wrapped to record the call when it ends; anything
    else is recorded now."""
    if isinstance(result, openai.Stream):
        return SentinelStream(result, call)
    if isinstance(result, openai.AsyncStream):
        return AsyncSentinelStream(result, call)
    call.returned(result)
    return result


def _marked(create: Callable[..., Any]) -> Callable[..., Any]:
    setattr(create, _MARK, True)
    return create


class _Watched:
    """What both stream wrappers share: the wrapped stream, its call, and recording the
    call once, when the stream ends, fails, is closed or is dropped unread."""

    _sentinel_stream: Any
    _sentinel_call: Call
    _sentinel_done: bool
    _sentinel_stopping: _Stopping

    def _watch(self, stream: Any, call: Call) -> None:
        # Deliberately no super().__init__(): everything is the wrapped stream's.
        self.response = stream.response
        self._sentinel_stream = stream
        self._sentinel_call = call
        self._sentinel_done = False
        self._sentinel_stopping = _Stopping(self)

    def __getattr__(self, name: str) -> Any:
        stream = self.__dict__.get("_sentinel_stream")
        if stream is None:
            raise AttributeError(name)
        return getattr(stream, name)

    def _end(self, error: BaseException | None, closed: bool) -> None:
        if not self._sentinel_done:
            self._sentinel_done = True
            self._sentinel_call.stream_ended(error, closed)

    def __del__(self) -> None:
        if self.__dict__.get("_sentinel_done") is False:
            self._end(None, closed=True)


class _Stopping:
    """Around reading the next chunk: the stream's end, or its failure, is recorded once
    (whatever the stream raised is re-raised unchanged)."""

    __slots__ = ("_watched",)

    def __init__(self, watched: _Watched) -> None:
        self._watched = watched

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            ended = isinstance(exc, (StopIteration, StopAsyncIteration))
            self._watched._end(None if ended else exc, closed=False)


class SentinelStream(_Watched, openai.Stream[Any]):
    """The caller's stream, chunk for chunk; records the call when it ends or is closed."""

    def __init__(self, stream: openai.Stream[Any], call: Call) -> None:
        self._watch(stream, call)

    def __iter__(self) -> SentinelStream:
        return self

    def __next__(self) -> Any:
        with self._sentinel_stopping:
            while True:
                item = self._sentinel_stream.__next__()
                if self._sentinel_call.observe(item):
                    return item

    def close(self) -> None:
        """Close the HTTP response; the call is recorded with what arrived so far."""
        try:
            self._sentinel_stream.close()
        finally:
            self._end(None, closed=True)

    def __enter__(self) -> SentinelStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncSentinelStream(_Watched, openai.AsyncStream[Any]):
    """The async twin of ``SentinelStream``."""

    def __init__(self, stream: openai.AsyncStream[Any], call: Call) -> None:
        self._watch(stream, call)

    def __aiter__(self) -> AsyncSentinelStream:
        return self

    async def __anext__(self) -> Any:
        with self._sentinel_stopping:
            while True:
                item = await self._sentinel_stream.__anext__()
                if self._sentinel_call.observe(item):
                    return item

    async def close(self) -> None:
        """Close the HTTP response; the call is recorded with what arrived so far."""
        try:
            await self._sentinel_stream.close()
        finally:
            self._end(None, closed=True)

    async def __aenter__(self) -> AsyncSentinelStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.close()
