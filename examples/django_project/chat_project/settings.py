"""Settings of the example project: LLM Sentinel is one app and one ``SENTINEL`` dict.

The Sentinel part is the two marked lines; the rest is a minimal Django project
(no database: the example needs none).
"""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "chat_project.urls"
WSGI_APPLICATION = "chat_project.wsgi.application"
ASGI_APPLICATION = "chat_project.asgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

INSTALLED_APPS = ["sentinel_sdk_django"]  # <- LLM Sentinel (puts its middleware first)
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]

SENTINEL = {  # <- LLM Sentinel: SentinelConfig options, upper-cased
    "BROKERS": os.environ.get("SENTINEL_BROKERS", "localhost:9092"),
    "TOPIC": os.environ.get("SENTINEL_TOPIC", "llm.telemetry"),
    "SERVICE_NAME": os.environ.get("SENTINEL_SERVICE_NAME", "django-example"),
    "SPOOL_DIR": os.environ.get("SENTINEL_SPOOL_DIR") or None,
    "EXCLUDED_PATHS": ["/health/"],
}
