"""Running the installed ``sentinel`` console script the way a user does, in a clean env."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

SENTINEL = Path(sys.executable).with_name("sentinel")
"""The console script pip installed next to this interpreter (``.venv/bin/sentinel``)."""


def clean_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any ``SENTINEL_*`` variable, with the user
    cache dir (where default spools live) moved under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTINEL_")}
    env["XDG_CACHE_HOME"] = str(home / "cache")
    env.update(extra or {})
    return env


def run_sentinel(
    *args: str, env: Mapping[str, str], timeout: float = 60.0, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``sentinel ARGS`` to completion; stdout and stderr captured as text."""
    return subprocess.run(
        [str(SENTINEL), *args],
        env=dict(env),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class LineReader:
    """Collects a pipe's lines on a thread, so a test can wait for one without blocking."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, predicate: str | int, timeout: float) -> bool:
        """Until a line contains ``predicate`` (str), or ``predicate`` lines arrived (int)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._met(predicate):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def _met(self, predicate: str | int) -> bool:
        if isinstance(predicate, int):
            return len(self.lines) >= predicate
        return any(predicate in line for line in self.lines)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


def start_sentinel(*args: str, env: Mapping[str, str]) -> subprocess.Popen[str]:
    """``sentinel ARGS`` in the background, stdout and stderr piped as text."""
    return subprocess.Popen(
        [str(SENTINEL), *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
