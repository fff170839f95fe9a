"""The request scope: which request an LLM call belongs to, carried in a ``ContextVar``.

Each integration opens a scope for exactly the life of one request. While it is
open, every event captured on that path (``track()``, ``SentinelHandler``,
``wrap_openai``) carries the request's ``trace_id`` (continued from a W3C
``traceparent`` header, else new), its own ``span_id``, and the request's
metadata (``http.method``, ``http.route``, ``http.target``, ``http.request_id``,
``user.id`` once ``set_user()`` is called). ``ContextVar`` values follow the
work an app hands to threads through ``asyncio.to_thread``,
``loop.run_in_executor`` (via ``contextvars.copy_context``), Starlette's
threadpool and asgiref's ``sync_to_async``.

Outside any scope, events carry the active OpenTelemetry span's ids when
``opentelemetry-api`` is installed and a span is recording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from ._ids import new_span_id, new_trace_id
from ._validation import coerce_metadata
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._base import BaseClient

__all__ = [
    "RequestScope",
    "close_scope",
    "compile_excluded_paths",
    "current_scope",
    "enter_scope",
    "open_scope",
    "parse_traceparent",
    "request_scope",
    "set_user",
    "trace_context",
]

_HEX = frozenset("0123456789abcdef")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16


class RequestScope:
    """What is known about the request being served; shared by every event in it."""

    __slots__ = ("_metadata", "_route", "_route_getter", "client", "trace_id")

    def __init__(
        self,
        *,
        trace_id: str,
        metadata: dict[str, str],
        client: BaseClient | None = None,
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
                self._metadata["http.route"] = route
        return self._metadata

    def set(self, key: str, value: Any) -> None:
        """Add one metadata entry to every later event of this request."""
        self._metadata.update(coerce_metadata({key: value}))


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


def compile_excluded_paths(
    paths: Any, source: str = "excluded_paths"
) -> tuple[frozenset[str], tuple[str, ...]]:
    """``(exact paths, prefixes)`` of a list of paths an integration serves unscoped.

    ``"/health"`` excludes ``/health``, ``/health/`` and everything below it; ``"/"``
    excludes the root page only. A path matches when it is in the exact set or starts
    with a prefix. Anything but a list of paths starting with ``/`` raises
    ``ConfigurationError`` naming ``source`` (where the list came from).
    """
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
    return frozenset(exact), tuple(prefixes)


def open_scope(
    *,
    traceparent: str | bytes | None = None,
    trace_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    client: BaseClient | None = None,
    route: Callable[[], str | None] | None = None,
) -> tuple[RequestScope, Token[RequestScope | None]]:
    """Open a scope; give the token to ``close_scope``. For hooks split across calls
    (Flask's before_request / teardown). Prefer ``request_scope()`` elsewhere."""
    if type(metadata) is dict and all(type(v) is str for v in metadata.values()):
        values: dict[str, str] = dict(metadata)  # integrations pass strings: skip coercion
    else:
        values = coerce_metadata(metadata)
    scope = RequestScope(
        trace_id=trace_id or parse_traceparent(traceparent) or new_trace_id(),
        metadata=values,
        client=client,
        route=route,
    )
    return scope, _current.set(scope)


def enter_scope(scope: RequestScope) -> Token[RequestScope | None]:
    """Make an existing scope current again (e.g. while a streamed response produces a
    chunk outside the request's own context); give the token to ``close_scope``."""
    return _current.set(scope)


def close_scope(token: Token[RequestScope | None]) -> None:
    """Close the scope ``open_scope`` returned the token of."""
    try:  # noqa: SIM105 (contextlib.suppress costs ~0.5 µs more, per request)
        _current.reset(token)
    except ValueError:
        # Reset from another Context (e.g. a streamed response closed elsewhere):
        # that context dies with its request, so there is nothing to restore.
        pass


@contextmanager
def request_scope(
    *,
    traceparent: str | bytes | None = None,
    trace_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    client: BaseClient | None = None,
    route: Callable[[], str | None] | None = None,
) -> Iterator[RequestScope]:
    """Run a block as one request: events captured inside share its trace id and metadata.

    Integrations open this for you; use it directly for work that is request-like
    but not HTTP (a queue consumer, a batch job step).
    """
    scope, token = open_scope(
        traceparent=traceparent,
        trace_id=trace_id,
        metadata=metadata,
        client=client,
        route=route,
    )
    try:
        yield scope
    finally:
        close_scope(token)


def set_user(user_id: str | None) -> None:
    """Attach ``user.id`` to the current request's events (no-op outside a request)."""
    scope = _current.get()
    if scope is not None:
        if user_id is None:
            scope.metadata.pop("user.id", None)
        else:
            scope.set("user.id", user_id)


_otel_get_span: Callable[[], Any] | None = None
_otel_checked = False
# OpenTelemetry's own context variable and span key, when its runtime context is the
# standard contextvars one: "is a span active?" is then one ContextVar and one dict
# lookup instead of six Python calls through its API (most captures have no span).
_otel_context: ContextVar[Any] | None = None
_otel_span_key: str | None = None


def _otel_span_getter() -> Callable[[], Any] | None:
    global _otel_get_span, _otel_checked, _otel_context, _otel_span_key
    if not _otel_checked:
        _otel_checked = True
        try:
            from opentelemetry import trace as otel_trace

            _otel_get_span = otel_trace.get_current_span
        except Exception:  # not installed, or broken: no OTel ids
            _otel_get_span = None
            return None
        try:
            from opentelemetry import context as otel_context
            from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
            from opentelemetry.trace.propagation import _SPAN_KEY

            runtime = otel_context._RUNTIME_CONTEXT
            variable = getattr(runtime, "_current_context", None)
            if (
                type(runtime) is ContextVarsRuntimeContext
                and isinstance(variable, ContextVar)
                and isinstance(_SPAN_KEY, str)
                and isinstance(variable.get(), dict)
            ):
                _otel_context, _otel_span_key = variable, _SPAN_KEY
        except Exception:  # another OTel layout: its public API is used as is
            _otel_context = _otel_span_key = None
    return _otel_get_span


def _otel_ids() -> tuple[str, str] | None:
    """The active OpenTelemetry span's ``(trace_id, span_id)``, if there is one."""
    get_span = _otel_span_getter()
    if get_span is None:
        return None
    variable = _otel_context
    if variable is not None and variable.get().get(_otel_span_key) is None:
        return None  # no span in the current OTel context
    try:
        ctx = get_span().get_span_context()
        if ctx.is_valid:
            return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"
    except Exception:
        pass
    return None


_NO_CONTEXT: tuple[None, None, None] = (None, None, None)


def capture_context() -> tuple[str | None, str | None, dict[str, str] | None]:
    """``(trace_id, span_id, scope metadata)`` of an event captured now, to build later.

    Like ``trace_context``, with the request's metadata copied now, on the request's own
    thread: by the time the sender builds the event the request may be over (and its
    route no longer readable).
    """
    trace_id, span_id, scope = trace_context()
    return trace_id, span_id, None if scope is None else dict(scope.metadata)


def trace_context() -> tuple[str | None, str | None, RequestScope | None]:
    """``(trace_id, span_id, scope)`` for an event captured now.

    In a request: the request's trace id and a new span id. Outside one: the active
    OpenTelemetry span's ids if there is one, else ``(None, None, None)``.
    """
    scope = _current.get()
    if scope is not None:
        return scope.trace_id, new_span_id(), scope
    ids = _otel_ids()
    return _NO_CONTEXT if ids is None else (ids[0], ids[1], None)
