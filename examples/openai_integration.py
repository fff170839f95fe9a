"""OpenAI usage: ``wrap_openai(client)`` captures every call the client makes, streams included.

    SENTINEL_BROKERS=127.0.0.1:19092 python examples/openai_integration.py

No API key and no network needed: the example serves a tiny OpenAI-compatible API
on 127.0.0.1 and points the real ``openai`` client at it. In your app, wrap the
client you already have: ``client = wrap_openai(OpenAI())``.
"""

from __future__ import annotations

import os
import sys

import openai
from _fake_openai import serve_fake_openai

import sentinel_sdk
from sentinel_sdk import TelemetryEvent
from sentinel_sdk_openai import wrap_openai


def main() -> int:
    server, base_url = serve_fake_openai()

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
        ttft = md.get("sentinel.time_to_first_token_ms", "-")
        print(
            f"{md['openai.api.type']:<18}{e.model:<19}{e.prompt.tokens:>5}/{e.response.tokens:<3}"
            f"{e.cost_usd:>11.6f}{e.latency_ms:>8.1f}{ttft:>8.6}"
            f"  {e.response.finish_reason} {'; '.join(e.errors)}"
        )
    return 0 if delivered and len(acknowledged) == 4 else 1


if __name__ == "__main__":
    sys.exit(main())
