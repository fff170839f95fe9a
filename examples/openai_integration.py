"""OpenAI usage: ``wrap_openai(client)`` captures every call the client makes, streams included.

    SENTINEL_BROKERS=127.0.0.1:19092 python examples/openai_integration.py

No API key and no network needed: the example serves a tiny OpenAI-compatible API
on 127.0.0.1 and points the real ``openai`` client at it. In your app, wrap the
client you already have: ``client = wrap_openai(OpenAI())``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai

import sentinel_sdk
from sentinel_sdk import TelemetryEvent
from sentinel_sdk_openai import wrap_openai


class FakeOpenAIHandler(BaseHTTPRequestHandler):
    """``POST /v1/chat/completions`` (plain and SSE stream) and ``POST /v1/responses``."""

    def log_message(self, format: str, *args: Any) -> None:  # keep the example's output clean
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        model = request["model"]
        if model == "gpt-4o-overloaded":
            self._send(
                503, {"error": {"message": "The server is overloaded", "type": "server_error"}}
            )
            return
        question = request.get("input") or request["messages"][-1]["content"]
        answer = f"You asked: {question}"
        usage: dict[str, Any] = {
            "prompt_tokens": 250,
            "completion_tokens": len(answer.split()),
            "total_tokens": 250 + len(answer.split()),
            "prompt_tokens_details": {"cached_tokens": 128},
        }
        if self.path.endswith("/responses"):
            self._send(200, _response(model, answer))
        elif request.get("stream"):
            self._stream(model, answer, usage, request)
        else:
            message = {"role": "assistant", "content": answer}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            self._send(200, _completion(model, choices=[choice], usage=usage))

    def _stream(
        self, model: str, answer: str, usage: dict[str, Any], request: dict[str, Any]
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        words = answer.split(" ")
        for i, word in enumerate(words):
            time.sleep(0.02)  # tokens arrive one by one
            delta = {"content": word if i == 0 else f" {word}"}
            finish = "stop" if i == len(words) - 1 else None
            chunk = _completion(
                model, choices=[{"index": 0, "delta": delta, "finish_reason": finish}]
            )
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        if (request.get("stream_options") or {}).get("include_usage"):
            last = _completion(model, choices=[], usage=usage)
            self.wfile.write(f"data: {json.dumps(last)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


def _completion(model: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-demo",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        **fields,
    }


def _response(model: str, answer: str) -> dict[str, Any]:
    text = {"type": "output_text", "text": answer, "annotations": []}
    message = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [text],
    }
    usage = {
        "input_tokens": 250,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": len(answer.split()),
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 0,
    }
    return {
        "id": "resp_demo",
        "object": "response",
        "created_at": 0,
        "model": model,
        "status": "completed",
        "output": [message],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage,
    }


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAIHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"

    brokers = os.environ.get("SENTINEL_BROKERS", "127.0.0.1:19092")
    topic = os.environ.get("SENTINEL_TOPIC", "llm.telemetry")
    acknowledged: list[TelemetryEvent] = []  # filled on the sender thread, per broker ack
    sentinel_sdk.init(
        brokers=brokers.split(","),
        topic=topic,
        service_name="openai-example",
        on_success=acknowledged.append,
    )

    client = wrap_openai(openai.OpenAI(api_key="not-needed", base_url=base_url, max_retries=0))

    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is Kafka?"},
        ],
        temperature=0.2,
    )
    print("chat:     ", reply.choices[0].message.content)

    print("streamed: ", end="")
    for chunk in client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Why stream tokens?"}],
        stream=True,  # the wrapper asks for usage, so the event has token counts
    ):
        print(chunk.choices[0].delta.content or "", end="", flush=True)
    print()

    response = client.responses.create(model="gpt-4.1-mini", input="What is a partition?")
    print("responses:", response.output_text)

    try:
        client.chat.completions.create(
            model="gpt-4o-overloaded", messages=[{"role": "user", "content": "Hello?"}]
        )
    except openai.InternalServerError as exc:
        print("error:    ", exc.message, "(re-raised unchanged, and captured)")

    delivered = sentinel_sdk.flush(30)
    server.shutdown()
    print(f"\n{len(acknowledged)} events acknowledged by {brokers} on topic {topic!r}:")
    print(
        f"{'api':<18}{'model':<19}{'in/out':>9}{'cost $':>11}{'ms':>8}{'ttft':>8}  finish / errors"
    )
    for e in acknowledged:
        md = e.metadata
        ttft = md.get("llm.time_to_first_token_ms", "-")
        print(
            f"{md['llm.api']:<18}{e.model:<19}{e.prompt.tokens:>5}/{e.response.tokens:<3}"
            f"{e.cost_usd:>11.6f}{e.latency_ms:>8.1f}{ttft:>8.6}"
            f"  {e.response.finish_reason} {'; '.join(e.errors)}"
        )
    return 0 if delivered and len(acknowledged) == 4 else 1


if __name__ == "__main__":
    sys.exit(main())
