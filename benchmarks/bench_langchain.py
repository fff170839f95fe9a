"""What ``SentinelHandler`` adds to each LLM call of a LangChain chain, in microseconds.

Runs the same ``prompt | chat model | parser`` chain (a network-free chat model
that reports usage, a finish reason and its model name like a provider's) in
four variants, round-robin call by call in one process so machine load hits
all of them alike:

1. no callbacks;
2. a no-op inline handler listening to the same callbacks: LangChain's own cost;
3. ``SentinelHandler`` with a disabled ``SentinelClient``: the handler's own work;
4. ``SentinelHandler`` with a real ``SentinelClient``: handler plus the client's
   capture path (build, validate, queue) and its background sender. By default
   the client's ``before_send`` drops every event, so no delivery happens;
   ``--deliver`` sends every event to the broker at ``SENTINEL_BROKERS``
   (default 127.0.0.1:19092), so the sender thread competes for the GIL.

The host's speed moves under any benchmark here: a pure-Python loop's time varies
by 2x from one moment to the next on this VM, and every difference measured in
microseconds moves with it. So the headline figure is a *quiet-host* estimate: the
run is cut into blocks of 50 rounds (~0.2 s), each variant's fastest call in a block
is its time on the unloaded host, and the figure is the median over blocks of the
difference between those block minima (the "best" convention of
``bench_middleware.py``). Its parts add up to its total. Printed beside it, for
every pair of variants:

- the median of the paired per-call differences: the typical call on the host as it
  is, its noise included (its parts do not add up: a median of differences is not a
  difference of medians);
- the difference of the means: every cost included, garbage collection and the
  sender thread's turns at the GIL too, and the host's noise with it.

Target: <= 50 us added per call (variant 4 - 1), quiet host.

    .venv/bin/python benchmarks/bench_langchain.py [--calls 20000] [--deliver]
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import percentile
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentinel_sdk import SentinelClient, TelemetryEvent
from sentinel_sdk_langchain import SentinelHandler

__all__ = ["BenchChatModel", "NoopHandler", "main"]


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


class NoopHandler(BaseCallbackHandler):
    """An inline handler that does nothing, listening to what SentinelHandler listens to.

    Its cost is LangChain's own cost of carrying one such handler through a run.
    """

    run_inline = True

    ignore_chain = True
    """Like SentinelHandler: no chain callbacks."""

    ignore_agent = True
    """Like SentinelHandler: no agent callbacks."""

    ignore_retriever = True
    """Like SentinelHandler: no retriever callbacks."""

    ignore_retry = True
    """Like SentinelHandler: no retry callbacks."""

    ignore_custom_event = True
    """Like SentinelHandler: no custom events."""

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        """Accept chat-model starts (else LangChain falls back to on_llm_start)."""


BLOCK = 50
"""Rounds per block for the quiet-host estimate: ~0.2 s, shorter than the host's phases."""


