"""FastAPI routes that call LangChain with ``SentinelHandler()`` and a wrapped OpenAI client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import openai
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnablePassthrough

import sentinel_sdk
from sentinel_sdk_asgi import SentinelMiddleware
from sentinel_sdk_langchain import SentinelHandler
from sentinel_sdk_openai import wrap_openai
from tests.asgi.apps import TRACE_ID, TRACEPARENT, http_client
from tests.asgi.recording import RecordingClient
from tests.openai.server import FakeOpenAI

PROMPT = ChatPromptTemplate.from_template("Answer: {question}")
SUMMARY = ChatPromptTemplate.from_template("Summarize: {answer}")


def two_calls() -> Runnable[dict[str, str], dict[str, str]]:
    model = FakeListChatModel(responses=["the answer", "the summary"])
    return RunnablePassthrough.assign(answer=PROMPT | model | StrOutputParser()).assign(
        summary=SUMMARY | model | StrOutputParser()
    )


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


def make_app(recorder: RecordingClient, base_url: str) -> FastAPI:
    app = FastAPI()
    # No sentinel= argument: the wrapper sends with the request scope's client.
    aoai = wrap_openai(openai.AsyncOpenAI(api_key="sk-test", base_url=base_url, max_retries=0))
    oai = wrap_openai(openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0))

    @app.get("/lc/{session_id}")
    async def lc(session_id: str) -> dict[str, str]:
        chain = two_calls()
        result = await chain.ainvoke(
            {"question": session_id}, config={"callbacks": [SentinelHandler()]}
        )
        return {"summary": result["summary"]}

    @app.get("/lc-sync/{session_id}")
    def lc_sync(session_id: str) -> dict[str, str]:
        chain = two_calls()
        result = chain.invoke({"question": session_id}, config={"callbacks": [SentinelHandler()]})
        return {"summary": result["summary"]}

    @app.get("/lc-stream")
    async def lc_stream() -> StreamingResponse:
        async def tokens() -> AsyncIterator[str]:
            model = FakeListChatModel(responses=["streamed tokens here"])
            async for chunk in (PROMPT | model | StrOutputParser()).astream(
                {"question": "q"}, config={"callbacks": [SentinelHandler()]}
            ):
                yield chunk

        return StreamingResponse(tokens(), media_type="text/plain")

    @app.get("/oai/{session_id}")
    async def oai_route(session_id: str) -> dict[str, str]:
        completion = await aoai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"hello {session_id}"}]
        )
        return {"text": completion.choices[0].message.content or ""}

    @app.get("/oai-sync")
    def oai_sync() -> dict[str, str]:
        completion = oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello sync"}]
        )
        return {"text": completion.choices[0].message.content or ""}

    @app.get("/oai-stream")
    async def oai_stream() -> StreamingResponse:
        async def tokens() -> AsyncIterator[str]:
            stream = await aoai.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "stream three words"}],
                stream=True,
            )
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

        return StreamingResponse(tokens(), media_type="text/plain")

    app.add_middleware(SentinelMiddleware, client=recorder)
    return app


@pytest.mark.parametrize(
    ("path", "route"), [("/lc/s1", "/lc/{session_id}"), ("/lc-sync/s1", "/lc-sync/{session_id}")]
)
async def test_langchain_calls_are_tied_to_the_request(
    recorder: RecordingClient, fake_openai: FakeOpenAI, path: str, route: str
) -> None:
    async with http_client(make_app(recorder, fake_openai.base_url)) as http:
        response = await http.get(path, headers={"traceparent": TRACEPARENT})
    assert response.json() == {"summary": "the summary"}
    assert len(recorder.events) == 2
    for event in recorder.events:
        assert event.trace_id == TRACE_ID
        assert event.metadata["http.route"] == route
        assert event.metadata["sentinel.integration"] == "langchain"
    assert "s1" in recorder.events[0].prompt.text
    assert recorder.events[1].response.text == "the summary"


async def test_langchain_stream_is_captured_inside_the_request(
    recorder: RecordingClient, fake_openai: FakeOpenAI
) -> None:
    async with http_client(make_app(recorder, fake_openai.base_url)) as http:
        response = await http.get("/lc-stream", headers={"traceparent": TRACEPARENT})
    assert response.text == "streamed tokens here"
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.response.text == "streamed tokens here"
    assert event.metadata["http.route"] == "/lc-stream"


@pytest.mark.parametrize("path", ["/oai/s2", "/oai-sync"])
async def test_wrapped_openai_calls_use_the_request_scope(
    recorder: RecordingClient, fake_openai: FakeOpenAI, path: str
) -> None:
    async with http_client(make_app(recorder, fake_openai.base_url)) as http:
        response = await http.get(path, headers={"traceparent": TRACEPARENT})
    assert response.json()["text"].startswith("echo: hello")
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.model.startswith("gpt-4o-mini")
    assert event.metadata["url.path"] == path


async def test_wrapped_openai_stream_is_captured_while_streaming(
    recorder: RecordingClient, fake_openai: FakeOpenAI
) -> None:
    async with http_client(make_app(recorder, fake_openai.base_url)) as http:
        response = await http.get("/oai-stream", headers={"traceparent": TRACEPARENT})
    assert response.text == "echo: stream three words"
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.response.text == "echo: stream three words"
    assert event.metadata["http.route"] == "/oai-stream"
    assert sentinel_sdk.current_scope() is None
