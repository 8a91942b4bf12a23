"""Reference parsing, Connection -> MLflow settings mapping, result building, trigger serialization."""

from __future__ import annotations

import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.registry.refs import Reference, parse_reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", Reference("version", "3")), (7, Reference("version", "7")), ("@champion", Reference("alias", "champion")),
     ("latest", Reference("latest")), ("run:abc123", Reference("run", "abc123")), (" 12 ", Reference("version", "12"))],
)
def test_references_parse(text, expected):
    assert parse_reference(text) == expected
    assert str(expected) in {"3", "7", "12", "@champion", "latest", "run:abc123"}


@pytest.mark.parametrize("text", ["", "@", "0", "-1", "champion", "run:", None, True, "v3"])
def test_bad_references_say_what_is_accepted(text):
    with pytest.raises(InvalidInputError, match="'@champion'"):
        parse_reference(text)


def conn(**kwargs):
    from airflow.sdk import Connection

    return Connection(conn_id="mlflow_test", conn_type="mlflow", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "uri"),
    [
        ({"host": "http://mlflow:5000"}, "http://mlflow:5000"),
        ({"host": "https://mlflow.example.com/prefix/"}, "https://mlflow.example.com/prefix"),
        ({"host": "mlflow", "port": 5000}, "http://mlflow:5000"),
        ({"host": "mlflow.example.com", "schema": "https"}, "https://mlflow.example.com"),
        ({"host": "http://mlflow", "port": 8080}, "http://mlflow:8080"),
        ({"host": "sqlite:////data/mlflow.db"}, "sqlite:////data/mlflow.db"),
        ({"host": "ignored", "extra": '{"tracking_uri": "sqlite:///rel.db"}'}, "sqlite:///rel.db"),
    ],
)
def test_connection_maps_to_a_tracking_uri(kwargs, uri):
    from airflow_mlmonitor.hooks.mlflow import settings_from_connection

    assert settings_from_connection(conn(**kwargs)).tracking_uri == uri


def test_connection_auth_and_options_never_touch_the_environment(monkeypatch):
    import os

    from airflow_mlmonitor.hooks.mlflow import settings_from_connection

    before = dict(os.environ)
    basic = settings_from_connection(conn(host="http://m", login="ann", password="s3cret",
                                          extra='{"timeout": 5, "max_retries": 0, "registry_uri": "http://r"}'))
    assert (basic.username, basic.password, basic.token) == ("ann", "s3cret", None)
    assert (basic.timeout, basic.max_retries, basic.effective_registry_uri) == (5.0, 0, "http://r")
    assert "s3cret" not in repr(basic)
    token = settings_from_connection(conn(host="http://m", password="tok"))
    assert (token.username, token.token) == (None, "tok")
    assert settings_from_connection(conn(host="http://m", extra='{"token": "t2"}')).token == "t2"
    assert dict(os.environ) == before


def test_bad_connections_are_clear_errors():
    from airflow_mlmonitor.hooks.mlflow import settings_from_connection

    with pytest.raises(InvalidInputError, match="no host"):
        settings_from_connection(conn())
    with pytest.raises(InvalidInputError, match="timeout"):
        settings_from_connection(conn(host="http://m", extra='{"timeout": "soon"}'))


def test_a_token_wins_over_basic_auth_in_the_host_credentials():
    """Which credentials a client sends; that they reach the HTTP headers, per client, is
    ``tests/integration/mlflow/test_hook.py::test_basic_and_token_auth_are_sent_per_client``."""
    from airflow_mlmonitor.registry.client import MLflowSettings, _host_creds

    creds = _host_creds(MLflowSettings("http://m", username="ann", password="pw"), "http://m")
    assert (creds.username, creds.password, creds.token) == ("ann", "pw", None)
    creds = _host_creds(MLflowSettings("http://m", username="ann", password="pw", token="t"), "http://m")
    assert (creds.username, creds.token) == (None, "t")


def test_comparison_result_has_the_contract_keys():
    from airflow_mlmonitor.registry.check import ComparisonOutcome, comparison_result, render_report
    from airflow_mlmonitor.registry.compare import compare, parse_rules
    from airflow_mlmonitor.registry.refs import ResolvedModel

    comp = compare(parse_rules([{"metric": "acc", "min_absolute_change": 0.01}]), {"acc": 0.9}, {"acc": 0.85})
    outcome = ComparisonOutcome("churn", ResolvedModel("churn", "7", "r7"), ResolvedModel("churn", "5", "r5"),
                                "@champion", comp)
    result = comparison_result(outcome).to_dict()
    assert result["check"] == "model_comparison" and result["decision"] == "promote"
    assert result["model_name"] == "churn"
    assert result["candidate"] == {"version": "7", "run_id": "r7"}
    assert result["baseline"] == {"version": "5", "run_id": "r5"}
    assert set(result["rules"][0]) == {"metric", "candidate", "baseline", "delta", "relative_delta", "passed", "reason"}
    assert result["failed_metrics"] == []
    assert result["metrics"]["delta.acc"] == pytest.approx(0.05)
    assert "churn version 7 vs @champion (version 5): promote" in result["summary"]
    assert "<td>acc</td>" in render_report(comparison_result(outcome))


def test_trigger_serializes_to_primitives():
    from airflow_mlmonitor.triggers.mlflow import MLflowModelVersionTrigger

    path, kwargs = MLflowModelVersionTrigger(model_name="m", newer_than="@champion", poke_interval=5).serialize()
    assert path == "airflow_mlmonitor.triggers.mlflow.MLflowModelVersionTrigger"
    assert kwargs == {"model_name": "m", "newer_than": "@champion", "mlflow_conn_id": "mlflow_default",
                      "poke_interval": 5.0}
    assert MLflowModelVersionTrigger(**kwargs).serialize() == (path, kwargs)


def test_comparison_report_is_a_template_that_escapes_every_value():
    from airflow_mlmonitor.registry.check import ComparisonOutcome, comparison_result, render_report
    from airflow_mlmonitor.registry.compare import compare, parse_rules
    from airflow_mlmonitor.registry.refs import ResolvedModel

    hostile = "<script>alert(1)</script>"
    comp = compare(parse_rules([{"metric": hostile}]), {hostile: 0.8}, {hostile: 0.9})
    outcome = ComparisonOutcome(hostile, ResolvedModel(hostile, "7", "r7"), ResolvedModel(hostile, "5", "r5"),
                                "@champion", comp)
    page = render_report(comparison_result(outcome))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<tr class="fail"><td>&lt;script&gt;' in page and "FAILED" in page
    assert "version 7, run r7" in page and "version 5, run r5" in page


def test_comparison_report_without_a_baseline_renders():
    from airflow_mlmonitor.registry.check import ComparisonOutcome, comparison_result, render_report
    from airflow_mlmonitor.registry.compare import compare, parse_rules
    from airflow_mlmonitor.registry.refs import ResolvedModel

    comp = compare(parse_rules([{"metric": "acc", "threshold": 0.5}]), {"acc": 0.9}, None)
    outcome = ComparisonOutcome("churn", ResolvedModel("churn", "1", "r1"), None, "@champion", comp)
    page = render_report(comparison_result(outcome))
    assert "Candidate: version 1, run r1" in page and "Baseline: version , run " in page
