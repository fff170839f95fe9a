"""The request scope, as app authors use it: which request an LLM call belongs to.

Integrations open a scope for exactly the life of each request. While it is
open, every event captured on that path (``track()``, ``SentinelHandler``,
``wrap_openai``) carries the request's ``trace_id`` (continued from a W3C
``traceparent`` header, else new), its own ``span_id``, and the request's
metadata (``http.request.method``, ``http.route``, ``url.path``,
``sentinel.request_id``, ``user.id`` once ``set_user()`` is called). For work
that is request-like but not HTTP (a queue consumer, a batch job step), open
one yourself with ``request_scope()``.

Integration authors open and close scopes with ``sentinel_sdk.integrations``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from typing_extensions import Unpack

from ._scope_context import (
    RequestScope,
    ScopeOptions,
    close_scope,
    current_scope,
    open_scope,
    parse_traceparent,
)
from .metadata_keys import USER_ID

__all__ = ["RequestScope", "current_scope", "parse_traceparent", "request_scope", "set_user"]


@contextmanager
def request_scope(**options: Unpack[ScopeOptions]) -> Iterator[RequestScope]:
    """Run a block as one request: events captured inside share its trace id and metadata.

    Takes ``traceparent``, ``trace_id``, ``metadata``, ``client`` and ``route`` (all
    optional, see ``ScopeOptions``): the trace id is ``trace_id``, else the one of a
    valid ``traceparent``, else new; ``client`` receives the events captured inside
    instead of the default.
    """
    scope, token = open_scope(**options)
    try:
        yield scope
    finally:
        close_scope(token)


def set_user(user_id: str | None) -> None:
    """Attach ``user.id`` to the current request's events (no-op outside a request)."""
    scope = current_scope()
    if scope is not None:
        if user_id is None:
            scope.metadata.pop(USER_ID, None)
        else:
            scope.set(USER_ID, user_id)
