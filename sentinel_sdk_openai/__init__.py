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

from sentinel_sdk.integrations import require

require("openai", extra="openai", integration=__name__, distribution="the openai package")

from ._wrap import wrap_openai  # noqa: E402 (once the framework is known to be there)

__all__ = ["wrap_openai"]
