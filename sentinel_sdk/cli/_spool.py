"""``sentinel spool``: look at, deliver or delete the events an app kept on disk."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import click

from sentinel_sdk._spool import Spool, default_spool_dir
from sentinel_sdk.client import SentinelClient
from sentinel_sdk.config import SentinelConfig

from . import _options as options

__all__ = ["spool", "spool_summary"]

_PAGE = 1000

_spool_dir_option = click.option(
    "--spool-dir",
    type=click.Path(file_okay=False),
    help="The spool directory [env SENTINEL_SPOOL_DIR; default: the one an app with the "
    "same brokers and topic uses, under the user cache dir].",
)


def _spool_options(func: options.F) -> options.F:
    """The flags of every spool command: the connection (to find the spool) and --spool-dir."""
    return options.connection_options(_spool_dir_option(func))


@click.group()
def spool() -> None:
    """Show, replay or clear the disk spool (events kept while Kafka was unreachable).

    An app spools to SENTINEL_SPOOL_DIR, or by default to a folder of the user
    cache dir named after its brokers and topic: give the same --brokers and
    --topic (or variables) here to find it, or --spool-dir.
    """


@spool.command()
@_spool_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def show(spool_dir: str | None, as_json: bool, **params: Any) -> None:
    """Where the spool is, how many events and bytes it holds, their time span and topics."""
    directory = _resolve_dir(spool_dir, params)
    summary = spool_summary(directory)
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(f"Spool:   {directory}")
    if not summary["exists"]:
        click.echo("Events:  0 (no spool file: nothing is waiting)")
        return
    click.echo(f"Events:  {summary['events']} ({_size(summary['bytes'])} of events)")
    if summary["events"]:
        click.echo(f"Oldest:  {summary['oldest']}")
        click.echo(f"Newest:  {summary['newest']}")
        topics = ", ".join(f"{t} ({n})" for t, n in summary["topics"].items())
        click.echo(f"Topics:  {topics}")


@spool.command()
@_spool_options
@options.wait_option("--timeout", 60.0, "Seconds to wait for the broker to acknowledge everything.")
def replay(spool_dir: str | None, timeout: float, **params: Any) -> None:
    """Deliver the spooled events to Kafka now (oldest first), then delete them.

    Each event goes to the topic it was spooled for. Exit status 1 if some are
    still in the spool afterwards (they stay there, nothing is lost).
    """
    config = options.build_config(params)
    directory = _resolve_dir(spool_dir, params, config)
    probe = Spool(directory, config.spool_max_bytes)
    before, _ = probe.totals()
    if before == 0:
        click.echo(f"Nothing to replay: the spool at {directory} is empty.")
        return
    if not probe.acquire_replay():
        raise options.Failure(
            f"another process is replaying the spool at {directory} (it holds replay.lock); "
            "it delivers these events itself"
        )
    probe.release_replay()
    probe.close()
    options.progress(f"Replaying {before} event(s) to {options.describe_connection(config)}...")
    client = SentinelClient(config.replace(spool_dir=directory, spool_enabled=True))
    try:
        done = client.replay_spool(timeout)
        stats = client.stats()
    finally:
        client.close(timeout=1.0)  # all acknowledged, or what is left stays spooled
    left, _ = Spool(directory, config.spool_max_bytes).totals()
    if not done or left:
        reason = stats["last_error"] or f"not acknowledged within {timeout:g} s"
        raise options.Failure(
            f"replayed {stats['replayed']} of {before} event(s); {left} still in the spool at "
            f"{directory}: {reason}",
            config,
        )
    click.echo(
        f"Replayed {stats['replayed']} event(s) from {directory} to "
        f"{options.describe_connection(config)}; the spool is empty."
    )


@spool.command()
@_spool_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def clear(spool_dir: str | None, yes: bool, **params: Any) -> None:
    """Delete every spooled event, without delivering it."""
    directory = _resolve_dir(spool_dir, params)
    if not (Path(directory) / "spool.sqlite3").exists():
        click.echo(f"Nothing to clear: no spool at {directory}.")
        return
    store = Spool(directory, 1 << 30)
    events, size = store.totals()
    if events == 0:
        click.echo(f"Nothing to clear: the spool at {directory} is empty.")
        return
    if not yes:
        click.confirm(
            f"Delete {events} event(s) ({_size(size)}) from {directory} without delivering them?",
            abort=True,
            err=True,
        )
    deleted = store.clear()
    store.close()
    click.echo(f"Deleted {deleted} event(s) from {directory}.")


def spool_summary(directory: str) -> dict[str, Any]:
    """What ``sentinel spool show`` prints, as a dict: ``exists``, ``events``, ``bytes``,
    ``oldest`` / ``newest`` (event timestamps, RFC 3339) and ``topics`` (counts)."""
    summary: dict[str, Any] = {
        "spool_dir": directory,
        "exists": (Path(directory) / "spool.sqlite3").exists(),
        "events": 0,
        "bytes": 0,
        "oldest": None,
        "newest": None,
        "topics": {},
    }
    if not summary["exists"]:
        return summary
    store = Spool(directory, 1 << 30)
    try:
        summary["events"], summary["bytes"] = store.totals()
        topics: Counter[str] = Counter()
        stamps: list[str] = []
        after = 0
        while rows := store.read(after, _PAGE):
            after = rows[-1].seq
            for row in rows:
                topics[row.topic] += 1
                stamp = _timestamp(row.payload)
                if stamp is not None:
                    stamps.append(stamp)
            if stamps:  # RFC 3339 UTC with a fixed width: text order is time order
                stamps = [min(stamps), max(stamps)]
    finally:
        store.close()
    if stamps:
        summary["oldest"], summary["newest"] = stamps[0], stamps[-1]
    summary["topics"] = dict(topics.most_common())
    return summary


def _timestamp(payload: bytes) -> str | None:
    try:
        value = json.loads(payload).get("timestamp")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _resolve_dir(
    spool_dir: str | None, params: dict[str, Any], config: SentinelConfig | None = None
) -> str:
    if spool_dir:
        return spool_dir
    if config is None:
        config = options.build_config(params)
    return config.spool_dir or default_spool_dir(config.brokers, config.topic)


def _size(n: int) -> str:
    """Exact bytes, plus a rounded figure past 1 KB: ``1023 bytes``, ``2048 bytes = 2.0 KB``."""
    if n < 1024:
        return f"{n} bytes"
    value, unit = n / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{n} bytes = {value:.1f} {unit}"
