"""LLM Sentinel for the OpenAI client: ``wrap_openai(client)`` captures every call it makes.

import openai, sentinel_sdk
from sentinel_sdk_openai import wrap_openai

sentinel_sdk.init(brokers=["localhost:9092"], service_name="chat-api")
client = wrap_openai(openai.OpenAI())
client.chat.completions.create(model="gpt-4o-mini", messages=[...])   # one event

Sync ``OpenAI`` and ``AsyncOpenAI``; ``chat.completions.create`` and
``responses.create``; plain and streamed (streams ask for usage when the caller
did not, so tokens are never missing). See ``sentinel_sdk_openai._call`` for the
metadata keys and ``sentinel_sdk_openai._render`` for the text format.
"""

from __future__ import annotations

try:
    import openai  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "sentinel_sdk_openai needs the openai package: pip install 'llm-sentinel-sdk[openai]'"
    ) from exc

from ._wrap import wrap_openai

__all__ = ["wrap_openai"]
