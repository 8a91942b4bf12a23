"""Champion/challenger on the MLflow model registry: train, wait for the version, compare, promote.

* ``train`` fits a small scikit-learn classifier, logs its metrics and the model to an MLflow run
  and registers a new version of ``churn-classifier``;
* ``wait_for_version`` (deferrable sensor) waits until the model has a version newer than the
  ``@champion`` alias;
* ``compare`` applies the rules "accuracy at least 0.01 above the champion, log loss at least 5%
  lower, F1 no worse" with exactly ``mlflow.models.MetricThreshold`` semantics. A rejected
  challenger skips the task (``on_failure="skip"``), so ``promote`` is skipped too;
* ``promote`` moves ``@champion`` to the new version, ``@previous_champion`` to the former one,
  and tags the version with ``mlmonitor.promoted_at|promoted_from|dag_id|run_id``.

On an empty registry there is no champion yet: ``promote_if_no_baseline=True`` accepts the first
model on its absolute thresholds alone. Run it with ``make demo`` (a ``sqlite:///`` MLflow store
under ``.demo/``) or ``airflow dags test example_model_promotion`` with an ``mlflow_default``
connection.
"""

from __future__ import annotations

import logging
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_mlmonitor.operators.mlflow import MLflowModelComparisonOperator, MLflowPromoteModelOperator
from airflow_mlmonitor.sensors.mlflow import MLflowModelVersionSensor

DEMO_DAG_ID = "example_model_promotion"
MODEL_NAME = "churn-classifier"
log = logging.getLogger(__name__)


def _train_and_register(model_name: str, conn_id: str = "mlflow_default") -> dict[str, Any]:
    """Fit, log metrics and the model to an MLflow run, register a version. Runs at execute time."""
    import contextlib
    import tempfile
    import warnings

    import mlflow.sklearn
    from mlflow.exceptions import MlflowException
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, log_loss
    from sklearn.model_selection import train_test_split

    from airflow_mlmonitor.hooks.mlflow import MLflowHook

    x, y = make_classification(n_samples=2000, n_features=12, n_informative=8, class_sep=1.2, random_state=7)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=7)
    model = LogisticRegression(C=0.5, max_iter=500).fit(x_train, y_train)
    proba = model.predict_proba(x_test)[:, 1]
    metrics = {
        "accuracy": float(accuracy_score(y_test, proba > 0.5)),
        "log_loss": float(log_loss(y_test, proba)),
        "f1": float(f1_score(y_test, proba > 0.5)),
    }

    hook = MLflowHook(conn_id)
    client = hook.get_conn()
    run = client.create_run(hook.get_or_create_experiment("mlmonitor-example"), run_name="train")
    run_id = run.info.run_id
    client.log_param(run_id, "C", 0.5)
    for key, value in metrics.items():
        client.log_metric(run_id, key, value)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        # skops (MLflow's default sklearn format) finds each object's module by probing every loaded
        # module with getattr; Airflow's deprecated-import shims answer each probe with a warning
        # (~1,100 of them). The probes are harmless: silence that one source.
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"skops\.")
        mlflow.sklearn.save_model(model, f"{tmp}/model", pip_requirements=["scikit-learn"])
        client.log_artifacts(run_id, f"{tmp}/model", "model")
    client.set_terminated(run_id)
    with contextlib.suppress(MlflowException):  # already registered
        client.create_registered_model(model_name)
    version = client.create_model_version(model_name, source=f"{run.info.artifact_uri}/model", run_id=run_id)
    log.info("MLMONITOR trained %s version %s: %s", model_name, version.version, metrics)
    return {"version": str(version.version), "run_id": run_id, "metrics": metrics}


with DAG(
    DEMO_DAG_ID,
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["mlmonitor", "mlflow"],
    doc_md=__doc__,
) as dag:

    @task
    def train() -> dict[str, Any]:
        return _train_and_register(MODEL_NAME)

    # --8<-- [start:promotion]
    wait_for_version = MLflowModelVersionSensor(
        task_id="wait_for_version",
        model_name=MODEL_NAME,
        newer_than="@champion",  # any version counts while there is no champion yet
        deferrable=True,
        poke_interval=10,
        timeout=3600,
    )
    compare = MLflowModelComparisonOperator(
        task_id="compare",
        model_name=MODEL_NAME,
        candidate="{{ ti.xcom_pull(task_ids='wait_for_version')['version'] }}",
        baseline="@champion",
        rules=[
            # at least 0.01 above the champion, and never below 0.8 (also checked with no champion)
            {"metric": "accuracy", "min_absolute_change": 0.01, "threshold": 0.8},
            {"metric": "log_loss", "greater_is_better": False, "min_relative_change": 0.05},
            {"metric": "f1"},  # no threshold: no worse than the champion
        ],
        promote_if_no_baseline=True,
        on_failure="skip",  # a rejected challenger skips promotion, the run stays green
    )
    promote = MLflowPromoteModelOperator(
        task_id="promote",
        model_name=MODEL_NAME,
        version="{{ ti.xcom_pull(task_ids='compare')['candidate']['version'] }}",
        alias="champion",
        previous_alias="previous_champion",
    )
    # --8<-- [end:promotion]

    @task(trigger_rule="none_failed")
    def summarize(ti: Any = None) -> None:
        result = ti.xcom_pull(task_ids="compare")
        log.info("MLMONITOR %s", result["summary"] if result else "no comparison result")

    train() >> wait_for_version >> compare >> promote >> summarize()