def block_minima(samples: list[float], block: int) -> list[float]:
    """The fastest call of each whole block of ``block`` consecutive calls."""
    return [min(samples[i : i + block]) for i in range(0, len(samples) - block + 1, block)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000, help="measured calls per variant")
    parser.add_argument("--deliver", action="store_true", help="send the events to the broker")
    parser.add_argument("--block", type=int, default=BLOCK, help="rounds per block (quiet host)")
    args = parser.parse_args(argv)
    if not 1 <= args.block <= args.calls:
        parser.error(f"--block must be between 1 and --calls ({args.calls}), got {args.block}")

    brokers = os.environ.get("SENTINEL_BROKERS", "127.0.0.1:19092")
    dropped = [0]

    def drop(event: TelemetryEvent) -> TelemetryEvent | None:
        dropped[0] += 1
        return None

    spool = tempfile.mkdtemp(prefix="sentinel-bench-")
    client = SentinelClient(
        brokers=brokers.split(","),
        topic=f"bench-langchain-{uuid.uuid4().hex[:8]}",
        service_name="bench-langchain",
        spool_dir=spool,
        before_send=None if args.deliver else drop,
    )
    disabled = SentinelClient(enabled=False, spool_dir=spool)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer in one sentence."), ("human", "What is the capital of {country}?")]
    )
    chain = prompt | BenchChatModel() | StrOutputParser()
    variants: dict[str, dict[str, Any]] = {
        "no callbacks": {},
        "no-op handler": {"callbacks": [NoopHandler()]},
        "handler, disabled client": {"callbacks": [SentinelHandler(disabled)]},
        "handler, real client": {"callbacks": [SentinelHandler(client)]},
    }
    calls: list[Callable[[], object]] = [
        (lambda config=config: chain.invoke({"country": "France"}, config=config))  # type: ignore[misc]
        for config in variants.values()
    ]
    for call in calls * 300:  # warm up every path (imports, caches, the sender thread)
        call()
    client.flush(10)

    samples: list[list[float]] = [[] for _ in calls]
    clock = time.perf_counter_ns
    gc.collect()
    for i in range(args.calls):
        # Rotate which variant goes first, so no variant always follows another.
        for k in range(len(calls)):
            j = (i + k) % len(calls)
            started = clock()
            calls[j]()
            samples[j].append((clock() - started) / 1000)
    delivered = client.flush(30)
    stats = client.stats()
    client.close(5)

    names = list(variants)
    minima = [block_minima(s, args.block) for s in samples]
    means = [statistics.fmean(s) for s in samples]

    def quiet(a: int, b: int) -> float:
        return statistics.median(x - y for x, y in zip(minima[a], minima[b], strict=True))

    def paired(a: int, b: int) -> float:
        return statistics.median(x - y for x, y in zip(samples[a], samples[b], strict=True))

    def mean(a: int, b: int) -> float:
        return means[a] - means[b]

    mode = (
        f"delivered to the broker at {brokers} (topic {client.config.topic})"
        if args.deliver
        else "real SentinelClient whose before_send drops every event (no delivery)"
    )
    bare = sorted(samples[0])
    print("SentinelHandler: added time per LLM call, chain = prompt | chat model | parser")
    print(
        f"python {sys.version.split()[0]}, {args.calls} calls per variant, round-robin, "
        f"{len(minima[0])} blocks of {args.block} rounds"
    )
    print(f"variant 4 client: {mode}")
    print(
        "host noise: bare chain p10 / p50 / p90 = "
        + " / ".join(f"{percentile(bare, q):.0f}" for q in (10, 50, 90))
        + " us"
    )
    print(f"{'variant':<30}{'best us':>10}{'median us':>11}{'mean us':>10}")
    for n, name in enumerate(names):
        print(
            f"{n + 1}. {name:<27}{statistics.median(minima[n]):>10.1f}"
            f"{statistics.median(samples[n]):>11.1f}{means[n]:>10.1f}"
        )
    print(f"added per call, us{'quiet host':>32}{'paired median':>15}{'mean':>8}")
    rows = [
        ("LangChain's callback machinery (2 - 1)", 1, 0),
        ("SentinelHandler's own work (3 - 2)", 2, 1),
        ("client capture path (4 - 3)", 3, 2),
        ("total, SentinelHandler + client (4 - 1)", 3, 0),
    ]
    for label, a, b in rows:
        print(f"   {label:<42}{quiet(a, b):>7.1f}{paired(a, b):>15.1f}{mean(a, b):>8.1f}")
    added = quiet(3, 0)
    print(f"target <= 50 us added per call (quiet host): {'met' if added <= 50 else 'NOT met'}")
    handled = stats["sent"] if args.deliver else dropped[0]
    print(
        f"events: {handled} {'acknowledged' if args.deliver else 'captured and dropped'} "
        f"(flushed: {delivered}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
