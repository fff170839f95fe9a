"""Reads ``settings.SENTINEL`` through one small object, so ``override_settings`` is honoured.

Nothing is cached across a settings change: the ``setting_changed`` signal
(sent by ``override_settings``) drops the app's client and compiled settings,
and the next request builds them again.
"""

# mypy: disable-error-code="import-untyped", allow-subclassing-any, allow-untyped-decorators
# (Django ships no type hints; django-stubs is not a dependency.)

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from sentinel_sdk import ConfigurationError, SentinelClient, SentinelConfig
from sentinel_sdk.integrations import ExcludedPaths, log_rate_limited

__all__ = [
    "INTEGRATION_KEYS",
    "MIDDLEWARE_PATH",
    "Settings",
    "State",
    "build_config",
    "compile_paths",
    "conf",
    "get_client",
    "reset",
    "state",
]

MIDDLEWARE_PATH = "sentinel_sdk_django.middleware.SentinelMiddleware"
INTEGRATION_KEYS = ("AUTO_MIDDLEWARE", "EXCLUDED_PATHS")
"""Keys of ``settings.SENTINEL`` that belong to this app, not to ``SentinelConfig``."""
SOURCE = "settings.SENTINEL"


class Settings:
    """Live view of the app's settings (read on every access, never copied)."""

    @property
    def SENTINEL(self) -> Any:
        """``settings.SENTINEL``, or ``None`` when it is not set."""
        return getattr(settings, "SENTINEL", None)

    @property
    def AUTO_MIDDLEWARE(self) -> Any:
        """Whether the app inserts its middleware itself (default True)."""
        raw = self.SENTINEL
        return raw.get("AUTO_MIDDLEWARE", True) if isinstance(raw, Mapping) else True

    @property
    def EXCLUDED_PATHS(self) -> Any:
        """Paths served without a request scope (exact, or prefix followed by ``/``)."""
        raw = self.SENTINEL
        return raw.get("EXCLUDED_PATHS", ()) if isinstance(raw, Mapping) else ()


conf = Settings()


def build_config(raw: Any = None) -> SentinelConfig | None:
    """The ``SentinelConfig`` of ``settings.SENTINEL`` (``None`` when it is not set).

    Raises ``ConfigurationError`` for a bad value, with the key named.
    """
    raw = conf.SENTINEL if raw is None else raw
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{SOURCE} must be a dict, got {type(raw).__name__}")
    return SentinelConfig.from_mapping(raw, source=SOURCE, ignore=INTEGRATION_KEYS)


def compile_paths(paths: Any) -> ExcludedPaths:
    """The paths of ``EXCLUDED_PATHS`` (``"/health"``: itself and below)."""
    return ExcludedPaths(paths, f"{SOURCE}['EXCLUDED_PATHS']")


@dataclass(frozen=True)
class State:
    """What the middleware needs per request, built once per settings value."""

    active: bool
    client: SentinelClient | None
    excluded_paths: ExcludedPaths
    """Paths served without a request scope."""


_INACTIVE = State(False, None, ExcludedPaths())
_state: State | None = None
_lock = threading.Lock()


def state() -> State:
    """The current ``State``; a broken setting gives an inactive one (logged, never raised)."""
    current = _state
    if current is not None:
        return current
    return _build_state()


def _build_state() -> State:
    global _state
    with _lock:
        if _state is not None:
            return _state
        try:
            config = build_config()
            excluded = compile_paths(conf.EXCLUDED_PATHS)
            # Constructing a client opens no connection: the sender starts on the first event.
            client = SentinelClient(config) if config is not None else None
            _state = State(True, client, excluded)
        except Exception as exc:
            log_rate_limited(
                "django-settings",
                "sentinel_sdk_django: %s; requests are served without LLM Sentinel "
                "(run `manage.py check` for details)",
                exc,
            )
            _state = _INACTIVE
        return _state


def get_client() -> SentinelClient | None:
    """The client built from ``settings.SENTINEL``, or ``None`` if it is not set (then
    events go to the process default client, ``sentinel_sdk.init``)."""
    return state().client


def reset(*, setting: str = "SENTINEL", **_: Any) -> None:
    """Forget the client and compiled settings (``setting_changed`` receiver)."""
    global _state
    if setting != "SENTINEL":
        return
    with _lock:
        old, _state = _state, None
    if old is not None and old.client is not None:
        old.client.close()  # delivers what it holds (up to shutdown_timeout), as at exit
