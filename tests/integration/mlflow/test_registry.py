"""The registry domain against a real MLflow server and a sqlite:/// store (no mocks)."""

from __future__ import annotations

import math
import socket

import pytest

from airflow_mlmonitor.registry.actions import Audit, promote, read_history, rollback
from airflow_mlmonitor.registry.check import run_comparison
from airflow_mlmonitor.registry.errors import (
    MetricMissingError,
    ModelNotFoundError,
    NoBaselineError,
    NothingToRollBackError,
    RegistryUnavailableError,
)
from airflow_mlmonitor.registry.refs import newest_version_after, resolve
from tests.fixtures.mlflow import client_for, free_port, register_versions, unique_name

RULES = [{"metric": "accuracy", "min_absolute_change": 0.01}]


@pytest.fixture(params=["server", "sqlite"])
def any_client(request):
    """Both backends: for the tests whose REST round trips matter most (the operator tests in
    test_operators.py cover the rest against the server)."""
    return request.getfixturevalue(f"{request.param}_client")


@pytest.fixture
def client(sqlite_client):
    return sqlite_client


def aliases(client, name):
    return {k: str(v) for k, v in client.get_registered_model(name).aliases.items()}


def test_references_resolve_to_versions_and_runs(any_client):
    client = any_client
    name = unique_name()
    v1, v2 = register_versions(client, name, [{"accuracy": 0.8}, {"accuracy": 0.9}])
    client.set_registered_model_alias(name, "champion", v1)
    assert resolve(client, name, "@champion").version == v1
    latest = resolve(client, name, "latest")
    assert (latest.version, latest.metrics) == (v2, {"accuracy": 0.9})
    assert resolve(client, name, v1).metrics == {"accuracy": 0.8}
    by_run = resolve(client, name, f"run:{latest.run_id}")
    assert (by_run.version, by_run.run_id) == (v2, latest.run_id)
    assert newest_version_after(client, name, "@champion").version == v2
    assert newest_version_after(client, name, "latest") is None
    assert newest_version_after(client, "no-such-model-yet", "@champion") is None


def test_unknown_references_name_what_is_missing(client):
    name = unique_name()
    register_versions(client, name, [{"accuracy": 0.8}])
    for ref, message in [("@nope", "no alias 'nope'"), ("42", "version 42"), ("run:0123abcd", "run '0123abcd'")]:
        with pytest.raises(ModelNotFoundError, match=message):
            resolve(client, name, ref)
    with pytest.raises(ModelNotFoundError, match="no-such-model"):
        resolve(client, "no-such-model", "1")


def test_missing_or_nan_metric_is_an_error_not_a_pass(client):
    name = unique_name()
    v1, v2, v3 = register_versions(
        client, name, [{"accuracy": 0.8, "f1": 0.7}, {"accuracy": 0.9}, {"accuracy": 0.9, "f1": math.nan}]
    )
    client.set_registered_model_alias(name, "champion", v1)
    rules = [*RULES, {"metric": "f1"}]
    with pytest.raises(MetricMissingError, match=r"candidate .*version 2.* no metric 'f1'"):
        run_comparison(client, name, candidate=v2, baseline="@champion", rules=rules)
    with pytest.raises(MetricMissingError, match="'f1' = nan"):
        run_comparison(client, name, candidate=v3, baseline="@champion", rules=rules)
    assert aliases(client, name) == {"champion": v1}


def test_no_baseline_is_an_error_unless_allowed(client):
    name = unique_name()
    (v1,) = register_versions(client, name, [{"accuracy": 0.8}])
    with pytest.raises(NoBaselineError, match="promote_if_no_baseline=True"):
        run_comparison(client, name, candidate=v1, baseline="@champion", rules=RULES)
    ok = run_comparison(client, name, candidate=v1, baseline="@champion", promote_if_no_baseline=True,
                        rules=[{"metric": "accuracy", "threshold": 0.75, "min_absolute_change": 0.01}])
    assert ok.decision == "promote" and ok.baseline is None
    low = run_comparison(client, name, candidate=v1, baseline="@champion", promote_if_no_baseline=True,
                         rules=[{"metric": "accuracy", "threshold": 0.85}])
    assert low.decision == "reject"


