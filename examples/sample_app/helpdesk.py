"""A tiny helpdesk API whose LLM calls LLM Sentinel records; its test suite needs no Kafka.

    SENTINEL_BROKERS=localhost:9092 OPENAI_API_KEY=sk-... python examples/sample_app/helpdesk.py

``POST /ask {"question": ...}`` asks gpt-4o through a ``wrap_openai`` client;
``POST /triage {"text": ...}`` labels a ticket with a local keyword model and
records that call with ``sentinel_sdk.track()``. ``SentinelMiddleware`` ties
both to the request (trace id, ``http.route``). Nothing here names a client:
events go to the process default, which ``main()`` configures from
``SENTINEL_*`` variables and the tests in ``tests/`` swap for an in-memory one
(``sentinel_sdk.testing``).
"""

from __future__ import annotations

import time

import openai
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

import sentinel_sdk
from sentinel_sdk_asgi import SentinelMiddleware
from sentinel_sdk_openai import wrap_openai

__all__ = ["MODEL", "TRIAGE_MODEL", "Answer", "Question", "Ticket", "Triage", "create_app", "main"]

MODEL = "gpt-4o"
TRIAGE_MODEL = "keyword-triage-v1"
SYSTEM_PROMPT = "You answer helpdesk questions in two sentences at most."
_LABELS = {
    "billing": ("invoice", "refund", "charge", "payment"),
    "access": ("password", "login", "locked", "2fa"),
}


class Question(BaseModel):
    """Body of ``POST /ask``."""

    question: str


class Answer(BaseModel):
    """Reply of ``POST /ask``."""

    answer: str


class Ticket(BaseModel):
    """Body of ``POST /triage``."""

    text: str


class Triage(BaseModel):
    """Reply of ``POST /triage``."""

    label: str


def classify(text: str) -> str:
    """The "local model": the first label whose keywords the text mentions, else "other"."""
    words = text.lower()
    for label, keywords in _LABELS.items():
        if any(keyword in words for keyword in keywords):
            return label
    return "other"


def create_app(llm: openai.OpenAI) -> FastAPI:
    """The helpdesk app, asking ``llm`` (any OpenAI client; the tests give a fake one)."""
    app = FastAPI(title="helpdesk")
    app.add_middleware(SentinelMiddleware)  # no client=: events go to the process default
    wrap_openai(llm)

    @app.post("/ask")
    def ask(body: Question) -> Answer:
        try:
            completion = llm.chat.completions.create(
                model=MODEL,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": body.question},
                ],
            )
        except openai.APIError as exc:
            raise HTTPException(502, "the assistant is unavailable, try again later") from exc
        return Answer(answer=completion.choices[0].message.content or "")

    @app.post("/triage")
    def triage(ticket: Ticket) -> Triage:
        started = time.perf_counter()
        label = classify(ticket.text)
        sentinel_sdk.track(
            model=TRIAGE_MODEL,
            prompt=ticket.text,
            response=label,
            finish_reason="stop",
            latency_ms=(time.perf_counter() - started) * 1000,
            metadata={"helpdesk.label": label},
        )
        return Triage(label=label)

    return app


def main() -> None:
    """Serve the app on 127.0.0.1:8000, recording to Kafka as ``SENTINEL_*`` variables say."""
    import uvicorn

    sentinel_sdk.init(service_name="helpdesk")
    uvicorn.run(create_app(openai.OpenAI()), host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
