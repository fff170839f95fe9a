"""Django framework tests: pytest-django with ``tests.django.settings``."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import os
from collections.abc import Iterator

import django
import pytest

import sentinel_sdk
from tests.asgi.recording import RecordingClient

# Configured here, at collection, rather than in pyproject: only these tests need Django
# (pytest-django's fixtures and test clients work from here on).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.settings")
django.setup()


@pytest.fixture
def recorder() -> Iterator[RecordingClient]:
    """The process default client for the test, recording what requests capture."""
    client = RecordingClient(service_name="django-tests")
    previous = sentinel_sdk.set_client(client)
    yield client
    sentinel_sdk.set_client(previous)
    client.close(timeout=0)
