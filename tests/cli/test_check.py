"""``sentinel check`` against the real broker: it passes, and each failure is one plain line."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from sentinel_sdk.cli import _options, cli
from tests.cli.support import clean_env, run_sentinel
from tests.kafka_helpers import Broker, consume_events, new_topic

pytestmark = pytest.mark.kafka

WRONG_PASSWORD = "not-the-secret-Zq7"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, f"expected one line, got {len(lines)}: {text!r}"
    return lines[0]


def test_check_passes_and_the_test_event_is_on_the_topic(kafka: Broker, tmp_path: Path) -> None:
    topic = new_topic("cli-check")
    result = run_sentinel(
        "check", "--brokers", kafka.plaintext, "--topic", topic, "--service-name", "cli-test",
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"Brokers:  {kafka.plaintext} (PLAINTEXT)" in result.stdout
    assert f"Topic:    {topic}" in result.stdout
    assert "OK: the broker acknowledged it in" in result.stdout
    (event,) = consume_events(kafka.plaintext, topic, expected=1, timeout=30)
    assert event["model"] == "sentinel-check"
    assert event["service_name"] == "cli-test"
    assert event["metadata"] == {"sentinel.test": "true"}


def test_check_reads_the_config_from_sentinel_variables(kafka: Broker, tmp_path: Path) -> None:
    topic = new_topic("cli-check")
    env = clean_env(tmp_path, {"SENTINEL_BROKERS": kafka.plaintext, "SENTINEL_TOPIC": topic})
    result = run_sentinel("check", env=env)
    assert result.returncode == 0, result.stderr
    assert f"Topic:    {topic}" in result.stdout
    assert len(consume_events(kafka.plaintext, topic, expected=1, timeout=30)) == 1


def test_wrong_port_fails_with_one_line(tmp_path: Path) -> None:
    port = closed_port()
    result = run_sentinel(
        "check", "--brokers", f"127.0.0.1:{port}", "--timeout", "3", env=clean_env(tmp_path)
    )
    assert result.returncode == 1
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line == (
        f"Error: check failed: no Kafka broker answered at 127.0.0.1:{port} within 3000 ms: "
        "is it running, and are brokers / security_protocol right?"
    )


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
def test_wrong_sasl_password_fails_with_one_line(
    kafka_full: Broker, tmp_path: Path, mechanism: str
) -> None:
    assert kafka_full.sasl_plaintext is not None
    env = clean_env(tmp_path, {"SENTINEL_SASL_PASSWORD": WRONG_PASSWORD})
    result = run_sentinel(
        "check", "--brokers", kafka_full.sasl_plaintext, "--topic", new_topic("cli-check"),
        "--security-protocol", "SASL_PLAINTEXT", "--sasl-mechanism", mechanism,
        "--sasl-username", "sentinel", "--timeout", "3",
        env=env,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line == (
        f"Error: check failed: SASL {mechanism} authentication failed for user 'sentinel' at "
        f"{kafka_full.sasl_plaintext}: check sasl_username / sasl_password"
    )
    assert WRONG_PASSWORD not in result.stdout + result.stderr


def test_wrong_password_given_as_a_flag_is_not_printed(kafka_full: Broker, tmp_path: Path) -> None:
    assert kafka_full.sasl_plaintext is not None
    result = run_sentinel(
        "check", "--brokers", kafka_full.sasl_plaintext, "--security-protocol", "SASL_PLAINTEXT",
        "--sasl-mechanism", "PLAIN", "--sasl-username", "sentinel",
        "--sasl-password", WRONG_PASSWORD, "--timeout", "3",
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 1
    assert "authentication failed" in one_line(result.stderr)
    assert WRONG_PASSWORD not in result.stdout + result.stderr


def test_untrusted_certificate_fails_with_one_line(kafka_full: Broker, tmp_path: Path) -> None:
    assert kafka_full.ssl is not None
    result = run_sentinel(
        "check", "--brokers", kafka_full.ssl, "--security-protocol", "SSL", "--timeout", "3",
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line == (
        f"Error: check failed: TLS certificate of {kafka_full.ssl} is not trusted: set "
        "ssl_cafile to the CA that signed it (or check ssl_check_hostname)"
    )


def test_tls_with_the_ca_file_passes(kafka_full: Broker, tmp_path: Path) -> None:
    assert kafka_full.ssl is not None and kafka_full.ssl_cafile is not None
    topic = new_topic("cli-check")
    result = run_sentinel(
        "check", "--brokers", kafka_full.ssl, "--topic", topic, "--security-protocol", "SSL",
        "--ssl-cafile", kafka_full.ssl_cafile,
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"(SSL, CA {kafka_full.ssl_cafile})" in result.stdout
    assert len(consume_events(kafka_full.plaintext, topic, expected=1, timeout=30)) == 1


def test_sasl_password_from_the_environment_passes(kafka_full: Broker, tmp_path: Path) -> None:
    assert kafka_full.sasl_plaintext is not None and kafka_full.sasl_password is not None
    env = clean_env(
        tmp_path,
        {
            "SENTINEL_BROKERS": kafka_full.sasl_plaintext,
            "SENTINEL_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "SENTINEL_SASL_MECHANISM": "SCRAM-SHA-512",
            "SENTINEL_SASL_USERNAME": "sentinel",
            "SENTINEL_SASL_PASSWORD": kafka_full.sasl_password,
            "SENTINEL_TOPIC": new_topic("cli-check"),
        },
    )
    result = run_sentinel("check", env=env)
    assert result.returncode == 0, result.stderr
    assert "(SASL_PLAINTEXT, SCRAM-SHA-512 as 'sentinel')" in result.stdout
    assert kafka_full.sasl_password not in result.stdout + result.stderr


def test_missing_sasl_password_is_asked_for_on_a_terminal(
    kafka_full: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kafka_full.sasl_plaintext is not None and kafka_full.sasl_password is not None
    for name in [k for k in os.environ if k.startswith("SENTINEL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(_options, "_interactive", lambda: True)  # CliRunner's stdin is no TTY
    result = CliRunner().invoke(
        cli,
        ["check", "--brokers", kafka_full.sasl_plaintext, "--topic", new_topic("cli-check"),
         "--security-protocol", "SASL_PLAINTEXT", "--sasl-mechanism", "PLAIN",
         "--sasl-username", "sentinel"],
        input=kafka_full.sasl_password + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "SASL password:" in result.stderr
    assert "OK: the broker acknowledged it" in result.stdout
    assert kafka_full.sasl_password not in result.output


def test_missing_sasl_password_without_a_terminal_is_a_config_error(tmp_path: Path) -> None:
    result = run_sentinel(
        "check", "--security-protocol", "SASL_PLAINTEXT", "--sasl-mechanism", "PLAIN",
        "--sasl-username", "sentinel",
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "Error: invalid configuration: SASL (PLAIN) needs sasl_username and sasl_password"
    )


def test_invalid_variable_is_named_in_one_line(tmp_path: Path) -> None:
    result = run_sentinel("check", env=clean_env(tmp_path, {"SENTINEL_LINGER_MS": "soon"}))
    assert result.returncode == 1
    assert result.stdout == ""
    assert one_line(result.stderr) == (
        "Error: invalid configuration: SENTINEL_LINGER_MS must be an integer, got 'soon'"
    )


def test_missing_ca_file_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    result = run_sentinel(
        "check", "--security-protocol", "SSL", "--ssl-cafile", str(missing),
        env=clean_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"Error: invalid configuration: ssl_cafile {str(missing)!r} is not a readable file"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--security-protocol", "TLS"], "Invalid value for '--security-protocol'"),
        (["--timeout", "soon"], "Invalid value for '--timeout'"),
        (["--no-such-flag"], "No such option '--no-such-flag'"),
    ],
)
def test_bad_flags_are_usage_errors_with_status_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_sentinel("check", *args, env=clean_env(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
