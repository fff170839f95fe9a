"""Fast identifiers: event ids (UUID v4), W3C trace ids and span ids.

``str(uuid.uuid4())`` costs ~3.5 µs; ``new_event_id`` costs ~1 µs, which
matters because an event id is minted on the caller's thread for every
``track()``. Ids need to be unique, not unpredictable, so they come from a
private Mersenne Twister seeded from ``os.urandom``: private, so an app calling
``random.seed(42)`` cannot make two runs mint the same ids, and reseeded in a
forked child, so parent and child never share a sequence.

``take_event_id`` is cheaper still on the caller's thread (~0.05 µs): it pops an
id the sender minted ahead of time (``refill_event_ids``, in its idle moments)
and mints one itself only when that pool is empty. A forked child empties the
pool, so it never hands out an id its parent holds too.
"""

from __future__ import annotations

import os
import random
import re

__all__ = [
    "is_span_id",
    "is_trace_id",
    "new_event_id",
    "new_span_id",
    "new_trace_id",
    "refill_event_ids",
    "take_event_id",
]

_urandom = os.urandom
_rng = random.Random(_urandom(32))
_getrandbits = _rng.getrandbits
# Clear the version nibble and the variant's top two bits, then set version 4, variant 10.
_UUID_CLEAR = 0xFFFFFFFF_FFFF_0FFF_3FFF_FFFFFFFFFFFF
_UUID_SET = 0x00000000_0000_4000_8000_000000000000


_POOL_SIZE = 2048
_REFILL_CHUNK = 512
_LOW_WATER = 256
_pool: list[str] = []
_pool_pop = _pool.pop


def _reseed() -> None:
    _rng.seed(_urandom(32))
    _pool.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed)
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")


def new_event_id() -> str:
    """A random RFC 4122 version-4 UUID in canonical lowercase form."""
    h = "%032x" % ((_getrandbits(128) & _UUID_CLEAR) | _UUID_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def take_event_id() -> str:
    """``new_event_id()``, from the pool when it holds one (list.pop is atomic)."""
    try:
        return _pool_pop()
    except IndexError:
        return new_event_id()


def refill_event_ids(busy: bool = False) -> None:
    """Mint up to one chunk of ids into the pool (the sender calls this each pass).

    Idle, it fills the pool toward its size. Busy (events waiting), it only keeps a
    low reserve: under overload ``track()`` mostly counts drops, and an id taken from
    the pool is the difference between a cheap drop and a dearer one.
    """
    have = len(_pool)
    if busy:
        if have < _LOW_WATER:
            _pool.extend([new_event_id() for _ in range(_LOW_WATER - have)])
        return
    missing = _POOL_SIZE - have
    if missing > 0:
        _pool.extend([new_event_id() for _ in range(min(missing, _REFILL_CHUNK))])


def new_trace_id() -> str:
    """A random W3C trace id: 32 lowercase hex characters, never all zeros."""
    while True:
        trace_id = _urandom(16).hex()
        if trace_id != "0" * 32:
            return trace_id


def new_span_id() -> str:
    """A random W3C span (parent) id: 16 lowercase hex characters, never all zeros."""
    while True:
        span_id = _urandom(8).hex()
        if span_id != "0" * 16:
            return span_id


def is_trace_id(value: str) -> bool:
    """True for a valid W3C trace id (32 lowercase hex, not all zeros)."""
    return _TRACE_ID.fullmatch(value) is not None and value != "0" * 32


def is_span_id(value: str) -> bool:
    """True for a valid W3C span id (16 lowercase hex, not all zeros)."""
    return _SPAN_ID.fullmatch(value) is not None and value != "0" * 16
