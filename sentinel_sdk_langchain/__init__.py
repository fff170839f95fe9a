"""LLM Sentinel for LangChain: ``callbacks=[SentinelHandler()]`` captures every model call.

import sentinel_sdk
from sentinel_sdk_langchain import SentinelHandler

sentinel_sdk.init(brokers=["localhost:9092"], service_name="chat-api")
chain.invoke({"question": "..."}, config={"callbacks": [SentinelHandler()]})

One event per LLM or chat-model run (sync, async, batch, streaming), with model,
rendered prompt and response, tokens, finish reason, latency, time to first
token and the run's hierarchy; see ``sentinel_sdk_langchain._event`` for the
metadata keys and ``sentinel_sdk_langchain._render`` for the text format.
"""

from __future__ import annotations

from sentinel_sdk.integrations import require

require("langchain_core", extra="langchain", integration=__name__, distribution="langchain-core")

from ._handler import SentinelHandler  # noqa: E402 (once the framework is known to be there)

__all__ = ["SentinelHandler"]
