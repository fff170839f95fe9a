"""LangChain usage: ``SentinelHandler`` turns every model call of a chain into one event.

    SENTINEL_BROKERS=127.0.0.1:19092 python examples/langchain_usage.py

The chat model here needs no network but answers like a provider would (usage,
finish reason, model name); put ``ChatOpenAI(...)``, ``ChatAnthropic(...)`` or any
other chat model in its place. The same handler
works for ``invoke``, ``batch``, ``stream`` and ``ainvoke``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableConfig

import sentinel_sdk
from sentinel_sdk import TelemetryEvent
from sentinel_sdk_langchain import SentinelHandler


class DemoChatModel(BaseChatModel):
    """A chat model that needs no network, reporting what a real provider reports."""

    model: str = "gpt-4o-mini"
    answers: list[str]

    @property
    def _llm_type(self) -> str:
        return "demo"

    def _reply(self) -> AIMessage:
        answer = self.answers.pop(0)
        return AIMessage(
            content=answer,
            usage_metadata={
                "input_tokens": 120,
                "output_tokens": len(answer.split()),
                "total_tokens": 120 + len(answer.split()),
                "input_token_details": {"cache_read": 64},
            },
            response_metadata={"model_name": "gpt-4o-mini-2024-07-18", "finish_reason": "stop"},
        )

    def _generate(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply())])

    def _stream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._reply()
        for word in str(reply.content).split(" "):
            time.sleep(0.01)  # tokens arrive one by one
            yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))
        last = AIMessageChunk(
            content="",
            usage_metadata=reply.usage_metadata,
            response_metadata=reply.response_metadata,
        )
        yield ChatGenerationChunk(message=last)


def main() -> int:
    brokers = os.environ.get("SENTINEL_BROKERS", "127.0.0.1:19092")
    topic = os.environ.get("SENTINEL_TOPIC", "llm.telemetry")
    acknowledged: list[TelemetryEvent] = []  # filled on the sender thread, per broker ack

    sentinel_sdk.init(
        brokers=brokers.split(","),
        topic=topic,
        service_name="langchain-example",
        on_success=acknowledged.append,
    )

    prompt = ChatPromptTemplate.from_messages(
        [("system", "You answer in one sentence."), ("human", "{question}")]
    )
    chain = (
        prompt
        | DemoChatModel(
            answers=[
                "Kafka is a distributed commit log.",
                "Batching amortises request overhead.",
                "Idempotence removes duplicates on retry.",
                "Streaming shows tokens as they are generated.",
                "Async calls overlap their waiting.",
            ]
        )
        | StrOutputParser()
    )
    # No argument: the handler uses the client configured by sentinel_sdk.init().
    config: RunnableConfig = {
        "callbacks": [SentinelHandler()],
        "tags": ["example"],
        "metadata": {"user_id": "demo-user"},
    }

    print("invoke:", chain.invoke({"question": "What is Kafka?"}, config=config))
    print(
        "batch: ",
        chain.batch([{"question": "Why batch?"}, {"question": "Why idempotence?"}], config=config),
    )
    print("stream:", end=" ")
    for piece in chain.stream({"question": "Why stream?"}, config=config):
        print(piece, end="", flush=True)
    print()
    print("ainvoke:", asyncio.run(chain.ainvoke({"question": "Why async?"}, config=config)))

    delivered = sentinel_sdk.flush(30)
    print(f"\n{len(acknowledged)} events acknowledged by {brokers} on topic {topic!r}:")
    print(
        f"{'model':<24}{'tokens in/out':>14}{'cost $':>11}{'latency ms':>12}{'ttft ms':>9}  prompt"
    )
    for event in acknowledged:
        ttft = event.metadata.get("sentinel.time_to_first_token_ms", "-")
        print(
            f"{event.model:<24}{event.prompt.tokens:>8}/{event.response.tokens:<5}"
            f"{event.cost_usd:>11.6f}{event.latency_ms:>12.2f}{ttft:>9.9}  "
            f"{event.prompt.text.splitlines()[-1]}"
        )
    return 0 if delivered and len(acknowledged) == 5 else 1


if __name__ == "__main__":
    sys.exit(main())
