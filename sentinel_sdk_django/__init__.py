"""Per-request capture for Django: add ``"sentinel_sdk_django"`` to ``INSTALLED_APPS``.

INSTALLED_APPS = [..., "sentinel_sdk_django"]
SENTINEL = {"BROKERS": ["localhost:9092"], "SERVICE_NAME": "chat-api"}

The app puts ``sentinel_sdk_django.middleware.SentinelMiddleware`` first in
``MIDDLEWARE`` (unless ``SENTINEL["AUTO_MIDDLEWARE"]`` is False), checks the
settings with ``manage.py check`` (ids ``sentinel.E001``...) and adds
``manage.py sentinel_check``.
"""

# mypy: disable-error-code="import-untyped", allow-subclassing-any, allow-untyped-decorators
# (Django ships no type hints; django-stubs is not a dependency.)

from __future__ import annotations

from sentinel_sdk.integrations import require

require("django", extra="django", integration=__name__, distribution="Django")

from .conf import MIDDLEWARE_PATH, get_client  # noqa: E402 (once the framework is known to be there)

__all__ = ["MIDDLEWARE_PATH", "get_client"]
