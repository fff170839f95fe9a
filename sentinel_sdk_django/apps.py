"""The Django app config: registers the checks and the settings signal, inserts the middleware.

``ready()`` opens no connection: the client is built on the first request, and
its sender connects on the first event.
"""

# mypy: disable-error-code="import-untyped", allow-subclassing-any, allow-untyped-decorators
# (Django ships no type hints; django-stubs is not a dependency.)

from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings
from django.core.signals import setting_changed

from . import conf

__all__ = ["SentinelAppConfig"]


class SentinelAppConfig(AppConfig):
    """``"sentinel_sdk_django"`` in ``INSTALLED_APPS`` selects this config."""

    name = "sentinel_sdk_django"
    label = "sentinel_sdk_django"
    verbose_name = "LLM Sentinel"
    default = True

    def ready(self) -> None:
        """Register the system checks and the settings receiver; put the middleware first."""
        from . import checks  # noqa: F401 - registers the checks

        setting_changed.connect(conf.reset, dispatch_uid="sentinel_sdk_django.reset")
        if conf.conf.AUTO_MIDDLEWARE is not False:
            middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
            if conf.MIDDLEWARE_PATH not in middleware:
                settings.MIDDLEWARE = [conf.MIDDLEWARE_PATH, *middleware]
