"""The request scope's ``ContextVar``, and the trace context of an event captured now.

A ``RequestScope`` says which request an LLM call belongs to: the request's
``trace_id`` (continued from a W3C ``traceparent`` header, else new), its
metadata (``http.request.method``, ``http.route``, ...) and the client of the
integration that opened it. Integrations open one for exactly the life of a
request (``sentinel_sdk.integrations.open_scope``); app authors use
``sentinel_sdk.scope``. ``ContextVar`` values follow the work an app hands to
threads through ``asyncio.to_thread``, ``loop.run_in_executor`` (via
``contextvars.copy_context``), Starlette's threadpool and asgiref's
``sync_to_async``. Outside any scope, events carry the active OpenTelemetry
span's ids when there is one (``_otel``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, TypedDict

from typing_extensions import Unpack

from ._coercion import coerce_metadata
from ._ids import new_span_id, new_trace_id
from ._otel import current_span_ids
from .metadata_keys import HTTP_ROUTE

if TYPE_CHECKING:
    from ._client_protocol import Client

__all__ = [
    "CapturedContext",
    "RequestScope",
    "ScopeOptions",
    "ScopeToken",
    "capture_context",
    "close_scope",
    "current_scope",
    "enter_scope",
    "open_scope",
    "parse_traceparent",
    "scope_trace_id",
    "trace_context",
]

_HEX = frozenset("0123456789abcdef")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16

CapturedContext = tuple[str | None, str | None, dict[str, str] | None]
"""``(trace_id, span_id, scope metadata)`` of an event captured now and built later."""


class RequestScope:
    """What is known about the request being served; shared by every event in it."""

    __slots__ = ("_metadata", "_route", "_route_getter", "client", "trace_id")

    def __init__(
        self,
        *,
        trace_id: str,
        metadata: dict[str, str],
        client: Client | None = None,
        route: Callable[[], str | None] | None = None,
    ) -> None:
        self.trace_id = trace_id
        self.client = client
        self._metadata = metadata
        self._route_getter = route
        self._route: str | None = None

    @property
    def metadata(self) -> dict[str, str]:
        """Request metadata for events; ``http.route`` is resolved on first use (after routing)."""
        if self._route_getter is not None and self._route is None:
            route: str | None = None
            try:
                route = self._route_getter()
            except Exception:  # a framework detail changed: fall back to the raw path
                route = None
            if route:
                self._route = route
                self._metadata[HTTP_ROUTE] = route
        return self._metadata

    def set(self, key: str, value: Any) -> None:
        """Add one metadata entry to every later event of this request."""
        self._metadata.update(coerce_metadata({key: value}))


ScopeToken = Token[RequestScope | None]
"""What ``open_scope`` / ``enter_scope`` return, for ``close_scope``."""

_current: ContextVar[RequestScope | None] = ContextVar("sentinel_sdk.scope", default=None)


def current_scope() -> RequestScope | None:
    """The scope of the request being served, or ``None`` outside any request."""
    return _current.get()


def parse_traceparent(header: str | bytes | None) -> str | None:
    """The trace id of a valid W3C ``traceparent`` header, else ``None`` (never raises).

    ``version-traceid-parentid-flags``, lowercase hex; version ``ff`` and all-zero ids
    are invalid; version ``00`` has exactly those four fields, later versions may add
    more after a dash. (Checked by hand rather than by regex: this runs per request.)
    """
    if not header:
        return None
    if isinstance(header, bytes):
        header = header.decode("latin-1")  # every byte maps: never raises
    h = header.strip()
    n = len(h)
    if n < 55 or h[2] != "-" or h[35] != "-" or h[52] != "-":
        return None
    if n > 55 and (h[:2] == "00" or h[55] != "-"):
        return None
    version, trace_id, parent_id, flags = h[:2], h[3:35], h[36:52], h[53:55]
    if version == "ff" or not _HEX.issuperset(version + trace_id + parent_id + flags):
        return None
    if trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN:
        return None
    return trace_id


class ScopeOptions(TypedDict, total=False):
    """What a scope is opened with (``open_scope``, ``request_scope``); all optional.

    The trace id is ``trace_id``, else the one of a valid ``traceparent``, else new.
    ``metadata`` goes on every event of the scope; ``client`` receives them instead of
    the default. ``route`` is called once, when an event first reads the metadata
    (after the framework has routed the request), for ``http.route``.
    """

    traceparent: str | bytes | None
    trace_id: str | None
    metadata: Mapping[str, Any] | None
    client: Client | None
    route: Callable[[], str | None] | None


def open_scope(**options: Unpack[ScopeOptions]) -> tuple[RequestScope, ScopeToken]:
    """Open a scope (see ``ScopeOptions``) and make it current; give the token to
    ``close_scope``."""
    metadata = options.get("metadata")
    if type(metadata) is dict and all(type(v) is str for v in metadata.values()):
        values: dict[str, str] = dict(metadata)  # integrations pass strings: skip coercion
    else:
        values = coerce_metadata(metadata)
    scope = RequestScope(
        trace_id=scope_trace_id(options.get("trace_id"), options.get("traceparent")),
        metadata=values,
        client=options.get("client"),
        route=options.get("route"),
    )
    return scope, _current.set(scope)


def scope_trace_id(trace_id: str | None, traceparent: str | bytes | None) -> str:
    """A scope's trace id: the one given, else a valid ``traceparent``'s, else a new one."""
    return trace_id or parse_traceparent(traceparent) or new_trace_id()


def enter_scope(scope: RequestScope) -> ScopeToken:
    """Make an existing scope current again (e.g. while a streamed response produces a
    chunk outside the request's own context); give the token to ``close_scope``."""
    return _current.set(scope)


def close_scope(token: ScopeToken) -> None:
    """End what ``open_scope`` / ``enter_scope`` started: the previous scope is current again."""
    try:  # noqa: SIM105 (contextlib.suppress costs ~0.5 µs more, per request)
        _current.reset(token)
    except ValueError:
        # Reset from another Context (e.g. a streamed response closed elsewhere):
        # that context dies with its request, so there is nothing to restore.
        pass


_NO_CONTEXT: tuple[None, None, None] = (None, None, None)


def trace_context() -> tuple[str | None, str | None, RequestScope | None]:
    """``(trace_id, span_id, scope)`` for an event captured now.

    In a request: the request's trace id and a new span id. Outside one: the active
    OpenTelemetry span's ids if there is one, else ``(None, None, None)``.
    """
    scope = _current.get()
    if scope is not None:
        return scope.trace_id, new_span_id(), scope
    ids = current_span_ids()
    return _NO_CONTEXT if ids is None else (ids[0], ids[1], None)


def capture_context() -> CapturedContext:
    """Like ``trace_context``, with the request's metadata copied now, on the request's own
    thread: by the time the sender builds the event the request may be over (and its
    route no longer readable)."""
    trace_id, span_id, scope = trace_context()
    return trace_id, span_id, None if scope is None else dict(scope.metadata)
