"""FastAPI + LLM Sentinel: every LLM call a request makes reaches Kafka tied to that request.

    SENTINEL_BROKERS=localhost:9092 uvicorn examples.fastapi_app:app

then ``curl localhost:8000/chat/s1?q=hello`` and read the topic (``llm.telemetry``
unless ``SENTINEL_TOPIC`` says otherwise): two events, one per model call, both
with the request's trace id (send a ``traceparent`` header to choose it),
``http.route = /chat/{session_id}`` and the request id.

The chat model is LangChain's fake one, so the example runs offline; put
``ChatOpenAI(...)`` (or any chat model) in ``chat_model()`` for real answers.
``/openai/{session_id}`` calls the OpenAI API through ``wrap_openai``; point
``OPENAI_BASE_URL`` at any OpenAI-compatible endpoint (a local fake one works).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import openai
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnablePassthrough

from sentinel_sdk_asgi import SentinelMiddleware
from sentinel_sdk_langchain import SentinelHandler
from sentinel_sdk_openai import wrap_openai

__all__ = ["app", "chat_model", "openai_client"]

ANSWER = ChatPromptTemplate.from_messages(
    [("system", "You are a concise assistant."), ("human", "{question}")]
)
SUMMARY = ChatPromptTemplate.from_template("Summarize in one line: {answer}")


def chat_model() -> BaseChatModel:
    """The model every route uses (a fake one: swap in ``ChatOpenAI(model=...)``)."""
    return FakeListChatModel(
        responses=[
            "LLM Sentinel watches every model call your app makes.",
            "Sentinel: per-call telemetry in Kafka.",
        ]
    )


class UnavailableChatModel(BaseChatModel):
    """A chat model whose provider is down: every call raises."""

    @property
    def _llm_type(self) -> str:
        return "unavailable"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise ConnectionError("the model provider is unavailable")


def answer_and_summary(model: BaseChatModel) -> Runnable[dict[str, str], dict[str, str]]:
    """Two model calls per request: an answer, then a one-line summary of it."""
    parse = StrOutputParser()
    return RunnablePassthrough.assign(answer=ANSWER | model | parse).assign(
        summary=SUMMARY | model | parse
    )


# Wrapped once; each call is sent with the client of the request it is made in.
openai_client = wrap_openai(
    openai.AsyncOpenAI(
        api_key=os.environ.get("OPENAI_API_KEY", "sk-local"),
        base_url=os.environ.get("OPENAI_BASE_URL"),
        max_retries=0,
    )
)
OPENAI_MODEL = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")

app = FastAPI(title="LLM Sentinel FastAPI example")
app.add_middleware(
    SentinelMiddleware,
    # Options make the middleware's own client (SENTINEL_* variables fill the rest);
    # it is flushed and closed when the server shuts down.
    service_name=os.environ.get("SENTINEL_SERVICE_NAME", "fastapi-example"),
    excluded_paths=["/health"],
    trace_header=True,
)


@app.get("/health")
async def health() -> dict[str, str]:
    """Not scoped (excluded_paths)."""
    return {"status": "ok"}


@app.get("/chat/{session_id}")
async def chat(session_id: str, q: str = "What is LLM Sentinel?") -> dict[str, str]:
    """Two LLM calls through LangChain; both events carry this request's trace id."""
    result = await answer_and_summary(chat_model()).ainvoke(
        {"question": q}, config={"callbacks": [SentinelHandler()]}
    )
    return {"session_id": session_id, "answer": result["answer"], "summary": result["summary"]}


@app.get("/chat-sync/{session_id}")
def chat_sync(session_id: str, q: str = "What is LLM Sentinel?") -> dict[str, str]:
    """The same from a sync route (FastAPI runs it in its threadpool; the scope follows)."""
    result = answer_and_summary(chat_model()).invoke(
        {"question": q}, config={"callbacks": [SentinelHandler()]}
    )
    return {"session_id": session_id, "answer": result["answer"], "summary": result["summary"]}


@app.get("/stream/{session_id}")
async def stream(session_id: str, q: str = "Stream me an answer") -> StreamingResponse:
    """Tokens streamed to the client as the model produces them; the event is captured
    when the stream ends, still inside the request's scope."""

    async def tokens() -> AsyncIterator[str]:
        async for chunk in (ANSWER | chat_model() | StrOutputParser()).astream(
            {"question": q}, config={"callbacks": [SentinelHandler()]}
        ):
            yield chunk

    return StreamingResponse(tokens(), media_type="text/plain")


@app.get("/openai/{session_id}")
async def ask_openai(session_id: str, q: str = "What is LLM Sentinel?") -> dict[str, str]:
    """One call through the wrapped OpenAI client: one event, tied to this request."""
    completion = await openai_client.chat.completions.create(
        model=OPENAI_MODEL, messages=[{"role": "user", "content": q}]
    )
    return {"session_id": session_id, "answer": completion.choices[0].message.content or ""}


@app.get("/fail")
async def fail() -> dict[str, str]:
    """The model call fails: the event records the error, the route answers 502."""
    try:
        await (ANSWER | UnavailableChatModel()).ainvoke(
            {"question": "anyone there?"}, config={"callbacks": [SentinelHandler()]}
        )
    except ConnectionError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from exc
    return {"status": "unreachable"}
