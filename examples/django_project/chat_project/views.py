"""Views that call a chat model through LangChain with ``SentinelHandler()``.

The model is LangChain's fake one, so the example runs offline; put
``ChatOpenAI(...)`` in ``chat_model()`` for real answers.
"""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnablePassthrough

from sentinel_sdk_langchain import SentinelHandler

ANSWER = ChatPromptTemplate.from_messages(
    [("system", "You are a concise assistant."), ("human", "{question}")]
)
SUMMARY = ChatPromptTemplate.from_template("Summarize in one line: {answer}")


def chat_model() -> BaseChatModel:
    """The model every view uses (a fake one: swap in ``ChatOpenAI(model=...)``)."""
    return FakeListChatModel(
        responses=[
            "LLM Sentinel watches every model call your app makes.",
            "Sentinel: per-call telemetry in Kafka.",
        ]
    )


def answer_and_summary(model: BaseChatModel) -> Runnable[dict[str, str], dict[str, str]]:
    """Two model calls per request: an answer, then a one-line summary of it."""
    parse = StrOutputParser()
    return RunnablePassthrough.assign(answer=ANSWER | model | parse).assign(
        summary=SUMMARY | model | parse
    )


def health(request: HttpRequest) -> HttpResponse:
    """Not scoped (``EXCLUDED_PATHS``)."""
    return HttpResponse("ok")


def chat(request: HttpRequest, session_id: str) -> JsonResponse:
    """Sync view: two LLM calls, both tied to this request."""
    question = request.GET.get("q", "What is LLM Sentinel?")
    result = answer_and_summary(chat_model()).invoke(
        {"question": question}, config={"callbacks": [SentinelHandler()]}
    )
    return JsonResponse(
        {"session_id": session_id, "answer": result["answer"], "summary": result["summary"]}
    )


async def achat(request: HttpRequest, session_id: str) -> JsonResponse:
    """Async view: the same two calls, awaited."""
    question = request.GET.get("q", "What is LLM Sentinel?")
    result = await answer_and_summary(chat_model()).ainvoke(
        {"question": question}, config={"callbacks": [SentinelHandler()]}
    )
    return JsonResponse(
        {"session_id": session_id, "answer": result["answer"], "summary": result["summary"]}
    )


def stream(request: HttpRequest, session_id: str) -> StreamingHttpResponse:
    """Tokens streamed as the model produces them, inside the request's scope."""
    question = request.GET.get("q", "Stream me an answer")

    def tokens() -> Iterator[str]:
        yield from (ANSWER | chat_model() | StrOutputParser()).stream(
            {"question": question}, config={"callbacks": [SentinelHandler()]}
        )

    return StreamingHttpResponse(tokens(), content_type="text/plain")
