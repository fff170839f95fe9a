"""LLM capture end to end: a LangChain chain and a wrapped OpenAI client, to the real broker.

Each test reads its topic back with a Kafka consumer and validates every event
against the shipped JSON Schema, then checks what the integration captured and
what the sender added (the cost).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import openai
import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from sentinel_sdk import AsyncSentinelClient, SentinelClient, json_schema
from sentinel_sdk.pricing import estimate_cost
from sentinel_sdk_langchain import SentinelHandler
from sentinel_sdk_openai import wrap_openai
from tests.kafka_helpers import Broker, consume_events, new_topic
from tests.langchain.fakes import USAGE, ReportingChatModel
from tests.openai.server import CACHED_TOKENS, PROMPT_TOKENS, FakeOpenAI

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


def read_back(kafka: Broker, topic: str, expected: int) -> list[dict[str, Any]]:
    events = consume_events(kafka.plaintext, topic, expected=expected, timeout=60, idle=1.0)
    assert len(events) == expected
    for event in events:
        jsonschema.validate(event, json_schema())
    return events


def test_langchain_chain_events_reach_the_broker(kafka: Broker, spool_dir: str) -> None:
    topic = new_topic("llm-e2e-lc")
    chain = (
        ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{question}")])
        | ReportingChatModel()
        | StrOutputParser()
    )
    with SentinelClient(
        brokers=[kafka.plaintext], topic=topic, service_name="lc-e2e", spool_dir=spool_dir
    ) as client:
        handler = SentinelHandler(client)
        config: Any = {"callbacks": [handler], "metadata": {"user_id": "u-7"}}
        assert chain.invoke({"question": "plain?"}, config=config) == "answer to plain?"
        assert "".join(chain.stream({"question": "streamed?"}, config=config)) == (
            "answer to streamed?"
        )
        assert client.flush(30)
    events = sorted(read_back(kafka, topic, 2), key=lambda e: e["prompt"]["text"])
    plain, streamed = events
    for event, question in ((plain, "plain?"), (streamed, "streamed?")):
        assert event["service_name"] == "lc-e2e"
        assert event["model"] == "gpt-4o-mini-2024-07-18"
        assert event["prompt"] == {
            "text": f"system: Be brief.\nhuman: {question}",
            "tokens": USAGE["input_tokens"],
            "embedding": None,
        }
        assert event["response"]["text"] == f"answer to {question}"
        assert event["response"]["tokens"] == USAGE["output_tokens"]
        assert event["response"]["finish_reason"] == "stop"
        assert event["latency_ms"] > 0
        assert event["cost_usd"] == pytest.approx(estimate_cost("gpt-4o-mini", 1200, 80, 1000))
        assert event["metadata"]["sentinel.cost_known"] == "true"
        assert event["metadata"]["sentinel.langchain.metadata.user_id"] == "u-7"
        assert event["metadata"]["sentinel.langchain.parent_run_id"]
        assert event["errors"] == []
    assert "sentinel.time_to_first_token_ms" not in plain["metadata"]
    assert float(streamed["metadata"]["sentinel.time_to_first_token_ms"]) <= streamed["latency_ms"]


def test_wrapped_openai_events_reach_the_broker(
    kafka: Broker, spool_dir: str, server: FakeOpenAI
) -> None:
    topic = new_topic("llm-e2e-oai")
    messages: Any = [{"role": "user", "content": "hello broker"}]
    with SentinelClient(
        brokers=[kafka.plaintext], topic=topic, service_name="oai-e2e", spool_dir=spool_dir
    ) as client:
        oai = wrap_openai(
            openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0), sentinel=client
        )
        oai.chat.completions.create(model="gpt-4o", messages=messages)
        list(oai.chat.completions.create(model="gpt-4o", messages=messages, stream=True))
        oai.responses.create(model="gpt-4.1-mini", input="hello broker")
        with pytest.raises(openai.RateLimitError):
            oai.chat.completions.create(model="error-429", messages=messages)
        assert client.flush(30)
    events = read_back(kafka, topic, 4)
    by_kind = {
        (
            e["metadata"]["openai.api.type"],
            e["metadata"].get("gen_ai.request.stream"),
            e["errors"] != [],
        ): e
        for e in events
    }
    assert set(by_kind) == {
        ("chat_completions", None, False),
        ("chat_completions", "true", False),
        ("responses", None, False),
        ("chat_completions", None, True),
    }
    for key in (("chat_completions", None, False), ("chat_completions", "true", False)):
        event = by_kind[key]
        assert event["model"] == "gpt-4o-2024-08-06"
        assert event["prompt"]["text"] == "user: hello broker"
        assert event["response"]["text"] == "echo: hello broker"
        assert event["prompt"]["tokens"] == PROMPT_TOKENS
        assert event["cost_usd"] == pytest.approx(
            estimate_cost("gpt-4o", PROMPT_TOKENS, 3, CACHED_TOKENS)
        )
    failed = by_kind[("chat_completions", None, True)]
    assert failed["response"]["finish_reason"] == "error"
    assert failed["metadata"]["sentinel.error.status_code"] == "429"
    assert failed["metadata"]["sentinel.cost_known"] == "false"
    assert by_kind[("responses", None, False)]["model"] == "gpt-4.1-mini-2024-08-06"


async def test_async_client_async_chain_and_async_openai(
    kafka: Broker, spool_dir: str, server: FakeOpenAI
) -> None:
    topic = new_topic("llm-e2e-async")
    async with AsyncSentinelClient(
        brokers=[kafka.plaintext], topic=topic, service_name="async-e2e", spool_dir=spool_dir
    ) as client:
        await ReportingChatModel().ainvoke(
            "async chain", config={"callbacks": [SentinelHandler(client)]}
        )
        aoai = wrap_openai(
            openai.AsyncOpenAI(api_key="k", base_url=server.base_url, max_retries=0),
            sentinel=client,
        )
        stream = await aoai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "async oai"}], stream=True
        )
        async for _ in stream:
            pass
        assert await client.flush(30)
    events = read_back(kafka, topic, 2)
    assert sorted(e["response"]["text"] for e in events) == [
        "answer to async chain",
        "echo: async oai",
    ]
    assert all(e["metadata"]["sentinel.cost_known"] == "true" for e in events)
