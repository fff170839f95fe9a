"""The integration layer: what an integration package needs from the core, and nothing else.

Every ``sentinel_sdk_*`` package is built on these names (and on the public API
of ``sentinel_sdk`` itself); none imports a private module of the core, and a
test and an import-linter contract keep it so. A new integration is one new
package on this layer. The rules it follows:

- **Never raise into the host app.** Wrap the SDK's own work in
  ``with capture_internal_exceptions():`` (one shared, stateless guard: cheap on
  a hot path); the app's own exceptions pass through unchanged.
- **O(1) on the app's thread.** Hand an LLM call over with
  ``client.track_later(build, *args)``: ``build(*args)`` returns the ``track()``
  fields and runs on the client's sender, where texts are rendered and metadata
  is worked out. ``current_client()`` is the client to use when the app gave
  none (the request scope's, else the process default); ``Client`` is what may
  be called on it.
- **One request, one scope.** A web integration opens the scope of each request
  with ``open_request_scope(...)`` and closes it with ``close_scope(token)``
  when the request ends; a streamed body is wrapped in ``ScopedIterator`` /
  ``ScopedAsyncIterator`` so that each chunk runs inside it. Other work that is
  request-like (a task) uses ``open_scope``.
- **One vocabulary.** Metadata keys are the constants of
  ``sentinel_sdk.metadata_keys`` (re-exported here as ``metadata_keys``); a key
  that is not there yet is added there, with its meaning, unit and writers.
"""

from __future__ import annotations

from sentinel_sdk import metadata_keys
from sentinel_sdk._client_protocol import Client
from sentinel_sdk._default_client import current_client
from sentinel_sdk._ids import new_span_id, new_trace_id
from sentinel_sdk._log import capture_internal_exceptions, log_rate_limited
from sentinel_sdk._scope_context import (
    RequestScope,
    ScopeOptions,
    ScopeToken,
    close_scope,
    current_scope,
    enter_scope,
    open_scope,
)

from ._extras import require
from ._llm import (
    MAX_ERROR_TEXT,
    SEPARATOR,
    content_text,
    error_text,
    field,
    message_block,
    metadata_text,
    record_failure,
    record_stream,
    record_usage,
    tool_call_line,
)
from ._web import (
    MAX_REQUEST_ID,
    ExcludedPaths,
    ScopedAsyncIterator,
    ScopedIterator,
    open_request_scope,
)

__all__ = [
    "MAX_ERROR_TEXT",
    "MAX_REQUEST_ID",
    "SEPARATOR",
    "Client",
    "ExcludedPaths",
    "RequestScope",
    "ScopeOptions",
    "ScopeToken",
    "ScopedAsyncIterator",
    "ScopedIterator",
    "capture_internal_exceptions",
    "close_scope",
    "content_text",
    "current_client",
    "current_scope",
    "enter_scope",
    "error_text",
    "field",
    "log_rate_limited",
    "message_block",
    "metadata_keys",
    "metadata_text",
    "new_span_id",
    "new_trace_id",
    "open_request_scope",
    "open_scope",
    "record_failure",
    "record_stream",
    "record_usage",
    "require",
    "tool_call_line",
]
