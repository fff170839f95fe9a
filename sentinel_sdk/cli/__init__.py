"""The ``sentinel`` command: check the Kafka connection, tail the topic, manage the spool.

``sentinel check`` delivers a test event and explains any failure in one line;
``sentinel tail`` prints events as they arrive; ``sentinel spool show|replay|clear``
handles the events an app kept on disk while Kafka was unreachable. Every
command takes ``--help``. Exit status: 0 success, 1 failure (one line on
stderr says why), 2 bad usage (click's own message).
"""

from __future__ import annotations

import os
import sys

import click

from sentinel_sdk import __version__

from ._check import check
from ._options import quiet_library_logs
from ._spool import spool
from ._tail import tail

__all__ = ["cli", "main"]


@click.group(name="sentinel", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sentinel")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log to stderr: -v the SDK (and kafka-python warnings), -vv all at DEBUG.",
)
def cli(verbose: int) -> None:
    """LLM Sentinel: check the connection to Kafka, watch the telemetry topic, manage the
    disk spool.

    Options come from SENTINEL_* environment variables (the ones your app reads),
    with each command's flags on top.
    """
    quiet_library_logs(verbose)


cli.add_command(check)
cli.add_command(tail)
cli.add_command(spool)


def main() -> None:
    """Console-script entry point (``sentinel``)."""
    try:
        cli.main(prog_name="sentinel")
    except BrokenPipeError:
        # The reader went away (`sentinel tail | head`): stop quietly, as `cat` does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
