"""Event assembly: every path from fields to a ``TelemetryEvent``, and on to its wire bytes.

One home, three files, one constructor:

- ``build``: ``track()`` fields checked (by the rules of ``sentinel_sdk._validation``)
  and built in full (``build_event``). It runs on the caller's thread for fields of
  an unusual shape, so a mistake raises ``ValidationError`` at the call, and on the
  sender for the fields an integration computes there (``Deferred``).
  ``copy_for_send`` is ``send(event)``'s: a checked copy with the request scope merged.
- ``quick``: ``track()``'s fast path. ``quick_size`` tells whether the fields have the
  common shape, by the rules' predicates alone, and what they weigh; ``capture``
  keeps them in a ``Captured`` with the request context, time and id of the call, and
  the sender assembles the event later without checking again (the result is the
  one ``build_event`` gives for the same fields). ``Deferred`` is an integration's
  function of the fields, run on the sender.
- ``finish``: the sender's last steps for each queued item (``Finisher``): build it,
  ``before_send`` and a full re-check after it, the cost from the price table, the
  JSON payload; an item let go on the way raises ``Dropped`` with its reason.

Every event is made by one constructor (``events._unchecked``), which fills in the
defaults of the fields a path does not set: a field is added to the event in one place.
"""

from __future__ import annotations

from .build import TrackFields, build_event, copy_for_send, estimate_size
from .finish import Dropped, Finisher
from .quick import DEFERRED_SIZE, Captured, Deferred, capture, quick_size

__all__ = [
    "DEFERRED_SIZE",
    "Captured",
    "Deferred",
    "Dropped",
    "Finisher",
    "TrackFields",
    "build_event",
    "capture",
    "copy_for_send",
    "estimate_size",
    "quick_size",
]
