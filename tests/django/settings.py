"""Django settings for the framework tests (no database: the app needs none)."""

from __future__ import annotations

SECRET_KEY = "sentinel-sdk-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.django.urls"
INSTALLED_APPS = ["sentinel_sdk_django"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
# settings.SENTINEL is left unset: requests then use the process default client, which
# the tests swap for a recording one; tests that need the app's own client set it.
