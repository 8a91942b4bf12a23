"""Nightly model health: validate -> drift -> train challenger -> compare -> promote -> verify, retrain.

``mlmonitor_model_health`` is the whole loop on one screen:

1. ``prepare_batch`` writes tonight's batch and the training reference as parquet files (a real
   pipeline reads them from its feature store; only paths travel through XCom);
2. ``validate_batch`` gates on data quality (Great Expectations): a bad batch fails the run;
3. ``feature_drift`` compares the batch with the reference (Evidently) and only warns;
4. ``train_challenger`` fits a scikit-learn model on the batch and registers it in MLflow;
5. ``compare_with_champion`` promotes it to ``@champion`` if it beats the current champion
   (the first model is accepted on its absolute thresholds);
6. ``post_deployment_check`` scores the champion on fresh labelled data and logs that live
   evaluation to MLflow (``log_live_evaluation``); if it fails, the ``rollback_model_on_failure``
   callback moves ``@champion`` back to the previous champion;
7. ``live_performance`` fails (and rolls back) when the average of the last 3 live accuracies falls
   below 90% of the champion's training accuracy (with fewer than 3 it only warns);
8. ``latency_anomalies`` looks for spikes in the serving latency (isolation forest), and
   ``drift_share_anomalies`` for an unusual night in the drift check's own history (MAD); both warn;
9. ``trigger_retraining`` starts ``mlmonitor_retrain_model`` when a check did not pass, or when
   the checked batches add up to 5,000 new rows, at most once per 12 hours;
10. ``report`` prints what happened: data quality, drift, decision, registry state, report paths.

``mlmonitor_retrain_model`` is the retraining DAG it triggers; ``mlmonitor_retrain_on_asset`` shows
the asset-driven alternative (scheduled on the asset the drift check updates). Everything is
generated locally: ``make demo`` runs it on a fresh machine with no setup.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, task

from airflow_mlmonitor.notifications.mlflow import rollback_model_on_failure
from airflow_mlmonitor.operators.anomaly import MetricAnomalyOperator
from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.operators.mlflow import MLflowModelComparisonOperator
from airflow_mlmonitor.operators.performance import ModelPerformanceOperator, log_live_evaluation
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.operators.retrain import RetrainTriggerOperator

DEMO_DAG_IDS = ("mlmonitor_model_health", "mlmonitor_retrain_model")
MODEL_NAME = "churn-health"
FEATURES = ["age", "income", "tenure_months", "monthly_charges", "country", "plan"]
CHECKED_FEATURES = Asset("mlmonitor://example/churn-features")
log = logging.getLogger(__name__)


# -- the data and the model: plain functions, run at execute time only ------------------------
def make_customers(seed: int, rows: int, shift: float = 0.0) -> Any:
    """Synthetic churn data; ``shift`` moves income, charges and plans (this week's customers)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, rows),
        "income": rng.lognormal(10.3 + shift, 0.4, rows).round(2),
        "tenure_months": rng.integers(1, 100, rows),
        "monthly_charges": rng.normal(60 + 25 * shift, 15, rows).clip(5).round(2),
        "country": rng.choice(["FR", "DE", "ES", "US"], rows),
        "plan": rng.choice(["basic", "pro", "premium"], rows, p=[0.6 - shift / 2, 0.3, 0.1 + shift / 2]),
    })
    logit = 1.0 - 0.04 * frame["tenure_months"] + 0.03 * (frame["monthly_charges"] - 60) + 0.8 * (frame["plan"] == "basic")
    frame["churned"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def make_latency(seed: int, minutes: int = 1440) -> Any:
    """A day of serving latency (ms per minute, lognormal noise) with three isolated spikes."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    latency = rng.lognormal(np.log(120), 0.15, minutes)
    latency[[200, 777, 1300]] *= [4.0, 5.5, 3.5]
    at = pd.date_range("2025-01-01", periods=minutes, freq="min", tz="UTC")
    return pd.DataFrame({"at": at, "latency_ms": latency.round(1)})


def save_sklearn_model(model: Any, path: str) -> None:
    """``mlflow.sklearn.save_model`` without a flood of warnings.

    skops (MLflow's default sklearn format) finds each object's module by probing every loaded
    module with getattr; Airflow's deprecated-import shims answer each probe with a warning
    (~1,100 per model). The probes are harmless: silence that one source.
    """
    import warnings

    import mlflow.sklearn

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"skops\.")
        mlflow.sklearn.save_model(model, path)


def data_dir(run_id: str) -> str:
    home = os.path.expanduser(os.environ.get("AIRFLOW_HOME", "~/airflow"))
    path = os.path.join(home, "mlmonitor", "example_data", run_id.replace(":", "_").replace("+", "_"))
    os.makedirs(path, exist_ok=True)
    return path


def train_and_register(train: Any, evaluate: Any, conn_id: str = "mlflow_default", note: str = "") -> dict[str, Any]:
    """Fit a small pipeline, log metrics and the model to an MLflow run, register a version."""
    import contextlib
    import tempfile

    from mlflow.exceptions import MlflowException
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, log_loss
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from airflow_mlmonitor.hooks.mlflow import MLflowHook

    numeric = ["age", "income", "tenure_months", "monthly_charges"]
    prep = make_column_transformer((StandardScaler(), numeric), (OneHotEncoder(handle_unknown="ignore"), ["country", "plan"]))
    model = make_pipeline(prep, LogisticRegression(max_iter=1000)).fit(train[FEATURES].fillna(0), train["churned"])
    proba = model.predict_proba(evaluate[FEATURES].fillna(0))[:, 1]
    metrics = {
        "accuracy": float(accuracy_score(evaluate["churned"], proba > 0.5)),
        "f1": float(f1_score(evaluate["churned"], proba > 0.5)),
        "log_loss": float(log_loss(evaluate["churned"], proba)),
    }
    hook = MLflowHook(conn_id)
    client = hook.get_conn()
    run = client.create_run(hook.get_or_create_experiment("mlmonitor-model-health"), run_name=note or "train")
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, value)
    with tempfile.TemporaryDirectory() as tmp:
        save_sklearn_model(model, f"{tmp}/model")
        client.log_artifacts(run.info.run_id, f"{tmp}/model", "model")
    client.set_terminated(run.info.run_id)
    with contextlib.suppress(MlflowException):  # already registered
        client.create_registered_model(MODEL_NAME)
    version = client.create_model_version(MODEL_NAME, f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    log.info("MLMONITOR trained %s version %s (%s): %s", MODEL_NAME, version.version, note, metrics)
    return {"version": str(version.version), "run_id": run.info.run_id, "metrics": metrics}


def champion_accuracy(conn_id: str = "mlflow_default") -> tuple[str, float]:
    """Load ``@champion`` from the registry and score it on fresh labelled data."""
    import tempfile

    import mlflow.sklearn

    from airflow_mlmonitor.hooks.mlflow import MLflowHook

    client = MLflowHook(conn_id).get_conn()
    champion = client.get_model_version_by_alias(MODEL_NAME, "champion")
    fresh = make_customers(seed=99, rows=1000, shift=0.4)
    with tempfile.TemporaryDirectory() as tmp:
        model = mlflow.sklearn.load_model(client.download_artifacts(champion.run_id, "model", tmp))
        accuracy = float((model.predict(fresh[FEATURES].fillna(0)) == fresh["churned"]).mean())
    return str(champion.version), accuracy


def registry_state(conn_id: str = "mlflow_default") -> str:
    from airflow_mlmonitor.hooks.mlflow import MLflowHook

    model = MLflowHook(conn_id).get_conn().get_registered_model(MODEL_NAME)
    return ", ".join(f"@{alias}=v{version}" for alias, version in sorted(model.aliases.items())) or "no aliases"


# -- the nightly pipeline ----------------------------------------------------------------------
# --8<-- [start:health]
with DAG(
    "mlmonitor_model_health",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"min_champion_accuracy": 0.6},
    tags=["mlmonitor", "example"],
    doc_md=__doc__,
) as model_health:

    @task
    def prepare_batch(run_id: str | None = None) -> dict[str, str]:
        folder = data_dir(run_id or "manual")
        paths = {
            "reference": f"{folder}/reference.parquet",
            "batch": f"{folder}/batch.parquet",
            "latency": f"{folder}/serving_latency.parquet",
        }
        make_customers(seed=1, rows=3000).to_parquet(paths["reference"])
        make_customers(seed=2, rows=2000, shift=0.4).to_parquet(paths["batch"])
        make_latency(seed=4).to_parquet(paths["latency"])
        return paths

    paths = prepare_batch()
    batch = "{{ ti.xcom_pull(task_ids='prepare_batch')['batch'] }}"

    validate_batch = DataQualityOperator(
        task_id="validate_batch",
        data=batch,
        expectations=[
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1000, "max_value": 100_000}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": 0.99}},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "min_value": 18, "max_value": 90}},
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "country", "value_set": ["FR", "DE", "ES", "US"]}},
        ],
    )
    feature_drift = DriftReportOperator(
        task_id="feature_drift",
        reference="{{ ti.xcom_pull(task_ids='prepare_batch')['reference'] }}",
        current=batch,
        columns=FEATURES,
        on_failure="warn",
        outlets=[CHECKED_FEATURES],
    )

    @task
    def train_challenger(ti: Any = None) -> dict[str, Any]:
        import pandas as pd

        frame = pd.read_parquet(ti.xcom_pull(task_ids="prepare_batch")["batch"])
        return train_and_register(frame.iloc[:1500], frame.iloc[1500:], note="nightly challenger")

    compare_with_champion = MLflowModelComparisonOperator(
        task_id="compare_with_champion",
        model_name=MODEL_NAME,
        candidate="{{ ti.xcom_pull(task_ids='train_challenger')['version'] }}",
        baseline="@champion",
        rules=[
            {"metric": "accuracy", "min_absolute_change": 0.005},
            {"metric": "log_loss", "greater_is_better": False},
            {"metric": "accuracy", "threshold": 0.6},
        ],
        promote_if_no_baseline=True,
        promote_to_alias="champion",
        on_failure="skip",
    )

    @task(on_failure_callback=rollback_model_on_failure(model_name=MODEL_NAME, reason="post-deployment check failed"))
    def post_deployment_check(params: dict[str, Any] | None = None) -> dict[str, Any]:
        version, accuracy = champion_accuracy()
        log_live_evaluation(MODEL_NAME, {"accuracy": accuracy}, alias=version)  # feeds live_performance
        minimum = float((params or {})["min_champion_accuracy"])
        if accuracy < minimum:
            raise ValueError(f"champion v{version} accuracy {accuracy:.3f} on fresh data is below {minimum}")
        return {"version": version, "accuracy": accuracy}

    # --8<-- [start:performance]
    live_performance = ModelPerformanceOperator(
        task_id="live_performance",
        model_name=MODEL_NAME,
        alias="champion",
        metric="accuracy",
        window=3,
        baseline="training",  # the champion's accuracy on its training run
        min_ratio=0.9,
        on_insufficient="warn",
        trigger_rule="all_done",
        on_failure_callback=rollback_model_on_failure(model_name=MODEL_NAME, reason="live accuracy degraded"),
    )
    # --8<-- [end:performance]
    # --8<-- [start:anomaly]
    latency_anomalies = MetricAnomalyOperator(
        task_id="latency_anomalies",
        metric="latency_ms",
        data="{{ ti.xcom_pull(task_ids='prepare_batch')['latency'] }}",
        time_column="at",
        method="isolation_forest",
    )
    drift_share_anomalies = MetricAnomalyOperator(
        task_id="drift_share_anomalies",
        dag_id="mlmonitor_model_health",
        history_task_id="feature_drift",
        metric="drift_share",
        method="mad",
    )
    # --8<-- [end:anomaly]
    # --8<-- [start:retrain]
    trigger_retraining = RetrainTriggerOperator(
        task_id="trigger_retraining",
        trigger_dag_id="mlmonitor_retrain_model",
        check_task_ids=["validate_batch", "feature_drift", "live_performance"],
        cooldown=dt.timedelta(hours=12),
        min_new_rows=5000,  # or when the checked batches add up to 5,000 rows since the last trigger
        conf={"batch": batch},
    )
    # --8<-- [end:retrain]

    @task(trigger_rule="all_done")
    def report(ti: Any = None) -> None:
        checks = ("validate_batch", "feature_drift", "compare_with_champion", "live_performance",
                  "latency_anomalies", "drift_share_anomalies")
        for task_id in checks:
            result = ti.xcom_pull(task_ids=task_id) or {}
            log.info("MLMONITOR %-22s %-7s %s", task_id, result.get("status", "-"), result.get("summary", "no result"))
            log.info("MLMONITOR %-22s report: %s", "", result.get("report_uri"))
        retrain = ti.xcom_pull(task_ids="trigger_retraining") or {}
        log.info("MLMONITOR retraining triggered: %s (%s)", retrain.get("triggered"), retrain.get("reason"))
        log.info("MLMONITOR registry %s: %s", MODEL_NAME, registry_state())

    summary = report()
    paths >> [validate_batch, feature_drift] >> trigger_retraining >> summary
    paths >> latency_anomalies >> summary
    feature_drift >> drift_share_anomalies >> summary
    deployed = validate_batch >> train_challenger() >> compare_with_champion >> post_deployment_check()
    deployed >> live_performance >> trigger_retraining
# --8<-- [end:health]


# -- the retraining DAG it triggers ------------------------------------------------------------
with DAG(
    "mlmonitor_retrain_model",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["mlmonitor", "example"],
) as retrain_model:

    @task
    def retrain(dag_run: Any = None) -> dict[str, Any]:
        conf = dict(dag_run.conf or {}) if dag_run else {}
        log.info("MLMONITOR retraining because: %s", conf.get("reason", "started by hand"))
        fresh = make_customers(seed=3, rows=4000, shift=0.4)
        return train_and_register(fresh.iloc[:3000], fresh.iloc[3000:], note="retrained")

    retrained_vs_champion = MLflowModelComparisonOperator(
        task_id="compare_with_champion",
        model_name=MODEL_NAME,
        candidate="{{ ti.xcom_pull(task_ids='retrain')['version'] }}",
        rules=[{"metric": "accuracy"}, {"metric": "accuracy", "threshold": 0.6}],
        promote_if_no_baseline=True,
        promote_to_alias="champion",
    )
    retrain() >> retrained_vs_champion


# -- asset-driven alternative: runs whenever the drift check updates the asset -----------------
# --8<-- [start:asset]
with DAG(
    "mlmonitor_retrain_on_asset",
    schedule=[CHECKED_FEATURES],
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["mlmonitor", "example"],
) as retrain_on_asset:

    @task(inlets=[CHECKED_FEATURES])
    def read_check_result(inlet_events: Any = None) -> dict[str, Any]:
        events = inlet_events[CHECKED_FEATURES] if inlet_events else []
        if not events:  # started by hand: no asset event to read
            log.info("MLMONITOR no asset event: this run was not started by the drift check")
            return {"retrain": False, "summary": "no asset event"}
        result = events[-1].extra["mlmonitor"]
        log.info("MLMONITOR asset event: %s check %s: %s", result["check"], result["status"], result["summary"])
        return {"retrain": not result["passed"], "summary": result["summary"]}

    read_check_result()
# --8<-- [end:asset]
