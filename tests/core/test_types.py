"""Severity, AnomalyType, DetectionMethod: spelled and ordered as the Rust core has them.

The core's enums (crates/sentinel-core/src/types.rs of llm-sentinel) derive serde with
``rename_all = "lowercase"`` (Severity) and ``"snake_case"`` (the others), and have a
``Custom(String)`` variant that serde writes as ``{"custom": "..."}``.
"""

from __future__ import annotations

import itertools
import json
import operator
import random
from collections.abc import Callable
from typing import Any

import pytest

from sentinel_sdk import AnomalyType, DetectionMethod, Severity

# Variant -> wire value, in the core's declaration order.
CORE_SEVERITY = {
    "Low": "low",
    "Medium": "medium",
    "High": "high",
    "Critical": "critical",
}
CORE_ANOMALY_TYPES = {
    "LatencySpike": "latency_spike",
    "ThroughputDegradation": "throughput_degradation",
    "ErrorRateIncrease": "error_rate_increase",
    "TokenUsageSpike": "token_usage_spike",
    "CostAnomaly": "cost_anomaly",
    "InputDrift": "input_drift",
    "OutputDrift": "output_drift",
    "ConceptDrift": "concept_drift",
    "EmbeddingDrift": "embedding_drift",
    "Hallucination": "hallucination",
    "QualityDegradation": "quality_degradation",
    "SecurityThreat": "security_threat",
}
CORE_DETECTION_METHODS = {
    "ZScore": "z_score",
    "Iqr": "iqr",
    "Mad": "mad",
    "Cusum": "cusum",
    "IsolationForest": "isolation_forest",
    "LstmAutoencoder": "lstm_autoencoder",
    "OneClassSvm": "one_class_svm",
    "Psi": "psi",
    "KlDivergence": "kl_divergence",
    "LlmCheck": "llm_check",
    "Rag": "rag",
}


@pytest.mark.parametrize(
    ("enum", "core"),
    [
        (Severity, CORE_SEVERITY),
        (AnomalyType, CORE_ANOMALY_TYPES),
        (DetectionMethod, CORE_DETECTION_METHODS),
    ],
)
def test_values_are_spelled_exactly_as_the_core_spells_them(
    enum: Any, core: dict[str, str]
) -> None:
    assert [member.value for member in enum] == list(core.values())
    for value in core.values():
        member = enum(value)
        assert member.value == value
        assert str(member) == value
        assert json.dumps(member) == json.dumps(value)
        assert member == value


def test_severity_order_low_medium_high_critical() -> None:
    assert list(Severity) == [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    assert [s.rank for s in Severity] == [0, 1, 2, 3]


OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@pytest.mark.parametrize("op", list(OPS))
def test_every_comparison_operator_follows_severity_rank(op: str) -> None:
    # Their texts sort differently ("critical" < "high" < "low" < "medium"): a text
    # comparison anywhere would show up here.
    compare = OPS[op]
    ranks = list(Severity)
    for left, right in itertools.product(ranks, repeat=2):
        assert compare(left, right) is compare(ranks.index(left), ranks.index(right)), (
            left,
            op,
            right,
        )


def test_sorting_min_and_max_use_severity_rank() -> None:
    shuffled = list(Severity) * 3
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled)[::3] == [
        Severity.LOW,
        Severity.MEDIUM,
        Severity.HIGH,
        Severity.CRITICAL,
    ]
    assert sorted(Severity, reverse=True)[0] is Severity.CRITICAL
    assert max(Severity) is Severity.CRITICAL
    assert min(Severity) is Severity.LOW
    assert max(Severity.MEDIUM, Severity.HIGH) is Severity.HIGH


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
@pytest.mark.parametrize("other", ["medium", "zzz", 1, None, 1.5])
def test_ordering_against_a_non_severity_raises_type_error(op: str, other: Any) -> None:
    # Both ways round: Severity subclasses str, so Python asks it first even when the
    # plain string is on the left, and the texts are never compared.
    with pytest.raises(TypeError):
        OPS[op](Severity.HIGH, other)
    with pytest.raises(TypeError):
        OPS[op](other, Severity.HIGH)
    with pytest.raises(TypeError):
        OPS[op](Severity.HIGH, AnomalyType.LATENCY_SPIKE)


def test_equality_with_non_severity() -> None:
    low: Any = Severity.LOW
    assert low == "low"  # a str enum: equal to its wire value
    assert low != "LOW"
    assert low != 0
    assert low != AnomalyType.LATENCY_SPIKE
    assert {low: 1}["low"] == 1


def test_severity_lookup_by_value() -> None:
    assert Severity("critical") is Severity.CRITICAL
    with pytest.raises(ValueError, match="Critical"):
        Severity("Critical")  # the core's serde is lowercase only
    with pytest.raises(ValueError, match="severe"):
        Severity("severe")  # Severity has no custom variant in the core


@pytest.mark.parametrize("enum", [AnomalyType, DetectionMethod])
def test_custom_variant_by_call_and_by_custom(enum: Any) -> None:
    by_call = enum("my_check")
    by_custom = enum.custom("my_check")
    for custom in (by_call, by_custom):
        assert isinstance(custom, enum)
        assert custom.is_custom
        assert custom.value == "my_check"
        assert str(custom) == "my_check"
        assert custom == "my_check"
        assert custom.to_json_value() == {"custom": "my_check"}
        assert json.dumps(custom.to_json_value()) == '{"custom": "my_check"}'
    assert by_call == by_custom
    assert hash(by_call) == hash(by_custom)
    assert enum("other") != by_call
    # A custom variant is not one of the core's fixed members.
    assert by_call not in list(enum)


@pytest.mark.parametrize(
    "member", [*AnomalyType, *DetectionMethod], ids=lambda m: f"{type(m).__name__}.{m.name}"
)
def test_fixed_members_are_not_custom_and_serialize_as_strings(member: Any) -> None:
    assert not member.is_custom
    assert member.to_json_value() == member.value
    assert isinstance(member.to_json_value(), str)
    # .custom() with a fixed name gives the fixed member, as serde would read it.
    assert type(member).custom(member.value) is member


@pytest.mark.parametrize("enum", [AnomalyType, DetectionMethod])
@pytest.mark.parametrize("bad", ["", "   ", 5, None])
def test_custom_variant_needs_a_non_blank_name(enum: Any, bad: Any) -> None:
    with pytest.raises(ValueError, match="is not a valid"):
        enum(bad)
