"""An integration's framework, imported or named: which extra installs it."""

from __future__ import annotations

import importlib

__all__ = ["require"]


def require(module: str, *, extra: str, integration: str, distribution: str = "") -> None:
    """Import ``module`` (the framework ``integration`` is for), or raise ``ImportError``
    saying which extra installs it: ``pip install 'llm-sentinel-sdk[<extra>]'``."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{integration} needs {distribution or module}: pip install 'llm-sentinel-sdk[{extra}]'"
        ) from exc
