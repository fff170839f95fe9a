"""What every ``sentinel`` command shares: the connection flags, the config, the failure line.

Flags override ``SENTINEL_*`` variables, which override ``SentinelConfig``
defaults (``SentinelConfig.from_env(**flags)``). A failure is ONE line on
stderr (``Error: ...``) and exit status 1; click's own usage errors (unknown
flag, bad choice, a number that is not one) exit with status 2.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from sentinel_sdk.config import SASL_MECHANISMS, SECURITY_PROTOCOLS, SentinelConfig
from sentinel_sdk.exceptions import ConfigurationError

__all__ = [
    "Failure",
    "build_config",
    "connection_options",
    "describe_connection",
    "progress",
    "quiet_library_logs",
    "scrub",
    "wait_option",
]

F = TypeVar("F", bound=Callable[..., Any])

_CONNECTION_FLAGS = (
    "brokers",
    "topic",
    "security_protocol",
    "sasl_mechanism",
    "sasl_username",
    "sasl_password",
    "ssl_cafile",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_check_hostname",
)


class Failure(click.ClickException):
    """A command failed for a reason the user can act on: one line, exit status 1."""

    exit_code = 1

    def __init__(self, message: str, config: SentinelConfig | None = None) -> None:
        super().__init__(scrub(" ".join(message.split()), config))


def scrub(text: str, config: SentinelConfig | None) -> str:
    """``text`` with the config's secrets masked (defence in depth: the SDK's own messages
    never contain them)."""
    if config is not None:
        for secret in (config.sasl_password, config.ssl_keyfile_password):
            if secret:
                text = text.replace(secret, "***")
    return text


def connection_options(func: F) -> F:
    """Add the flags that say where the topic is and how to authenticate."""
    options = [
        click.option(
            "--brokers",
            metavar="HOST:PORT[,...]",
            help="Kafka bootstrap servers [env SENTINEL_BROKERS; default localhost:9092].",
        ),
        click.option("--topic", help="Topic [env SENTINEL_TOPIC; default llm.telemetry]."),
        click.option(
            "--security-protocol",
            type=click.Choice(SECURITY_PROTOCOLS, case_sensitive=False),
            help="How to talk to the brokers [env SENTINEL_SECURITY_PROTOCOL].",
        ),
        click.option(
            "--sasl-mechanism",
            type=click.Choice(SASL_MECHANISMS, case_sensitive=False),
            help="SASL mechanism [env SENTINEL_SASL_MECHANISM].",
        ),
        click.option("--sasl-username", help="SASL user name [env SENTINEL_SASL_USERNAME]."),
        click.option(
            "--sasl-password",
            help="SASL password; prefer env SENTINEL_SASL_PASSWORD (flags show in `ps`). "
            "Asked for on a terminal when SASL needs one. Never printed.",
        ),
        *(
            click.option(flag, type=click.Path(dir_okay=False), help=f"{text} [env {env}].")
            for flag, env, text in (
                ("--ssl-cafile", "SENTINEL_SSL_CAFILE", "CA bundle (PEM) of the brokers' certs"),
                ("--ssl-certfile", "SENTINEL_SSL_CERTFILE", "Client certificate (PEM), for mTLS"),
                ("--ssl-keyfile", "SENTINEL_SSL_KEYFILE", "Client private key (PEM), for mTLS"),
            )
        ),
        click.option(
            "--ssl-check-hostname/--no-ssl-check-hostname",
            default=None,
            help="Check that the broker certificate matches its host name [default: check].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def wait_option(flag: str, default: float, help: str) -> Callable[[F], F]:
    """A ``--timeout``-like flag: seconds (at least 0.1) to wait, with its default shown."""
    return click.option(
        flag, type=click.FloatRange(min=0.1), default=default, show_default=True, help=help
    )


def build_config(params: Mapping[str, Any], **extra: Any) -> SentinelConfig:
    """The config from ``SENTINEL_*`` variables with the given flags on top.

    Flags left unset (``None``) are not overrides. An invalid result raises
    ``Failure`` with the ``ConfigurationError`` message; a SASL password that is
    still missing is asked for when stdin is a terminal.
    """
    overrides = {name: params[name] for name in _CONNECTION_FLAGS if params.get(name) is not None}
    overrides.update((k, v) for k, v in extra.items() if v is not None)
    if "brokers" in overrides:
        overrides["brokers"] = [b.strip() for b in overrides["brokers"].split(",") if b.strip()]
    try:
        return SentinelConfig.from_env(**overrides)
    except ConfigurationError as exc:
        if exc.option == "sasl_password" and "sasl_password" not in overrides and _interactive():
            overrides["sasl_password"] = click.prompt(
                "SASL password", hide_input=True, err=True, default="", show_default=False
            )
            try:
                return SentinelConfig.from_env(**overrides)
            except ConfigurationError as again:
                raise Failure(f"invalid configuration: {again}") from again
        raise Failure(f"invalid configuration: {exc}") from exc


def describe_connection(config: SentinelConfig) -> str:
    """Where and how, in words (never the password): ``127.0.0.1:9093 (SASL_PLAINTEXT,
    SCRAM-SHA-512 as 'app')``."""
    how = [config.security_protocol]
    if config.sasl_mechanism:
        how.append(f"{config.sasl_mechanism} as {config.sasl_username!r}")
    if config.security_protocol in ("SSL", "SASL_SSL"):
        how.append(f"CA {config.ssl_cafile}" if config.ssl_cafile else "system CAs")
    return f"{', '.join(config.brokers)} ({', '.join(how)})"


def progress(message: str) -> None:
    """A progress note for a person watching: on stderr, and only on a terminal (so that
    scripts and logs see just the result, and a failure stays one line)."""
    if _isatty(sys.stderr):
        click.echo(message, err=True)


def quiet_library_logs(verbosity: int) -> None:
    """Route the SDK's and kafka-python's log records: to stderr with ``-v`` / ``-vv``,
    else nowhere (the command itself explains a failure, in one line)."""
    if verbosity > 0:
        logging.basicConfig(
            level=logging.INFO if verbosity == 1 else logging.DEBUG,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        if verbosity == 1:
            logging.getLogger("kafka").setLevel(logging.WARNING)
        return
    for name in ("sentinel_sdk", "kafka"):
        log = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
            # A handler of its own keeps Python's last-resort stderr printer away; records
            # still propagate to handlers set up by whoever runs us (e.g. pytest).
            log.addHandler(logging.NullHandler())


def _interactive() -> bool:
    return _isatty(sys.stdin)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
