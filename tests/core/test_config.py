"""SentinelConfig: defaults, every invalid value, env / settings sources, secrets, and the
translation into kafka-python and aiokafka producer settings (``sentinel_sdk._transports``)."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import math
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sentinel_sdk import ConfigurationError, SentinelConfig
from sentinel_sdk._transports.aiokafka import aiokafka_settings
from sentinel_sdk._transports.kafka_python import kafka_python_settings

PASSWORD = "hunter2-Sup3r-secret"
KEY_PASSWORD = "key-pass-Xyzzy-42"
COMPRESSIONS = ["none", "gzip", "snappy", "lz4", "zstd"]
MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


@dataclasses.dataclass(frozen=True)
class TLSFiles:
    ca: str
    cert: str
    key: str  # encrypted with KEY_PASSWORD


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A self-signed CA certificate and a password-protected client key, made by openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-days", "1", "-subj", "/CN=test"),
            *("-keyout", str(key), "-out", str(cert), "-passout", f"pass:{KEY_PASSWORD}"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return TLSFiles(ca=str(cert), cert=str(cert), key=str(key))


def sasl(mechanism: str = "PLAIN", **more: Any) -> SentinelConfig:
    return SentinelConfig(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=mechanism,
        sasl_username="sentinel",
        sasl_password=PASSWORD,
        **more,
    )


# -- defaults ----------------------------------------------------------------------------


def test_defaults() -> None:
    config = SentinelConfig()
    assert config.brokers == ("localhost:9092",)
    assert config.topic == "llm.telemetry"
    assert config.compression_type == "gzip"
    assert config.batch_size == 16384
    assert config.linger_ms == 10
    assert config.request_timeout_ms == 30000
    assert config.delivery_timeout_ms == 120000
    assert config.retry_backoff_ms == 100
    assert config.retry_backoff_max_ms == 10000
    assert config.security_protocol == "PLAINTEXT"
    assert config.sasl_mechanism is None
    assert config.sasl_username is None
    assert config.sasl_password is None
    assert config.ssl_cafile is None
    assert config.ssl_certfile is None
    assert config.ssl_keyfile is None
    assert config.ssl_check_hostname is True
    assert config.max_queue_size == 10000
    assert config.truncate_text is True
    assert config.max_text_length == 100_000
    assert config.enabled is True
    assert config.sample_rate == 1.0
    assert config.client_id
    assert config.service_name


def test_every_option_has_a_default_and_a_doc() -> None:
    SentinelConfig()  # constructible with no arguments at all
    for option in SentinelConfig.options():
        assert option.metadata["doc"], option.name
        has_default = option.default is not dataclasses.MISSING
        assert has_default or option.default_factory is not dataclasses.MISSING


def test_config_is_frozen_and_replace_validates() -> None:
    config = SentinelConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.topic = "x"  # type: ignore[misc]
    assert config.replace(topic="other").topic == "other"
    assert config.topic == "llm.telemetry"
    with pytest.raises(ConfigurationError) as info:
        config.replace(linger_ms=-1)
    assert info.value.option == "linger_ms"
    with pytest.raises(ConfigurationError) as info:
        config.replace(lingerms=1)
    assert info.value.option == "lingerms"


def test_brokers_accepts_lists_tuples_and_comma_separated_text() -> None:
    assert SentinelConfig(brokers=["a:1", "b:2"]).brokers == ("a:1", "b:2")
    assert SentinelConfig(brokers=("a:1",)).brokers == ("a:1",)
    assert SentinelConfig(brokers="a:1, b:2,").brokers == ("a:1", "b:2")


@pytest.mark.parametrize(
    ("option", "given", "normalised"),
    [
        ("compression_type", "GZIP", "gzip"),
        ("compression_type", "Zstd", "zstd"),
        ("security_protocol", "sasl_plaintext", "SASL_PLAINTEXT"),
        ("sample_rate", 1, 1.0),
        ("shutdown_timeout", 2, 2.0),
    ],
)
def test_values_are_normalised(option: str, given: Any, normalised: Any) -> None:
    extra: dict[str, Any] = (
        {"sasl_mechanism": "PLAIN", "sasl_username": "u", "sasl_password": "p"}
        if option == "security_protocol"
        else {}
    )
    value = getattr(SentinelConfig(**{option: given}, **extra), option)
    assert value == normalised
    assert type(value) is type(normalised)


def test_sasl_mechanism_is_case_insensitive() -> None:
    assert sasl("scram-sha-512").sasl_mechanism == "SCRAM-SHA-512"


# -- invalid values ----------------------------------------------------------------------

CHOICES_COMPRESSION = "none, gzip, snappy, lz4, zstd"
CHOICES_PROTOCOL = "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"
CHOICES_SASL = "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"

INVALID: list[tuple[str, Any, str]] = [
    ("brokers", [], "a non-empty list of host:port strings"),
    ("brokers", "", "a non-empty list of host:port strings"),
    ("brokers", [""], "a non-empty list of host:port strings"),
    ("brokers", ["a:1", 2], "a non-empty list of host:port strings"),
    ("brokers", 9092, "a non-empty list of host:port strings"),
    ("topic", "", "a non-empty string"),
    ("topic", None, "a non-empty string"),
    ("service_name", "", "a non-empty string"),
    ("service_name", "s" * 256, "at most 255 characters"),
    ("client_id", 5, "a non-empty string"),
    ("enabled", "yes", "true or false"),
    ("enabled", 1, "true or false"),
    ("enabled", None, "true or false"),
    ("compression_type", "brotli", CHOICES_COMPRESSION),
    ("compression_type", None, CHOICES_COMPRESSION),
    ("compression_type", "", CHOICES_COMPRESSION),
    ("batch_size", -1, ">= 0"),
    ("batch_size", 1.5, "an integer"),
    ("batch_size", True, "an integer"),
    ("batch_size", "16384", "an integer"),
    ("linger_ms", -1, ">= 0"),
    ("linger_ms", None, "an integer"),
    ("request_timeout_ms", 0, ">= 1"),
    ("delivery_timeout_ms", 0, ">= 1"),
    ("retry_backoff_ms", 0, ">= 1"),
    ("retry_backoff_max_ms", 0, ">= 1"),
    ("security_protocol", "TLS", CHOICES_PROTOCOL),
    ("security_protocol", None, CHOICES_PROTOCOL),
    ("sasl_mechanism", "GSSAPI", CHOICES_SASL),
    ("sasl_mechanism", "OAUTHBEARER", CHOICES_SASL),
    ("sasl_username", 5, "a string or None"),
    ("ssl_cafile", 5, "a string or None"),
    ("ssl_certfile", b"x", "a string or None"),
    ("ssl_keyfile", ["x"], "a string or None"),
    ("ssl_check_hostname", "true", "true or false"),
    ("max_queue_size", 0, ">= 1"),
    ("max_queue_bytes", 1023, ">= 1024"),
    ("spool_enabled", None, "true or false"),
    ("spool_dir", 5, "a string or None"),
    ("spool_max_bytes", 1024, ">= 1048576"),
    ("shutdown_timeout", -1, ">= 0"),
    ("shutdown_timeout", math.inf, "a finite number"),
    ("shutdown_timeout", math.nan, "a finite number"),
    ("shutdown_timeout", 10**400, "a finite number"),
    ("shutdown_timeout", "5", "a number"),
    ("sample_rate", 1.5, "<= 1"),
    ("sample_rate", -0.1, ">= 0"),
    ("sample_rate", math.nan, "a finite number"),
    ("capture_content", "no", "true or false"),
    ("truncate_text", 0, "true or false"),
    ("max_text_length", 100_001, "<= 100000"),
    ("max_text_length", -1, ">= 0"),
    ("pricing", 5, "a mapping of model -> prices, a JSON file path, or None"),
    ("before_send", 5, "a callable or None"),
    ("on_success", "print", "a callable or None"),
    ("on_error", 1.0, "a callable or None"),
]


@pytest.mark.parametrize(("option", "value", "allowed"), INVALID)
def test_invalid_value_names_the_option_and_the_allowed_values(
    option: str, value: Any, allowed: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        SentinelConfig(**{option: value})
    assert info.value.option == option
    message = str(info.value)
    assert message.startswith(f"{option} must be ")
    assert allowed in message


def test_invalid_table_covers_every_option() -> None:
    covered = {option for option, _, _ in INVALID}
    assert covered == {f.name for f in SentinelConfig.options()} - {"sasl_password"} - {
        "ssl_keyfile_password"
    }


@pytest.mark.parametrize(
    ("kwargs", "option", "words"),
    [
        (
            {"sasl_mechanism": "PLAIN"},
            "security_protocol",
            ["sasl_mechanism", "SASL_PLAINTEXT or SASL_SSL"],
        ),
        (
            {"security_protocol": "SSL", "sasl_mechanism": "SCRAM-SHA-512"},
            "security_protocol",
            ["SASL_PLAINTEXT or SASL_SSL"],
        ),
        ({"security_protocol": "SASL_PLAINTEXT"}, "sasl_mechanism", [CHOICES_SASL]),
        ({"security_protocol": "SASL_SSL", "sasl_username": "u"}, "sasl_mechanism", []),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN"},
            "sasl_username",
            ["sasl_username and sasl_password"],
        ),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "PLAIN",
                "sasl_password": PASSWORD,
            },
            "sasl_username",
            ["sasl_username and sasl_password"],
        ),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "SCRAM-SHA-512",
                "sasl_username": "u",
            },
            "sasl_password",
            ["sasl_username and sasl_password"],
        ),
        ({"ssl_cafile": "/no/such/ca.pem"}, "ssl_cafile", ["/no/such/ca.pem", "not a readable"]),
        ({"ssl_certfile": "/no/such/c.pem"}, "ssl_certfile", ["not a readable"]),
        ({"ssl_keyfile": "/no/such/k.pem"}, "ssl_keyfile", ["not a readable"]),
        (
            {"retry_backoff_ms": 500, "retry_backoff_max_ms": 100},
            "retry_backoff_max_ms",
            ["retry_backoff_ms"],
        ),
    ],
)
def test_combination_errors(kwargs: dict[str, Any], option: str, words: list[str]) -> None:
    with pytest.raises(ConfigurationError) as info:
        SentinelConfig(**kwargs)
    assert info.value.option == option
    for word in words:
        assert word in str(info.value)
    assert PASSWORD not in str(info.value)


def test_missing_ssl_file_given_as_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        SentinelConfig(security_protocol="SSL", ssl_cafile=str(tmp_path))
    assert info.value.option == "ssl_cafile"


@pytest.mark.parametrize("kwargs", [{"foo": 1}, {"sasl_pasword": "x"}])
def test_unknown_options_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        SentinelConfig(**kwargs)
    with pytest.raises(ConfigurationError, match="unknown option") as info:
        SentinelConfig.from_env({}, **kwargs)
    assert info.value.option == next(iter(kwargs))


# -- from_env ----------------------------------------------------------------------------


def test_from_env_reads_every_kind() -> None:
    config = SentinelConfig.from_env(
        {
            "SENTINEL_BROKERS": "k1:9092, k2:9092,,k3:9093 ",
            "SENTINEL_TOPIC": "custom.topic",
            "SENTINEL_SERVICE_NAME": "svc",
            "SENTINEL_ENABLED": "off",
            "SENTINEL_COMPRESSION_TYPE": "LZ4",
            "SENTINEL_BATCH_SIZE": " 1024 ",
            "SENTINEL_LINGER_MS": "0",
            "SENTINEL_SAMPLE_RATE": "0.25",
            "SENTINEL_SHUTDOWN_TIMEOUT": "1e1",
            "SENTINEL_SSL_CHECK_HOSTNAME": "No",
            "SENTINEL_CAPTURE_CONTENT": "0",
            "SENTINEL_TRUNCATE_TEXT": "yes",
            "SENTINEL_SPOOL_DIR": "",
        }
    )
    assert config.brokers == ("k1:9092", "k2:9092", "k3:9093")
    assert config.topic == "custom.topic"
    assert config.service_name == "svc"
    assert config.enabled is False
    assert config.compression_type == "lz4"
    assert config.batch_size == 1024
    assert config.linger_ms == 0
    assert config.sample_rate == 0.25
    assert config.shutdown_timeout == 10.0
    assert config.ssl_check_hostname is False
    assert config.capture_content is False
    assert config.truncate_text is True
    assert config.spool_dir is None  # empty text means unset for optional options


@pytest.mark.parametrize(
    ("text", "value"),
    [(t, True) for t in ["1", "true", "TRUE", "yes", "on", " On "]]
    + [(t, False) for t in ["0", "false", "False", "no", "off"]],
)
def test_from_env_booleans(text: str, value: bool) -> None:
    assert SentinelConfig.from_env({"SENTINEL_ENABLED": text}).enabled is value


def test_from_env_has_a_variable_for_every_text_option() -> None:
    texts: dict[str, tuple[str, Any]] = {
        "brokers": ("h:1", ("h:1",)),
        "topic": ("t", "t"),
        "service_name": ("s", "s"),
        "client_id": ("c", "c"),
        "enabled": ("false", False),
        "compression_type": ("snappy", "snappy"),
        "batch_size": ("1", 1),
        "linger_ms": ("2", 2),
        "request_timeout_ms": ("1000", 1000),
        "delivery_timeout_ms": ("2000", 2000),
        "retry_backoff_ms": ("5", 5),
        "retry_backoff_max_ms": ("50", 50),
        "security_protocol": ("SASL_PLAINTEXT", "SASL_PLAINTEXT"),
        "sasl_mechanism": ("PLAIN", "PLAIN"),
        "sasl_username": ("u", "u"),
        "sasl_password": ("p", "p"),
        "ssl_cafile": ("", None),
        "ssl_certfile": ("", None),
        "ssl_keyfile": ("", None),
        "ssl_keyfile_password": ("k", "k"),
        "ssl_check_hostname": ("false", False),
        "max_queue_size": ("7", 7),
        "max_queue_bytes": ("2048", 2048),
        "spool_enabled": ("false", False),
        "spool_dir": ("/tmp/spool", "/tmp/spool"),
        "spool_max_bytes": ("2000000", 2000000),
        "shutdown_timeout": ("1.5", 1.5),
        "sample_rate": ("0.5", 0.5),
        "capture_content": ("false", False),
        "truncate_text": ("false", False),
        "max_text_length": ("10", 10),
        "pricing": ("/tmp/prices.json", "/tmp/prices.json"),
    }
    code_only = {"before_send", "on_success", "on_error"}
    assert set(texts) | code_only == {f.name for f in SentinelConfig.options()}
    env = {"SENTINEL_" + name.upper(): text for name, (text, _) in texts.items()}
    config = SentinelConfig.from_env(env)
    for name, (_, expected) in texts.items():
        assert getattr(config, name) == expected, name
        assert getattr(config, name) != getattr(SentinelConfig(), name) or expected is None


def test_from_env_ignores_unknown_sentinel_variables_and_code_only_options() -> None:
    config = SentinelConfig.from_env(
        {
            "SENTINEL_TEST_BOOTSTRAP": "x:1",
            "SENTINEL_SOMETHING": "whatever",
            "SENTINEL_BEFORE_SEND": "os.system",
            "OTHER_BROKERS": "y:1",
            "SENTINEL_brokers": "lower:1",
        }
    )
    assert config == SentinelConfig()


def test_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTINEL_TOPIC", "from.os.environ")
    monkeypatch.setenv("SENTINEL_BROKERS", "h1:1,h2:2")
    config = SentinelConfig.from_env()
    assert config.topic == "from.os.environ"
    assert config.brokers == ("h1:1", "h2:2")


def test_from_env_overrides_win() -> None:
    config = SentinelConfig.from_env(
        {"SENTINEL_TOPIC": "env", "SENTINEL_LINGER_MS": "x"}, topic="code", linger_ms=3
    )
    assert config.topic == "code"
    assert config.linger_ms == 3


@pytest.mark.parametrize(
    ("var", "text", "option", "allowed"),
    [
        ("SENTINEL_BATCH_SIZE", "big", "batch_size", "an integer"),
        ("SENTINEL_BATCH_SIZE", "1.5", "batch_size", "an integer"),
        ("SENTINEL_BATCH_SIZE", "-5", "batch_size", ">= 0"),
        ("SENTINEL_ENABLED", "maybe", "enabled", "true/false/1/0/yes/no/on/off"),
        ("SENTINEL_SAMPLE_RATE", "half", "sample_rate", "a number"),
        ("SENTINEL_SAMPLE_RATE", "2", "sample_rate", "<= 1"),
        ("SENTINEL_SHUTDOWN_TIMEOUT", "inf", "shutdown_timeout", "a finite number"),
        ("SENTINEL_COMPRESSION_TYPE", "brotli", "compression_type", CHOICES_COMPRESSION),
        ("SENTINEL_SECURITY_PROTOCOL", "TLS", "security_protocol", CHOICES_PROTOCOL),
        ("SENTINEL_BROKERS", " , ", "brokers", "non-empty list"),
        ("SENTINEL_TOPIC", "", "topic", "non-empty string"),
        ("SENTINEL_SSL_CAFILE", "/no/such.pem", "ssl_cafile", "not a readable file"),
    ],
)
def test_from_env_bad_value_names_the_variable(
    var: str, text: str, option: str, allowed: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        SentinelConfig.from_env({var: text})
    assert info.value.option == option
    assert var in str(info.value)
    assert allowed in str(info.value)


def test_from_env_passwords_are_taken_verbatim() -> None:
    config = SentinelConfig.from_env(
        {
            "SENTINEL_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "SENTINEL_SASL_MECHANISM": "SCRAM-SHA-512",
            "SENTINEL_SASL_USERNAME": " user ",
            "SENTINEL_SASL_PASSWORD": " spaced pass ",
        }
    )
    assert config.sasl_username == "user"
    assert config.sasl_password == " spaced pass "


# -- from_mapping (Django / Flask) -------------------------------------------------------


def test_from_mapping_django_style() -> None:
    settings = {
        "BROKERS": ["k1:9092", "k2:9092"],
        "TOPIC": "django.topic",
        "BATCH_SIZE": "2048",  # text is parsed as the env var would be
        "LINGER_MS": 5,
        "ENABLED": "false",
        "SAMPLE_RATE": 0.5,
        "BEFORE_SEND": print,
    }
    config = SentinelConfig.from_mapping(settings, source="settings.SENTINEL")
    assert config.brokers == ("k1:9092", "k2:9092")
    assert config.topic == "django.topic"
    assert config.batch_size == 2048
    assert config.linger_ms == 5
    assert config.enabled is False
    assert config.sample_rate == 0.5
    assert config.before_send is print


def test_from_mapping_flask_style_prefix_skips_other_keys() -> None:
    app_config = {
        "DEBUG": True,
        "SECRET_KEY": "flask-secret",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SENTINEL_BROKERS": "k1:9092,k2:9092",
        "SENTINEL_COMPRESSION_TYPE": "zstd",
        "SENTINEL_SSL_CHECK_HOSTNAME": False,
        "SENTINEL_MAX_QUEUE_SIZE": "50",
    }
    config = SentinelConfig.from_mapping(app_config, prefix="SENTINEL_")
    assert config.brokers == ("k1:9092", "k2:9092")
    assert config.compression_type == "zstd"
    assert config.ssl_check_hostname is False
    assert config.max_queue_size == 50


@pytest.mark.parametrize(
    ("settings", "prefix", "key"),
    [
        ({"BROKER": "k:1"}, "", "BROKER"),
        ({"brokers": "k:1"}, "", "brokers"),  # keys are upper case
        ({"SENTINEL_TOPICS": "t"}, "SENTINEL_", "SENTINEL_TOPICS"),
    ],
)
def test_from_mapping_rejects_unknown_keys(settings: dict[str, Any], prefix: str, key: str) -> None:
    with pytest.raises(ConfigurationError, match="unknown key") as info:
        SentinelConfig.from_mapping(settings, prefix=prefix, source="settings.SENTINEL")
    assert repr(key) in str(info.value)
    assert "settings.SENTINEL" in str(info.value)
    assert f"{prefix}BROKERS" in str(info.value)  # lists the known keys


def test_from_mapping_ignores_the_integrations_own_keys() -> None:
    config = SentinelConfig.from_mapping(
        {"TOPIC": "t", "CAPTURE_HEADERS": True}, ignore=("CAPTURE_HEADERS",)
    )
    assert config.topic == "t"


@pytest.mark.parametrize(
    ("settings", "option", "source"),
    [
        ({"LINGER_MS": "soon"}, "linger_ms", "settings.SENTINEL['LINGER_MS']"),
        ({"LINGER_MS": -3}, "linger_ms", "settings.SENTINEL['LINGER_MS']"),
        ({"COMPRESSION_TYPE": "rar"}, "compression_type", "settings.SENTINEL['COMPRESSION_TYPE']"),
    ],
)
def test_from_mapping_bad_value_names_the_key(
    settings: dict[str, Any], option: str, source: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        SentinelConfig.from_mapping(settings, source="settings.SENTINEL")
    assert info.value.option == option
    assert source in str(info.value)


# -- secrets -----------------------------------------------------------------------------


def secret_config(tls: TLSFiles) -> SentinelConfig:
    return SentinelConfig(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="sentinel",
        sasl_password=PASSWORD,
        ssl_cafile=tls.ca,
        ssl_certfile=tls.cert,
        ssl_keyfile=tls.key,
        ssl_keyfile_password=KEY_PASSWORD,
    )


def test_passwords_never_in_repr_or_str(tls: TLSFiles) -> None:
    config = secret_config(tls)
    for text in (repr(config), str(config), f"{config}", f"{config!r}", repr([config])):
        assert PASSWORD not in text
        assert KEY_PASSWORD not in text
        assert "sasl_password='***'" in text
        assert "ssl_keyfile_password='***'" in text
    assert "sasl_username='sentinel'" in repr(config)
    assert config.sasl_password == PASSWORD  # still usable


def config_errors_with_secrets() -> Iterator[Any]:
    base: dict[str, Any] = {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "PLAIN",
        "sasl_username": "u",
        "sasl_password": PASSWORD,
    }
    yield lambda: SentinelConfig(sasl_password=[PASSWORD])  # type: ignore[arg-type]
    yield lambda: SentinelConfig(ssl_keyfile_password={KEY_PASSWORD: 1})  # type: ignore[arg-type]
    yield lambda: SentinelConfig(**{**base, "sasl_username": None})
    yield lambda: SentinelConfig(**{**base, "security_protocol": "PLAINTEXT"})
    yield lambda: SentinelConfig(**{**base, "linger_ms": -1})
    yield lambda: SentinelConfig(**{**base, "ssl_cafile": "/nope"})
    yield lambda: SentinelConfig(**base).replace(sasl_password=5)
    yield lambda: SentinelConfig.from_mapping({"SASL_PASSWORD": [PASSWORD]})
    yield lambda: SentinelConfig.from_mapping({"SASL_PASSWORD": PASSWORD, "NOPE": 1})
    yield lambda: SentinelConfig.from_env(
        {"SENTINEL_SASL_PASSWORD": PASSWORD, "SENTINEL_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}
    )
    yield lambda: SentinelConfig.from_env(
        {"SENTINEL_SASL_PASSWORD": PASSWORD, "SENTINEL_SSL_KEYFILE_PASSWORD": KEY_PASSWORD},
        security_protocol="SASL_SSL",
    )


@pytest.mark.parametrize("fail", list(config_errors_with_secrets()))
def test_passwords_never_in_configuration_errors(
    fail: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigurationError) as info:
        fail()
    for text in (str(info.value), repr(info.value), repr(info.value.args)):
        assert PASSWORD not in text
        assert KEY_PASSWORD not in text
    assert PASSWORD not in caplog.text


def test_passwords_never_in_log_output(
    tls: TLSFiles, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from aiokafka import AIOKafkaProducer  # noqa: F401  (import logs too)
    from kafka import KafkaProducer

    from sentinel_sdk import SentinelClient

    caplog.set_level(logging.DEBUG)
    config = secret_config(tls).replace(brokers=[f"127.0.0.1:{closed_port()}"])
    logging.getLogger("app").info("configured %s / %r", config, config)
    kafka_python_settings(config)
    aiokafka_settings(config)
    producer = KafkaProducer(**kafka_python_settings(config), api_version=(2, 5))
    producer.close(timeout=0)
    client = SentinelClient(config, spool_dir=str(tmp_path / "spool"), enabled=True)
    logging.getLogger("app").info("client %r", client)
    client.close(timeout=0)
    assert "configured" in caplog.text
    assert PASSWORD not in caplog.text
    assert KEY_PASSWORD not in caplog.text


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- translation -------------------------------------------------------------------------


def kafka_python_keys() -> set[str]:
    from kafka import KafkaProducer

    return set(KafkaProducer.DEFAULT_CONFIG)


def aiokafka_keys() -> set[str]:
    from aiokafka import AIOKafkaProducer

    return set(inspect.signature(AIOKafkaProducer).parameters)


def test_plain_translation() -> None:
    config = SentinelConfig(
        brokers=["k1:9092", "k2:9092"],
        client_id="cid",
        batch_size=1000,
        linger_ms=7,
        request_timeout_ms=4000,
        delivery_timeout_ms=9000,
        retry_backoff_ms=20,
        retry_backoff_max_ms=900,
    )
    kp = kafka_python_settings(config)
    assert kp["bootstrap_servers"] == ["k1:9092", "k2:9092"]
    assert kp["client_id"] == "cid"
    assert kp["acks"] == "all"
    assert kp["enable_idempotence"] is True
    assert kp["compression_type"] == "gzip"
    assert kp["batch_size"] == 1000
    assert kp["linger_ms"] == 7
    assert kp["request_timeout_ms"] == 4000
    assert kp["delivery_timeout_ms"] == 9000
    assert kp["retry_backoff_ms"] == 20
    assert kp["reconnect_backoff_max_ms"] == 900
    assert kp["security_protocol"] == "PLAINTEXT"
    assert not {k for k in kp if k.startswith(("sasl_", "ssl_"))}
    assert set(kp) <= kafka_python_keys()

    ak = aiokafka_settings(config)
    assert ak["bootstrap_servers"] == ["k1:9092", "k2:9092"]
    assert ak["client_id"] == "cid"
    assert ak["acks"] == "all"
    assert ak["enable_idempotence"] is True
    assert ak["compression_type"] == "gzip"
    assert ak["max_batch_size"] == 1000
    assert ak["linger_ms"] == 7
    assert ak["request_timeout_ms"] == 4000
    assert ak["retry_backoff_ms"] == 20
    assert ak["security_protocol"] == "PLAINTEXT"
    assert "ssl_context" not in ak
    assert not {k for k in ak if k.startswith("sasl_")}
    assert set(ak) <= aiokafka_keys()


def test_kafka_python_delivery_timeout_respects_its_lower_bound() -> None:
    # kafka-python refuses delivery_timeout_ms < linger_ms + request_timeout_ms.
    config = SentinelConfig(linger_ms=100, request_timeout_ms=5000, delivery_timeout_ms=1000)
    assert kafka_python_settings(config)["delivery_timeout_ms"] == 5100


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_every_compression_type_translates(compression: str) -> None:
    config = SentinelConfig(compression_type=compression)
    expected = None if compression == "none" else compression
    assert kafka_python_settings(config)["compression_type"] == expected
    assert aiokafka_settings(config)["compression_type"] == expected


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
def test_sasl_translation(mechanism: str, protocol: str, tls: TLSFiles) -> None:
    config = SentinelConfig(
        security_protocol=protocol,
        sasl_mechanism=mechanism,
        sasl_username="sentinel",
        sasl_password=PASSWORD,
        ssl_cafile=tls.ca,
    )
    for settings in (kafka_python_settings(config), aiokafka_settings(config)):
        assert settings["security_protocol"] == protocol
        assert settings["sasl_mechanism"] == mechanism
        assert settings["sasl_plain_username"] == "sentinel"
        assert settings["sasl_plain_password"] == PASSWORD
    assert set(kafka_python_settings(config)) <= kafka_python_keys()
    assert set(aiokafka_settings(config)) <= aiokafka_keys()
    has_tls = protocol == "SASL_SSL"
    assert ("ssl_cafile" in kafka_python_settings(config)) is has_tls
    assert ("ssl_context" in aiokafka_settings(config)) is has_tls


@pytest.mark.parametrize("check_hostname", [True, False])
def test_ssl_translation(tls: TLSFiles, check_hostname: bool) -> None:
    config = SentinelConfig(
        security_protocol="SSL",
        ssl_cafile=tls.ca,
        ssl_certfile=tls.cert,
        ssl_keyfile=tls.key,
        ssl_keyfile_password=KEY_PASSWORD,
        ssl_check_hostname=check_hostname,
    )
    kp = kafka_python_settings(config)
    assert kp["security_protocol"] == "SSL"
    assert kp["ssl_cafile"] == tls.ca
    assert kp["ssl_certfile"] == tls.cert
    assert kp["ssl_keyfile"] == tls.key
    assert kp["ssl_password"] == KEY_PASSWORD
    assert kp["ssl_check_hostname"] is check_hostname
    assert "sasl_mechanism" not in kp
    assert set(kp) <= kafka_python_keys()

    ak = aiokafka_settings(config)
    assert ak["security_protocol"] == "SSL"
    context = ak["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname is check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "test"),),)]
    assert set(ak) <= aiokafka_keys()


def test_ssl_without_cafile_uses_default_trust(tls: TLSFiles) -> None:
    config = SentinelConfig(security_protocol="SSL")
    assert kafka_python_settings(config)["ssl_cafile"] is None
    context = aiokafka_settings(config)["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def translation_cases(tls: TLSFiles) -> list[SentinelConfig]:
    cases = [SentinelConfig(compression_type=c) for c in COMPRESSIONS]
    cases += [sasl(m) for m in MECHANISMS]
    cases.append(SentinelConfig(security_protocol="SSL", ssl_cafile=tls.ca))
    cases.append(
        SentinelConfig(
            security_protocol="SSL",
            ssl_cafile=tls.ca,
            ssl_certfile=tls.cert,
            ssl_keyfile=tls.key,
            ssl_keyfile_password=KEY_PASSWORD,
            ssl_check_hostname=False,
        )
    )
    cases.append(secret_config(tls))
    return cases


def test_kafka_producer_accepts_the_settings(tls: TLSFiles) -> None:
    """Construct real kafka-python producers: api_version given, so no bootstrap round trip;
    the broker address is a closed local port."""
    from kafka import KafkaProducer

    port = closed_port()
    for config in translation_cases(tls):
        settings = kafka_python_settings(config.replace(brokers=[f"127.0.0.1:{port}"]))
        producer = KafkaProducer(**settings, api_version=(2, 5))
        try:
            for key, value in settings.items():
                # kafka-python stores acks="all" as -1.
                assert producer.config[key] == (-1 if key == "acks" else value), key
        finally:
            producer.close(timeout=0)


async def test_aiokafka_producer_accepts_the_settings(tls: TLSFiles) -> None:
    """Construct real aiokafka producers (no start(), so no connection)."""
    from aiokafka import AIOKafkaProducer

    for config in translation_cases(tls):
        settings = aiokafka_settings(config)
        producer = AIOKafkaProducer(**settings)
        try:
            expected = settings["compression_type"]
            assert producer._compression_type == expected
        finally:
            await producer.stop()
