"""Every metadata key on a real event is in the vocabulary (``sentinel_sdk.metadata_keys``).

Each integration runs for real (Starlette under httpx, Django's and Flask's test
clients, LangChain runs of a fake provider model, the OpenAI client against the
local fake OpenAI server) through scenarios that between them reach every key:
query strings and request ids, streaming, tool calls, several choices, request
parameters, cache and reasoning tokens, failures, cancellations, LangGraph
interrupts. The keys of the captured events are then compared with ``KEYS``:
every key written is documented, as written by that integration, and every
documented key is written by some scenario.
"""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from langchain_core.language_models import FakeListLLM
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableLambda
from langgraph.errors import GraphInterrupt
from langgraph.types import Interrupt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import sentinel_sdk
from sentinel_sdk.metadata_keys import KEYS, Key
from sentinel_sdk.testing import InMemoryClient
from sentinel_sdk_asgi import SentinelMiddleware
from sentinel_sdk_flask import Sentinel
from sentinel_sdk_langchain import SentinelHandler
from sentinel_sdk_openai import wrap_openai
from tests.langchain.fakes import ModelFailure, ReportingChatModel
from tests.openai.server import FakeOpenAI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.settings")

Collected = dict[str, set[str]]  # integration -> the keys its events carried


@pytest.fixture(scope="module")
def collected() -> Collected:
    """Run every scenario once; the keys each integration's events carried."""
    return {
        "asgi": keys_of(asgi_events()),
        "django": keys_of(django_events()),
        "flask": keys_of(flask_events()),
        "langchain": keys_of(langchain_events()),
        "openai": keys_of(openai_events()),
        "core": keys_of(core_events()),
    }


def keys_of(events: list[sentinel_sdk.TelemetryEvent]) -> set[str]:
    assert events, "a scenario captured nothing"
    return {key for event in events for key in event.metadata}


def documented(key: str) -> Key | None:
    if key in KEYS:
        return KEYS[key]
    for entry in KEYS.values():
        if entry.is_prefix and key.startswith(entry.name.removesuffix("*")):
            return entry
    return None


def test_every_key_an_integration_writes_is_documented_as_its_own(collected: Collected) -> None:
    for integration, keys in collected.items():
        for key in keys:
            entry = documented(key)
            assert entry is not None, f"{integration} writes {key!r}, which KEYS lacks"
            assert integration in entry.writers or "core" in entry.writers, (
                f"{integration} writes {key!r}, documented as written by {entry.writers}"
            )


def test_every_documented_key_is_written_by_its_writers(collected: Collected) -> None:
    for entry in KEYS.values():
        for writer in entry.writers:
            written = collected[writer] if writer != "core" else set().union(*collected.values())
            assert any(documented(key) is entry for key in written), (
                f"{entry.name} is documented as written by {writer}, which never wrote it"
            )


# -- the web integrations: a request with a query, a request id and a user -----------------

WEB_HEADERS = {"x-request-id": "req-7", "traceparent": f"00-{'a' * 32}-{'b' * 16}-01"}


def in_request() -> None:
    """What a view does: name the user and record an LLM call."""
    sentinel_sdk.set_user("user-1")
    sentinel_sdk.track(model="gpt-4o", prompt="hi", response="hello")


def asgi_events() -> list[sentinel_sdk.TelemetryEvent]:
    async def view(request: Request) -> PlainTextResponse:
        in_request()
        return PlainTextResponse("ok")

    client = InMemoryClient()
    app = SentinelMiddleware(Starlette(routes=[Route("/chat/{id}", view)]), client=client)

    async def call() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            assert (await http.get("/chat/1?lang=en", headers=WEB_HEADERS)).status_code == 200

    asyncio.run(call())
    return client.events


def django_events() -> list[sentinel_sdk.TelemetryEvent]:
    import django
    from django.test import Client

    django.setup()
    with sentinel_sdk.testing.capture_events() as client:
        # tests/django/views.py: a view that calls track()
        response = Client().get("/chat/s1/", {"lang": "en"}, headers={"X-Request-ID": "req-7"})
        assert response.status_code == 200
    return client.events


