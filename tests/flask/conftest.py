"""Fixtures for the Flask extension tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import sentinel_sdk
from tests.asgi.recording import RecordingClient


@pytest.fixture
def recorder() -> Iterator[RecordingClient]:
    """A recording client, also the process default for the test."""
    client = RecordingClient(service_name="flask-tests")
    previous = sentinel_sdk.set_client(client)
    yield client
    sentinel_sdk.set_client(previous)
    client.close(timeout=0)
