"""``examples/fastapi_app.py`` in process, against the real broker: every route's events."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.asgi.apps import http_client
from tests.asgi.test_middleware import _middleware_client
from tests.kafka_helpers import Broker, consume_events, new_topic
from tests.openai.server import FakeOpenAI

pytestmark = pytest.mark.kafka


@pytest.fixture
def example(
    kafka: Broker, spool_dir: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ModuleType, str]]:
    topic = new_topic("example-fastapi")
    fake = FakeOpenAI().start()
    monkeypatch.setenv("SENTINEL_BROKERS", kafka.plaintext)
    monkeypatch.setenv("SENTINEL_TOPIC", topic)
    monkeypatch.setenv("SENTINEL_SPOOL_DIR", spool_dir)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    sys.modules.pop("examples.fastapi_app", None)
    try:
        yield importlib.import_module("examples.fastapi_app"), topic
    finally:
        sys.modules.pop("examples.fastapi_app", None)
        fake.stop()


async def test_every_route_of_the_fastapi_example(
    example: tuple[ModuleType, str], kafka: Broker
) -> None:
    module, topic = example
    paths = {
        "/chat/a": ("/chat/{session_id}", 200, 2),
        "/chat-sync/b": ("/chat-sync/{session_id}", 200, 2),
        "/stream/c": ("/stream/{session_id}", 200, 1),
        "/openai/d": ("/openai/{session_id}", 200, 1),
        "/fail": ("/fail", 502, 1),
        "/health": ("/health", 200, 0),
    }
    trace_ids = {}
    async with http_client(module.app) as http:
        for path, (_, status, _) in paths.items():
            response = await http.get(path)
            assert response.status_code == status, (path, response.text)
            trace_ids[path] = response.headers.get("x-sentinel-trace-id")
    assert trace_ids["/health"] is None
    client = _middleware_client(module.app)
    assert client.flush(30)
    events = consume_events(kafka.plaintext, topic, expected=7, idle=1.0)
    assert len(events) == 7
    for path, (route, _, count) in paths.items():
        mine = [e for e in events if e["trace_id"] == trace_ids[path]]
        assert len(mine) == count, path
        assert all(e["metadata"]["http.route"] == route for e in mine)
        assert all(e["service_name"] == "fastapi-example" for e in mine)
    [failed] = [e for e in events if e["trace_id"] == trace_ids["/fail"]]
    assert failed["errors"]
    assert "unavailable" in failed["errors"][0]
    [streamed] = [e for e in events if e["trace_id"] == trace_ids["/stream/c"]]
    assert streamed["response"]["text"] in module.DemoChatModel().answers
    assert streamed["model"] == "gpt-4o-mini-2024-07-18"  # the provider's own name wins
    assert streamed["response"]["tokens"] == len(streamed["response"]["text"].split())
    assert streamed["prompt"]["tokens"] > 0
    assert float(streamed["metadata"]["sentinel.time_to_first_token_ms"]) > 0
    client.close()