def flask_events() -> list[sentinel_sdk.TelemetryEvent]:
    from flask import Flask

    app = Flask(__name__)
    client = InMemoryClient()
    Sentinel(app, client=client)

    @app.get("/chat/<id>")
    def view(id: str) -> str:
        in_request()
        return "ok"

    assert app.test_client().get("/chat/1?lang=en", headers=WEB_HEADERS).status_code == 200
    return client.events


# -- LangChain: every outcome of a model run --------------------------------------------


class TunedModel(ReportingChatModel):
    """A provider model with every sampling parameter set, and cache writes in its usage."""

    top_p: float = 0.9
    top_k: int = 40
    seed: int = 7
    frequency_penalty: float = 0.1
    presence_penalty: float = 0.2
    n: int = 1
    reasoning_effort: str = "low"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        names = ("top_p", "top_k", "seed", "frequency_penalty", "presence_penalty", "n")
        return {
            **super()._identifying_params,
            **{name: getattr(self, name) for name in names},
            "reasoning_effort": self.reasoning_effort,
        }

    def _message(self, messages: list[BaseMessage]) -> AIMessage:
        message = super()._message(messages)
        assert message.usage_metadata is not None
        message.usage_metadata["input_token_details"] = {"cache_read": 900, "cache_creation": 100}
        return message


class TwoChoicesModel(ReportingChatModel):
    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        return ChatResult(
            generations=[ChatGeneration(message=self._message(messages)) for _ in range(2)]
        )


class InterruptingModel(ReportingChatModel):
    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise GraphInterrupt((Interrupt(value="need approval"),))


def langchain_events() -> list[sentinel_sdk.TelemetryEvent]:
    client = InMemoryClient()
    config: Any = {
        "callbacks": [SentinelHandler(client)],
        "run_name": "answer",
        "tags": ["prod"],
        "metadata": {"user_id": "u-1"},
    }
    tool = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}
    tuned = TunedModel().bind(stop=["\n\n"])
    (RunnableLambda(lambda text: text) | tuned).invoke("hi", config=config)  # in a parent run
    list(ReportingChatModel(tool=tool).stream("weather?", config=config))
    TwoChoicesModel().invoke("twice", config=config)
    FakeListLLM(responses=["forty-two"]).invoke("meaning?", config=config)
    fails: list[Callable[[], Any]] = [
        lambda: ReportingChatModel(fail="overloaded").invoke("x", config=config),
        lambda: InterruptingModel().invoke("approve?", config=config),
    ]
    for fail in fails:
        with pytest.raises((ModelFailure, GraphInterrupt)):
            fail()
    stream = ReportingChatModel().stream("a long answer", config=config)
    next(iter(stream))
    stream.close()  # type: ignore[attr-defined]
    return client.events


# -- OpenAI: both APIs, whole and streamed, with every parameter, and failing ---------------


def openai_events() -> list[sentinel_sdk.TelemetryEvent]:
    server = FakeOpenAI().start()
    try:
        client = InMemoryClient()
        oai = wrap_openai(
            openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0), sentinel=client
        )
        messages: Any = [{"role": "user", "content": "what is the capital of France"}]
        tools: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
        oai.chat.completions.create(
            model="cache-write",
            messages=messages,
            temperature=0.2,
            max_tokens=64,
            top_p=0.9,
            seed=7,
            frequency_penalty=0.1,
            presence_penalty=0.2,
            stop=["\n\n"],
            n=2,
            reasoning_effort="low",
            service_tier="default",
            tools=tools,
            tool_choice="auto",
        )
        list(oai.chat.completions.create(model="gpt-4o", messages=messages, stream=True))
        oai.chat.completions.create(model="tool", messages=messages, tools=tools)
        oai.responses.create(model="gpt-4.1-mini", input="hi", reasoning={"effort": "low"})
        with pytest.raises(openai.APIStatusError):
            oai.chat.completions.create(model="error-429", messages=messages)
        stream = oai.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
        next(iter(stream))
        stream.close()
        return client.events
    finally:
        server.stop()


# -- the core's own keys ------------------------------------------------------------------


def core_events() -> list[sentinel_sdk.TelemetryEvent]:
    client = InMemoryClient(max_text_length=4)
    client.track(model="gpt-4o", prompt="a prompt longer than four", response="ok")
    return [*client.events, client._ping_event()]
