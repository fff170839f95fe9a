"""FastAPI + LLM Sentinel: every LLM call a request makes reaches Kafka tied to that request.

    SENTINEL_BROKERS=localhost:9092 uvicorn examples.fastapi_app:app

then ``curl localhost:8000/chat/s1?q=hello`` and read the topic (``llm.telemetry``
unless ``SENTINEL_TOPIC`` says otherwise): two events, one per model call, both
with the request's trace id (send a ``traceparent`` header to choose it),
``http.route = /chat/{session_id}`` and the request id.

The chat model is a local stand-in (``DemoChatModel``), so the example runs offline; put
``ChatOpenAI(...)`` (or any chat model) in ``chat_model()`` for real answers.
``/openai/{session_id}`` calls the OpenAI API through ``wrap_openai``; point
``OPENAI_BASE_URL`` at any OpenAI-compatible endpoint (a local fake one works).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import openai
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnablePassthrough

import sentinel_sdk
from sentinel_sdk import SentinelClient
from sentinel_sdk_asgi import SentinelMiddleware
from sentinel_sdk_langchain import SentinelHandler
from sentinel_sdk_openai import wrap_openai

__all__ = ["app", "chat_model", "openai_client"]

ANSWER = ChatPromptTemplate.from_messages(
    [("system", "You are a concise assistant."), ("human", "{question}")]
)
SUMMARY = ChatPromptTemplate.from_template("Summarize in one line: {answer}")


def chat_model() -> BaseChatModel:
    """The model every route uses (a local stand-in: swap in ``ChatOpenAI(model=...)``)."""
    return DemoChatModel()


class DemoChatModel(BaseChatModel):
    """Answers like a hosted chat model would, offline: it takes a moment, streams token
    by token, and reports its model name, token usage and finish reason."""

    model_name: str = "gpt-4o-mini"
    answers: tuple[str, ...] = (
        "LLM Sentinel watches every model call your app makes and flags anomalies.",
        "Per-call LLM telemetry, shipped to Kafka.",
    )

    @property
    def _llm_type(self) -> str:
        return "demo-chat"

    def _reply(self, messages: list[BaseMessage]) -> tuple[str, dict[str, Any]]:
        prompt = " ".join(str(m.content) for m in messages)
        text = self.answers[len(prompt) % len(self.answers)]
        prompt_tokens, output_tokens = len(prompt.split()) + 7, len(text.split())
        usage = {
            "input_tokens": prompt_tokens,
            "output_tokens": output_tokens,
            "total_tokens": prompt_tokens + output_tokens,
        }
        return text, usage

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        time.sleep(random.uniform(0.05, 0.15))  # the provider thinking
        text, usage = self._reply(messages)
        message = AIMessage(
            content=text,
            usage_metadata=usage,
            response_metadata={
                "model_name": f"{self.model_name}-2024-07-18",
                "finish_reason": "stop",
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        await asyncio.sleep(random.uniform(0.05, 0.15))  # time to first token
        text, usage = self._reply(messages)
        words = text.split(" ")
        for i, word in enumerate(words):
            last = i == len(words) - 1
            chunk = AIMessageChunk(
                content=word if i == 0 else f" {word}",
                usage_metadata=usage if last else None,  # type: ignore[arg-type]
                response_metadata={
                    "model_name": f"{self.model_name}-2024-07-18",
                    "finish_reason": "stop",
                }
                if last
                else {},
            )
            if run_manager is not None:
                await run_manager.on_llm_new_token(str(chunk.content), chunk=None)
            yield ChatGenerationChunk(message=chunk)
            await asyncio.sleep(0.02)


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


@app.get("/sentinel/stats")
async def sentinel_stats() -> dict[str, Any]:
    """The SDK's own counters (what happened to every event so far), after a flush."""
    client = sentinel_sdk.current_client()  # inside a request: the middleware's client
    if isinstance(client, SentinelClient):
        await asyncio.to_thread(client.flush, 5.0)
    stats: dict[str, Any] = dict(client.stats())
    return stats


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
