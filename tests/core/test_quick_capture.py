"""``track()``'s fast path (``quick_size`` / ``capture`` / ``Captured``).

The caller's thread checks the common shape of fields and queues them; the sender
builds the event. The promise tested here: the event built later is exactly the one
``build_event`` would have built at the call (same checks, same values, the request
context, time and id of the call), anything unusual takes ``build_event`` at once (so
mistakes still raise at the call site), an overloaded client drops and counts, and
the pool of pre-minted event ids never hands out one id twice (nor across a fork).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinel_sdk import SentinelClient, SentinelConfig, ValidationError
from sentinel_sdk._assembly import Captured, build_event, capture, quick_size
from sentinel_sdk._ids import _pool, _reseed, refill_event_ids, take_event_id
from sentinel_sdk.events import PromptInfo
from sentinel_sdk.scope import request_scope
from sentinel_sdk.testing import InMemoryClient

CONFIG = SentinelConfig(service_name="svc")
COMMON: dict[str, Any] = {
    "model": "gpt-4o",
    "prompt": "What is the capital of France?",
    "response": "Paris.",
    "prompt_tokens": 9,
    "response_tokens": 2,
    "finish_reason": "stop",
    "latency_ms": 812.5,
    "cost_usd": 0.0001,
    "metadata": {"gen_ai.provider.name": "openai"},
}


def quick(fields: dict[str, Any], config: SentinelConfig = CONFIG) -> Captured | None:
    fields = dict(fields)
    size = quick_size(config, fields)
    return None if size < 0 else capture(fields, size)[0]


def test_the_common_shape_takes_the_quick_path_and_builds_the_same_event() -> None:
    captured = quick(COMMON)
    assert captured is not None
    built = captured.event(CONFIG)
    expected = build_event(CONFIG, COMMON, captured.context, captured.timestamp)[0]
    expected.event_id = captured.event_id  # minted at the call
    assert built == expected
    assert built.event_id == captured.event_id
    assert built.prompt.text == COMMON["prompt"] and built.response.finish_reason == "stop"


@pytest.mark.parametrize(
    "change",
    [
        {"latency_ms": 5},  # an int: build_event converts it
        {"prompt_tokens": True},  # a bool is not a token count
        {"prompt": "Grüß Gott"},  # non-ASCII text: checked for lone surrogates
        {"prompt": PromptInfo("hi", 1)},
        {"trace_id": "t"},  # fields outside the common set
        {"metadata": {"n": 1}},  # a value to coerce
        {"metadata": {1: "x"}},  # a key to coerce
        {"finish_reason": 3},
        {"model": ""},
        {"cost_usd": float("nan")},
        {"response_tokens": 2**32},
        {"unknown": 1},
    ],
)
def test_anything_unusual_takes_the_full_path(change: dict[str, Any]) -> None:
    assert quick({**COMMON, **change}) is None


def test_texts_over_the_limit_take_the_full_path_which_cuts_or_raises() -> None:
    assert quick({**COMMON, "prompt": "x" * 11}, CONFIG.replace(max_text_length=10)) is None
    client = InMemoryClient(service_name="svc", max_text_length=10, truncate_text=False)
    with pytest.raises(ValidationError, match=r"prompt\.text"):
        client.track(**{**COMMON, "prompt": "x" * 11})


def test_mistakes_still_raise_at_the_call_site() -> None:
    client = InMemoryClient(service_name="svc")
    with pytest.raises(ValidationError, match="latency_ms"):
        client.track(model="m", latency_ms=-1.0)
    with pytest.raises(ValidationError, match="unknown"):
        client.track(model="m", unknown=1)  # type: ignore[call-arg]
    assert client.events == []


def test_the_callers_metadata_is_copied_at_the_call() -> None:
    metadata = {"k": "before"}
    captured = quick({"model": "m", "metadata": metadata})
    assert captured is not None
    metadata["k"] = "after"
    metadata["new"] = "x"
    assert captured.event(CONFIG).metadata == {"k": "before"}


def test_quick_size_only_looks() -> None:
    metadata = {"k": "v"}
    fields: dict[str, Any] = {**COMMON, "metadata": metadata}
    before = dict(fields)
    assert quick_size(CONFIG, fields) > 0
    assert fields == before and fields["metadata"] is metadata  # nothing replaced
    assert metadata == {"k": "v"}


def test_time_and_request_context_are_the_calls_not_the_builds() -> None:
    with request_scope(trace_id="a" * 32, metadata={"http.route": "/chat"}) as scope:
        before = datetime.now(timezone.utc)
        captured = quick({"model": "m", "metadata": {"mine": "1"}})
        after = datetime.now(timezone.utc)
        scope.set("late", "x")  # after the call: not in the event
    assert captured is not None
    time.sleep(0.05)
    event = captured.event(CONFIG)
    assert before <= event.timestamp <= after
    assert event.trace_id == "a" * 32 and event.span_id is not None
    assert event.metadata == {"http.route": "/chat", "mine": "1"}


def test_config_rules_apply_when_the_sender_builds() -> None:
    stripped = SentinelConfig(service_name="svc", capture_content=False)
    captured = quick(COMMON, stripped)
    assert captured is not None
    event = captured.event(stripped)
    assert (event.prompt.text, event.response.text) == ("", "")
    assert (event.prompt.tokens, event.response.tokens) == (9, 2)


texts = st.text(max_size=30)
values = st.one_of(
    texts, st.integers(-5, 2**33), st.floats(allow_nan=True), st.booleans(), st.none()
)
fields_strategy = st.fixed_dictionaries(
    {"model": st.one_of(texts, st.integers())},
    optional={
        "prompt": st.one_of(texts, st.integers()),
        "response": texts,
        "prompt_tokens": values,
        "response_tokens": values,
        "finish_reason": st.one_of(texts, st.none(), st.integers()),
        "latency_ms": values,
        "cost_usd": values,
        "metadata": st.one_of(st.dictionaries(texts, st.one_of(texts, st.integers()), max_size=3)),
        "errors": st.lists(texts, max_size=2),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=fields_strategy, limit=st.integers(0, 40))
def test_property_quick_path_accepts_only_what_build_event_builds_alike(
    fields: dict[str, Any], limit: int
) -> None:
    config = CONFIG.replace(max_text_length=limit)
    captured = quick(fields, config)
    if captured is None:
        return  # the full path decides (and raises), as it always did
    later = captured.event(config)  # never raises for what the quick path accepted
    now = build_event(config, fields, captured.context, captured.timestamp)[0]
    now.event_id = captured.event_id  # minted at the call
    assert later == now
    later.validate()


def test_an_overloaded_client_drops_counts_and_still_returns_fresh_ids(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on this port and there is no spool: events wait in memory.
    client = SentinelClient(
        brokers=[closed_port()], spool_enabled=False, max_queue_size=2, service_name="svc"
    )
    try:
        with caplog.at_level(logging.WARNING, logger="sentinel_sdk"):
            ids = [client.track(**COMMON) for _ in range(50)]
        assert all(uuid.UUID(i).version == 4 for i in ids)
        assert len(set(ids)) == 50
        stats = client.stats()
        assert stats["dropped_total"] == 48
        assert stats["queued"] == 2
        full = [r for r in caplog.records if "in-memory queue is full" in r.getMessage()]
        assert len(full) == 1  # said once, not once per dropped event
    finally:
        client.close(timeout=0.5)


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"  # nothing listens once closed


# -- the event id pool ---------------------------------------------------------------


def test_pooled_ids_are_unique_v4_uuids() -> None:
    refill_event_ids()
    ids = {take_event_id() for _ in range(3000)}  # more than the pool: some minted here
    assert len(ids) == 3000
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)


def test_a_forked_child_starts_with_an_empty_pool() -> None:
    refill_event_ids()
    assert _pool
    _reseed()  # what os.register_at_fork runs in the child
    assert not _pool
    if not hasattr(os, "fork"):
        return
    refill_event_ids()
    parent_next = _pool[-1]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first id is not the one the parent would hand out
        os.close(read)
        os.write(write, take_event_id().encode())
        os._exit(0)
    os.close(write)
    child_id = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child_id != parent_next
    assert take_event_id() == parent_next
