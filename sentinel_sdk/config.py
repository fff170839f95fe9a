"""``SentinelConfig``: every option of the SDK, in one table.

Each option is a dataclass field with a default and a one-line doc. The same
table gives every other way to set it, so they cannot drift apart:

======================  ===========================  ==============================
where                   key for ``brokers``          value form
======================  ===========================  ==============================
code                    ``SentinelConfig(brokers=)``  Python value
environment             ``SENTINEL_BROKERS``         text (lists comma-separated)
Django settings         ``SENTINEL["BROKERS"]``      Python value or text
Flask config            ``SENTINEL_BROKERS``         Python value or text
======================  ===========================  ==============================

Invalid values raise ``ConfigurationError`` naming the option and what it
accepts. Secrets (``sasl_password``, ``ssl_keyfile_password``) never appear in
``repr()``, logs or error messages.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from ._config_fields import SECRET, check, option, parse_text
from ._validation import MAX_TEXT_LENGTH
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from .events import TelemetryEvent

__all__ = ["ENV_PREFIX", "SentinelConfig"]

ENV_PREFIX = "SENTINEL_"

BeforeSend = Callable[["TelemetryEvent"], "TelemetryEvent | None"]
OnSuccess = Callable[["TelemetryEvent"], None]
OnError = Callable[["TelemetryEvent", BaseException], None]

COMPRESSION_TYPES = ("none", "gzip", "snappy", "lz4", "zstd")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class SentinelConfig:
    """All options of a client; every one has a default.

    ``SentinelConfig.from_env()`` reads ``SENTINEL_<OPTION>`` variables;
    ``SentinelConfig.from_mapping()`` reads framework settings. Options marked
    "code only" are callables or objects and cannot come from text.
    """

    # One line per option: the table (kept one by fmt: off).
    # fmt: off
    # -- where events go ---------------------------------------------------------------
    brokers: Sequence[str] = option(("localhost:9092",), "Kafka bootstrap servers, host:port.", kind="list")
    topic: str = option("llm.telemetry", "Topic the events are written to.", kind="str")
    service_name: str = option("unknown_service", "Service name put on events that do not set one (1-255 chars).", kind="str")
    client_id: str = option("llm-sentinel-python", "Kafka client id.", kind="str")
    enabled: bool = option(True, "Kill switch: false makes every call a no-op.", kind="bool")

    # -- producer ----------------------------------------------------------------------
    compression_type: str = option("gzip", "Batch compression.", kind="choice", choices=COMPRESSION_TYPES)
    batch_size: int = option(16384, "Max bytes per partition batch.", kind="int", minimum=0)
    linger_ms: int = option(10, "Time to wait to fill a batch, ms.", kind="int", minimum=0)
    request_timeout_ms: int = option(30000, "Time to wait for a broker response, ms.", kind="int", minimum=1)
    delivery_timeout_ms: int = option(120000, "Time the producer keeps retrying one batch before it goes to the spool, ms.", kind="int", minimum=1)
    retry_backoff_ms: int = option(100, "First retry / reconnect backoff, ms (doubles with jitter).", kind="int", minimum=1)
    retry_backoff_max_ms: int = option(10000, "Longest retry / reconnect backoff, ms.", kind="int", minimum=1)

    # -- security ----------------------------------------------------------------------
    security_protocol: str = option("PLAINTEXT", "How to talk to the brokers.", kind="choice", choices=SECURITY_PROTOCOLS)
    sasl_mechanism: str | None = option(None, "SASL mechanism (with SASL_PLAINTEXT / SASL_SSL).", kind="choice?", choices=SASL_MECHANISMS)
    sasl_username: str | None = option(None, "SASL user name.", kind="str?")
    sasl_password: str | None = option(None, "SASL password (never logged).", kind="str?")
    ssl_cafile: str | None = option(None, "CA bundle (PEM) to verify the brokers.", kind="str?")
    ssl_certfile: str | None = option(None, "Client certificate (PEM), for mTLS.", kind="str?")
    ssl_keyfile: str | None = option(None, "Client private key (PEM), for mTLS.", kind="str?")
    ssl_keyfile_password: str | None = option(None, "Password of the client key (never logged).", kind="str?")
    ssl_check_hostname: bool = option(True, "Check that the broker certificate matches its host name.", kind="bool")

    # -- delivery pipeline -------------------------------------------------------------
    max_queue_size: int = option(10000, "Events held in memory (waiting or in flight) before spilling.", kind="int", minimum=1)
    max_queue_bytes: int = option(32 * 1024 * 1024, "Bytes held in memory (waiting or in flight) before spilling.", kind="int", minimum=1024)
    spool_enabled: bool = option(True, "Keep events on disk while the broker is unreachable.", kind="bool")
    spool_dir: str | None = option(None, "Spool directory (default: a per-topic folder in the user cache dir).", kind="str?")
    spool_max_bytes: int = option(256 * 1024 * 1024, "Largest the spool may grow; past it events are dropped, counted.", kind="int", minimum=1024 * 1024)
    shutdown_timeout: float = option(5.0, "Seconds close() and the exit hook wait for delivery.", kind="float", minimum=0)

    # -- what is captured --------------------------------------------------------------
    sample_rate: float = option(1.0, "Share of traces kept (0.0-1.0), decided per trace id.", kind="float", minimum=0, maximum=1)
    capture_content: bool = option(True, "False strips prompt and response text from events.", kind="bool")
    truncate_text: bool = option(True, "Cut texts longer than max_text_length instead of rejecting them.", kind="bool")
    max_text_length: int = option(MAX_TEXT_LENGTH, "Longest prompt / response text kept, in characters.", kind="int", minimum=0, maximum=MAX_TEXT_LENGTH)
    pricing: Mapping[str, Mapping[str, float]] | str | None = option(None, "Price overrides: a mapping or a JSON file path.", kind="str?")

    # -- hooks (code only) -------------------------------------------------------------
    before_send: BeforeSend | None = option(None, "Called on the sender with each event; return it (changed or not) or None to drop it.", kind="callable", env=False)
    on_success: OnSuccess | None = option(None, "Called on the sender after the broker acknowledged an event.", kind="callable", env=False)
    on_error: OnError | None = option(None, "Called on the sender when an event could not be kept.", kind="callable", env=False)
    # fmt: on

    # ------------------------------------------------------------------------------------

    def __post_init__(self) -> None:
        for f in fields(self):
            value = check(f, getattr(self, f.name))
            object.__setattr__(self, f.name, value)
        self._check_combinations()

    def _check_combinations(self) -> None:
        sasl = self.security_protocol.startswith("SASL_")
        if self.sasl_mechanism and not sasl:
            raise ConfigurationError(
                f"sasl_mechanism is {self.sasl_mechanism} but security_protocol is "
                f"{self.security_protocol}; use SASL_PLAINTEXT or SASL_SSL",
                option="security_protocol",
            )
        if sasl and not self.sasl_mechanism:
            raise ConfigurationError(
                f"security_protocol {self.security_protocol} needs sasl_mechanism, one of "
                f"{', '.join(SASL_MECHANISMS)}",
                option="sasl_mechanism",
            )
        if sasl and (not self.sasl_username or self.sasl_password is None):
            raise ConfigurationError(
                f"SASL ({self.sasl_mechanism}) needs sasl_username and sasl_password",
                option="sasl_username" if not self.sasl_username else "sasl_password",
            )
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path = getattr(self, name)
            if path is not None and not os.path.isfile(path):
                raise ConfigurationError(f"{name} {path!r} is not a readable file", option=name)
        if self.retry_backoff_max_ms < self.retry_backoff_ms:
            raise ConfigurationError(
                f"retry_backoff_max_ms ({self.retry_backoff_max_ms}) must be >= "
                f"retry_backoff_ms ({self.retry_backoff_ms})",
                option="retry_backoff_max_ms",
            )

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET and value is not None:
                parts.append(f"{f.name}='***'")
            elif value != f.default and not callable(value):
                parts.append(f"{f.name}={value!r}")
            elif callable(value):
                parts.append(f"{f.name}={getattr(value, '__qualname__', type(value).__name__)}")
        return f"SentinelConfig({', '.join(parts)})"

    def replace(self, **changes: Any) -> SentinelConfig:
        """A copy with ``changes`` applied (validated like a new config)."""
        _reject_unknown(changes, "option")
        return dataclasses.replace(self, **changes)

    # -- other sources -----------------------------------------------------------------

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SentinelConfig:
        """Options from ``SENTINEL_<OPTION>`` variables, then ``overrides`` on top (the
        variable of an overridden option is not read).

        ``SENTINEL_BROKERS=a:9092,b:9092``; booleans take true/false/1/0/yes/no/on/off.
        Unknown ``SENTINEL_*`` variables are ignored (other tools share the prefix).
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for f in fields(cls):
            key = ENV_PREFIX + f.name.upper()
            if f.metadata["env"] and key in environ and f.name not in overrides:
                values[f.name] = parse_text(f, environ[key], source=key)
                sources[f.name] = key
        _reject_unknown(overrides, "option")
        values.update(overrides)
        return _build(cls, values, sources)

    @classmethod
    def from_mapping(
        cls,
        settings: Mapping[str, Any],
        *,
        prefix: str = "",
        source: str = "settings",
        ignore: Sequence[str] = (),
    ) -> SentinelConfig:
        """Options from framework settings whose keys are ``prefix + OPTION`` upper-cased.

        Django: ``from_mapping(settings.SENTINEL, source="settings.SENTINEL")``;
        Flask: ``from_mapping(app.config, prefix="SENTINEL_")``. Values may be Python
        values or text (parsed as the env var would be). Keys in ``ignore`` are
        the integration's own; any other unknown key raises ``ConfigurationError``
        (a typo would otherwise be silently ignored).
        """
        by_key = {f.name.upper(): f for f in fields(cls)}
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for key, value in settings.items():
            if not isinstance(key, str) or not key.startswith(prefix):
                continue
            name = key[len(prefix) :]
            if name in ignore:
                continue
            f = by_key.get(name)
            if f is None:
                raise ConfigurationError(
                    f"{source} has unknown key {key!r}; known keys: "
                    f"{', '.join(prefix + k for k in sorted(by_key))}",
                    option=name.lower(),
                )
            values[f.name] = (
                parse_text(f, value, source=f"{source}[{key!r}]")
                if isinstance(value, str)
                else value
            )
            sources[f.name] = f"{source}[{key!r}]"
        return _build(cls, values, sources)

    @classmethod
    def options(cls) -> list[dataclasses.Field[Any]]:
        """The option table (dataclass fields with ``metadata["doc"]``), in order."""
        return list(fields(cls))


def _build(
    cls: type[SentinelConfig], values: dict[str, Any], sources: Mapping[str, str]
) -> SentinelConfig:
    """``cls(**values)``; an invalid value names where it came from (``SENTINEL_X: ...``)."""
    try:
        return cls(**values)
    except ConfigurationError as exc:
        where = sources.get(exc.option or "")
        if where is None:
            raise
        raise ConfigurationError(
            f"{where}: {exc.message}", option=exc.option, cause=exc.cause
        ) from None


def _reject_unknown(values: Mapping[str, Any], what: str) -> None:
    known = {f.name for f in fields(SentinelConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigurationError(
            f"unknown {what}(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
            option=unknown[0],
        )
