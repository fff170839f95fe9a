#!/usr/bin/env python3
"""Regenerate the README's generated tables, so they cannot drift from the code.

    .venv/bin/python scripts/gen_docs.py          # rewrite README.md in place
    .venv/bin/python scripts/gen_docs.py --check  # exit 1 if README.md is out of date

- the configuration table, from ``SentinelConfig``, between
  ``<!-- config-table:start -->`` and ``<!-- config-table:end -->``;
- the metadata table, from ``sentinel_sdk.metadata_keys.KEYS``, between
  ``<!-- metadata-table:start -->`` and ``<!-- metadata-table:end -->``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TABLES = ("config-table", "metadata-table")


def _default(field: dataclasses.Field[object]) -> str:
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:  # pragma: no cover - every option has a default
        return "(required)"
    if field.name == "spool_dir" and value is None:
        return "user cache dir"
    if isinstance(value, tuple):
        return "`" + ",".join(str(v) for v in value) + "`"
    if value is None:
        return "unset"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1024 * 1024:
        return f"`{value}` ({value // (1024 * 1024)} MiB)"
    return f"`{value}`"


def config_table() -> str:
    """The Markdown table of every ``SentinelConfig`` option."""
    sys.path.insert(0, str(ROOT))
    from sentinel_sdk import SentinelConfig
    from sentinel_sdk.config import ENV_PREFIX

    lines = [
        "| option | environment variable | default | what it does |",
        "|---|---|---|---|",
    ]
    for field in SentinelConfig.options():
        meta = field.metadata
        env = f"`{ENV_PREFIX}{field.name.upper()}`" if meta["env"] else "(code only)"
        doc = meta["doc"]
        if meta["choices"]:
            doc += " One of: " + ", ".join(f"`{c}`" for c in meta["choices"]) + "."
        lines.append(f"| `{field.name}` | {env} | {_default(field)} | {doc} |")
    return "\n".join(lines)


def metadata_table() -> str:
    """The Markdown table of every metadata key the SDK and its integrations write."""
    sys.path.insert(0, str(ROOT))
    from sentinel_sdk.metadata_keys import KEYS

    lines = ["| key | meaning | unit | written by |", "|---|---|---|---|"]
    for key in KEYS.values():
        name = key.name.replace("*", "<key>")
        writers = ", ".join(key.writers)
        lines.append(f"| `{name}` | {key.meaning} | {key.unit} | {writers} |")
    return "\n".join(lines)


def render(readme: str) -> str:
    """``readme`` with each generated table replaced by what the code says now."""
    for name, table in zip(TABLES, (config_table(), metadata_table()), strict=True):
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        head, rest = readme.split(start, 1)
        _, tail = rest.split(end, 1)
        readme = f"{head}{start}\n{table}\n{end}{tail}"
    return readme


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if README.md is stale")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    updated = render(current)
    if args.check:
        if updated != current:
            print(
                "README.md's generated tables are stale: run scripts/gen_docs.py", file=sys.stderr
            )
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
