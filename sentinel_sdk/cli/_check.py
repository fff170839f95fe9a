"""``sentinel check``: prove the configuration reaches Kafka by delivering one test event."""

from __future__ import annotations

from typing import Any

import click

from sentinel_sdk.client import SentinelClient
from sentinel_sdk.exceptions import SentinelError

from ._options import (
    Failure,
    build_config,
    connection_options,
    describe_connection,
    progress,
    wait_option,
)

__all__ = ["check"]


@click.command()
@connection_options
@click.option("--service-name", help="Service name on the test event [env SENTINEL_SERVICE_NAME].")
@wait_option("--timeout", 10.0, "Seconds to wait for the connection and the acknowledgement.")
def check(timeout: float, service_name: str | None, **params: Any) -> None:
    """Connect, send one test event and wait for the broker's acknowledgement.

    The configuration comes from SENTINEL_* variables with these flags on top, as
    an app would build it. The test event has model 'sentinel-check' and metadata
    sentinel.test=true, so consumers can skip it. Exit status: 0 acknowledged;
    1 invalid configuration or no acknowledgement (one line on stderr says why);
    2 bad flags.
    """
    config = build_config(params, service_name=service_name)
    # ping() uses a producer of its own: no spool, nothing of this check stays on disk.
    # Its connect deadline is the timeout; a request timeout within it keeps the
    # SDK's "no broker answered within N ms" message true.
    config = config.replace(
        spool_enabled=False,
        request_timeout_ms=max(1, min(config.request_timeout_ms, int(timeout * 1000))),
    )
    where = describe_connection(config)
    progress(f"Sending a test event to topic {config.topic!r} on {where}...")
    client = SentinelClient(config)
    try:
        elapsed_ms = client.ping(timeout)
    except SentinelError as exc:
        raise Failure(f"check failed: {exc}", config) from exc
    finally:
        client.close(timeout=0)
    click.echo(f"Brokers:  {where}")
    click.echo(f"Topic:    {config.topic}")
    click.echo(
        f"Sent:     a test event as service {config.service_name!r} "
        "(model 'sentinel-check', metadata sentinel.test=true)"
    )
    if not config.enabled:
        click.echo("Note:     SENTINEL_ENABLED is false: apps with this config record nothing.")
    click.echo(f"OK: the broker acknowledged it in {elapsed_ms:.0f} ms.")
