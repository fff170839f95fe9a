"""``sentinel_events`` sees what each integration captures, with the real frameworks and no Kafka.

The integrations are configured as a user's app would be (no client of their own),
so they resolve the process default per request, which the fixture swaps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import flask
import openai
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from langchain_core.language_models.fake_chat_models import FakeListChatModel

import sentinel_sdk
from sentinel_sdk import TelemetryEvent
from sentinel_sdk.testing import InMemoryClient
from sentinel_sdk_asgi import SentinelMiddleware
from sentinel_sdk_flask import Sentinel
from sentinel_sdk_langchain import SentinelHandler
from sentinel_sdk_openai import wrap_openai

try:  # the HTTP library under the OpenAI client: httpx2 from openai 3, httpx before
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]

pytest_plugins = ["pytester"]

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


def fake_openai() -> openai.OpenAI:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": json.loads(request.content)["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Hello!"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
            },
        )

    transport = httpx.MockTransport(answer)
    return wrap_openai(
        openai.OpenAI(
            api_key="k",
            base_url="http://llm.invalid/v1",
            max_retries=0,
            http_client=httpx.Client(transport=transport),
        )
    )


def ask_both(question: str) -> None:
    """App code: one call through a wrapped OpenAI client, one through a LangChain model."""
    fake_openai().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": question}]
    )
    model = FakeListChatModel(responses=["from langchain"])
    model.invoke(question, config={"callbacks": [SentinelHandler()]})


def test_track_outside_any_request(sentinel_events: list[TelemetryEvent]) -> None:
    sentinel_sdk.track(model="gpt-4o", prompt="hi")
    assert [e.model for e in sentinel_events] == ["gpt-4o"]
    assert sentinel_events[0].trace_id is None


def test_wrapped_openai_client_and_langchain_handler(
    sentinel_events: list[TelemetryEvent],
) -> None:
    ask_both("What is Sentinel?")
    openai_event, langchain_event = sentinel_events
    assert openai_event.model == "gpt-4o"
    assert (openai_event.prompt.tokens, openai_event.response.tokens) == (9, 2)
    assert openai_event.response.text == "Hello!"
    assert langchain_event.response.text == "from langchain"
    assert "What is Sentinel?" in langchain_event.prompt.text


def test_asgi_requests(sentinel_events: list[TelemetryEvent]) -> None:
    app = FastAPI()
    app.add_middleware(SentinelMiddleware)

    @app.get("/chat/{session}")
    def chat(session: str) -> dict[str, str]:
        ask_both(session)
        return {"ok": session}

    with TestClient(app) as client:
        assert client.get("/chat/s1", headers={"traceparent": TRACEPARENT}).status_code == 200
        assert client.get("/chat/s2").status_code == 200
    assert len(sentinel_events) == 4
    first, second = sentinel_events[:2], sentinel_events[2:]
    assert {e.trace_id for e in first} == {TRACE}
    assert len({e.trace_id for e in second}) == 1 and second[0].trace_id != TRACE
    assert {e.metadata["http.route"] for e in sentinel_events} == {"/chat/{session}"}


def test_flask_requests(sentinel_events: list[TelemetryEvent]) -> None:
    app = flask.Flask(__name__)
    Sentinel(app)

    @app.get("/chat/<session>")
    def chat(session: str) -> str:
        ask_both(session)
        return session

    response = app.test_client().get("/chat/s1", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200
    assert [e.trace_id for e in sentinel_events] == [TRACE, TRACE]
    assert {e.metadata["http.route"] for e in sentinel_events} == {"/chat/<session>"}


def test_an_app_client_passed_explicitly(sentinel_client: InMemoryClient) -> None:
    other = InMemoryClient()
    app = flask.Flask(__name__)
    Sentinel(app, client=sentinel_client)
    app.add_url_rule("/", view_func=lambda: sentinel_sdk.track(model="m") and "ok")
    sentinel_sdk.set_client(other)  # the app's own client wins over the default
    assert app.test_client().get("/").status_code == 200
    assert [e.model for e in sentinel_client.events] == ["m"]
    assert other.events == []


def test_django_requests(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(
        plugin_django_settings="""
        SECRET_KEY = "x"
        ALLOWED_HOSTS = ["*"]
        ROOT_URLCONF = "plugin_django_urls"
        INSTALLED_APPS = ["sentinel_sdk_django"]
        MIDDLEWARE = []
        DATABASES = {}
        USE_TZ = True
        """,
        plugin_django_urls="""
        from django.http import HttpResponse
        from django.urls import path
        import sentinel_sdk

        def chat(request, session):
            sentinel_sdk.track(model="gpt-4o", prompt=session)
            return HttpResponse(session)

        urlpatterns = [path("chat/<str:session>/", chat)]
        """,
        test_django_app="""
        def test_request(client, sentinel_events):
            response = client.get(
                "/chat/s1/",
                HTTP_TRACEPARENT="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )
            assert response.status_code == 200
            (event,) = sentinel_events
            assert event.model == "gpt-4o"
            assert event.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
            assert event.metadata["http.route"] == "/chat/<str:session>/"
        """,
    )
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "plugin_django_settings")
    result = pytester.runpytest_subprocess("-p", "no:asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.fixture(autouse=True)
def _default_restored() -> Iterator[None]:
    before = sentinel_sdk.set_client(None)
    sentinel_sdk.set_client(before)
    yield
    sentinel_sdk.set_client(before)
