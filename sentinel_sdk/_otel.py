"""The active OpenTelemetry span's ids, for events captured outside any request scope.

``opentelemetry-api`` is optional: without it (or with a broken install) events
simply carry no span ids. It is looked up once, on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

__all__ = ["current_span_ids"]

_get_span: Callable[[], Any] | None = None
_checked = False
# OpenTelemetry's own context variable and span key, when its runtime context is the
# standard contextvars one: "is a span active?" is then one ContextVar and one dict
# lookup instead of six Python calls through its API (most captures have no span).
_context: ContextVar[Any] | None = None
_span_key: str | None = None


def _span_getter() -> Callable[[], Any] | None:
    global _get_span, _checked, _context, _span_key
    if not _checked:
        _checked = True
        try:
            from opentelemetry import trace as otel_trace

            _get_span = otel_trace.get_current_span
        except Exception:  # not installed, or broken: no OTel ids
            _get_span = None
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
                _context, _span_key = variable, _SPAN_KEY
        except Exception:  # another OTel layout: its public API is used as is
            _context = _span_key = None
    return _get_span


def current_span_ids() -> tuple[str, str] | None:
    """The active OpenTelemetry span's ``(trace_id, span_id)`` as W3C hex, if there is one."""
    get_span = _span_getter()
    if get_span is None:
        return None
    variable = _context
    if variable is not None and variable.get().get(_span_key) is None:
        return None  # no span in the current OTel context
    try:
        ctx = get_span().get_span_context()
        if ctx.is_valid:
            return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"
    except Exception:
        pass
    return None
