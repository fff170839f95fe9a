"""``examples/flask_app.py`` in process, against the real broker."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.kafka_helpers import Broker, consume_events, new_topic

pytestmark = pytest.mark.kafka


@pytest.fixture
def example(
    kafka: Broker, spool_dir: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ModuleType, str]]:
    topic = new_topic("example-flask")
    monkeypatch.setenv("SENTINEL_BROKERS", kafka.plaintext)
    monkeypatch.setenv("SENTINEL_TOPIC", topic)
    monkeypatch.setenv("SENTINEL_SPOOL_DIR", spool_dir)
    sys.modules.pop("examples.flask_app", None)
    try:
        yield importlib.import_module("examples.flask_app"), topic
    finally:
        sys.modules.pop("examples.flask_app", None)


def test_routes_of_the_flask_example(example: tuple[ModuleType, str], kafka: Broker) -> None:
    module, topic = example
    http = module.app.test_client()
    traceparent = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
    assert http.get("/health").status_code == 200
    chat = http.get("/chat/s1?q=hi", headers={"traceparent": traceparent})
    assert chat.status_code == 200
    assert chat.json["summary"]
    streamed = http.get("/stream/s2")
    assert (
        streamed.get_data(as_text=True) == "LLM Sentinel watches every model call your app makes."
    )
    client = module.app.extensions["sentinel"].client
    assert client.flush(30)
    events = consume_events(kafka.plaintext, topic, expected=3, idle=1.0)
    assert len(events) == 3
    routes = sorted(e["metadata"]["http.route"] for e in events)
    assert routes == ["/chat/<session_id>", "/chat/<session_id>", "/stream/<session_id>"]
    assert sum(e["trace_id"] == "ab" * 16 for e in events) == 2
    client.close()
