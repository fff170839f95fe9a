"""The ``sentinel`` command's shape: help for every command, version, entry points, formatting."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from sentinel_sdk import __version__
from sentinel_sdk.cli import cli
from sentinel_sdk.cli._tail import _render, format_event
from tests.cli.support import SENTINEL


def all_commands() -> list[list[str]]:
    """Every command path: [], ["check"], ["spool"], ["spool", "show"], ..."""
    paths: list[list[str]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        paths.append(path)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])

    walk(cli, [])
    return paths


def test_the_commands_are_check_tail_and_spool() -> None:
    assert sorted(" ".join(p) for p in all_commands()) == [
        "",
        "check",
        "spool",
        "spool clear",
        "spool replay",
        "spool show",
        "tail",
    ]


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "sentinel")
def test_every_command_has_help(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: sentinel {' '.join(path)}".rstrip())
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help
    assert command.help.split("\n")[0].split()[0] in result.output  # its own description
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"


def test_installed_console_script_and_module_agree() -> None:
    script = subprocess.run(
        [str(SENTINEL), "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    module = subprocess.run(
        [sys.executable, "-m", "sentinel_sdk.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert script.stdout == module.stdout == f"sentinel, version {__version__}\n"


def test_no_command_shows_usage() -> None:
    result = CliRunner().invoke(cli, [])
    assert "Commands:" in result.output
    assert "check" in result.output and "tail" in result.output and "spool" in result.output


def test_event_line_shows_missing_fields_as_dashes() -> None:
    line = format_event({"model": "m"})
    assert line.split() == ["-", "-", "m", "-+-", "tok", "-", "ms", "$-", "trace", "-"]


def test_event_line_is_one_line_whatever_the_texts_hold() -> None:
    line = format_event(
        {
            "timestamp": "2024-05-01T12:00:00.000001Z",
            "service_name": "a\nb",
            "model": "m",
            "errors": ["boom\r\nbang", "second"],
            "metadata": {"sentinel.test": "true"},
        }
    )
    assert "\n" not in line and "\r" not in line
    assert "\x1b[31mERROR" in line  # red on a terminal; click.echo drops the colour elsewhere
    line = click.unstyle(line)
    assert line.startswith("2024-05-01 12:00:00.000Z  a b")
    assert line.endswith("ERROR boom bang; second  (test event)")


def test_messages_that_are_not_events() -> None:
    no_filter: dict[str, set[str]] = {"service_name": set(), "model": set(), "trace_id": set()}
    assert _render(b"not json", no_filter, as_json=True) == "not json"
    assert _render(b"[1, 2]", no_filter, as_json=False) == "(not a telemetry event) [1, 2]"
    assert _render(b"\xff", no_filter, as_json=True) == "\ufffd"
    filtered = {**no_filter, "model": {"gpt-4o"}}
    assert _render(b"not json", filtered, as_json=True) is None
    assert _render(b'{"model": "gpt-4o"}', filtered, as_json=True) == '{"model": "gpt-4o"}'
    assert _render(b'{"model": "other"}', filtered, as_json=True) is None
