"""Cost of LLM calls: a bundled, dated price table and the cost fill-in the sender runs.

The table (``prices.json`` next to this module) lists USD per million uncached
input, cached input (cache reads), cache writes and output tokens for current
OpenAI, Anthropic, Google, Mistral, Meta (Llama at Together AI's rates) and
DeepSeek models, with the source page of each provider and the date it was
compiled (``PRICE_TABLE_DATE``).

Every event a client sends without a cost (``cost_usd == 0``) gets one on the
sender thread: ``cost_usd`` from ``prompt.tokens``, ``response.tokens``, the
cached input tokens in ``metadata["gen_ai.usage.cache_read.input_tokens"]`` and the
cache writes in ``metadata["gen_ai.usage.cache_creation.input_tokens"]``, and
``metadata["sentinel.cost_known"]`` set to ``"true"``, or ``"false"`` (cost 0) for a
model the table does not know.

Override or add prices per client::

    SentinelClient(pricing={"my-finetune": {"input": 3.0, "cached_input": 1.5, "output": 12.0}})
    SentinelClient(pricing="/etc/llm-prices.json")   # same shape, or {"models": {...}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from sentinel_sdk._log import log_rate_limited
from sentinel_sdk.exceptions import ConfigurationError
from sentinel_sdk.metadata_keys import (
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    SENTINEL_COST_KNOWN,
)

from ._table import ModelPrice, PriceTable, normalize_model, parse_prices

if TYPE_CHECKING:
    from sentinel_sdk.config import SentinelConfig
    from sentinel_sdk.events import TelemetryEvent

__all__ = [
    "CACHE_READ_KEY",
    "CACHE_WRITE_KEY",
    "COST_KNOWN_KEY",
    "PRICE_TABLE_DATE",
    "ModelPrice",
    "PriceTable",
    "bundled_table",
    "cost_filler",
    "estimate_cost",
    "load_price_table",
    "lookup",
    "normalize_model",
]

CACHE_READ_KEY = GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
"""Metadata key holding the input tokens served from the provider's prompt cache."""
CACHE_WRITE_KEY = GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS
"""Metadata key holding the input tokens written to the provider's prompt cache."""
COST_KNOWN_KEY = SENTINEL_COST_KNOWN
"""Metadata key set by the cost fill-in: ``"true"``, or ``"false"`` for an unpriced model."""


def _read_bundled() -> dict[str, Any]:
    text = resources.files(__name__).joinpath("prices.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


_BUNDLED = _read_bundled()
PRICE_TABLE_DATE: str = _BUNDLED["date"]
"""The date (ISO 8601) the bundled prices were compiled."""


@cache
def bundled_table() -> PriceTable:
    """The price table shipped with the SDK (no overrides)."""
    prices = parse_prices(_BUNDLED["models"], source="the bundled prices.json")
    return PriceTable(prices, _BUNDLED.get("aliases", {}))


def lookup(model: str) -> ModelPrice | None:
    """The bundled price of ``model`` in any spelling (``openai/gpt-4o-2024-08-06``), or None."""
    return bundled_table().lookup(model)


def estimate_cost(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    cached_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> float | None:
    """USD for one call at bundled prices, or ``None`` for a model the table does not know.

    ``prompt_tokens`` counts every input token, including the ``cached_tokens`` that
    were read from the provider's prompt cache (billed at the cached-input rate) and
    the ``cache_write_tokens`` written to it (billed at the cache-write rate).
    """
    price = lookup(model)
    if price is None:
        return None
    return price.cost(prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens)


def load_price_table(pricing: Mapping[str, Any] | str | os.PathLike[str] | None) -> PriceTable:
    """The bundled table with ``pricing`` overrides (a mapping or a JSON file path) applied.

    Raises ``ConfigurationError`` (``option == "pricing"``) for a missing or unreadable
    file, bad JSON, or an entry that is not ``{"input", "cached_input", "output"}``.
    """
    if pricing is None:
        return bundled_table()
    if isinstance(pricing, (str, os.PathLike)):
        path = os.path.expanduser(os.fspath(pricing))
        try:
            with open(path, encoding="utf-8") as handle:
                data: Any = json.load(handle)
        except OSError as exc:
            raise ConfigurationError(
                f"pricing: cannot read the price file {path!r}: {exc.strerror or exc}",
                option="pricing",
                cause=exc,
            ) from exc
        except ValueError as exc:
            raise ConfigurationError(
                f"pricing: the price file {path!r} is not valid JSON: {exc}",
                option="pricing",
                cause=exc,
            ) from exc
        source = f"price file {path!r}"
        if isinstance(data, Mapping) and isinstance(data.get("models"), Mapping):
            data = data["models"]  # the shape of the bundled prices.json
    else:
        data, source = pricing, "the pricing option"
    return bundled_table().with_overrides(parse_prices(data, source=source))


def cost_filler(config: SentinelConfig) -> Callable[[TelemetryEvent], None]:
    """The sender's cost step for a client: ``fill(event)`` sets cost and ``sentinel.cost_known``.

    Called once per client (bad ``pricing`` overrides raise ``ConfigurationError`` here,
    when the client is created). ``fill`` runs on the sender thread for each event whose
    ``cost_usd`` is 0, after ``before_send``; it never raises.
    """
    table = load_price_table(config.pricing)

    def fill(event: TelemetryEvent) -> None:
        try:
            metadata = event.metadata
            price = table.lookup(event.model)
            if price is not None:
                event.cost_usd = price.cost(
                    event.prompt.tokens,
                    event.response.tokens,
                    _tokens(metadata.get(CACHE_READ_KEY)),
                    _tokens(metadata.get(CACHE_WRITE_KEY)),
                )
            # A new dict: the event may be a shallow copy sharing the caller's metadata.
            event.metadata = {**metadata, COST_KNOWN_KEY: "false" if price is None else "true"}
        except Exception as exc:  # a cost is a nice-to-have: never lose the event over it
            log_rate_limited("cost-fill", "sentinel_sdk: could not price an event: %r", exc)

    return fill


def _tokens(value: str | None) -> int:
    if not value:
        return 0
    try:
        return max(int(value), 0)
    except ValueError:
        return 0
