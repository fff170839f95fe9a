"""``sentinel tail``: print the events on the topic as they arrive, one line each."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from sentinel_sdk._transports.errors import client_logs, explain_connect_failure
from sentinel_sdk._transports.kafka_python import kafka_python_settings
from sentinel_sdk.config import SentinelConfig

from ._options import Failure, build_config, connection_options, describe_connection, wait_option

__all__ = ["format_event", "tail"]

# What a reader needs of the producer settings: where the brokers are and how to log in.
_CONSUMER_KEYS = (
    "bootstrap_servers",
    "client_id",
    "security_protocol",
    "sasl_mechanism",
    "sasl_plain_username",
    "sasl_plain_password",
    "ssl_cafile",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_password",
    "ssl_check_hostname",
    "retry_backoff_ms",
    "reconnect_backoff_ms",
    "reconnect_backoff_max_ms",
    "metrics_enabled",
)
_POLL_MS = 200
_TOPIC_RECHECK_S = 0.5


@click.command()
@connection_options
@click.option("--from-beginning", is_flag=True, help="Start at the oldest event, not the end.")
@click.option("--json", "as_json", is_flag=True, help="Print each event as its raw JSON line.")
@click.option("--service", multiple=True, help="Only this service_name (repeatable).")
@click.option("--model", multiple=True, help="Only this model (repeatable).")
@click.option("--trace-id", multiple=True, help="Only this trace id (repeatable).")
@click.option(
    "--max-events", type=click.IntRange(min=1), help="Stop after printing this many events."
)
@click.option(
    "--timeout", type=click.FloatRange(min=0), help="Stop after this many seconds (exit 0)."
)
@wait_option("--connect-timeout", 10.0, "Seconds to wait for the brokers to answer.")
def tail(
    from_beginning: bool,
    as_json: bool,
    service: Sequence[str],
    model: Sequence[str],
    trace_id: Sequence[str],
    max_events: int | None,
    timeout: float | None,
    connect_timeout: float,
    **params: Any,
) -> None:
    """Print the events on the topic as they arrive, until Ctrl-C.

    One readable line per event: time (UTC), service, model, prompt+response
    tokens, latency, cost, trace id and errors. --json prints each message as
    it is on the topic instead. Filters combine: an event is printed if it
    matches every filter given (and any value of a repeated one). Reads without
    a consumer group: nothing is committed, and other readers are not
    disturbed. Waits for the topic if it does not exist yet. Stdout carries only
    events; status lines (started, waiting, how many) go to stderr. Exit status: 0 when
    stopped (Ctrl-C, --max-events, --timeout); 1 if the brokers cannot be read.
    """
    config = build_config(params)
    deadline = None if timeout is None else time.monotonic() + timeout
    wanted = {"service_name": set(service), "model": set(model), "trace_id": set(trace_id)}
    consumer = _connect(config, connect_timeout)
    printed = 0
    try:
        if not _assign(consumer, config.topic, from_beginning, deadline):
            return
        start = "the oldest event" if from_beginning else "new events"
        # On stderr, always: stdout carries only events; this line tells a person (or a
        # script) that every event written from now on will be printed.
        click.echo(
            f"Tailing {config.topic!r} on {describe_connection(config)} from {start}.", err=True
        )
        while max_events is None or printed < max_events:
            if deadline is not None and time.monotonic() >= deadline:
                break
            batch = consumer.poll(timeout_ms=_POLL_MS)
            for records in batch.values():
                for record in records:
                    line = _render(record.value, wanted, as_json)
                    if line is None:
                        continue
                    click.echo(line)
                    printed += 1
                    if max_events is not None and printed >= max_events:
                        break
                if max_events is not None and printed >= max_events:
                    break
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a tail ends
    finally:
        consumer.close(autocommit=False)
    click.echo(f"{printed} event(s) printed.", err=True)


def _connect(config: SentinelConfig, connect_timeout: float) -> Any:
    from kafka import KafkaConsumer

    settings = kafka_python_settings(config.replace(compression_type="none"))
    settings = {key: settings[key] for key in _CONSUMER_KEYS if key in settings}
    timeout_ms = int(connect_timeout * 1000)
    with client_logs("kafka") as logs:
        try:
            return KafkaConsumer(
                **settings,
                group_id=None,
                enable_auto_commit=False,
                allow_auto_create_topics=False,  # a reader never creates the topic
                bootstrap_timeout_ms=timeout_ms,
                request_timeout_ms=max(timeout_ms, 1000),
            )
        except Exception as exc:
            config = config.replace(request_timeout_ms=timeout_ms)
            raise Failure(
                f"cannot read {config.topic!r}: {explain_connect_failure(exc, logs, config)}",
                config,
            ) from exc


def _assign(consumer: Any, topic: str, from_beginning: bool, deadline: float | None) -> bool:
    """Take every partition of ``topic`` and seek; False if the deadline came first."""
    from kafka import TopicPartition

    existed = True
    partitions = consumer.partitions_for_topic(topic)
    while not partitions:
        if existed:
            click.echo(f"Topic {topic!r} does not exist yet; waiting for it...", err=True)
        existed = False
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(_TOPIC_RECHECK_S)
        partitions = consumer.partitions_for_topic(topic)
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    if from_beginning or not existed:
        # A topic created after we started holds only new events: show them all.
        consumer.seek_to_beginning(*tps)
    else:
        consumer.seek_to_end(*tps)
    for tp in tps:
        consumer.position(tp)  # resolve the offsets now: later events are all seen
    return True


def _render(value: bytes | None, wanted: dict[str, set[str]], as_json: bool) -> str | None:
    """The line to print for one message, or None if a filter drops it."""
    text = (value or b"").decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        if any(wanted.values()):
            return None
        return text if as_json else f"(not a telemetry event) {text[:200]}"
    for key, values in wanted.items():
        if values and data.get(key) not in values:
            return None
    return text if as_json else format_event(data)


def format_event(data: dict[str, Any]) -> str:
    """One readable line for an event in its wire form (missing fields show as ``-``)."""
    prompt, response, metadata = (_part(data, key) for key in ("prompt", "response", "metadata"))
    parts = [
        _time(data.get("timestamp")),
        f"{_text(data.get('service_name')):<16}",
        f"{_text(data.get('model')):<22}",
        f"{_num(prompt.get('tokens'))}+{_num(response.get('tokens'))} tok",
        f"{_num(data.get('latency_ms'), '.0f'):>6} ms",
        f"${_num(data.get('cost_usd'), '.6f')}",
        f"trace {_text(data.get('trace_id'))}",
    ]
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        shown = "; ".join(" ".join(str(e).split()) for e in errors)
        parts.append(click.style(f"ERROR {shown}", fg="red"))
    if metadata.get("sentinel.test") == "true":
        parts.append("(test event)")
    return "  ".join(parts)


def _part(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _time(value: Any) -> str:
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
    return "-"


def _text(value: Any) -> str:
    return "-" if value is None or value == "" else " ".join(str(value).split())


def _num(value: Any, spec: str = "d") -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-"
    try:
        return format(value, spec)
    except ValueError:
        return str(value)
