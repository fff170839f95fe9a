"""``python -m sentinel_sdk.cli``: the ``sentinel`` command without the console script."""

from __future__ import annotations

from . import main

__all__: list[str] = []

main()
