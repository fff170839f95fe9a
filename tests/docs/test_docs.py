"""The docs do not drift: the configuration table is SentinelConfig's, the metadata table
is the vocabulary's (``sentinel_sdk.metadata_keys``), snippets compile, and API.md covers
every public name."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from sentinel_sdk import SentinelConfig

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "QUICKSTART.md", "API.md"]
PUBLIC_PACKAGES = [
    "sentinel_sdk",
    "sentinel_sdk_asgi",
    "sentinel_sdk_django",
    "sentinel_sdk_flask",
    "sentinel_sdk_langchain",
    "sentinel_sdk_openai",
]


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table_options(readme: str) -> list[str]:
    table = readme.split("<!-- config-table:start -->", 1)[1].split("<!-- config-table:end -->")[0]
    return re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)


def test_every_config_option_is_in_the_readme_table_and_nothing_else() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _table_options(readme) == [f.name for f in SentinelConfig.options()]


def test_every_metadata_key_is_in_the_readme_table_and_nothing_else() -> None:
    from sentinel_sdk.metadata_keys import KEYS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- metadata-table:start -->", 1)[1].split("<!-- metadata-table:end")[0]
    listed = re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE)
    assert listed == [key.name.replace("*", "<key>") for key in KEYS.values()]


def test_the_readme_tables_are_exactly_what_the_generator_writes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _gen_docs().render(readme) == readme, "run: .venv/bin/python scripts/gen_docs.py"


def _snippets(doc: str) -> list[tuple[str, int, str]]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        line = text.count("\n", 0, match.start()) + 2
        found.append((doc, line, match.group(1)))
    return found


SNIPPETS = [s for doc in ("README.md", "QUICKSTART.md") for s in _snippets(doc)]


def test_the_docs_have_python_snippets() -> None:
    assert len(SNIPPETS) >= 10


@pytest.mark.parametrize(("doc", "line", "code"), SNIPPETS, ids=lambda v: str(v)[:30])
def test_every_python_snippet_compiles(doc: str, line: int, code: str) -> None:
    compile(code, f"{doc}:{line}", "exec")


def test_api_md_covers_every_public_name() -> None:
    api = (ROOT / "API.md").read_text(encoding="utf-8")
    missing = []
    for package in PUBLIC_PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            if name.startswith("__"):
                continue
            if not re.search(rf"`(?:{re.escape(package)}\.)?{re.escape(name)}[`(.\[]", api):
                missing.append(f"{package}.{name}")
    assert not missing, f"API.md does not document: {missing}"
