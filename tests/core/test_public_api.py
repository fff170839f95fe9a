"""The public surface of ``sentinel_sdk`` is exactly what is pinned here.

A change to a public list is a change to the package's contract: update the pin on
purpose, in the same commit, never by accident.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import sentinel_sdk

PUBLIC_API = [
    "AnomalyType",
    "AsyncSentinelClient",
    "Client",
    "ClientStats",
    "ConfigurationError",
    "ConnectionError",
    "DetectionMethod",
    "DropReason",
    "MAX_TEXT_LENGTH",
    "MAX_TOKENS",
    "PromptInfo",
    "RequestScope",
    "ResponseInfo",
    "SendError",
    "SentinelClient",
    "SentinelConfig",
    "SentinelError",
    "Severity",
    "TelemetryEvent",
    "TelemetryEventBuilder",
    "TimeoutError",
    "TrackFields",
    "ValidationError",
    "__version__",
    "coerce_metadata",
    "current_client",
    "current_scope",
    "flush",
    "get_client",
    "init",
    "json_schema",
    "request_scope",
    "set_client",
    "set_user",
    "track",
]

# Public (non-underscore) modules of sentinel_sdk and their __all__.
PUBLIC_MODULES: dict[str, list[str] | None] = {
    "async_client": ["AsyncSentinelClient"],
    "builders": ["TelemetryEventBuilder"],
    "cli": ["cli", "main"],
    "client": ["SentinelClient"],
    "config": ["ENV_PREFIX", "SentinelConfig"],
    "events": ["PromptInfo", "ResponseInfo", "TelemetryEvent", "json_schema"],
    "exceptions": [
        "ConfigurationError",
        "ConnectionError",
        "SendError",
        "SentinelError",
        "TimeoutError",
        "ValidationError",
    ],
    "pricing": [
        "CACHE_READ_KEY",
        "CACHE_WRITE_KEY",
        "COST_KNOWN_KEY",
        "ModelPrice",
        "PRICE_TABLE_DATE",
        "PriceTable",
        "bundled_table",
        "cost_filler",
        "estimate_cost",
        "load_price_table",
        "lookup",
        "normalize_model",
    ],
    "integrations": [
        "MAX_ERROR_TEXT",
        "MAX_REQUEST_ID",
        "SEPARATOR",
        "Client",
        "ExcludedPaths",
        "RequestScope",
        "ScopeOptions",
        "ScopeToken",
        "ScopedAsyncIterator",
        "ScopedIterator",
        "capture_internal_exceptions",
        "close_scope",
        "content_text",
        "current_client",
        "current_scope",
        "enter_scope",
        "error_text",
        "field",
        "log_rate_limited",
        "message_block",
        "metadata_keys",
        "metadata_text",
        "new_span_id",
        "new_trace_id",
        "open_request_scope",
        "open_scope",
        "record_failure",
        "record_stream",
        "record_usage",
        "require",
        "tool_call_line",
    ],
    # Every key constant, the KEYS table and its Key record (pinned by rule, below).
    "metadata_keys": None,
    "scope": ["RequestScope", "current_scope", "parse_traceparent", "request_scope", "set_user"],
    "testing": [
        "AsyncInMemoryClient",
        "InMemoryClient",
        "capture_events",
        "pytest_configure",
        "sentinel_client",
        "sentinel_events",
        "sentinel_options",
    ],
    "types": ["AnomalyType", "DetectionMethod", "Severity"],
}


def submodules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(sentinel_sdk.__path__))


def test_top_level_all_is_pinned() -> None:
    assert sorted(sentinel_sdk.__all__) == sorted(PUBLIC_API)
    assert len(set(sentinel_sdk.__all__)) == len(sentinel_sdk.__all__)


@pytest.mark.parametrize("name", PUBLIC_API)
def test_every_top_level_name_resolves(name: str) -> None:
    value = getattr(sentinel_sdk, name)
    assert value is not None
    if inspect.isclass(value) or inspect.isfunction(value):
        assert inspect.getdoc(value), f"{name} has no docstring"


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from sentinel_sdk import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(PUBLIC_API)


def test_public_modules_are_the_pinned_ones() -> None:
    public = [name for name in submodules() if not name.startswith("_")]
    assert public == sorted(PUBLIC_MODULES)


@pytest.mark.parametrize("module_name", sorted(PUBLIC_MODULES))
def test_public_module_all_is_pinned_and_resolves(module_name: str) -> None:
    module = importlib.import_module(f"sentinel_sdk.{module_name}")
    pinned = PUBLIC_MODULES[module_name]
    if pinned is None:  # metadata_keys: its constants are the KEYS table's names
        pinned = ["KEYS", "Key"]
        pinned += [n for n in vars(module) if n.isupper() and n[0] != "_" and n != "KEYS"]
        assert {getattr(module, name) for name in pinned[2:]} == {
            key.name.removesuffix("*") for key in module.KEYS.values()
        }
    assert sorted(module.__all__) == sorted(pinned)
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{module_name}.{name} has no docstring"


@pytest.mark.parametrize("module_name", submodules())
def test_every_module_has_all_and_a_docstring(module_name: str) -> None:
    module: ModuleType = importlib.import_module(f"sentinel_sdk.{module_name}")
    assert isinstance(module.__all__, list)
    for name in module.__all__:
        getattr(module, name)
    assert (module.__doc__ or "").strip(), f"sentinel_sdk.{module_name} has no docstring"


def test_top_level_names_are_the_same_objects_as_in_their_modules() -> None:
    from sentinel_sdk import builders, client, config, events, exceptions, types

    for module in (builders, client, config, events, exceptions, types):
        for name in module.__all__:
            if name in PUBLIC_API:
                assert getattr(sentinel_sdk, name) is getattr(module, name), name


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        sentinel_sdk.no_such_name  # noqa: B018


def test_importing_sentinel_sdk_imports_no_integration_and_not_aiokafka() -> None:
    """The core never imports an integration; aiokafka (an extra) only when asked for."""
    code = (
        "import sys, sentinel_sdk; "
        "print(sorted(m for m in sys.modules if m.startswith(('sentinel_sdk_', 'aiokafka'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_version_is_a_string() -> None:
    assert isinstance(sentinel_sdk.__version__, str)
    assert sentinel_sdk.__version__.count(".") >= 2


def test_py_typed_marker_ships() -> None:
    from importlib import resources

    assert resources.files("sentinel_sdk").joinpath("py.typed").is_file()
    assert resources.files("sentinel_sdk").joinpath("schema/telemetry_event.schema.json").is_file()


def test_every_integration_package_is_typed() -> None:
    # PEP 561: each top-level package needs its own marker, or mypy users of
    # sentinel_sdk_openai & co. are told the package has no type information.
    # The wheel's package list is the source of truth: every integration on
    # disk must ship, and every shipped one must carry the marker.
    root = Path(sentinel_sdk.__file__).parent.parent
    on_disk = sorted(p.name for p in root.glob("sentinel_sdk_*") if (p / "__init__.py").is_file())
    pyproject = (root / "pyproject.toml").read_text()
    block = pyproject.split("[tool.hatch.build.targets.wheel]", 1)[1].split("]", 1)[0]
    shipped = sorted(name for name in re.findall(r'"([\w.]+)"', block) if name != "sentinel_sdk")
    assert on_disk == shipped
    assert shipped
    for package in shipped:
        assert (root / package / "py.typed").is_file(), package
