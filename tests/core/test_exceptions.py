"""The exception tree: one root, causes kept, builtins caught where users expect them."""

from __future__ import annotations

import builtins

import pytest

import sentinel_sdk
from sentinel_sdk import (
    ConfigurationError,
    ConnectionError,
    SendError,
    SentinelError,
    TimeoutError,
    ValidationError,
)

ALL = [ValidationError, ConfigurationError, ConnectionError, SendError, TimeoutError]


@pytest.mark.parametrize("kind", ALL)
def test_every_error_has_the_one_root(kind: type[SentinelError]) -> None:
    assert issubclass(kind, SentinelError)
    assert issubclass(SentinelError, Exception)
    with pytest.raises(SentinelError):
        raise kind("boom")


def test_exception_classes_exported_are_all_sentinel_errors() -> None:
    exported = [
        getattr(sentinel_sdk, name)
        for name in sentinel_sdk.__all__
        if isinstance(getattr(sentinel_sdk, name), type)
        and issubclass(getattr(sentinel_sdk, name), BaseException)
    ]
    assert sorted(e.__name__ for e in exported) == sorted(e.__name__ for e in [SentinelError, *ALL])


@pytest.mark.parametrize("kind", [SentinelError, *ALL])
def test_cause_is_kept_as_attribute_and_chained(kind: type[SentinelError]) -> None:
    root = OSError("socket closed")
    error = kind("it failed", cause=root)
    assert error.cause is root
    assert error.__cause__ is root
    assert str(error) == "it failed"
    assert error.message == "it failed"
    assert kind("no cause").cause is None
    assert kind("no cause").__cause__ is None


@pytest.mark.parametrize("kind", ALL)
def test_raise_from_keeps_cause(kind: type[SentinelError]) -> None:
    root = ValueError("low level")

    def fail() -> None:
        try:
            raise root
        except ValueError as exc:
            raise kind("high level", cause=exc) from exc

    with pytest.raises(kind) as info:
        fail()
    assert info.value.cause is root
    assert info.value.__cause__ is root


def test_connection_error_is_caught_by_builtin_connection_error() -> None:
    assert issubclass(ConnectionError, builtins.ConnectionError)
    assert issubclass(ConnectionError, OSError)
    with pytest.raises(builtins.ConnectionError) as info:  # what user code writes
        raise ConnectionError("broker down")
    assert isinstance(info.value, SentinelError)


def test_timeout_error_is_caught_by_builtin_timeout_error() -> None:
    assert issubclass(TimeoutError, builtins.TimeoutError)
    with pytest.raises(builtins.TimeoutError) as info:
        raise TimeoutError("slow")
    assert isinstance(info.value, SentinelError)
    # asyncio.TimeoutError is the builtin since Python 3.11.
    import asyncio
    import sys

    if sys.version_info >= (3, 11):
        with pytest.raises(asyncio.TimeoutError):
            raise TimeoutError("slow")


def test_other_errors_are_not_builtin_connection_or_timeout_errors() -> None:
    for kind in (ValidationError, ConfigurationError, SendError):
        assert not issubclass(kind, builtins.ConnectionError)
        assert not issubclass(kind, builtins.TimeoutError)


def test_validation_error_is_a_value_error_with_field() -> None:
    error = ValidationError("prompt.tokens must be ...", field="prompt.tokens")
    assert isinstance(error, ValueError)
    assert error.field == "prompt.tokens"
    assert ValidationError("x").field is None
    with pytest.raises(ValueError, match=r"prompt\.tokens"):
        sentinel_sdk.PromptInfo(tokens=-1)


def test_configuration_error_is_a_value_error_with_option() -> None:
    error = ConfigurationError("bad", option="linger_ms")
    assert isinstance(error, ValueError)
    assert error.option == "linger_ms"
    assert ConfigurationError("x").option is None
    with pytest.raises(ValueError, match="linger_ms") as info:
        sentinel_sdk.SentinelConfig(linger_ms=-1)
    assert isinstance(info.value, ConfigurationError)
    assert info.value.option == "linger_ms"


def test_send_error_is_not_a_value_error() -> None:
    assert not issubclass(SendError, ValueError)
    assert not issubclass(ConnectionError, ValueError)


def test_errors_have_docstrings_and_the_root_draws_the_tree() -> None:
    for kind in (SentinelError, *ALL):
        assert kind.__doc__
    doc = sentinel_sdk.exceptions.__doc__ or ""
    for kind in ALL:
        assert kind.__name__ in doc
