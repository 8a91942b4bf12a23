"""Feature drift and prediction drift with Evidently, branching to retraining on drift.

Every week the DAG compares this week's features and this week's model scores with the training
reference:

* ``profile_training_features`` builds the training reference's drift profile once (sorted values
  and value counts per column); in production it lives in its own DAG, run when the model is
  trained, and the profile on S3;
* ``feature_drift`` reads only this week's features and compares them with the profile, with
  Evidently's ``DataDriftPreset`` verdicts on every feature column;
* ``prediction_drift`` is the same operator on the ``prediction`` column only;
* ``decide`` reads both results from XCom and branches: ``retrain_model`` on drift, else
  ``keep_model``.

Both checks write the native drift report (the default ``report="native"``: one self-contained
page from the full data, Evidently not even imported) and use ``on_failure="warn"`` (the drift default): drift never fails the run, the result
decides the route. In the demo data, this week's customers earn more and moved to the premium
plan, so both checks detect drift and the DAG retrains. Each report is a click away: task page,
extra link "Monitoring report". Run it with ``make demo`` or ``airflow dags test
example_drift_monitor``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, task

from airflow_mlmonitor.operators.drift import DriftProfileOperator, DriftReportOperator

DEMO_DAG_ID = "example_drift_monitor"
#: where the training profile goes; in production "s3://bucket/profiles/churn_features.zip" with profile_conn_id
PROFILE_PATH = os.path.join(os.environ.get("AIRFLOW_HOME", "~/airflow"), "mlmonitor", "profiles", "churn_features.zip")
log = logging.getLogger(__name__)


def _customers(seed: int, rows: int, income_shift: float = 0.0, premium_share: float = 0.2) -> Any:
    """A synthetic customer table (income, age, tenure, plan, region)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    other = (1 - premium_share) / 2
    return pd.DataFrame({
        "income": rng.lognormal(10.4 + income_shift, 0.5, rows).round(2),
        "age": rng.integers(18, 91, rows),
        "tenure_months": rng.integers(1, 120, rows),
        "plan": rng.choice(["basic", "standard", "premium"], rows, p=[other, other, premium_share]),
        "region": rng.choice(["north", "south", "east", "west"], rows),
    })


def _churn_score(frame: Any) -> Any:
    """The deployed model: a fixed logistic score (stands in for ``model.predict_proba``)."""
    import numpy as np

    z = 1.5 - 0.03 * frame["tenure_months"] - 0.4 * np.log(frame["income"] / 30_000) + 0.5 * (frame["plan"] == "basic")
    return frame.assign(prediction=(1 / (1 + np.exp(-z))).round(4))[["prediction"]]


# --8<-- [start:sources]
def training_features() -> Any:
    """Called by the operator at execute time (never at DAG parse): read your table here."""
    return _customers(seed=1, rows=1500)


def this_week_features() -> Any:
    return _customers(seed=2, rows=400, income_shift=0.4, premium_share=0.5)


def training_predictions() -> Any:
    return _churn_score(training_features())


def this_week_predictions() -> Any:
    return _churn_score(this_week_features())
# --8<-- [end:sources]


with DAG(
    DEMO_DAG_ID,
    schedule="@weekly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["mlmonitor", "drift", "example"],
) as dag:
    # --8<-- [start:profile]
    profile = DriftProfileOperator(
        task_id="profile_training_features",
        reference=training_features,  # or "s3://bucket/features/train.parquet" with data_conn_id="aws_default"
        profile_path=PROFILE_PATH,  # any ObjectStoragePath URL; returns {"profile_uri", "columns", "rows"}
    )
    # --8<-- [end:profile]
    # --8<-- [start:checks]
    feature_drift = DriftReportOperator(
        task_id="feature_drift",
        reference_profile="{{ ti.xcom_pull(task_ids='profile_training_features')['profile_uri'] }}",
        current=this_week_features,  # or "s3://bucket/features/{{ ds }}.parquet"
        columns=["income", "age", "tenure_months", "plan", "region"],
        drift_share=0.4,  # dataset drift when 40% of the columns drift
        outlets=[Asset("mlmonitor://churn/features")],  # the result rides on the asset event
    )
    prediction_drift = DriftReportOperator(
        task_id="prediction_drift",
        reference=training_predictions,
        current=this_week_predictions,
        columns=["prediction"],
        num_method="psi",  # any Evidently method and threshold, with Evidently's names
        num_threshold=0.15,  # PSI at or above 0.15 is drift (its default is 0.1)
    )
    # --8<-- [end:checks]
    profile >> feature_drift

    # --8<-- [start:branch]
    @task.branch
    def decide(features: dict[str, Any], predictions: dict[str, Any]) -> str:
        for name, result in (("features", features), ("predictions", predictions)):
            log.info("MLMONITOR %s: %s (report: %s)", name, result["summary"], result["report_uri"])
        drifted = features["dataset_drift"] or predictions["dataset_drift"]
        return "retrain_model" if drifted else "keep_model"

    @task
    def retrain_model(features: dict[str, Any]) -> str:
        # In production: RetrainTriggerOperator(trigger_dag_id="train_churn_model", ...) or your training code.
        log.info("MLMONITOR drift in %s: retraining the churn model", ", ".join(features["drifted_columns"]))
        return "retrained"

    @task
    def keep_model() -> str:
        log.info("MLMONITOR no drift: keeping the current model")
        return "kept"

    decide(feature_drift.output, prediction_drift.output) >> [retrain_model(feature_drift.output), keep_model()]
    # --8<-- [end:branch]
