"""``manage.py sentinel_check`` against the real broker: success, and failure with a reason."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tests.kafka_helpers import Broker, consume, new_topic


@pytest.mark.kafka
def test_success_sends_a_test_event_the_broker_acknowledged(kafka: Broker) -> None:
    topic = new_topic("django-check")
    out = io.StringIO()
    with override_settings(SENTINEL={"BROKERS": [kafka.plaintext], "TOPIC": topic}):
        call_command("sentinel_check", "--timeout", "30", stdout=out)
    text = out.getvalue()
    assert f"topic '{topic}'" in text
    assert kafka.plaintext in text
    assert "OK: the broker acknowledged the test event" in text
    [raw] = consume(kafka.plaintext, topic, expected=1, timeout=30)
    event = json.loads(raw)
    assert event["model"] == "sentinel-check"
    assert event["metadata"] == {"sentinel.test": "true"}


def test_unreachable_broker_fails_with_the_reason() -> None:
    out = io.StringIO()
    with (
        override_settings(SENTINEL={"BROKERS": ["127.0.0.1:1"], "TOPIC": "t"}),
        pytest.raises(CommandError, match="FAILED") as failed,
    ):
        call_command("sentinel_check", "--timeout", "2", stdout=out)
    assert "127.0.0.1:1" in out.getvalue()
    assert "OK" not in out.getvalue()
    assert str(failed.value).strip() != "FAILED:"


def test_invalid_settings_fail_naming_the_key() -> None:
    with (
        override_settings(SENTINEL={"BROKERS": ["127.0.0.1:1"], "LINGER_MS": "soon"}),
        pytest.raises(CommandError, match="LINGER_MS"),
    ):
        call_command("sentinel_check", stdout=io.StringIO())
