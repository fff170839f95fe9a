"""The SDK's own logging (``sentinel_sdk._log``): the never-raise guard and the rate limit."""

from __future__ import annotations

import asyncio
import logging

import pytest

from sentinel_sdk._log import capture_internal_exceptions, log_rate_limited


def hook_that_breaks(n: int) -> str:
    with capture_internal_exceptions():
        raise RuntimeError(f"break {n}")
    return "went on"


def test_the_guard_swallows_logs_and_lets_the_caller_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="sentinel_sdk"):
        assert hook_that_breaks(1) == "went on"
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    message = record.getMessage()
    assert "test_log.hook_that_breaks" in message  # where it happened
    assert "break 1" in message and "the app is not affected" in message
    assert record.exc_info is not None and record.exc_info[1] is not None


def test_the_guard_logs_once_a_minute_per_place(caplog: pytest.LogCaptureFixture) -> None:
    def elsewhere() -> None:
        with capture_internal_exceptions():
            raise ValueError("elsewhere")

    with caplog.at_level(logging.ERROR, logger="sentinel_sdk"):
        for n in range(5):
            hook_that_breaks(n)
        elsewhere()
        elsewhere()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "break 0" in messages[0] and "elsewhere" in messages[1]


@pytest.mark.parametrize(
    "exc", [KeyboardInterrupt(), SystemExit(1), asyncio.CancelledError(), GeneratorExit()]
)
def test_the_guard_never_swallows_what_is_not_an_error(exc: BaseException) -> None:
    with pytest.raises(type(exc)), capture_internal_exceptions():
        raise exc


def test_the_guard_is_one_stateless_instance() -> None:
    assert capture_internal_exceptions() is capture_internal_exceptions()
    with capture_internal_exceptions() as entered:
        assert entered is None
    assert not hasattr(capture_internal_exceptions(), "__dict__")


def test_log_rate_limited_logs_a_key_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sentinel_sdk"):
        for n in range(3):
            log_rate_limited("test-key", "message %d", n)
        log_rate_limited("other-key", "other")
        log_rate_limited("test-key", "no interval", interval=0.0)
    assert [r.getMessage() for r in caplog.records] == ["message 0", "other", "no interval"]
