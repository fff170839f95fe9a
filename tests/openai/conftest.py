"""Fixtures for the OpenAI wrapper tests: the local OpenAI-compatible server, clients."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from sentinel_sdk_openai import wrap_openai
from tests.langchain.recording import RecordingClient
from tests.openai.server import FakeOpenAI


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    """The fake OpenAI API, served on 127.0.0.1 for this test module."""
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture
def recorder(spool_dir: str) -> Iterator[RecordingClient]:
    """A recording Sentinel client (events are kept, priced, not sent)."""
    client = RecordingClient(spool_dir, service_name="openai-tests")
    yield client
    client.close(timeout=0)


@pytest.fixture
def oai(server: FakeOpenAI, recorder: RecordingClient) -> Iterator[openai.OpenAI]:
    """A wrapped sync OpenAI client talking to the fake server."""
    client = wrap_openai(
        openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0),
        sentinel=recorder,
    )
    yield client
    client.close()


@pytest.fixture
async def aoai(server: FakeOpenAI, recorder: RecordingClient) -> openai.AsyncOpenAI:
    """A wrapped AsyncOpenAI client talking to the fake server."""
    return wrap_openai(
        openai.AsyncOpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0),
        sentinel=recorder,
    )
