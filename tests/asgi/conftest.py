"""Fixtures for the ASGI middleware tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.asgi.apps import APPS
from tests.asgi.recording import RecordingClient


@pytest.fixture
def recorder() -> Iterator[RecordingClient]:
    client = RecordingClient(service_name="asgi-tests")
    yield client
    client.close(timeout=0)


@pytest.fixture(params=sorted(APPS))
def framework(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name
