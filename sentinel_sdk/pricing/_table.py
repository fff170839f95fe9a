"""Price lookup: normalise a model id as providers and frameworks spell it, find its price.

Model ids arrive in many spellings for one price: ``openai/gpt-4o-2024-08-06``,
``models/gemini-2.5-pro``, ``us.anthropic.claude-sonnet-4-5-20250929-v1:0``
(Bedrock), ``claude-3-5-sonnet@20240620`` (Vertex),
``meta-llama/Llama-3.1-70B-Instruct``, ``mistral-large-latest``.
``normalize_model`` reduces them to one form; ``PriceTable.lookup`` then tries an
exact entry (or alias), the same without a dated suffix, and finally the longest
table entry that is a prefix of the name at a ``-``/``_``/``:``/``@`` boundary, so
``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini`` and never as ``gpt-4o``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sentinel_sdk.exceptions import ConfigurationError

__all__ = ["ModelPrice", "PriceTable", "normalize_model", "parse_prices"]

_REGION = re.compile(r"^(?:us|eu|apac|ap|jp|au|ca|global|us-gov)\.")
_VENDOR = re.compile(r"^(?:anthropic|meta|mistral|amazon|cohere|ai21|deepseek|openai|google)\.")
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")
_LLAMA_COMPACT = re.compile(r"^llama(\d+)(?:-(\d+))?(?=-|$)")
_DATED = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$")
_BOUNDARY = frozenset("-_:@")
_PRICE_KEYS = frozenset({"input", "cached_input", "cache_write", "output"})
_CACHE_LIMIT = 4096
_MISS = object()


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per million tokens for one model: uncached input, cached input (a cache read),
    input written to the prompt cache, output."""

    model: str
    input: float
    cached_input: float
    output: float
    provider: str = ""
    cache_write: float | None = None
    """Input tokens written to the prompt cache (Anthropic bills 1.25x input); ``None``:
    billed as uncached input."""

    def cost(
        self,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> float:
        """USD for one call. ``prompt_tokens`` counts every input token, including the
        ``cached_tokens`` read from the cache and the ``cache_write_tokens`` written to it."""
        prompt = max(int(prompt_tokens), 0)
        cached = min(max(int(cached_tokens), 0), prompt)
        written = min(max(int(cache_write_tokens), 0), prompt - cached)
        write_price = self.input if self.cache_write is None else self.cache_write
        completion = max(int(completion_tokens), 0)
        return (
            (prompt - cached - written) * self.input
            + cached * self.cached_input
            + written * write_price
            + completion * self.output
        ) / 1_000_000


def normalize_model(model: str) -> str:
    """The table form of a model id: lower case, no provider prefix, no deployment suffix.

    ``openai/gpt-4o`` -> ``gpt-4o``; ``anthropic.claude-3-5-sonnet-20240620-v1:0`` ->
    ``claude-3-5-sonnet-20240620``; ``claude-3.5-sonnet@20240620`` ->
    ``claude-3-5-sonnet``; ``meta.llama3-1-70b-instruct-v1:0`` ->
    ``llama-3.1-70b-instruct``; ``mistral-large-latest`` -> ``mistral-large``.
    Dated suffixes are kept here (``PriceTable.lookup`` tries without them).
    """
    name = model.strip().lower()
    name = name.rsplit("/", 1)[-1]  # openai/..., models/..., meta-llama/..., accounts/.../
    if "." in name and (_VENDOR.match(name) or _REGION.match(name)):
        name = _VENDOR.sub("", _REGION.sub("", name), count=1)
        name = _BEDROCK_VERSION.sub("", name)
    name = name.split("@", 1)[0]  # Vertex AI: claude-3-5-sonnet@20240620
    name = name.removesuffix("-latest")
    if name.startswith("meta-llama"):
        name = name[len("meta-") :]
    if name.startswith("llama"):
        name = _LLAMA_COMPACT.sub(_expand_llama, name, count=1)
    if name.startswith("claude"):
        name = name.replace(".", "-")
    return name


def _expand_llama(match: re.Match[str]) -> str:
    major, minor = match.group(1), match.group(2)
    return f"llama-{major}.{minor}" if minor else f"llama-{major}"


class PriceTable:
    """Prices by table name, with aliases; ``lookup`` resolves any spelling of a model."""

    def __init__(self, prices: Mapping[str, ModelPrice], aliases: Mapping[str, str]) -> None:
        self._prices = dict(prices)
        self._aliases = {k: v for k, v in aliases.items() if v in self._prices}
        keys = set(self._prices) | set(self._aliases)
        self._by_length = sorted(keys, key=len, reverse=True)
        self._cache: dict[str, ModelPrice | None] = {}

    @property
    def models(self) -> list[str]:
        """Every priced model name (aliases excluded), sorted."""
        return sorted(self._prices)

    def with_overrides(self, overrides: Mapping[str, ModelPrice]) -> PriceTable:
        """A new table: ``overrides`` replace or add entries (and shadow aliases)."""
        aliases = {k: v for k, v in self._aliases.items() if k not in overrides}
        return PriceTable({**self._prices, **overrides}, aliases)

    def lookup(self, model: str) -> ModelPrice | None:
        """The price of ``model`` in any spelling, or ``None`` when it is not in the table."""
        found = self._cache.get(model, _MISS)
        if found is not _MISS:
            return found  # type: ignore[return-value]
        price = self._resolve(model) if isinstance(model, str) else None
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[model] = price
        return price

    def _entry(self, name: str) -> ModelPrice | None:
        price = self._prices.get(name)
        if price is None and name in self._aliases:
            price = self._prices[self._aliases[name]]
        return price

    def _resolve(self, model: str) -> ModelPrice | None:
        name = normalize_model(model)
        if not name:
            return None
        price = self._entry(name) or self._entry(_DATED.sub("", name))
        if price is not None:
            return price
        for key in self._by_length:
            if name.startswith(key) and (len(name) == len(key) or name[len(key)] in _BOUNDARY):
                return self._entry(key)
        return None


def parse_prices(data: object, *, source: str) -> dict[str, ModelPrice]:
    """``{model: {"input": x, "cached_input": y, "output": z}}`` as ``ModelPrice`` objects.

    ``input`` and ``output`` are required, ``cached_input`` defaults to ``input``, and
    ``cache_write`` (input written to the prompt cache) defaults to ``input`` as well;
    values are finite numbers >= 0 in USD per million tokens. Anything else raises
    ``ConfigurationError`` naming the ``pricing`` option and ``source``.
    """
    if not isinstance(data, Mapping):
        raise _bad(f"{source} must be a mapping of model -> prices, got {type(data).__name__}")
    out: dict[str, ModelPrice] = {}
    for model, entry in data.items():
        if not isinstance(model, str) or not normalize_model(model):
            raise _bad(f"{source} has a model name that is not a non-empty string: {model!r}")
        if not isinstance(entry, Mapping):
            raise _bad(
                f"{source}[{model!r}] must be a mapping like "
                '{"input": 2.5, "cached_input": 1.25, "output": 10.0}, '
                f"got {type(entry).__name__}"
            )
        unknown = sorted(set(map(str, entry)) - _PRICE_KEYS - {"provider"})
        if unknown:
            raise _bad(
                f"{source}[{model!r}] has unknown key(s) {', '.join(unknown)}; "
                "known: input, cached_input, cache_write, output (USD per million tokens)"
            )
        for required in ("input", "output"):
            if required not in entry:
                raise _bad(f"{source}[{model!r}] needs {required!r} (USD per million tokens)")
        values = {
            key: _number(entry[key], f"{source}[{model!r}][{key!r}]")
            for key in _PRICE_KEYS
            if key in entry
        }
        provider = entry.get("provider", "")
        out[normalize_model(model)] = ModelPrice(
            model=normalize_model(model),
            input=values["input"],
            cached_input=values.get("cached_input", values["input"]),
            output=values["output"],
            provider=provider if isinstance(provider, str) else "",
            cache_write=values.get("cache_write"),
        )
    return out


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(f"{where} must be a number (USD per million tokens), got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise _bad(f"{where} must be a finite number >= 0, got {value!r}")
    return number


def _bad(message: str) -> ConfigurationError:
    return ConfigurationError(f"pricing: {message}", option="pricing")
