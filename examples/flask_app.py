"""Flask + LLM Sentinel: every LLM call a request makes reaches Kafka tied to that request.

    SENTINEL_BROKERS=localhost:9092 flask --app examples.flask_app run
    SENTINEL_BROKERS=localhost:9092 gunicorn --preload -w 2 examples.flask_app:app

``create_app()`` is an application factory: each app it makes gets its own
client from its own config (``app.config["SENTINEL_*"]``, here from the
environment). The chat model is LangChain's fake one, so the example runs
offline; put ``ChatOpenAI(...)`` in ``chat_model()`` for real answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, jsonify, request
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnablePassthrough

from sentinel_sdk_flask import Sentinel
from sentinel_sdk_langchain import SentinelHandler

__all__ = ["app", "chat_model", "create_app", "sentinel"]

ANSWER = ChatPromptTemplate.from_messages(
    [("system", "You are a concise assistant."), ("human", "{question}")]
)
SUMMARY = ChatPromptTemplate.from_template("Summarize in one line: {answer}")
sentinel = Sentinel()  # one extension object, any number of apps


def chat_model() -> BaseChatModel:
    """The model every route uses (a fake one: swap in ``ChatOpenAI(model=...)``)."""
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


def create_app(**config: Any) -> Flask:
    """An app configured from ``SENTINEL_*`` environment variables, then ``config``."""
    app = Flask(__name__)
    app.config["SENTINEL_BROKERS"] = os.environ.get("SENTINEL_BROKERS", "localhost:9092")
    app.config["SENTINEL_SERVICE_NAME"] = os.environ.get("SENTINEL_SERVICE_NAME", "flask-example")
    for key in ("SENTINEL_TOPIC", "SENTINEL_SPOOL_DIR"):
        if key in os.environ:
            app.config[key] = os.environ[key]
    app.config["SENTINEL_EXCLUDED_PATHS"] = ["/health"]
    app.config.update(config)

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    @app.get("/chat/<session_id>")
    def chat(session_id: str) -> Any:
        """Two LLM calls through LangChain; both events carry this request's trace id."""
        question = request.args.get("q", "What is LLM Sentinel?")
        result = answer_and_summary(chat_model()).invoke(
            {"question": question}, config={"callbacks": [SentinelHandler()]}
        )
        return jsonify(session_id=session_id, answer=result["answer"], summary=result["summary"])

    @app.get("/stream/<session_id>")
    def stream(session_id: str) -> Response:
        """Tokens streamed as the model produces them, inside the request's scope."""
        question = request.args.get("q", "Stream me an answer")

        def tokens() -> Iterator[str]:
            yield from (ANSWER | chat_model() | StrOutputParser()).stream(
                {"question": question}, config={"callbacks": [SentinelHandler()]}
            )

        return Response(tokens(), mimetype="text/plain")

    sentinel.init_app(app)
    return app


app = create_app()
