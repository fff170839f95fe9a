"""A local OpenAI-compatible HTTP server for the wrapper's tests (Starlette on uvicorn).

Serves ``/v1/chat/completions`` and ``/v1/responses``, plain and streamed (SSE), on
127.0.0.1 in a thread of the test process. Replies are deterministic so tests can
check every captured field: the text is ``echo: <last user text>``, usage is
``PROMPT_TOKENS`` / one completion token per word / ``CACHED_TOKENS`` /
``REASONING_TOKENS``, and the served model is the requested one plus
``SNAPSHOT``. The request's model picks a behaviour:

- ``error-<status>``: an OpenAI-style error response with that HTTP status;
- ``stream-error``: a stream that sends two chunks, then an error event;
- ``tool``: the assistant calls ``get_weather`` instead of answering;
- any model with ``slow`` in its name streams one word every ``SLOW_DELAY`` s.

Every request body is kept in ``server.requests``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = [
    "CACHED_TOKENS",
    "PROMPT_TOKENS",
    "REASONING_TOKENS",
    "SLOW_DELAY",
    "SNAPSHOT",
    "FakeOpenAI",
]

PROMPT_TOKENS = 1500
CACHED_TOKENS = 1024
CACHE_WRITE_TOKENS = 200
REASONING_TOKENS = 3
SNAPSHOT = "-2024-08-06"
SLOW_DELAY = 0.05
TOOL_ARGS = '{"city":"Paris"}'


def _last_user_text(body: dict[str, Any]) -> str:
    if "messages" in body:
        for message in reversed(body["messages"]):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
                return str(content)
        return ""
    data = body.get("input", "")
    if isinstance(data, str):
        return data
    for item in reversed(data):
        if item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content)
            return str(content)
    return ""


def _usage_chat(reply: str, model: str = "") -> dict[str, Any]:
    words = len(reply.split())
    prompt_details = {"cached_tokens": CACHED_TOKENS}
    if model == "cache-write":  # a provider that also reports prompt-cache writes
        prompt_details["cache_write_tokens"] = CACHE_WRITE_TOKENS
    return {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": words,
        "total_tokens": PROMPT_TOKENS + words,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {"reasoning_tokens": REASONING_TOKENS},
    }


def _error(status: int) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "message": f"fake failure with status {status}",
                "type": "server_error" if status >= 500 else "invalid_request_error",
                "code": f"http_{status}",
                "param": None,
            }
        },
        status_code=status,
    )


class FakeOpenAI:
    """The server: ``start()``, ``base_url``, ``requests``, ``stop()``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/responses", self._responses, methods=["POST"]),
            ]
        )
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give the OpenAI client."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        """Serve in a thread; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake OpenAI server did not start in 10 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()

    # -- chat completions ---------------------------------------------------------------

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        model = body["model"]
        if model.startswith("error-"):
            return _error(int(model.removeprefix("error-")))
        reply = f"echo: {_last_user_text(body)}"
        served = model + SNAPSHOT
        if body.get("stream"):
            return StreamingResponse(
                self._chat_stream(body, served, reply), media_type="text/event-stream"
            )
        n = int(body.get("n") or 1)
        choices = []
        for i in range(n):
            message: dict[str, Any] = {"role": "assistant", "content": reply, "refusal": None}
            finish = "stop"
            if model == "tool":
                message["content"] = None
                message["tool_calls"] = [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": TOOL_ARGS},
                    }
                ]
                finish = "tool_calls"
            choices.append(
                {"index": i, "message": message, "finish_reason": finish, "logprobs": None}
            )
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": served,
                "system_fingerprint": "fp_fake",
                "service_tier": "default",
                "choices": choices,
                "usage": _usage_chat(reply, model),
            }
        )

    async def _chat_stream(
        self, body: dict[str, Any], served: str, reply: str
    ) -> AsyncIterator[str]:
        delay = SLOW_DELAY if "slow" in body["model"] else 0.0

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            data = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": served,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
                ],
            }
            return f"data: {json.dumps(data)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        if body["model"] == "tool":
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": ""},
                        }
                    ]
                }
            )
            for piece in ('{"city":', '"Paris"}'):
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            finish = "tool_calls"
        else:
            words = reply.split(" ")
            for i, word in enumerate(words):
                if delay:
                    await asyncio.sleep(delay)
                if body["model"] == "stream-error" and i == 2:
                    error = {"error": {"message": "the model fell over", "type": "server_error"}}
                    yield f"data: {json.dumps(error)}\n\n"
                    return
                yield chunk({"content": word if i == 0 else f" {word}"})
            finish = "stop"
        yield chunk({}, finish)
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": served,
                "choices": [],
                "usage": _usage_chat(reply),
            }
            yield f"data: {json.dumps(usage)}\n\n"
        yield "data: [DONE]\n\n"

    # -- responses ------------------------------------------------------------------------

    def _response(self, body: dict[str, Any], served: str, reply: str) -> dict[str, Any]:
        output: list[dict[str, Any]]
        if body["model"] == "tool":
            output = [
                {
                    "type": "function_call",
                    "id": "fc_1",
                    "call_id": "call_1",
                    "name": "get_weather",
                    "arguments": TOOL_ARGS,
                    "status": "completed",
                }
            ]
        else:
            output = [
                {
                    "type": "message",
                    "id": "msg_1",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": reply, "annotations": []}],
                }
            ]
        words = len(reply.split())
        return {
            "id": "resp_fake",
            "object": "response",
            "created_at": int(time.time()),
            "model": served,
            "status": "completed",
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "service_tier": "default",
            "usage": {
                "input_tokens": PROMPT_TOKENS,
                "input_tokens_details": {"cached_tokens": CACHED_TOKENS, "cache_write_tokens": 0},
                "output_tokens": words,
                "output_tokens_details": {"reasoning_tokens": REASONING_TOKENS},
                "total_tokens": PROMPT_TOKENS + words,
            },
        }

    async def _responses(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        model = body["model"]
        if model.startswith("error-"):
            return _error(int(model.removeprefix("error-")))
        reply = f"echo: {_last_user_text(body)}"
        final = self._response(body, model + SNAPSHOT, reply)
        if not body.get("stream"):
            return JSONResponse(final)
        return StreamingResponse(
            self._responses_stream(body, final, reply), media_type="text/event-stream"
        )

    async def _responses_stream(
        self, body: dict[str, Any], final: dict[str, Any], reply: str
    ) -> AsyncIterator[str]:
        delay = SLOW_DELAY if "slow" in body["model"] else 0.0
        seq = 0

        def event(kind: str, **fields: Any) -> str:
            nonlocal seq
            seq += 1
            data = {"type": kind, "sequence_number": seq, **fields}
            return f"event: {kind}\ndata: {json.dumps(data)}\n\n"

        yield event("response.created", response={**final, "status": "in_progress", "output": []})
        for i, word in enumerate(reply.split(" ")):
            if delay:
                await asyncio.sleep(delay)
            yield event(
                "response.output_text.delta",
                item_id="msg_1",
                output_index=0,
                content_index=0,
                delta=word if i == 0 else f" {word}",
                logprobs=[],
            )
        yield event("response.completed", response=final)
