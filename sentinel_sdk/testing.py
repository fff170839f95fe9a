"""Test helpers for users' own test suites (a pytest plugin, registered on install).

The fixtures land in a later change; this module exists so the plugin entry
point resolves.
"""

from __future__ import annotations

__all__: list[str] = []
