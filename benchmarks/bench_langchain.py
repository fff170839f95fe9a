"""What ``SentinelHandler`` adds to each LLM call of a LangChain chain, in microseconds.

Runs the same ``prompt | chat model | parser`` chain (a network-free chat model
that reports usage, a finish reason and its model name like a provider's) with
and without the handler, interleaved in rounds in one process, and prints the
median and mean time per call of each and the difference. Target: <= 50 us.

The handler sends to a real ``SentinelClient``. By default the client's
``before_send`` drops every event, so what is measured is the handler plus the
client's capture path (build, validate, enqueue) on the calling thread, and not
the background delivery; ``--deliver`` sends every event to the broker at
``SENTINEL_BROKERS`` (default 127.0.0.1:19092) instead, so the sender thread's
work competes for the GIL with the measured loop.

    .venv/bin/python benchmarks/bench_langchain.py [--rounds 20] [--calls 500] [--deliver]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentinel_sdk import SentinelClient, TelemetryEvent  # noqa: E402
from sentinel_sdk_langchain import SentinelHandler  # noqa: E402

__all__ = ["BenchChatModel", "main"]


class BenchChatModel(BaseChatModel):
    """Answers at once, reporting what a provider reports (usage, finish reason, model)."""

    model: str = "gpt-4o-mini"
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "bench-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        message = AIMessage(
            content="Paris is the capital of France.",
            usage_metadata={
                "input_tokens": 42,
                "output_tokens": 9,
                "total_tokens": 51,
                "input_token_details": {"cache_read": 32},
            },
            response_metadata={"finish_reason": "stop", "model_name": "gpt-4o-mini-2024-07-18"},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def _time_calls(chain: Runnable[Any, Any], config: dict[str, Any], calls: int) -> list[float]:
    out: list[float] = []
    clock = time.perf_counter_ns
    for i in range(calls):
        started = clock()
        chain.invoke({"country": "France", "i": i}, config=config)  # type: ignore[arg-type]
        out.append((clock() - started) / 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=500, help="calls per round and variant")
    parser.add_argument("--deliver", action="store_true", help="send events to the broker")
    args = parser.parse_args(argv)

    brokers = os.environ.get("SENTINEL_BROKERS", "127.0.0.1:19092")
    kept: list[int] = [0]

    def drop(event: TelemetryEvent) -> TelemetryEvent | None:
        kept[0] += 1
        return None

    client = SentinelClient(
        brokers=brokers.split(","),
        topic=f"bench-langchain-{uuid.uuid4().hex[:8]}",
        service_name="bench-langchain",
        spool_dir=tempfile.mkdtemp(prefix="sentinel-bench-"),
        before_send=None if args.deliver else drop,
    )
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer in one sentence."), ("human", "What is the capital of {country}?")]
    )
    chain = prompt | BenchChatModel() | StrOutputParser()
    handler = SentinelHandler(client)
    plain: dict[str, Any] = {}
    traced: dict[str, Any] = {"callbacks": [handler]}

    _time_calls(chain, plain, 300)  # warm up both paths (imports, caches, the sender thread)
    _time_calls(chain, traced, 300)
    client.flush(10)

    without: list[float] = []
    with_handler: list[float] = []
    gc.collect()
    for round_no in range(args.rounds):
        # Alternate which variant goes first so drift and GC hit both alike.
        if round_no % 2:
            with_handler += _time_calls(chain, traced, args.calls)
            without += _time_calls(chain, plain, args.calls)
        else:
            without += _time_calls(chain, plain, args.calls)
            with_handler += _time_calls(chain, traced, args.calls)
    delivered = client.flush(30)
    stats = client.stats()
    client.close(5)

    med_0, med_1 = statistics.median(without), statistics.median(with_handler)
    mean_0, mean_1 = statistics.fmean(without), statistics.fmean(with_handler)
    mode = (
        f"delivered to the broker at {brokers} (topic {client.config.topic})"
        if args.deliver
        else "real SentinelClient; before_send drops every event (no delivery)"
    )
    print("SentinelHandler overhead per LLM call: prompt | chat model | parser chain")
    print(f"python {sys.version.split()[0]}, {args.rounds} rounds x {args.calls} calls per variant")
    print(f"client: {mode}")
    print(f"{'':22}{'median us':>12}{'mean us':>12}")
    print(f"{'without handler':22}{med_0:12.1f}{mean_0:12.1f}")
    print(f"{'with SentinelHandler':22}{med_1:12.1f}{mean_1:12.1f}")
    print(f"{'added by the handler':22}{med_1 - med_0:12.1f}{mean_1 - mean_0:12.1f}")
    print(f"target: <= 50 us added per call -> {'met' if med_1 - med_0 <= 50 else 'NOT met'}")
    captured = stats.sent if args.deliver else kept[0]
    print(
        f"events captured: {captured} of {args.rounds * args.calls + 300} traced calls"
        f" (flushed: {delivered}, dropped by client: {stats.dropped_total - kept[0] * (not args.deliver)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
