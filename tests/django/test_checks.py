"""System checks: each id is raised by the bad setting it names, and good settings pass."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
from django.apps import apps
from django.core.checks import run_checks
from django.test import override_settings

from sentinel_sdk_django import conf

GOOD = {"BROKERS": ["127.0.0.1:9092"], "TOPIC": "llm.telemetry", "SERVICE_NAME": "web"}
MIDDLEWARE = [conf.MIDDLEWARE_PATH, "django.middleware.common.CommonMiddleware"]


def ids(**settings: Any) -> list[str]:
    with override_settings(**settings):
        return sorted(m.id for m in run_checks(tags=["sentinel"]))


def test_good_settings_pass() -> None:
    assert ids(SENTINEL=GOOD, MIDDLEWARE=MIDDLEWARE) == []
    assert ids(SENTINEL={"ENABLED": False}, MIDDLEWARE=MIDDLEWARE) == []
    assert ids(SENTINEL={**GOOD, "BATCH_SIZE": "32768"}, MIDDLEWARE=MIDDLEWARE) == []


@pytest.mark.parametrize(
    ("sentinel", "expected"),
    [
        (["127.0.0.1:9092"], ["sentinel.E001"]),
        ({**GOOD, "TOPICS": "x"}, ["sentinel.E002"]),
        ({**GOOD, "TOPIC": "a", "BROKRS": ["x:1"], "SERVCE": "s"}, ["sentinel.E002"] * 2),
        ({**GOOD, "BATCH_SIZE": "lots"}, ["sentinel.E003"]),
        ({**GOOD, "ENABLED": "maybe"}, ["sentinel.E003"]),
        ({**GOOD, "SAMPLE_RATE": 1.5}, ["sentinel.E003"]),
        ({**GOOD, "COMPRESSION_TYPE": "brotli"}, ["sentinel.E003"]),
        ({**GOOD, "SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, ["sentinel.E004"]),
        ({**GOOD, "SASL_MECHANISM": "PLAIN"}, ["sentinel.E004"]),
        ({"TOPIC": "x"}, ["sentinel.E005"]),
        ({"BROKERS": [], "ENABLED": "true"}, ["sentinel.E003", "sentinel.E005"]),
        ({**GOOD, "AUTO_MIDDLEWARE": "no"}, ["sentinel.E007"]),
        ({**GOOD, "EXCLUDED_PATHS": "/health"}, ["sentinel.E008"]),
        ({**GOOD, "EXCLUDED_PATHS": ["health"]}, ["sentinel.E008"]),
    ],
)
def test_each_bad_setting_has_its_id(sentinel: Any, expected: list[str]) -> None:
    assert ids(SENTINEL=sentinel, MIDDLEWARE=MIDDLEWARE) == sorted(expected)


def test_clashing_values_of_the_same_option_group_are_not_misreported() -> None:
    ok = {**GOOD, "RETRY_BACKOFF_MS": 10, "RETRY_BACKOFF_MAX_MS": 50}
    assert ids(SENTINEL=ok, MIDDLEWARE=MIDDLEWARE) == []
    assert ids(SENTINEL={**GOOD, "RETRY_BACKOFF_MAX_MS": 50}, MIDDLEWARE=MIDDLEWARE) == [
        "sentinel.E003"
    ]


def test_missing_middleware_is_e006() -> None:
    bare = ["django.middleware.common.CommonMiddleware"]
    assert ids(SENTINEL=GOOD, MIDDLEWARE=bare) == ["sentinel.E006"]
    with override_settings(SENTINEL={**GOOD, "AUTO_MIDDLEWARE": False}, MIDDLEWARE=bare):
        [message] = run_checks(tags=["sentinel"])
    assert message.id == "sentinel.E006"
    assert "AUTO_MIDDLEWARE" in (message.hint or "")


def test_middleware_not_first_is_w002() -> None:
    later = [*reversed(MIDDLEWARE)]
    assert ids(SENTINEL=GOOD, MIDDLEWARE=later) == ["sentinel.W002"]


def test_unset_settings_warn_w001(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENTINEL_BROKERS", raising=False)
    assert ids(MIDDLEWARE=MIDDLEWARE) == ["sentinel.W001"]
    monkeypatch.setenv("SENTINEL_BROKERS", "127.0.0.1:9092")
    assert ids(MIDDLEWARE=MIDDLEWARE) == []


def test_secret_values_never_appear_in_check_messages() -> None:
    bad = {**GOOD, "SASL_PASSWORD": 12345}
    with override_settings(SENTINEL=bad, MIDDLEWARE=MIDDLEWARE):
        messages = run_checks(tags=["sentinel"])
    assert [m.id for m in messages] == ["sentinel.E003"]
    assert "12345" not in str(messages[0])


def _ready_again(**settings: Any) -> list[str]:
    with override_settings(**settings):
        apps.get_app_config("sentinel_sdk_django").ready()
        from django.conf import settings as live

        return list(live.MIDDLEWARE)


def test_ready_inserts_the_middleware_first_once() -> None:
    common = "django.middleware.common.CommonMiddleware"
    assert _ready_again(SENTINEL=GOOD, MIDDLEWARE=[common]) == [conf.MIDDLEWARE_PATH, common]
    assert _ready_again(SENTINEL=GOOD, MIDDLEWARE=[common, conf.MIDDLEWARE_PATH]) == [
        common,
        conf.MIDDLEWARE_PATH,
    ]


def test_auto_middleware_false_leaves_middleware_alone() -> None:
    common = "django.middleware.common.CommonMiddleware"
    sentinel = {**GOOD, "AUTO_MIDDLEWARE": False}
    assert _ready_again(SENTINEL=sentinel, MIDDLEWARE=(common,)) == [common]


def test_ready_opens_no_connection() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        before = {t.name for t in threading.enumerate()}
        conf.reset()
        _ready_again(SENTINEL={"BROKERS": [f"127.0.0.1:{port}"]}, MIDDLEWARE=MIDDLEWARE)
        with pytest.raises(TimeoutError):
            listener.accept()
    assert conf._state is None  # no client built yet
    new_threads = {t.name for t in threading.enumerate()} - before
    assert not {name for name in new_threads if name.startswith("sentinel-sdk")}
