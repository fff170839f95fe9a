"""The request scope (``sentinel_sdk.scope`` for apps, ``sentinel_sdk._scope_context``
beneath it): W3C ``traceparent`` parsing, opening and closing scopes (nested, across
threads and tasks), ``set_user``, the lazily resolved route, and ``trace_context``
inside a scope and under an OpenTelemetry span.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import TracerProvider

from sentinel_sdk import SentinelConfig, _otel
from sentinel_sdk._assembly import build_event
from sentinel_sdk._ids import is_span_id, is_trace_id
from sentinel_sdk._scope_context import capture_context, close_scope, open_scope, trace_context
from sentinel_sdk.scope import current_scope, parse_traceparent, request_scope, set_user

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
VALID = f"00-{TRACE}-{PARENT}-01"


# -- traceparent (W3C Trace Context, level 1) ------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        VALID,
        f"00-{TRACE}-{PARENT}-00",  # not sampled: still a valid parent
        f"00-{TRACE}-{PARENT}-ff",  # unknown flags are ignored, not rejected
        f"  {VALID}\t",  # optional whitespace around the value
        f"01-{TRACE}-{PARENT}-01",  # a future version, same length
        f"cc-{TRACE}-{PARENT}-01-what-the-future-will-be",  # future: extra fields allowed
        f"cc-{TRACE}-{PARENT}-01-",
        VALID.encode(),  # ASGI / WSGI headers arrive as bytes
    ],
)
def test_valid_traceparent_gives_its_trace_id(header: str | bytes) -> None:
    assert parse_traceparent(header) == TRACE


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        b"",
        f"ff-{TRACE}-{PARENT}-01",  # version ff is forbidden
        f"00-{'0' * 32}-{PARENT}-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero parent id
        f"00-{TRACE.upper()}-{PARENT}-01",  # hex must be lowercase
        f"00-{TRACE}-{PARENT.upper()}-01",
        f"0A-{TRACE}-{PARENT}-01",
        f"00-{TRACE}-{PARENT}-0F",
        f"00-{TRACE}-{PARENT}-01-extra",  # version 00 has exactly four fields
        f"00-{TRACE}-{PARENT}-01-",
        f"cc-{TRACE}-{PARENT}-01extra",  # future version: extra data must follow a dash
        f"00-{TRACE[:-1]}-{PARENT}-01",  # short trace id
        f"00-{TRACE}a-{PARENT}-01",  # long trace id
        f"00-{TRACE}-{PARENT[:-1]}-01",
        f"00-{TRACE}-{PARENT}-1",
        f"0-{TRACE}-{PARENT}-01",
        f"00_{TRACE}_{PARENT}_01",
        f"00-{TRACE[:-1]}g-{PARENT}-01",  # not hex
        "garbage",
        f"00-{TRACE}-{PARENT}-01".encode("utf-16"),
    ],
)
def test_invalid_traceparent_is_ignored(header: str | bytes | None) -> None:
    assert parse_traceparent(header) is None


def test_a_scope_continues_a_valid_traceparent_and_starts_a_new_trace_otherwise() -> None:
    with request_scope(traceparent=VALID) as continued:
        assert continued.trace_id == TRACE
    with request_scope(traceparent=f"ff-{TRACE}-{PARENT}-01") as fresh:
        assert fresh.trace_id != TRACE and is_trace_id(fresh.trace_id)
    with request_scope() as other:
        assert is_trace_id(other.trace_id) and other.trace_id != fresh.trace_id
    with request_scope(traceparent=VALID, trace_id="given") as given:
        assert given.trace_id == "given"  # an explicit id wins


# -- opening and closing ---------------------------------------------------------------


def test_nested_scopes_restore_the_outer_one() -> None:
    assert current_scope() is None
    with request_scope(metadata={"level": 1}) as outer:
        assert current_scope() is outer
        with request_scope(metadata={"level": 2}) as inner:
            assert current_scope() is inner
            assert inner.metadata == {"level": "2"}
        assert current_scope() is outer
    assert current_scope() is None


def test_a_scope_is_closed_even_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), request_scope():
        raise RuntimeError("request failed")
    assert current_scope() is None


def test_open_and_close_scope_split_across_hooks() -> None:
    scope, token = open_scope(metadata={"http.request.method": "GET"})
    assert current_scope() is scope
    assert scope.metadata == {"http.request.method": "GET"}
    close_scope(token)
    assert current_scope() is None


def test_closing_from_another_context_is_harmless() -> None:
    scope, token = open_scope()
    # A streamed response closed from a copied context (another task / thread).
    contextvars.copy_context().run(close_scope, token)
    assert current_scope() is scope  # this context's scope is unaffected
    close_scope(token)
    assert current_scope() is None


def test_metadata_is_coerced_to_strings() -> None:
    with request_scope(metadata={"n": 3, "ok": True, "none": None}) as scope:
        assert scope.metadata == {"n": "3", "ok": "true", "none": "null"}
        scope.set("http.status_code", 200)
        assert scope.metadata["http.status_code"] == "200"


def test_a_scope_follows_work_handed_to_threads_and_tasks() -> None:
    with request_scope() as scope:
        seen: list[Any] = []
        ctx = contextvars.copy_context()
        thread = threading.Thread(target=lambda: seen.append(ctx.run(current_scope)))
        thread.start()
        thread.join()

        async def main() -> tuple[Any, Any]:
            in_task = await asyncio.create_task(asyncio.sleep(0, current_scope()))
            in_thread = await asyncio.to_thread(current_scope)
            return in_task, in_thread

        assert asyncio.run(main()) == (scope, scope)
        assert seen == [scope]
    plain: list[Any] = []
    with request_scope():
        bare = threading.Thread(target=lambda: plain.append(current_scope()))
        bare.start()
        bare.join()
    assert plain == [None]  # a bare thread starts with an empty context


def test_the_scopes_client_is_carried() -> None:
    marker: Any = object()
    with request_scope(client=marker) as scope:
        assert scope.client is marker
        assert current_scope() is scope


# -- set_user --------------------------------------------------------------------------


def test_set_user_adds_replaces_and_removes_the_user() -> None:
    config = SentinelConfig(service_name="svc")
    with request_scope() as scope:
        set_user("u-1")
        assert scope.metadata["user.id"] == "u-1"
        set_user(42)  # type: ignore[arg-type]
        assert build_event(config, {"model": "m"})[0].metadata["user.id"] == "42"
        set_user(None)
        assert "user.id" not in scope.metadata
        set_user(None)  # removing twice is fine
    set_user("nobody")  # outside a request: nothing to attach to, and no error
    assert current_scope() is None


def test_set_user_in_a_nested_scope_stays_in_it() -> None:
    with request_scope() as outer:
        with request_scope() as inner:
            set_user("inner")
        assert inner.metadata == {"user.id": "inner"}
        assert "user.id" not in outer.metadata


# -- the route, resolved after routing ---------------------------------------------------


def test_route_is_resolved_lazily_on_first_use_and_then_kept() -> None:
    calls: list[int] = []
    routed: list[str | None] = [None]

    def route() -> str | None:
        calls.append(1)
        return routed[0]

    with request_scope(metadata={"http.route": "/users/42"}, route=route) as scope:
        assert calls == []  # opening the scope does not resolve it
        assert scope.metadata["http.route"] == "/users/42"  # before routing: the raw path
        routed[0] = "/users/{id}"  # the framework routed the request
        assert scope.metadata["http.route"] == "/users/{id}"
        count = len(calls)
        routed[0] = "/changed"
        assert scope.metadata["http.route"] == "/users/{id}"  # resolved once, kept
        assert len(calls) == count


def test_a_failing_route_getter_falls_back_to_the_raw_path() -> None:
    def broken() -> str | None:
        raise KeyError("framework internals changed")

    with request_scope(metadata={"http.route": "/raw/path"}, route=broken) as scope:
        assert scope.metadata["http.route"] == "/raw/path"
        event, _ = build_event(SentinelConfig(), {"model": "m"})
    assert event.metadata["http.route"] == "/raw/path"


def test_an_event_captured_after_routing_carries_the_route() -> None:
    routed: list[str | None] = [None]
    with request_scope(route=lambda: routed[0]):
        routed[0] = "/items/{item_id}"
        event, _ = build_event(SentinelConfig(), {"model": "m"})
    assert event.metadata["http.route"] == "/items/{item_id}"


# -- trace_context ---------------------------------------------------------------------


def test_trace_context_in_a_scope_gives_a_new_span_each_time() -> None:
    with request_scope(traceparent=VALID) as scope:
        first, second = trace_context(), trace_context()
    assert first[0] == second[0] == TRACE
    assert first[2] is scope and second[2] is scope
    assert first[1] is not None and is_span_id(first[1])
    assert first[1] != second[1]
    assert first[1] != PARENT  # our own span, a child of the caller's


def test_trace_context_outside_a_scope_uses_the_active_opentelemetry_span() -> None:
    assert trace_context() == (None, None, None)
    tracer = TracerProvider().get_tracer("tests.scope")
    with tracer.start_as_current_span("outer") as outer:
        with tracer.start_as_current_span("inner") as inner:
            ctx = inner.get_span_context()
            assert trace_context() == (f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}", None)
        assert trace_context()[1] == f"{outer.get_span_context().span_id:016x}"
        with request_scope(trace_id="c" * 32):
            assert trace_context()[0] == "c" * 32  # the request scope wins
    assert trace_context() == (None, None, None)


def test_an_invalid_opentelemetry_span_gives_no_ids() -> None:
    with otel_trace.use_span(otel_trace.INVALID_SPAN):
        assert trace_context() == (None, None, None)


def test_opentelemetry_span_lookup_takes_the_context_variable_shortcut() -> None:
    # With OpenTelemetry's standard runtime context, "no active span" is answered from
    # its context variable without calling its API; the answer is the API's own.
    trace_context()
    assert _otel._context is not None
    tracer = TracerProvider().get_tracer("tests.scope")
    with tracer.start_as_current_span("op") as span:
        ctx = span.get_span_context()
        assert capture_context() == (f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}", None)
    assert capture_context() == (None, None, None)


def test_captures_built_on_the_sender_carry_the_opentelemetry_ids() -> None:
    from sentinel_sdk.testing import InMemoryClient

    client = InMemoryClient(service_name="otel")
    tracer = TracerProvider().get_tracer("tests.scope")
    with tracer.start_as_current_span("op") as span:
        ctx = span.get_span_context()
        client.track(model="gpt-4o")  # the quick path: checked here, built later
        client.track_later(lambda: {"model": "gpt-4o"})  # an integration's hand-off
    ids = {(e.trace_id, e.span_id) for e in client.events}
    assert ids == {(f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}")}
    assert len(client.events) == 2
