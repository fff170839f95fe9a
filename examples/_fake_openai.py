"""Example plumbing, not SDK usage: a tiny OpenAI-compatible API on 127.0.0.1.

``POST /v1/chat/completions`` (plain, and streamed as server-sent events, with
usage when ``stream_options.include_usage`` asks for it) and ``POST /v1/responses``.
The model ``gpt-4o-overloaded`` answers 503. Lets the examples and the demo drive
the real ``openai`` library with no API key and no network.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAIHandler", "serve_fake_openai"]


def serve_fake_openai(port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start the fake API on a daemon thread; returns the server (``.shutdown()`` it) and
    its base URL for ``OpenAI(base_url=...)``."""
    server = ThreadingHTTPServer(("127.0.0.1", port), FakeOpenAIHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


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
