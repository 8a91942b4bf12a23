"""ModelPerformanceOperator under dag.test() on a real MLflow store (SQLite), plus its bad inputs."""

from __future__ import annotations

import math
import os

import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.performance.check import run_performance_check
from airflow_mlmonitor.performance.evaluate import PerformanceRule
from airflow_mlmonitor.performance.live import MONITORS_TAG, log_evaluation, resolve_version
from tests.fixtures.airflow import ti_states, xcom_value
from tests.fixtures.mlflow import register_versions, unique_name

DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG, task
from airflow_mlmonitor.operators.performance import ModelPerformanceOperator, log_live_evaluation
from airflow_mlmonitor.operators.retrain import RetrainTriggerOperator

with DAG("perf_target", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as target:
    task(lambda: None, task_id="noop")()

with DAG("perf_monitor", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
         params={"model": "", "metric": "accuracy", "live": None, "greater_is_better": True}) as monitor:

    @task
    def evaluate_live(params=None):
        if params["live"] is None:
            return None
        return log_live_evaluation(params["model"], {"accuracy": float(params["live"]), "log_loss": 0.3},
                                   experiment="perf-tests")

    check = ModelPerformanceOperator(
        task_id="performance", model_name="{{ params.model }}", metric="{{ params.metric }}",
        window=5, baseline="training", min_ratio=0.9, on_insufficient="warn",
    )
    lower = ModelPerformanceOperator(
        task_id="loss_performance", model_name="{{ params.model }}", metric="log_loss",
        window=5, baseline="training", min_ratio=0.9, greater_is_better=False, on_insufficient="skip",
    )
    evaluate_live() >> [check, lower] >> RetrainTriggerOperator(
        task_id="retrain", trigger_dag_id="perf_target", check_task_ids=["performance", "loss_performance"],
    )
'''


@pytest.fixture
def model(sqlite_client, mlflow_sqlite_uri, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MLFLOW_DEFAULT", os.environ["AIRFLOW_CONN_MLFLOW_SQLITE"])
    name = unique_name("perf")
    (v1,) = register_versions(sqlite_client, name, [{"accuracy": 0.8, "log_loss": 0.3}])
    sqlite_client.set_registered_model_alias(name, "champion", v1)
    return name


def _log(client, name: str, metric: str, values: list[float], start: int = 1_700_000_000_000) -> None:
    version = resolve_version(client, name, "champion")
    experiment = client.get_experiment_by_name("mlmonitor-tests").experiment_id
    for i, value in enumerate(values):
        log_evaluation(client, experiment, version, {metric: value}, timestamp_ms=start + i * 60_000)


def _check(client, name: str, metric: str = "accuracy", **rule) -> dict:
    result = run_performance_check(
        client, model_name=name, alias="champion", metric=metric, baseline="training", rule=PerformanceRule(**rule)
    )
    return result.to_dict()


def test_operator_flow_insufficient_then_degraded_then_retraining(dag_runner, model, sqlite_client):
    dag_runner.run(dag_runner.load_source(DAG_SOURCE, "perf_target"))
    monitor = dag_runner.load_source(DAG_SOURCE, "perf_monitor")

    # one live value of 5: a clear "insufficient" result, warned / skipped, and no retraining
    run = dag_runner.run(monitor, run_conf={"model": model, "live": 0.79})
    states = ti_states(run)
    assert states["performance"] == "success" and states["loss_performance"] == "skipped", states
    result = xcom_value(run, "performance")
    assert result["check"] == "performance" and result["insufficient"] is True
    assert result["status"] == "warned" and result["passed"] is False
    assert "only 1 of 5 live values of accuracy" in result["summary"]
    assert xcom_value(run, "retrain")["triggered"] is False
    tags = sqlite_client.get_run(result["runs"][0]).data.tags
    assert tags[MONITORS_TAG] == f"{model}/1"

    # four more values, average 0.71 < 0.9 * 0.8: failed; the retraining trigger fires
    version = resolve_version(sqlite_client, model, "champion")
    experiment = sqlite_client.get_experiment_by_name("perf-tests").experiment_id
    for value in (0.70, 0.71, 0.72):
        log_evaluation(sqlite_client, experiment, version, {"accuracy": value, "log_loss": 0.3})
    run = dag_runner.run(monitor, run_conf={"model": model, "live": 0.63})
    assert ti_states(run)["performance"] == "failed" and ti_states(run)["loss_performance"] == "success"
    assert xcom_value(run, "loss_performance")["ratio"] == 1.0
    result = xcom_value(run, "performance")
    assert result["values"] == [0.79, 0.70, 0.71, 0.72, 0.63]
    assert math.isclose(result["average"], 0.71) and result["baseline"] == 0.8
    assert math.isclose(result["metrics"]["ratio"], 0.71 / 0.8)
    assert result["model"] == model and result["metric"] == "accuracy" and result["version"] == "1"
    assert result["baseline_source"] == "training" and result["report_uri"].endswith("report.html")
    assert xcom_value(run, "retrain")["triggered"] is True
    assert xcom_value(run, "retrain")["failing_checks"] == ["performance"]


def test_average_exactly_at_the_ratio_passes_and_just_below_fails(model, sqlite_client):
    _log(sqlite_client, model, "accuracy", [0.70, 0.74, 0.72, 0.71, 0.73])  # average 0.72 = 0.9 * 0.8
    at = _check(sqlite_client, model)
    assert at["passed"] is True and math.isclose(at["metrics"]["ratio"], 0.9)
    _log(sqlite_client, model, "accuracy", [0.72, 0.72, 0.72, 0.72, 0.7199], start=1_800_000_000_000)
    below = _check(sqlite_client, model)
    assert below["passed"] is False and below["values"][-1] == 0.7199


def test_lower_is_better_uses_the_mirrored_ratio(model, sqlite_client):
    _log(sqlite_client, model, "log_loss", [0.3 / 0.9] * 5)  # at the boundary: baseline / average = 0.9
    assert _check(sqlite_client, model, "log_loss", greater_is_better=False)["passed"] is True
    _log(sqlite_client, model, "log_loss", [0.40] * 5, start=1_800_000_000_000)
    worse = _check(sqlite_client, model, "log_loss", greater_is_better=False)
    assert worse["passed"] is False and math.isclose(worse["ratio"], 0.75)
    assert _check(sqlite_client, model, "log_loss", greater_is_better=True)["passed"] is True  # 0.4/0.3


def test_the_last_window_values_follow_the_metric_timestamp_not_the_run_order(model, sqlite_client):
    _log(sqlite_client, model, "accuracy", [0.5, 0.6], start=1_900_000_000_000)  # logged first, newest times
    _log(sqlite_client, model, "accuracy", [0.9, 0.8, 0.7], start=1_600_000_000_000)
    assert _check(sqlite_client, model, window=3)["values"] == [0.7, 0.5, 0.6]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model_name": "nope-no-such-model"}, "model_name: no registered model 'nope-no-such-model'"),
        ({"alias": "champoin"}, r"alias: .* has no alias @champoin .*Did you mean 'champion'"),
        ({"metric": "acuracy"}, r"metric: the source run .* has no metric 'acuracy'.*Did you mean 'accuracy'"),
        ({"baseline": 0}, "baseline must be a number > 0"),
        ({"baseline": "train"}, "baseline must be a number > 0 or 'training'"),
    ],
)
def test_bad_inputs_name_the_parameter(model, sqlite_client, kwargs, match):
    args = {"model_name": model, "alias": "champion", "metric": "accuracy", "baseline": "training", **kwargs}
    with pytest.raises(InvalidInputError, match=match):
        run_performance_check(sqlite_client, rule=PerformanceRule(), **args)


def test_unknown_live_metric_and_nan_values_are_clear_errors(model, sqlite_client):
    _log(sqlite_client, model, "accuracy", [0.8])
    with pytest.raises(InvalidInputError, match=r"metric: 1 live evaluation run\(s\) .* logged no 'f1'"):
        run_performance_check(sqlite_client, model_name=model, alias="champion", metric="f1", baseline=0.5,
                              rule=PerformanceRule())
    _log(sqlite_client, model, "accuracy", [float("nan")], start=1_900_000_000_000)
    with pytest.raises(InvalidInputError, match="metric: 1 missing, NaN or infinite value"):
        _check(sqlite_client, model, window=2)


def test_data_source_with_a_time_column(model, sqlite_client, tmp_path):
    import pandas as pd

    path = tmp_path / "live.csv"
    pd.DataFrame({"at": ["2024-01-03", "2024-01-01", "2024-01-02"], "accuracy": [0.6, 0.8, 0.7]}).to_csv(path, index=False)
    frame = pd.read_csv(path)
    result = run_performance_check(
        sqlite_client, model_name=model, alias="champion", metric="accuracy", baseline="training",
        rule=PerformanceRule(window=3), frame=frame, time_column="at", data_name=repr(str(path)),
    )
    assert result.details["values"] == [0.8, 0.7, 0.6] and result.passed is False
    with pytest.raises(InvalidInputError, match="time_column: no column 'timestamp' in data"):
        run_performance_check(None, model_name=model, alias="champion", metric="accuracy", baseline=0.8,
                              rule=PerformanceRule(), frame=frame, data_name="x")
    with pytest.raises(InvalidInputError, match=r"metric: column .at. of data .* is (object|str), not numeric"):
        run_performance_check(None, model_name=model, alias="champion", metric="at", baseline=0.8,
                              rule=PerformanceRule(), frame=frame, time_column="at", data_name="x")
