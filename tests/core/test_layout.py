"""The layout rules of the package code: small modules, short functions, and integrations
built on the core's public names only (``sentinel_sdk.integrations`` and the API).

import-linter checks the layers themselves (``lint-imports``, run by ``scripts/test``);
these are the rules it cannot express.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p for p in ROOT.glob("sentinel_sdk*") if (p / "__init__.py").is_file())
MODULES = sorted(path for package in PACKAGES for path in package.rglob("*.py"))
INTEGRATIONS = [path for path in MODULES if path.parts[len(ROOT.parts)] != "sentinel_sdk"]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Functions allowed past MAX_FUNCTION_LINES, each with the reason (none today).
LONG_FUNCTIONS: dict[str, str] = {}


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_package_code_is_found() -> None:
    assert len(PACKAGES) >= 6 and len(INTEGRATIONS) >= 10


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_no_module_is_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name(path)} has {lines} lines: it holds two ideas"


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                where = f"{name(path)}:{node.name}"
                if lines > MAX_FUNCTION_LINES and where not in LONG_FUNCTIONS:
                    long[where] = lines
    assert long == {}


def private_core_imports(path: Path) -> list[str]:
    """Every ``sentinel_sdk._something`` the module imports (any form of import)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "sentinel_sdk" and any(p.startswith("_") for p in parts[1:]):
                found.append(f"line {node.lineno}: {module}")
    return found


@pytest.mark.parametrize("path", INTEGRATIONS, ids=name)
def test_integrations_import_no_private_module_of_the_core(path: Path) -> None:
    assert private_core_imports(path) == []


def test_the_private_import_check_sees_every_form(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import sentinel_sdk._log\n"
        "from sentinel_sdk._ids import new_span_id\n"
        "from sentinel_sdk import _log\n"
        "from sentinel_sdk.integrations import open_scope\n"
        "from sentinel_sdk import SentinelClient\n"
    )
    assert private_core_imports(module) == [
        "line 1: sentinel_sdk._log",
        "line 2: sentinel_sdk._ids",
        "line 2: sentinel_sdk._ids.new_span_id",
        "line 3: sentinel_sdk._log",
    ]
