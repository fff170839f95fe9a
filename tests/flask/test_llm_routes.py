"""Flask routes that call LangChain with ``SentinelHandler()`` and a wrapped OpenAI client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from flask import Flask, Response, jsonify
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnablePassthrough

import sentinel_sdk
from sentinel_sdk_flask import Sentinel
from sentinel_sdk_langchain import SentinelHandler
from sentinel_sdk_openai import wrap_openai
from tests.asgi.recording import RecordingClient
from tests.openai.server import FakeOpenAI

TRACE_ID = "6bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
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


def make_app(recorder: RecordingClient, base_url: str) -> Flask:
    app = Flask(__name__)
    oai = wrap_openai(openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0))

    @app.get("/lc/<session_id>")
    def lc(session_id: str) -> Any:
        result = two_calls().invoke(
            {"question": session_id}, config={"callbacks": [SentinelHandler()]}
        )
        return jsonify(summary=result["summary"])

    @app.get("/oai")
    def oai_route() -> Any:
        completion = oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello flask"}]
        )
        return jsonify(text=completion.choices[0].message.content)

    @app.get("/oai-stream")
    def oai_stream() -> Response:
        def tokens() -> Iterator[str]:
            stream = oai.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "stream from flask"}],
                stream=True,
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

        return Response(tokens(), mimetype="text/plain")

    Sentinel(app, client=recorder)
    return app


def test_langchain_calls_are_tied_to_the_request(
    recorder: RecordingClient, fake_openai: FakeOpenAI
) -> None:
    client = make_app(recorder, fake_openai.base_url).test_client()
    response = client.get("/lc/s1", headers={"traceparent": TRACEPARENT})
    assert response.json == {"summary": "the summary"}
    assert len(recorder.events) == 2
    for event in recorder.events:
        assert event.trace_id == TRACE_ID
        assert event.metadata["http.route"] == "/lc/<session_id>"
        assert event.metadata["sentinel.integration"] == "langchain"
    assert event.service_name == "flask-tests"


def test_wrapped_openai_call_uses_the_request_scope(
    recorder: RecordingClient, fake_openai: FakeOpenAI
) -> None:
    client = make_app(recorder, fake_openai.base_url).test_client()
    response = client.get("/oai", headers={"traceparent": TRACEPARENT})
    assert response.json == {"text": "echo: hello flask"}
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.metadata["http.route"] == "/oai"


def test_wrapped_openai_stream_is_captured_while_the_body_streams(
    recorder: RecordingClient, fake_openai: FakeOpenAI
) -> None:
    client = make_app(recorder, fake_openai.base_url).test_client()
    response = client.get("/oai-stream", headers={"traceparent": TRACEPARENT})
    assert response.get_data(as_text=True) == "echo: stream from flask"
    [event] = recorder.events
    assert event.trace_id == TRACE_ID
    assert event.response.text == "echo: stream from flask"
    assert event.metadata["http.route"] == "/oai-stream"
    response.close()
    assert sentinel_sdk.current_scope() is None
