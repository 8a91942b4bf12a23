"""Quality and drift where the data lives: checks on database tables through an Airflow connection.

Every week the features of the churn model land in a table of the warehouse (here a SQLite file
the first task writes; in production your Postgres, MySQL, Snowflake... connection). The checks
read the tables through ``SqlSource``, so the rows stay in the database:

* ``validate_features``: Great Expectations runs the expectations as SQL on this week's table
  (a GX SQL datasource on the connection's SQLAlchemy URL); ``metrics.rows`` is a ``COUNT(*)``;
* ``feature_drift``: Evidently's ``DataDriftPreset`` verdicts on every column, computed from
  aggregate queries (counts, ``GROUP BY`` value counts, sorted value streams): the worker never
  holds a whole column;
* ``premium_income_drift``: the same check on a query (``sql=``), the income of premium customers.

The table names are templated (``features_{{ ds_nodash }}``). The connection
``mlmonitor_example_sqlite`` (Airflow's ``sqlite`` connection type) defaults to a file under
``AIRFLOW_HOME``; define a connection with that id to point the example elsewhere. Run it with
``make demo`` or ``airflow dags test example_sql_monitor``.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.sources import SqlSource

DEMO_DAG_ID = "example_sql_monitor"
CONN_ID = "mlmonitor_example_sqlite"
DATABASE = os.path.join(os.environ.get("AIRFLOW_HOME", os.path.expanduser("~/airflow")), "mlmonitor", "warehouse.db")
# The example's own database; a connection of that id defined in Airflow takes precedence.
os.environ.setdefault(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "sqlite", "host": DATABASE}))
log = logging.getLogger(__name__)


def _customers(seed: int, rows: int, income_shift: float = 0.0, premium_share: float = 0.2) -> Any:
    """A synthetic customer feature table (income, age, tenure, plan, region)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    other = (1 - premium_share) / 2
    frame = pd.DataFrame({
        "customer_id": np.arange(rows),
        "income": rng.lognormal(10.4 + income_shift, 0.5, rows).round(2),
        "age": rng.integers(18, 91, rows),
        "tenure_months": rng.integers(1, 120, rows),
        "plan": rng.choice(["basic", "standard", "premium"], rows, p=[other, other, premium_share]),
        "region": rng.choice(["north", "south", "east", "west"], rows),
    })
    frame.loc[frame.index % 97 == 0, "income"] = None  # a few unknown incomes
    return frame


with DAG(
    DEMO_DAG_ID,
    schedule="@weekly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["mlmonitor", "quality", "drift", "sql", "example"],
) as dag:

    @task
    def load_warehouse(ds_nodash: str | None = None) -> str:
        """Stands in for the pipeline that fills the warehouse: the training table and this week's."""
        import sqlite3

        os.makedirs(os.path.dirname(DATABASE), exist_ok=True)
        with sqlite3.connect(DATABASE) as conn:
            _customers(seed=1, rows=3000).to_sql("features_training", conn, if_exists="replace", index=False)
            week = _customers(seed=2, rows=1200, income_shift=0.3, premium_share=0.45)
            week.to_sql(f"features_{ds_nodash}", conn, if_exists="replace", index=False)
        return f"features_{ds_nodash}"

    # --8<-- [start:sql]
    validate_features = DataQualityOperator(
        task_id="validate_features",
        data=SqlSource(CONN_ID, table="features_{{ ds_nodash }}"),  # the rows stay in the database
        expectations=[
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "customer_id"}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": 0.98}},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "min_value": 18, "max_value": 100}},
            {"type": "expect_column_values_to_be_in_set",
             "kwargs": {"column": "plan", "value_set": ["basic", "standard", "premium"]}},
        ],
    )
    feature_drift = DriftReportOperator(
        task_id="feature_drift",
        reference=SqlSource(CONN_ID, table="features_training"),
        current=SqlSource(CONN_ID, table="features_{{ ds_nodash }}"),
        columns=["income", "age", "tenure_months", "plan", "region"],
        drift_share=0.4,  # dataset drift when 40% of the columns drift (warns: on_failure="warn")
    )
    premium_income_drift = DriftReportOperator(
        task_id="premium_income_drift",
        reference=SqlSource(CONN_ID, sql="SELECT income FROM features_training WHERE plan = 'premium'"),
        current=SqlSource(CONN_ID, sql="SELECT income FROM features_{{ ds_nodash }} WHERE plan = 'premium'"),
    )
    # --8<-- [end:sql]

    @task
    def summarize(quality: dict[str, Any], features: dict[str, Any], premium: dict[str, Any]) -> None:
        for name, result in (("quality", quality), ("features", features), ("premium income", premium)):
            log.info("MLMONITOR %s: %s (report: %s)", name, result["summary"], result["report_uri"])

    load_warehouse() >> [validate_features, feature_drift, premium_income_drift]
    summarize(validate_features.output, feature_drift.output, premium_income_drift.output)
