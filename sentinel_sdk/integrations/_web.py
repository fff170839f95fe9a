"""What the web integrations (ASGI, Django, Flask) share: the request scope of one HTTP
request, excluded paths, and streamed bodies produced inside the request's scope."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

from sentinel_sdk._client_protocol import Client
from sentinel_sdk._ids import new_span_id
from sentinel_sdk._scope_context import (
    RequestScope,
    ScopeToken,
    close_scope,
    enter_scope,
    scope_trace_id,
)
from sentinel_sdk.exceptions import ConfigurationError
from sentinel_sdk.metadata_keys import (
    HTTP_REQUEST_METHOD,
    HTTP_ROUTE,
    SENTINEL_REQUEST_ID,
    URL_PATH,
    URL_QUERY,
)

__all__ = [
    "MAX_REQUEST_ID",
    "ExcludedPaths",
    "ScopedAsyncIterator",
    "ScopedIterator",
    "open_request_scope",
]

MAX_REQUEST_ID = 200
"""Longest ``X-Request-ID`` kept, in characters (a longer header is cut)."""

T = TypeVar("T")


def open_request_scope(
    *,
    method: str,
    path: str,
    query: str | None = None,
    traceparent: str | bytes | None = None,
    request_id: str | bytes | None = None,
    client: Client | None = None,
    route: Callable[[], str | None] | None = None,
) -> tuple[RequestScope, ScopeToken]:
    """Open the scope of one HTTP request; give the token to ``close_scope``.

    ``path`` and ``query`` are the request target's (``query`` without the ``?``);
    ``traceparent`` and ``request_id`` are the raw ``traceparent`` / ``X-Request-ID``
    header values (bytes are read as latin-1, as HTTP headers are); ``route`` returns
    the matched route template once routing has run. The scope's metadata:
    ``http.request.method``, ``http.route`` (the path until ``route`` answers),
    ``url.path``, ``url.query`` (when there is one) and ``sentinel.request_id``.
    """
    if request_id:
        request_id = request_id[:MAX_REQUEST_ID]
        if isinstance(request_id, bytes):
            request_id = request_id.decode("latin-1")
    metadata = {
        HTTP_REQUEST_METHOD: method,
        HTTP_ROUTE: path,
        URL_PATH: path,
        SENTINEL_REQUEST_ID: request_id or new_span_id(),
    }
    if query:
        metadata[URL_QUERY] = query
    # The metadata is text already: made and entered directly, without open_scope's
    # coercion (this runs for every request).
    scope = RequestScope(
        trace_id=scope_trace_id(None, traceparent),
        metadata=metadata,
        client=client,
        route=route,
    )
    return scope, enter_scope(scope)


class ExcludedPaths:
    """Paths an integration serves without a request scope (``"/health"``, ...).

    ``"/health"`` excludes ``/health``, ``/health/`` and everything below it; ``"/"``
    excludes the root page only. Anything but a list of paths starting with ``/``
    raises ``ConfigurationError`` naming ``source`` (where the list came from).
    """

    __slots__ = ("exact", "prefixes")

    def __init__(self, paths: Iterable[str] = (), source: str = "excluded_paths") -> None:
        if isinstance(paths, (str, bytes)) or not isinstance(paths, Iterable):
            raise ConfigurationError(
                f"{source} must be a list of paths, got {paths!r}", option="excluded_paths"
            )
        exact: set[str] = set()
        prefixes: list[str] = []
        for path in paths:
            if not isinstance(path, str) or not path.startswith("/"):
                raise ConfigurationError(
                    f"{source} entries must start with '/', got {path!r}", option="excluded_paths"
                )
            base = path.rstrip("/")
            if not base:  # "/" is the root page only, not every path
                exact.add("/")
                continue
            exact.update((base, base + "/"))
            prefixes.append(base + "/")
        self.exact = frozenset(exact)
        self.prefixes = tuple(prefixes)

    def __contains__(self, path: str) -> bool:
        return path in self.exact or path.startswith(self.prefixes)

    def __repr__(self) -> str:
        return f"ExcludedPaths(exact={sorted(self.exact)}, prefixes={list(self.prefixes)})"


class ScopedIterator(Iterator[T]):
    """A streamed body, unchanged, each chunk produced inside the request's scope.

    The server iterates a streamed body after the app returned, in a context where
    the scope is closed (always, so a body that is never read leaks nothing); each
    chunk runs with the scope current again, so LLM calls made while streaming carry
    the request's trace id and metadata. ``close()`` closes the body, as the server
    would have.
    """

    __slots__ = ("_inner", "_iterator", "_scope")

    def __init__(self, inner: Iterable[T], scope: RequestScope) -> None:
        self._inner = inner
        self._iterator: Iterator[T] | None = None
        self._scope = scope

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        token = enter_scope(self._scope)
        try:
            if self._iterator is None:
                self._iterator = iter(self._inner)
            return next(self._iterator)
        finally:
            close_scope(token)

    def close(self) -> None:
        """Close the body (if it can be closed)."""
        inner_close: Any = getattr(self._inner, "close", None)
        if inner_close is not None:
            inner_close()


class ScopedAsyncIterator(AsyncIterator[T]):
    """The async twin of ``ScopedIterator``."""

    __slots__ = ("_inner", "_scope")

    def __init__(self, inner: AsyncIterator[T], scope: RequestScope) -> None:
        self._inner = inner
        self._scope = scope

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        token = enter_scope(self._scope)
        try:
            return await self._inner.__anext__()
        finally:
            close_scope(token)
