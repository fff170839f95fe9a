"""System checks: bad ``settings.SENTINEL`` is reported by ``manage.py check``, before serving.

======================  ==============================================================
id                      problem
======================  ==============================================================
``sentinel.E001``       ``SENTINEL`` is not a dict
``sentinel.E002``       a key of ``SENTINEL`` is not an option (typo?)
``sentinel.E003``       an option has a value of the wrong type or out of range
``sentinel.E004``       options that cannot go together (e.g. SASL without a mechanism)
``sentinel.E005``       enabled, but no ``BROKERS``
``sentinel.E006``       the middleware is not in ``MIDDLEWARE``
``sentinel.E007``       ``AUTO_MIDDLEWARE`` is not True or False
``sentinel.E008``       ``EXCLUDED_PATHS`` is not a list of paths starting with ``/``
``sentinel.W001``       ``SENTINEL`` is not set and neither is ``SENTINEL_BROKERS``
``sentinel.W002``       the middleware is not first in ``MIDDLEWARE``
======================  ==============================================================
"""

# mypy: disable-error-code="import-untyped", allow-subclassing-any, allow-untyped-decorators
# (Django ships no type hints; django-stubs is not a dependency.)

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.checks import Warning as CheckWarning

from sentinel_sdk import ConfigurationError, SentinelConfig

from .conf import INTEGRATION_KEYS, MIDDLEWARE_PATH, SOURCE, compile_paths, conf

__all__ = ["check_middleware", "check_settings"]

_FALSE_TEXT = frozenset({"0", "false", "no", "off", ""})


@register("sentinel")
def check_settings(app_configs: Sequence[AppConfig] | None = None, **_: Any) -> list[CheckMessage]:
    """Check ``settings.SENTINEL`` key by key (E001-E005, E007, E008, W001)."""
    raw = conf.SENTINEL
    if raw is None:
        if os.environ.get("SENTINEL_BROKERS"):
            return []
        return [
            CheckWarning(
                "settings.SENTINEL is not set: LLM calls go to the process default client, "
                "which records nothing until sentinel_sdk.init(...) is called.",
                hint='Add SENTINEL = {"BROKERS": ["host:9092"], "SERVICE_NAME": "..."} '
                "to your settings.",
                id="sentinel.W001",
            )
        ]
    if not isinstance(raw, Mapping):
        return [
            Error(
                f"settings.SENTINEL must be a dict, got {type(raw).__name__}.",
                hint='SENTINEL = {"BROKERS": ["host:9092"]}',
                id="sentinel.E001",
            )
        ]
    messages = _check_integration_keys(raw)
    known_names = {f.name.upper() for f in SentinelConfig.options()}
    options = {k: v for k, v in raw.items() if k in known_names}
    for key in raw:
        if key not in known_names and key not in INTEGRATION_KEYS:
            messages.append(
                Error(
                    f"settings.SENTINEL has unknown key {key!r}.",
                    hint=f"Known keys: {', '.join(sorted(known_names | set(INTEGRATION_KEYS)))}.",
                    id="sentinel.E002",
                )
            )
    messages += _check_values(options)
    if _enabled(raw) and not raw.get("BROKERS"):
        messages.append(
            Error(
                "settings.SENTINEL enables LLM Sentinel but names no BROKERS.",
                hint='Add "BROKERS": ["host:9092"], or "ENABLED": False to turn it off.',
                id="sentinel.E005",
            )
        )
    return messages


@register("sentinel")
def check_middleware(
    app_configs: Sequence[AppConfig] | None = None, **_: Any
) -> list[CheckMessage]:
    """Check that the middleware is in ``MIDDLEWARE``, first (E006, W002)."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    if MIDDLEWARE_PATH not in middleware:
        if conf.AUTO_MIDDLEWARE is False:
            hint = f'SENTINEL["AUTO_MIDDLEWARE"] is False: list "{MIDDLEWARE_PATH}" first.'
        else:
            hint = (
                "The app inserts it at startup, so MIDDLEWARE was replaced after that; "
                f'list "{MIDDLEWARE_PATH}" first.'
            )
        return [
            Error(
                f"{MIDDLEWARE_PATH} is not in MIDDLEWARE: LLM calls are not tied to requests.",
                hint=hint,
                id="sentinel.E006",
            )
        ]
    if middleware[0] != MIDDLEWARE_PATH:
        return [
            CheckWarning(
                f"{MIDDLEWARE_PATH} is not first in MIDDLEWARE: LLM calls made by the "
                "middleware above it are not tied to the request.",
                hint="Move it to the top of MIDDLEWARE.",
                id="sentinel.W002",
            )
        ]
    return []


def _check_integration_keys(raw: Mapping[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    auto = raw.get("AUTO_MIDDLEWARE", True)
    if not isinstance(auto, bool):
        messages.append(
            Error(
                f'settings.SENTINEL["AUTO_MIDDLEWARE"] must be True or False, got {auto!r}.',
                id="sentinel.E007",
            )
        )
    try:
        compile_paths(raw.get("EXCLUDED_PATHS", ()))
    except ConfigurationError as exc:
        messages.append(Error(f"{exc}.", id="sentinel.E008"))
    return messages


def _check_values(options: Mapping[str, Any]) -> list[CheckMessage]:
    """E003 for each value that is wrong on its own; else E004 if they clash together."""
    try:
        SentinelConfig.from_mapping(options, source=SOURCE)
        return []
    except ConfigurationError as exc:
        whole = exc
    messages: list[CheckMessage] = []
    for key, value in options.items():
        try:
            SentinelConfig.from_mapping({key: value}, source=SOURCE)
        except ConfigurationError as exc:
            if exc.option == key.lower():  # not a clash with another option's default
                messages.append(Error(f"{exc}.", id="sentinel.E003"))
    if messages:
        return messages
    return [Error(f"{whole}.", hint="Fix the settings.SENTINEL options named.", id="sentinel.E004")]


def _enabled(raw: Mapping[str, Any]) -> bool:
    enabled = raw.get("ENABLED", True)
    if isinstance(enabled, str):
        return enabled.strip().lower() not in _FALSE_TEXT
    return enabled is not False
