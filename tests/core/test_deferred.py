"""``track_later``: an event built on the sender from a callable, with the caller's context.

Integrations hand over O(1) work on the app's thread; these tests pin what the built
event carries and how failures are counted. ``InMemoryClient`` runs the same
preparation step as the sender.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sentinel_sdk import request_scope
from sentinel_sdk._ids import new_trace_id
from sentinel_sdk.testing import InMemoryClient


def fields(model: str = "gpt-4o", prompt_tokens: int = 0, latency: float = 1.0) -> dict[str, Any]:
    return {
        "model": model,
        "prompt": "hi",
        "response": "hello",
        "prompt_tokens": prompt_tokens,
        "latency_ms": latency,
    }


def test_the_event_is_built_from_the_callable_and_validated() -> None:
    client = InMemoryClient()
    client.track_later(fields, "gpt-4o-mini", 3)
    [event] = client.events
    assert (event.model, event.prompt.tokens, event.response.text) == ("gpt-4o-mini", 3, "hello")
    assert client.stats()["sent"] == 1


def test_request_context_is_taken_when_handed_over_not_when_built() -> None:
    client = InMemoryClient()
    client._admit = client._queue.put  # type: ignore[method-assign, assignment]  # hold it
    trace_id = new_trace_id()
    with request_scope(trace_id=trace_id, metadata={"http.route": "/chat/{id}"}) as scope:
        before = datetime.now(timezone.utc)
        client.track_later(fields)
        handed = datetime.now(timezone.utc)
        scope.set("user.id", "set-after-the-call")
    time.sleep(0.05)
    del client._admit
    client._deliver()  # built now, outside the request
    [event] = client.events
    assert event.trace_id == trace_id and event.span_id is not None
    assert event.metadata["http.route"] == "/chat/{id}"
    assert "user.id" not in event.metadata  # the request's metadata as at hand-over
    assert before <= event.timestamp <= handed  # when the call ended, not when built


def test_a_build_that_raises_is_dropped_as_invalid_and_counted() -> None:
    client = InMemoryClient()

    def broken() -> Mapping[str, Any]:
        raise KeyError("generations")

    client.track_later(broken)
    client.track_later(fields, "gpt-4o", 0, -1.0)  # builds, but is not a valid event
    assert client.events == []
    stats = client.stats()
    assert stats["dropped"] == {"invalid": 2}
    assert "could not be built" in (stats["last_error"] or "")


def test_disabled_and_sampled_out_cost_nothing() -> None:
    calls: list[int] = []

    def counting() -> dict[str, Any]:
        calls.append(1)
        return fields()

    disabled = InMemoryClient(enabled=False)
    disabled.track_later(counting)
    sampled_out = InMemoryClient(sample_rate=0.0)
    sampled_out.track_later(counting)
    assert calls == []
    assert sampled_out.stats()["sampled_out"] == 1
    assert disabled.stats()["queued"] == 0


def test_after_close_it_is_dropped_as_closed() -> None:
    client = InMemoryClient()
    client.close()
    client.track_later(fields)
    assert client.stats()["dropped"] == {"closed": 1}
