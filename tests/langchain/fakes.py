"""A network-free chat model that behaves like a provider's: usage, tool calls, finish reason.

``ReportingChatModel`` answers "answer to <last human message>" (so concurrent runs
can be told apart), reports ``usage_metadata`` with cached and reasoning tokens, a
``finish_reason`` and the provider's dated model name, optionally calls a tool,
streams word by word (usage and finish reason on the last chunk) and raises on
demand, before the first chunk or after some chunks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

__all__ = ["USAGE", "ModelFailure", "ReportingChatModel"]

USAGE = {
    "input_tokens": 1200,
    "output_tokens": 80,
    "total_tokens": 1280,
    "input_token_details": {"cache_read": 1000},
    "output_token_details": {"reasoning": 30},
}


class ModelFailure(RuntimeError):
    """The error the fake model raises on demand."""

    status_code = 503


class ReportingChatModel(BaseChatModel):
    """A chat model of the tests' own (see the module docstring)."""

    model: str = "gpt-4o-mini"
    served_model: str = "gpt-4o-mini-2024-07-18"
    temperature: float = 0.2
    max_tokens: int = 256
    tool: dict[str, Any] | None = None
    report_usage: bool = True
    finish: str = "stop"
    fail: str | None = None
    fail_after_chunks: int | None = None
    delay: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "reporting-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens}

    def _reply(self, messages: list[BaseMessage]) -> str:
        return f"answer to {messages[-1].text}"

    def _message(self, messages: list[BaseMessage]) -> AIMessage:
        return AIMessage(
            content="" if self.tool else self._reply(messages),
            tool_calls=[self.tool] if self.tool else [],
            usage_metadata=USAGE if self.report_usage else None,
            response_metadata={
                "finish_reason": "tool_calls" if self.tool else self.finish,
                "model_name": self.served_model,
            },
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise ModelFailure(self.fail)
        return ChatResult(generations=[ChatGeneration(message=self._message(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise ModelFailure(self.fail)
        return ChatResult(generations=[ChatGeneration(message=self._message(messages))])

    def _chunks(self, messages: list[BaseMessage]) -> list[ChatGenerationChunk]:
        chunks = [
            ChatGenerationChunk(message=AIMessageChunk(content=word))
            for word in self._reply(messages).split(" ")
            for word in (word, " ")
        ][:-1]
        chunks.insert(0, ChatGenerationChunk(message=AIMessageChunk(content="")))  # role only
        if self.tool:
            chunks = [
                ChatGenerationChunk(
                    message=AIMessageChunk(
                        content="",
                        tool_call_chunks=[
                            tool_call_chunk(
                                name=self.tool["name"],
                                args=str(self.tool["args"]).replace("'", '"'),
                                id=self.tool["id"],
                                index=0,
                            )
                        ],
                    )
                )
            ]
        last = AIMessageChunk(
            content="",
            usage_metadata=USAGE if self.report_usage else None,  # type: ignore[arg-type]
            response_metadata={
                "finish_reason": "tool_calls" if self.tool else self.finish,
                "model_name": self.served_model,
            },
            chunk_position="last",
        )
        chunks.append(ChatGenerationChunk(message=last))
        return chunks

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if self.fail and self.fail_after_chunks is None:
            raise ModelFailure(self.fail)
        for i, chunk in enumerate(self._chunks(messages)):
            if self.fail and i == self.fail_after_chunks:
                raise ModelFailure(self.fail)
            if self.delay:
                time.sleep(self.delay)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if self.fail and self.fail_after_chunks is None:
            raise ModelFailure(self.fail)
        for i, chunk in enumerate(self._chunks(messages)):
            if self.fail and i == self.fail_after_chunks:
                raise ModelFailure(self.fail)
            if self.delay:
                await asyncio.sleep(self.delay)
            yield chunk
