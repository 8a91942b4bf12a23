"""Target resolution of the StatsD hook and the notifier's never-raise contract (no DB, no daemon:
connections come from ``AIRFLOW_CONN_*`` and metrics go to a plain UDP socket)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import types
from collections.abc import Iterator

import pytest

from airflow_mlmonitor.hooks.statsd import StatsdHook, StatsdTarget, get_telemetry, reset_statsd_clients


@pytest.fixture(autouse=True)
def _fresh_clients(monkeypatch) -> Iterator[None]:
    monkeypatch.delenv("AIRFLOW_CONN_STATSD_DEFAULT", raising=False)
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_ON", "False")
    reset_statsd_clients()
    yield
    reset_statsd_clients()


def set_conn(monkeypatch, port, conn_id="statsd_default", **extra):
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": "statsd", "host": "127.0.0.1", "port": port, "extra": extra}),
    )


def test_connection_wins_with_its_prefix_and_tags(monkeypatch):
    set_conn(monkeypatch, 9125, prefix="ml", tags="dogstatsd")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_ON", "True")
    assert StatsdHook().resolve_target() == StatsdTarget("127.0.0.1", 9125, "ml", "dogstatsd", "connection")


def test_airflow_metrics_settings_are_the_fallback(monkeypatch):
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_ON", "True")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_HOST", "10.0.0.7")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PORT", "8200")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_DATADOG_ENABLED", "True")
    assert StatsdHook().resolve_target() == StatsdTarget("10.0.0.7", 8200, "mlmonitor", "dogstatsd", "metrics")


def test_nothing_configured_means_disabled():
    assert StatsdHook().resolve_target() is None
    assert not get_telemetry().enabled


def test_bad_tag_mode_is_a_clear_error_and_disables_quietly(monkeypatch, caplog):
    from airflow_mlmonitor.exceptions import InvalidInputError

    set_conn(monkeypatch, 9125, tags="prometheus")
    with pytest.raises(InvalidInputError, match="tags must be one of"):
        StatsdHook().resolve_target()
    caplog.set_level(logging.WARNING)
    assert not get_telemetry().enabled  # never raises from the emit path
    assert "prometheus" in caplog.text


def test_one_client_per_process_is_reused(monkeypatch, receiver):
    set_conn(monkeypatch, receiver.getsockname()[1])
    set_conn(monkeypatch, receiver.getsockname()[1], conn_id="other_statsd", prefix="other")
    first, again = get_telemetry(), get_telemetry()
    other = get_telemetry("other_statsd")
    assert first is again
    assert other.client is first.client and other.prefix == "other"


def test_notifier_emits_task_metrics_and_never_raises(monkeypatch, receiver):
    from airflow_mlmonitor.notifications.statsd import send_statsd_metrics

    set_conn(monkeypatch, receiver.getsockname()[1])
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    ti = types.SimpleNamespace(dag_id="d", task_id="t", state="up_for_retry", start_date=start,
                               end_date=start + dt.timedelta(milliseconds=250))
    send_statsd_metrics()({"ti": ti})
    assert receiver.recv(1000) == b"mlmonitor.task.retry.d.t:1|c\nmlmonitor.task.duration.d.t:250.000000|ms"


def test_notifier_recognises_a_dag_callback(monkeypatch, receiver):
    from airflow_mlmonitor.notifications.statsd import StatsdNotifier

    set_conn(monkeypatch, receiver.getsockname()[1])
    last_ti = types.SimpleNamespace(dag_id="d", task_id="t", state="failed")
    run = types.SimpleNamespace(dag_id="d", state="running", start_date=None, end_date=None)
    StatsdNotifier()({"ti": last_ti, "dag_run": run, "reason": "task_failure"})
    assert receiver.recv(1000) == b"mlmonitor.dagrun.failure.d:1|c"


def test_notifier_swallows_everything(monkeypatch, capsys):
    from airflow_mlmonitor.notifications import statsd as notifier_module

    def explode(conn_id):
        raise RuntimeError("boom")

    monkeypatch.setattr("airflow_mlmonitor.hooks.statsd.get_telemetry", explode)
    notifier_module.StatsdNotifier()({"ti": None})  # no exception
    notifier_module.StatsdNotifier(scope="bogus")({})  # no exception either
    logged = capsys.readouterr().out  # Airflow's structlog loggers write to stdout, not to caplog
    warnings = [line for line in logged.splitlines() if "warning" in line]
    assert len(warnings) == 2, logged
    assert "StatsD notifier failed, metrics not sent: boom" in warnings[0]
    assert "StatsdNotifier: scope must be one of ('auto', 'task', 'dag_run'), got 'bogus'" in warnings[1]


def test_notifier_renders_a_templated_conn_id(monkeypatch, receiver):
    from airflow_mlmonitor.notifications.statsd import StatsdNotifier

    set_conn(monkeypatch, receiver.getsockname()[1], conn_id="team_statsd", prefix="team")
    ti = types.SimpleNamespace(dag_id="d", task_id="t", state="success", start_date=None, end_date=None)
    StatsdNotifier(statsd_conn_id="{{ params.statsd }}")({"ti": ti, "params": {"statsd": "team_statsd"}})
    assert receiver.recv(1000) == b"team.task.success.d.t:1|c"
