"""Data-quality gates with Great Expectations.

Two patterns on the same expectations:

* a **gate before training**: ``validate_training_data`` fails the run (``on_failure="fail"``,
  the default) when the training data breaks an expectation, so ``train_model`` never sees it;
* a **warn-mode check routing bad data to quarantine**: ``check_scoring_batch`` never fails
  (``on_failure="warn"``); a branch reads its result from XCom and sends the batch either to
  scoring or to quarantine. The demo's scoring batch has unknown countries and impossible ages, so
  it is quarantined.

Run it with ``make demo`` or ``airflow dags test example_quality_gate``. Each check's report is a
click away: task page, extra link "Monitoring report".
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_mlmonitor.operators.quality import DataQualityOperator

DEMO_DAG_ID = "example_quality_gate"
log = logging.getLogger(__name__)

# --8<-- [start:expectations]
# "income is never null (99% of rows), age in 18..90, country in a known set, 900..1100 rows"
CUSTOMER_EXPECTATIONS = [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": 0.99}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "min_value": 18, "max_value": 90}},
    {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "country", "value_set": ["FR", "DE", "ES", "US"]},
    },
    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 900, "max_value": 1100}},
]
# --8<-- [end:expectations]


def _customers(seed: int, bad_share: float = 0.0) -> Any:
    """A synthetic customer table; ``bad_share`` of the rows get an unknown country and a bad age."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = 1000
    frame = pd.DataFrame({
        "income": rng.lognormal(10.4, 0.5, rows).round(2),
        "age": rng.integers(18, 91, rows),
        "country": rng.choice(["FR", "DE", "ES", "US"], rows),
        "tenure_months": rng.integers(1, 120, rows),
    })
    frame.loc[rng.choice(rows, 5, replace=False), "income"] = None  # 0.5% missing: within "mostly"
    bad = rng.choice(rows, int(rows * bad_share), replace=False)
    frame.loc[bad, "country"] = "??"
    frame.loc[bad, "age"] = 7
    frame["churned"] = (rng.random(rows) < 1 / (1 + np.exp((frame["tenure_months"] - 24) / 12))).astype(int)
    return frame


def load_training_data() -> Any:
    """Called by the operator at execute time (never at DAG parse): read your table here."""
    return _customers(seed=1)


def load_scoring_batch() -> Any:
    return _customers(seed=2, bad_share=0.03)


with DAG(
    DEMO_DAG_ID,
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["mlmonitor", "quality", "example"],
) as dag:
    # --8<-- [start:gate]
    validate_training_data = DataQualityOperator(
        task_id="validate_training_data",
        data=load_training_data,  # or "s3://bucket/customers/{{ ds }}.parquet" with data_conn_id="aws_default"
        expectations=CUSTOMER_EXPECTATIONS,  # or "dags/suites/customers.json", or a callable returning a suite
        suite_name="customers",
    )

    @task
    def train_model() -> dict[str, float]:
        from sklearn.linear_model import LogisticRegression

        frame = load_training_data().dropna()
        features = frame[["income", "age", "tenure_months"]]
        model = LogisticRegression(max_iter=500).fit(features, frame["churned"])
        accuracy = float(model.score(features, frame["churned"]))
        log.info("MLMONITOR quality gate passed, model trained on %d rows (accuracy %.3f)", len(frame), accuracy)
        return {"accuracy": accuracy}

    validate_training_data >> train_model()
    # --8<-- [end:gate]

    # --8<-- [start:quarantine]
    check_scoring_batch = DataQualityOperator(
        task_id="check_scoring_batch",
        data=load_scoring_batch,
        expectations=CUSTOMER_EXPECTATIONS,
        suite_name="customers",
        on_failure="warn",  # never fails the task: the result decides the route
    )

    @task.branch
    def route_batch(result: dict[str, Any]) -> str:
        log.info("MLMONITOR scoring batch check %s: %s", result["status"], result["summary"])
        return "score_batch" if result["passed"] else "quarantine_batch"

    @task
    def score_batch() -> int:
        rows = len(load_scoring_batch())
        log.info("MLMONITOR scored %d rows", rows)
        return rows

    @task
    def quarantine_batch(result: dict[str, Any], run_id: str | None = None) -> str:
        folder = os.path.join(os.environ.get("AIRFLOW_HOME", "."), "quarantine", re.sub(r"[^\w.-]", "_", str(run_id)))
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "scoring_batch.parquet")
        load_scoring_batch().to_parquet(path)
        failed = ", ".join(f"{f['expectation_type']}({f['column']})" for f in result["failed_expectations"])
        log.warning("MLMONITOR batch quarantined at %s; failed: %s; report: %s", path, failed, result["report_uri"])
        return path

    route_batch(check_scoring_batch.output) >> [score_batch(), quarantine_batch(check_scoring_batch.output)]
    # --8<-- [end:quarantine]
