"""Human approval before promotion: a passed comparison waits for a person before the alias moves.

* ``train`` fits a small scikit-learn classifier, logs its metrics and registers a new version of
  ``churn-approved`` on MLflow;
* ``compare`` checks the challenger against ``@champion`` (``promote_if_no_baseline=True``: the
  first model only has to clear its absolute thresholds); a rejected challenger skips the rest;
* ``approve`` (Airflow 3's human-in-the-loop ``ApprovalOperator``, standard provider) shows the
  comparison result in its body and parks the task in ``awaiting_input`` until someone answers in
  the UI ("Required actions") or through the HITL REST API
  (``PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails`` with
  ``{"chosen_options": ["Approve"]}``). "Reject" skips ``promote``;
* ``promote`` moves ``@champion`` to the approved version.

Not part of ``make demo``: it waits for a person, and ``dag.test()`` waits with it (no
``DEMO_DAG_ID`` line on purpose). Tested by approving and by rejecting through the REST API of a
real API server (``tests/dags/test_example_approval.py``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, task

from airflow_mlmonitor.operators.mlflow import MLflowModelComparisonOperator, MLflowPromoteModelOperator

MODEL_NAME = "churn-approved"
log = logging.getLogger(__name__)

# --8<-- [start:body]
#: The approval's body (Markdown): the comparison result the reviewer decides on.
APPROVAL_BODY = """\
{% set result = ti.xcom_pull(task_ids='compare') %}
**{{ result['summary'] }}**

Candidate: version {{ result['candidate']['version'] }} (run `{{ result['candidate']['run_id'] }}`);
baseline: {{ 'version ' ~ result['baseline']['version'] if result['baseline'] else 'none (first model)' }}.

| metric | candidate | baseline | delta | passed |
|---|---|---|---|---|
{% for rule in result['rules'] -%}
| {{ rule['metric'] }} | {{ '%.4f' % rule['candidate'] }} | {{ '%.4f' % rule['baseline'] if rule['baseline'] is not none else '-' }} | {{ '%+.4f' % rule['delta'] if rule['delta'] is not none else '-' }} | {{ 'yes' if rule['passed'] else 'no' }} |
{% endfor %}
[Monitoring report]({{ result['report_uri'] or '' }})
"""
# --8<-- [end:body]


def _train_and_register(model_name: str, conn_id: str = "mlflow_default") -> dict[str, Any]:
    """Fit, log metrics and the model to an MLflow run, register a version. Runs at execute time."""
    import contextlib
    import tempfile

    import mlflow.sklearn
    from mlflow.exceptions import MlflowException
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split

    from airflow_mlmonitor.hooks.mlflow import MLflowHook

    x, y = make_classification(n_samples=1000, n_features=8, n_informative=6, random_state=11)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=11)
    model = LogisticRegression(max_iter=300).fit(x_train, y_train)
    predicted = model.predict(x_test)
    metrics = {"accuracy": float(accuracy_score(y_test, predicted)), "f1": float(f1_score(y_test, predicted))}
    hook = MLflowHook(conn_id)
    client = hook.get_conn()
    run = client.create_run(hook.get_or_create_experiment("mlmonitor-approval"), run_name="train")
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, value)
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.sklearn.save_model(model, f"{tmp}/model", pip_requirements=["scikit-learn"])
        client.log_artifacts(run.info.run_id, f"{tmp}/model", "model")
    client.set_terminated(run.info.run_id)
    with contextlib.suppress(MlflowException):  # already registered
        client.create_registered_model(model_name)
    version = client.create_model_version(model_name, source=f"{run.info.artifact_uri}/model",
                                          run_id=run.info.run_id)
    return {"version": str(version.version), "run_id": run.info.run_id, "metrics": metrics}


with DAG(
    "example_approval",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["mlmonitor", "mlflow", "hitl"],
    doc_md=__doc__,
) as dag:

    @task
    def train() -> dict[str, Any]:
        return _train_and_register(MODEL_NAME)

    trained = train()
    # --8<-- [start:approval]
    compare = MLflowModelComparisonOperator(
        task_id="compare",
        model_name=MODEL_NAME,
        candidate="{{ ti.xcom_pull(task_ids='train')['version'] }}",
        baseline="@champion",
        rules=[{"metric": "accuracy", "threshold": 0.7}, {"metric": "f1"}],
        promote_if_no_baseline=True,
        on_failure="skip",  # a rejected challenger never reaches the reviewer
    )
    approve = ApprovalOperator(
        task_id="approve",
        subject="Promote {{ ti.xcom_pull(task_ids='compare')['candidate']['version'] }} of churn-approved to @champion?",
        body=APPROVAL_BODY,
        response_timeout=timedelta(days=2),  # no answer in two days: the default, "Reject"
        defaults="Reject",
    )
    promote = MLflowPromoteModelOperator(
        task_id="promote",
        model_name=MODEL_NAME,
        version="{{ ti.xcom_pull(task_ids='compare')['candidate']['version'] }}",
        alias="champion",
    )
    trained >> compare >> approve >> promote
    # --8<-- [end:approval]
