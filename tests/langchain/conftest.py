"""Fixtures for the LangChain handler tests: a recording client, default client reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import sentinel_sdk
from tests.langchain.recording import RecordingClient


@pytest.fixture
def recorder(spool_dir: str) -> Iterator[RecordingClient]:
    """A recording client (not the process default)."""
    client = RecordingClient(spool_dir, service_name="lc-tests")
    yield client
    client.close(timeout=0)


@pytest.fixture
def default_recorder(recorder: RecordingClient) -> Iterator[RecordingClient]:
    """The recording client installed as the process default client."""
    previous = sentinel_sdk.set_client(recorder)
    yield recorder
    sentinel_sdk.set_client(previous)
