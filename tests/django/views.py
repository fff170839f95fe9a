"""Views for the Django framework tests: sync, async, streaming, failing, threaded."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import openai
from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnablePassthrough

import sentinel_sdk
from sentinel_sdk_langchain import SentinelHandler
from sentinel_sdk_openai import wrap_openai


class ViewError(Exception):
    """Raised by the failing view."""


def track(label: str) -> None:
    sentinel_sdk.track(model="fake-model", prompt=label, response="ok")


def chat(request: HttpRequest, session_id: str) -> JsonResponse:
    track("sync")
    return JsonResponse({"session": session_id})


async def achat(request: HttpRequest, session_id: str) -> JsonResponse:
    track("async")
    return JsonResponse({"session": session_id})


def stream(request: HttpRequest) -> StreamingHttpResponse:
    def chunks() -> Iterator[bytes]:
        for i in range(3):
            track(f"stream-{i}")
            yield f"chunk {i}\n".encode()

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def stream_n(request: HttpRequest, count: int) -> StreamingHttpResponse:
    def chunks() -> Iterator[bytes]:
        for i in range(count):
            track(f"n-{i}")
            yield b"x"

    return StreamingHttpResponse(chunks(), content_type="text/plain")


async def astream(request: HttpRequest) -> StreamingHttpResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(3):
            track(f"astream-{i}")
            await asyncio.sleep(0)
            yield f"chunk {i}\n".encode()

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def boom(request: HttpRequest) -> HttpResponse:
    track("before-error")
    raise ViewError("boom")


def health(request: HttpRequest) -> HttpResponse:
    track("health")
    return HttpResponse("ok")


async def threads(request: HttpRequest) -> HttpResponse:
    await sync_to_async(track)("sync_to_async")
    await asyncio.to_thread(track, "to_thread")
    return HttpResponse("ok")


# -- views that call LLMs: LangChain with SentinelHandler(), the wrapped OpenAI client --

OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # set by the tests to their fake OpenAI server


def two_calls() -> Runnable[dict[str, str], dict[str, str]]:
    model = FakeListChatModel(responses=["the answer", "the summary"])
    prompt = ChatPromptTemplate.from_template("Answer: {question}")
    summary = ChatPromptTemplate.from_template("Summarize: {answer}")
    return RunnablePassthrough.assign(answer=prompt | model | StrOutputParser()).assign(
        summary=summary | model | StrOutputParser()
    )


def lc(request: HttpRequest, session_id: str) -> JsonResponse:
    result = two_calls().invoke({"question": session_id}, config={"callbacks": [SentinelHandler()]})
    return JsonResponse({"summary": result["summary"]})


async def alc(request: HttpRequest, session_id: str) -> JsonResponse:
    result = await two_calls().ainvoke(
        {"question": session_id}, config={"callbacks": [SentinelHandler()]}
    )
    return JsonResponse({"summary": result["summary"]})


def oai(request: HttpRequest) -> JsonResponse:
    client = wrap_openai(openai.OpenAI(api_key="sk-test", base_url=OPENAI_BASE_URL, max_retries=0))
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello django"}]
    )
    return JsonResponse({"text": completion.choices[0].message.content})


async def aoai_stream(request: HttpRequest) -> StreamingHttpResponse:
    client = wrap_openai(
        openai.AsyncOpenAI(api_key="sk-test", base_url=OPENAI_BASE_URL, max_retries=0)
    )

    async def tokens() -> AsyncIterator[str]:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "stream from django"}],
            stream=True,
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content

    return StreamingHttpResponse(tokens(), content_type="text/plain")
