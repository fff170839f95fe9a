"""``manage.py sentinel_check``: send one test event and wait for the broker's acknowledgement.

Exits 0 when the broker acknowledged it, 1 (``CommandError``) otherwise, saying why.
"""

# mypy: disable-error-code="import-untyped", allow-subclassing-any, allow-untyped-decorators
# (Django ships no type hints; django-stubs is not a dependency.)

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sentinel_sdk import SentinelClient, SentinelConfig, SentinelError
from sentinel_sdk_django.conf import build_config

__all__ = ["Command"]


class Command(BaseCommand):
    """Checks that the settings reach Kafka: connect, send a test event, wait for the ack."""

    help = (
        "Send one test event (model 'sentinel-check', metadata sentinel.test=true) with the "
        "settings.SENTINEL options and wait for the broker's acknowledgement."
    )
    # Bad settings are what this command explains: report them here, not as a SystemCheckError.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        """``--timeout SECONDS`` (default 10)."""
        parser.add_argument(
            "--timeout",
            type=float,
            default=10.0,
            help="Seconds to wait for the connection and the acknowledgement (default 10).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Send the test event; raise ``CommandError`` (exit 1) on any failure."""
        timeout: float = options["timeout"]
        try:
            config = build_config()
            source = "settings.SENTINEL"
            if config is None:
                config = SentinelConfig.from_env()
                source = "SENTINEL_* environment variables (settings.SENTINEL is not set)"
        except SentinelError as exc:
            raise CommandError(f"settings.SENTINEL is invalid: {exc}") from exc
        self.stdout.write(f"Using {source}.")
        if not config.enabled:
            self.stdout.write(
                "Note: ENABLED is False, so the app records nothing; checking anyway."
            )
        self.stdout.write(
            f"Sending a test event to topic {config.topic!r} on {', '.join(config.brokers)} "
            f"({config.security_protocol}), waiting up to {timeout:g} s for the acknowledgement..."
        )
        # ping() uses a producer of its own; no spool: nothing of this check stays on disk.
        client = SentinelClient(config.replace(spool_enabled=False))
        try:
            elapsed_ms = client.ping(timeout)
        except SentinelError as exc:
            raise CommandError(f"FAILED: {exc}") from exc
        finally:
            client.close(timeout=0)
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: the broker acknowledged the test event in {elapsed_ms:.0f} ms. "
                "(Consumers can skip it: model 'sentinel-check', metadata sentinel.test=true.)"
            )
        )
