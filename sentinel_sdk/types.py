"""Enums of the LLM Sentinel core, spelled exactly as the Rust core spells them.

These describe what the core *detects* (anomalies, their severity, the method
that found them): the SDK itself never uses them, since it only ships events.
They are here for code that reads the core's alerts in Python (consumers,
dashboards, tests), so both sides agree on the names.

Each enum accepts the core's fixed values and a custom variant: ``AnomalyType("my_check")``
or ``AnomalyType.custom("my_check")`` returns a member-like value whose ``.value`` is
the string and whose ``is_custom`` is true, mirroring the core's ``Custom(String)``.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["AnomalyType", "DetectionMethod", "Severity"]


class Severity(str, enum.Enum):
    """How severe an anomaly is; ordered ``LOW < MEDIUM < HIGH < CRITICAL``.

    Ordering compares ranks, never the strings (``"high" < "low"`` as text), and
    ordering against anything but a ``Severity`` raises ``TypeError``; equality
    with the value string holds, as for any string enum (``Severity.LOW == "low"``).
    """

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for ``LOW`` up to 3 for ``CRITICAL``."""
        return _SEVERITY_RANK[self]

    # All four are defined here: the str mixin already has them, so
    # functools.total_ordering would fill in none and leave text ordering in place.
    # Against a non-Severity they raise rather than return NotImplemented, which
    # would let Python fall back to str's reflected comparison of the texts.
    def __lt__(self, other: object) -> bool:
        return self.rank < _rank(self, other, "<")

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank(self, other, "<=")

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank(self, other, ">")

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank(self, other, ">=")

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {member: rank for rank, member in enumerate(Severity)}


def _rank(left: Severity, other: object, op: str) -> int:
    if not isinstance(other, Severity):
        raise TypeError(
            f"'{op}' not supported between instances of {type(left).__name__!r} and "
            f"{type(other).__name__!r}"
        )
    return other.rank


class _OpenEnum(str, enum.Enum):
    """A string enum that also accepts any other snake_case name as a custom variant."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str) or not value.strip():
            return None
        # A pseudo-member standing for the core's ``Custom(String)`` variant; equal
        # (as a string) to every other custom variant of the same name.
        member = str.__new__(cls, value)
        member._name_ = "CUSTOM"
        member._value_ = value
        return member

    @classmethod
    def custom(cls, name: str) -> Any:
        """The custom variant named ``name`` (returns the fixed member if ``name`` is one)."""
        return cls(name)

    @property
    def is_custom(self) -> bool:
        """True for a custom variant, false for one of the core's fixed values."""
        return self._name_ == "CUSTOM"

    def to_json_value(self) -> str | dict[str, str]:
        """How the core's serde writes it: ``"latency_spike"`` or ``{"custom": "name"}``."""
        if self.is_custom:
            return {"custom": str(self.value)}
        return str(self.value)

    def __str__(self) -> str:
        return str(self.value)


class AnomalyType(_OpenEnum):
    """Kinds of anomaly the core detects; any other name is a custom type."""

    LATENCY_SPIKE = "latency_spike"
    THROUGHPUT_DEGRADATION = "throughput_degradation"
    ERROR_RATE_INCREASE = "error_rate_increase"
    TOKEN_USAGE_SPIKE = "token_usage_spike"
    COST_ANOMALY = "cost_anomaly"
    INPUT_DRIFT = "input_drift"
    OUTPUT_DRIFT = "output_drift"
    CONCEPT_DRIFT = "concept_drift"
    EMBEDDING_DRIFT = "embedding_drift"
    HALLUCINATION = "hallucination"
    QUALITY_DEGRADATION = "quality_degradation"
    SECURITY_THREAT = "security_threat"


class DetectionMethod(_OpenEnum):
    """Detection algorithms the core uses; any other name is a custom method."""

    Z_SCORE = "z_score"
    IQR = "iqr"
    MAD = "mad"
    CUSUM = "cusum"
    ISOLATION_FOREST = "isolation_forest"
    LSTM_AUTOENCODER = "lstm_autoencoder"
    ONE_CLASS_SVM = "one_class_svm"
    PSI = "psi"
    KL_DIVERGENCE = "kl_divergence"
    LLM_CHECK = "llm_check"
    RAG = "rag"
