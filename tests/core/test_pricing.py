"""The price table: lookup in any spelling, the cost formula, overrides, the fill-in."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sentinel_sdk import (
    ConfigurationError,
    PromptInfo,
    ResponseInfo,
    SentinelClient,
    TelemetryEvent,
    pricing,
)
from sentinel_sdk.config import SentinelConfig
from sentinel_sdk.pricing import (
    CACHE_READ_KEY,
    CACHE_WRITE_KEY,
    COST_KNOWN_KEY,
    PRICE_TABLE_DATE,
    cost_filler,
    estimate_cost,
    load_price_table,
    lookup,
    normalize_model,
)

PRICES_JSON = Path(pricing.__file__).with_name("prices.json")


def test_public_names_are_pinned() -> None:
    assert sorted(pricing.__all__) == sorted(
        [
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
    )


def test_table_is_dated_and_names_a_source_for_every_provider() -> None:
    data = json.loads(PRICES_JSON.read_text())
    assert PRICE_TABLE_DATE == data["date"] == "2026-11-25"
    providers = {entry["provider"] for entry in data["models"].values()}
    assert providers == {"openai", "anthropic", "google", "mistral", "meta", "deepseek"}
    for provider in providers:
        assert data["sources"][provider]["url"].startswith("https://")
        assert data["sources"][provider]["checked"]
    for name, entry in data["models"].items():
        assert entry["cached_input"] <= entry["input"], name
        assert set(entry) - {"cache_write"} == {"provider", "input", "cached_input", "output"}, name
        assert entry.get("cache_write", entry["input"]) >= entry["input"], name
    for alias, target in data["aliases"].items():
        assert target in data["models"], alias


@pytest.mark.parametrize(
    ("spelling", "entry"),
    [
        ("gpt-4o", "gpt-4o"),
        ("openai/gpt-4o-2024-08-06", "gpt-4o"),
        ("GPT-4o-2024-11-20", "gpt-4o"),
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"),
        ("gpt-5.4-mini-2026-03-17", "gpt-5.4-mini"),
        ("gpt-5-mini", "gpt-5-mini"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("o3", "o3"),
        ("gpt-4-0613", "gpt-4"),
        ("gpt-4-1106-preview", "gpt-4-turbo"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("anthropic/claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("claude-3.5-sonnet", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("gemini-2.5-flash-lite-preview-06-17", "gemini-2.5-flash-lite"),
        ("gemini-2.5-flash", "gemini-2.5-flash"),
        ("google/gemini-3.1-pro-preview", "gemini-3.1-pro"),
        ("meta-llama/Llama-3.1-70B-Instruct", "llama-3.1-70b"),
        ("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", "llama-3.1-8b"),
        ("meta.llama3-1-70b-instruct-v1:0", "llama-3.1-70b"),
        ("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "llama-4-maverick"),
        ("deepseek-chat", "deepseek-flash"),
        ("deepseek-reasoner", "deepseek-v4-pro"),
        ("deepseek/deepseek-v4-pro", "deepseek-v4-pro"),
        ("mistral-large-latest", "mistral-large"),
        ("mistralai/mistral-small-latest", "mistral-small"),
        ("mistral-large-2411", "mistral-large-2411"),
        ("codestral-2508", "codestral"),
    ],
)
def test_lookup_normalises_prefixes_and_suffixes(spelling: str, entry: str) -> None:
    price = lookup(spelling)
    assert price is not None, spelling
    assert price.model == entry


@pytest.mark.parametrize(
    "model",
    ["unknown-model", "gpt-5.7", "gpt-4ox", "ft:gpt-4o-mini:org::abc", "", "   ", "claude"],
)
def test_unknown_models_have_no_price(model: str) -> None:
    assert lookup(model) is None
    assert estimate_cost(model, 1000, 1000) is None


def test_longest_prefix_wins_so_mini_is_not_priced_as_the_big_model() -> None:
    mini, big = lookup("gpt-4o-mini-2099-01-01"), lookup("gpt-4o-2099-01-01")
    assert mini is not None
    assert big is not None
    assert mini.model == "gpt-4o-mini"
    assert big.model == "gpt-4o"
    assert mini.input < big.input


def test_normalize_model() -> None:
    assert normalize_model("openai/gpt-4o-2024-08-06") == "gpt-4o-2024-08-06"
    assert normalize_model("anthropic.claude-3-haiku-20240307-v1:0") == "claude-3-haiku-20240307"
    assert normalize_model("meta.llama3-70b-instruct-v1:0") == "llama-3-70b-instruct"
    assert normalize_model("Mistral-Large-Latest") == "mistral-large"


def test_cost_formula_bills_cached_input_at_the_cached_rate() -> None:
    # gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens.
    assert estimate_cost("gpt-4o", 1000, 500) == pytest.approx((1000 * 2.5 + 500 * 10) / 1e6)
    assert estimate_cost("gpt-4o", 1000, 500, cached_tokens=400) == pytest.approx(
        (600 * 2.5 + 400 * 1.25 + 500 * 10) / 1e6
    )
    # Cached tokens are part of the prompt: more than the prompt is clamped to it.
    assert estimate_cost("gpt-4o", 100, 0, cached_tokens=10_000) == pytest.approx(100 * 1.25 / 1e6)
    assert estimate_cost("gpt-4o", 0, 0) == 0.0


def test_cache_writes_are_billed_at_the_cache_write_rate() -> None:
    # claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write, $15 output.
    cost = estimate_cost("claude-sonnet-4-5", 2000, 100, cached_tokens=1000, cache_write_tokens=600)
    assert cost == pytest.approx((400 * 3.0 + 1000 * 0.3 + 600 * 3.75 + 100 * 15.0) / 1e6)
    # Reads and writes are both part of the prompt: writes are clamped to what is left.
    assert estimate_cost("claude-sonnet-4-5", 100, 0, 60, 1000) == pytest.approx(
        (60 * 0.3 + 40 * 3.75) / 1e6
    )
    # A model with no cache-write price bills writes as plain input.
    assert estimate_cost("gpt-4o", 1000, 0, cache_write_tokens=1000) == estimate_cost(
        "gpt-4o", 1000, 0
    )


def test_every_anthropic_entry_has_its_cache_write_price() -> None:
    data = json.loads(PRICES_JSON.read_text())
    for name, entry in data["models"].items():
        if entry["provider"] == "anthropic":
            assert entry["cache_write"] == pytest.approx(entry["input"] * 1.25), name
        else:
            assert "cache_write" not in entry, name


def test_cache_write_overrides_are_parsed_and_checked() -> None:
    table = pricing.load_price_table({"m": {"input": 1, "output": 2, "cache_write": 4}})
    price = table.lookup("m")
    assert price is not None
    assert price.cache_write == 4.0
    assert price.cost(1_000_000, 0, 0, 1_000_000) == pytest.approx(4.0)
    with pytest.raises(ConfigurationError, match="cache_write"):
        pricing.load_price_table({"m": {"input": 1, "output": 2, "cache_write": -1}})


def test_every_bundled_entry_prices_a_call() -> None:
    table = pricing.bundled_table()
    assert len(table.models) >= 60
    for name in table.models:
        cost = estimate_cost(name, 1_000_000, 1_000_000, 500_000)
        assert cost is not None, name
        assert math.isfinite(cost), name
        assert cost > 0, name


def test_overrides_from_a_mapping_replace_and_add_entries() -> None:
    table = load_price_table(
        {
            "gpt-4o": {"input": 1.0, "cached_input": 0.5, "output": 2.0},
            "acme/my-finetune": {"input": 3.0, "output": 6.0},
        }
    )
    gpt = table.lookup("openai/gpt-4o-2024-08-06")
    assert gpt is not None
    assert (gpt.input, gpt.cached_input, gpt.output) == (1.0, 0.5, 2.0)
    mini = table.lookup("gpt-4o-mini")  # the override of gpt-4o does not leak to gpt-4o-mini
    assert mini is not None
    assert mini.input == 0.15
    ft = table.lookup("my-finetune-v2")
    assert ft is not None
    assert ft.cached_input == 3.0
    assert pricing.bundled_table().lookup("gpt-4o").input == 2.5  # type: ignore[union-attr]


def test_overrides_from_a_json_file(tmp_path: Path) -> None:
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"house-model": {"input": 1, "cached_input": 0, "output": 4}}))
    nested = tmp_path / "nested.json"
    nested.write_text(
        json.dumps({"date": "x", "models": {"house-model": {"input": 2, "output": 8}}})
    )
    flat_price = load_price_table(str(flat)).lookup("house-model")
    nested_price = load_price_table(nested).lookup("house-model")
    assert flat_price is not None
    assert flat_price.output == 4.0
    assert nested_price is not None
    assert nested_price.output == 8.0


@pytest.mark.parametrize(
    ("pricing_option", "fragment"),
    [
        (["gpt-4o"], "mapping"),
        ({"m": 3}, "must be a mapping like"),
        ({"m": {"input": 1}}, "needs 'output'"),
        ({"m": {"input": 1, "output": -1}}, ">= 0"),
        ({"m": {"input": 1, "output": float("nan")}}, "finite"),
        ({"m": {"input": True, "output": 1}}, "must be a number"),
        ({"m": {"input": "1", "output": 1}}, "must be a number"),
        ({"m": {"input": 1, "output": 1, "per": "1k"}}, "unknown key"),
        ({"": {"input": 1, "output": 1}}, "non-empty string"),
        ("/nonexistent/prices.json", "cannot read"),
    ],
)
def test_bad_overrides_fail_when_the_client_is_created(
    pricing_option: object, fragment: str, spool_dir: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        SentinelClient(pricing=pricing_option, spool_dir=spool_dir)
    assert info.value.option == "pricing"
    assert "pricing" in str(info.value)
    assert fragment in str(info.value)


def test_bad_json_file_fails_naming_pricing(tmp_path: Path, spool_dir: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigurationError, match="not valid JSON") as info:
        SentinelClient(pricing=str(bad), spool_dir=spool_dir)
    assert info.value.option == "pricing"


def test_pricing_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prices = tmp_path / "p.json"
    prices.write_text(json.dumps({"env-model": {"input": 10, "output": 20}}))
    monkeypatch.setenv("SENTINEL_PRICING", str(prices))
    fill = cost_filler(SentinelConfig.from_env())
    assert fill is not None
    event = _event("env-model", 1_000_000, 1_000_000)
    fill(event)
    assert event.cost_usd == pytest.approx(30.0)


def _event(model: str, prompt: int, completion: int, **metadata: str) -> TelemetryEvent:
    return TelemetryEvent(
        service_name="svc",
        model=model,
        prompt=PromptInfo("p", prompt),
        response=ResponseInfo("r", completion),
        metadata=dict(metadata),
    )


def test_fill_sets_cost_and_marks_it_known() -> None:
    fill = cost_filler(SentinelConfig())
    assert fill is not None
    event = _event("anthropic/claude-sonnet-4-5-20250929", 2000, 300, **{CACHE_READ_KEY: "1500"})
    fill(event)
    assert event.cost_usd == pytest.approx((500 * 3.0 + 1500 * 0.3 + 300 * 15.0) / 1e6)
    assert event.metadata[COST_KNOWN_KEY] == "true"
    event.validate()


def test_fill_prices_cache_writes() -> None:
    fill = cost_filler(SentinelConfig())
    metadata = {CACHE_READ_KEY: "1000", CACHE_WRITE_KEY: "600"}
    event = _event("claude-sonnet-4-5-20250929", 2000, 100, **metadata)
    fill(event)
    assert event.cost_usd == pytest.approx((400 * 3.0 + 1000 * 0.3 + 600 * 3.75 + 100 * 15.0) / 1e6)


def test_fill_marks_unknown_models_and_leaves_cost_zero() -> None:
    fill = cost_filler(SentinelConfig())
    assert fill is not None
    event = _event("in-house-llm", 2000, 300)
    fill(event)
    assert event.cost_usd == 0.0
    assert event.metadata[COST_KNOWN_KEY] == "false"


def test_fill_ignores_a_garbled_cache_count_and_never_raises() -> None:
    fill = cost_filler(SentinelConfig(pricing={"x": {"input": 1, "output": 1}}))
    assert fill is not None
    event = _event("x", 1_000_000, 0, **{CACHE_READ_KEY: "lots"})
    fill(event)
    assert event.cost_usd == pytest.approx(1.0)
    broken = _event("x", 1, 1)
    broken.metadata = None  # type: ignore[assignment]
    fill(broken)  # logged, not raised


def test_fill_uses_the_clients_overrides() -> None:
    fill = cost_filler(SentinelConfig(pricing={"gpt-4o": {"input": 100, "output": 100}}))
    assert fill is not None
    event = _event("gpt-4o-2024-08-06", 10_000, 0)
    fill(event)
    assert event.cost_usd == pytest.approx(1.0)


def test_fill_never_changes_the_metadata_dict_it_was_given() -> None:
    # send(event) queues a shallow copy: the caller's metadata dict must stay untouched.
    fill = cost_filler(SentinelConfig())
    assert fill is not None
    callers = {"user": "u1"}
    for model in ("gpt-4o", "in-house-llm"):
        event = _event(model, 10, 10)
        event.metadata = callers
        fill(event)
        assert callers == {"user": "u1"}
        assert event.metadata["user"] == "u1"
        assert COST_KNOWN_KEY in event.metadata
