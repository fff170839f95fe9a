"""Sampling: which events a client keeps when ``sample_rate`` is below 1.

Decided per trace id, so all calls of one request are kept or dropped together,
and the same way in every process that sees the same id.
"""

from __future__ import annotations

import zlib

__all__ = ["sampled"]

_U64 = 2**64


def sampled(rate: float, trace_id: str | None, event_id: str) -> bool:
    """Keep this event? Decided per trace id, so all calls of one request go together.

    W3C trace ids use their low 64 bits (as OpenTelemetry's ratio sampler does), so a
    trace sampled here is sampled in every process that sees the same id. Other ids
    use a stable hash (not ``hash()``, which differs between processes).
    """
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    key = trace_id or event_id
    try:
        low = int(key[-16:], 16) if len(key) >= 16 else -1
    except ValueError:
        low = -1
    if low < 0:
        low = zlib.crc32(key.encode()) << 32
    return low < rate * _U64
