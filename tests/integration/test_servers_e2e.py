"""Each example app under a real server, 200 concurrent requests, every event read back.

FastAPI under uvicorn; Flask under gunicorn ``--preload`` with 2 workers; Django
under gunicorn (WSGI) and under uvicorn (ASGI). Each request has its own
``traceparent`` and makes two LLM calls through ``SentinelHandler()``; a
consumer must read exactly 400 events from the real broker, two per trace id,
each pair carrying its own request's route, path and question, none mixed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest

from sentinel_sdk import json_schema
from tests.kafka_helpers import ROOT, Broker, consume_events, new_topic

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REQUESTS = 200
DJANGO_DIR = str(ROOT / "examples" / "django_project")


@dataclass(frozen=True)
class Server:
    """How to start one example under one server, and the route its requests hit."""

    command: list[str]
    path: str  # with {session}
    route: str
    health: str = "/health"


def _servers(port: int) -> dict[str, Server]:
    bind = f"127.0.0.1:{port}"
    uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
    gunicorn = [sys.executable, "-m", "gunicorn", "-b", bind, "-w", "2", "--timeout", "60"]
    return {
        "fastapi-uvicorn": Server(
            [*uvicorn, "--log-level", "warning", "examples.fastapi_app:app"],
            "/chat/{session}",
            "/chat/{session_id}",
        ),
        "flask-gunicorn-preload": Server(
            [*gunicorn, "--preload", "examples.flask_app:app"],
            "/chat/{session}",
            "/chat/<session_id>",
        ),
        "django-gunicorn-wsgi": Server(
            [*gunicorn, "--chdir", DJANGO_DIR, "chat_project.wsgi"],
            "/chat/{session}/",
            "/chat/<str:session_id>/",
            "/health/",
        ),
        "django-uvicorn-asgi": Server(
            [
                *uvicorn,
                "--log-level",
                "warning",
                "--app-dir",
                DJANGO_DIR,
                "chat_project.asgi:application",
            ],
            "/achat/{session}/",
            "/achat/<str:session_id>/",
            "/health/",
        ),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(params=sorted(_servers(0)))
def served(
    request: pytest.FixtureRequest, kafka: Broker, tmp_path: Path
) -> Iterator[tuple[Server, str, str]]:
    """The example app under its server, on a free port; yields (server, base URL, topic)."""
    name: str = request.param
    port = _free_port()
    server = _servers(port)[name]
    topic = new_topic(f"e2e-{name}")
    env = {
        **os.environ,
        "SENTINEL_BROKERS": kafka.plaintext,
        "SENTINEL_TOPIC": topic,
        "SENTINEL_SPOOL_DIR": str(tmp_path / "spool"),
        "SENTINEL_SERVICE_NAME": name,
        # The example's own settings, whatever this test process uses.
        "DJANGO_SETTINGS_MODULE": "chat_project.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        server.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base + server.health, tmp_path / "server.log")
        yield server, base, topic
    finally:
        _stop(process)
        log.close()


def _wait_ready(process: subprocess.Popen[bytes], health_url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(health_url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server not ready within 60 s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)  # graceful: workers flush their clients
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


async def _fire(base: str, server: Server) -> dict[str, dict[str, Any]]:
    """200 concurrent requests, each with its own traceparent; returns what each sent."""
    sent: dict[str, dict[str, Any]] = {}
    for i in range(REQUESTS):
        trace_id = os.urandom(16).hex()
        sent[trace_id] = {
            "path": server.path.format(session=f"s{i}"),
            "question": f"question number {i}?",
            "traceparent": f"00-{trace_id}-{os.urandom(8).hex()}-01",
        }
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:

        async def one(trace_id: str) -> None:
            info = sent[trace_id]
            response = await http.get(
                info["path"],
                params={"q": info["question"]},
                headers={"traceparent": info["traceparent"]},
            )
            assert response.status_code == 200, response.text
            assert response.json()["answer"]

        await asyncio.gather(*(one(t) for t in sent))
    return sent


def test_200_concurrent_requests_give_400_events_two_per_trace(
    served: tuple[Server, str, str], kafka: Broker
) -> None:
    server, base, topic = served
    sent = asyncio.run(_fire(base, server))
    events = consume_events(kafka.plaintext, topic, expected=2 * REQUESTS, timeout=90, idle=3.0)
    assert len(events) == 2 * REQUESTS
    validator = jsonschema.Draft202012Validator(json_schema())
    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        validator.validate(event)
        by_trace[event["trace_id"]].append(event)
    assert set(by_trace) == set(sent)
    for trace_id, pair in by_trace.items():
        assert len(pair) == 2, trace_id
        info = sent[trace_id]
        for event in pair:
            metadata = event["metadata"]
            assert metadata["http.route"] == server.route
            assert metadata["url.path"] == info["path"]
            assert metadata["http.request.method"] == "GET"
            assert metadata["sentinel.integration"] == "langchain"
        assert len({e["span_id"] for e in pair}) == 2
        assert len({e["metadata"]["sentinel.request_id"] for e in pair}) == 1
        # The answer call's prompt holds this request's question: nothing mixed.
        assert any(info["question"] in e["prompt"]["text"] for e in pair)
    request_ids = {pair[0]["metadata"]["sentinel.request_id"] for pair in by_trace.values()}
    assert len(request_ids) == REQUESTS