def test_promotion_moves_aliases_and_tags_the_version(client):
    name = unique_name()
    v1, v2 = register_versions(client, name, [{"accuracy": 0.8}, {"accuracy": 0.9}])
    promote(client, name, v1, audit=Audit("dag_a", "run_1"))
    done = promote(client, name, v2, audit=Audit("dag_a", "run_2"))
    assert (done.previous_version, done.changed) == (v1, True)
    assert aliases(client, name) == {"champion": v2, "previous_champion": v1}
    tags = client.get_model_version(name, v2).tags
    assert tags["mlmonitor.promoted_from"] == v1
    assert (tags["mlmonitor.dag_id"], tags["mlmonitor.run_id"]) == ("dag_a", "run_2")
    assert tags["mlmonitor.promoted_at"].endswith("+00:00")
    assert read_history(client, name, "champion") == [v1, v2]
    assert promote(client, name, v2).changed is False


def test_rollbacks_walk_back_through_the_history(any_client):
    client = any_client
    name = unique_name()
    v1, v2, v3, v4 = register_versions(client, name, [{"accuracy": a} for a in (0.7, 0.8, 0.85, 0.9)])
    for i, version in enumerate((v1, v2, v3)):
        promote(client, name, version, audit=Audit("train", f"r{i}"))
    first = rollback(client, name, reason="drift alert", audit=Audit("monitor", "run_a"))
    assert (first.from_version, first.to_version, first.already_done) == (v3, v2, False)
    retry = rollback(client, name, reason="drift alert", audit=Audit("monitor", "run_a"))
    assert (retry.already_done, aliases(client, name)["champion"]) == (True, v2)  # a retry does not walk twice
    tags = client.get_model_version(name, v3).tags
    assert tags["mlmonitor.rollback_reason"] == "drift alert" and "mlmonitor.rolled_back_at" in tags
    second = rollback(client, name, audit=Audit("monitor", "run_b"))
    assert (second.from_version, second.to_version) == (v2, v1)
    with pytest.raises(NothingToRollBackError, match="nothing was changed"):
        rollback(client, name, audit=Audit("monitor", "run_c"))
    assert aliases(client, name)["champion"] == v1
    promote(client, name, v4, audit=Audit("train", "r9"))
    third = rollback(client, name, audit=Audit("monitor", "run_d"))  # skips v3 and v2, rolled back before
    assert (third.from_version, third.to_version) == (v4, v1)


def test_rollback_without_history_changes_nothing(client):
    name = unique_name()
    v1, v2 = register_versions(client, name, [{"accuracy": 0.7}, {"accuracy": 0.8}])
    with pytest.raises(NothingToRollBackError, match="no alias 'champion'"):
        rollback(client, name, audit=Audit("d", "r"))
    client.set_registered_model_alias(name, "champion", v2)  # set by hand, never promoted
    with pytest.raises(NothingToRollBackError, match="history"):
        rollback(client, name, audit=Audit("d", "r"))
    assert aliases(client, name) == {"champion": v2}
    assert "mlmonitor.rolled_back_at" not in client.get_model_version(name, v2).tags
    done = rollback(client, name, to_version=v1, audit=Audit("d", "r"))
    assert (done.to_version, aliases(client, name)) == (v1, {"champion": v1})


def test_refused_connection_is_a_clear_error():
    client = client_for(f"http://127.0.0.1:{free_port()}", timeout=2, max_retries=0)
    with pytest.raises(RegistryUnavailableError, match="MLflow did not answer"):
        resolve(client, "any", "@champion")


def test_silent_server_fails_within_the_timeout():
    """A server that accepts but never answers: the request timeout ends the wait with a clear error
    (without it this test would hang until the suite's own timeout)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        client = client_for(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=1, max_retries=0)
        with pytest.raises(RegistryUnavailableError, match="did not answer"):
            resolve(client, "any", "1")
