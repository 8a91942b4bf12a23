"""DAGs the system tests trigger on the stack (linked into its dags folder next to example_dags/).

* ``system_drift``: one fast drift check (20 concurrent runs of it).
* ``system_slow_drift``: the drift check's current data takes ``SLOW_SECONDS`` to load, so a test
  can SIGKILL the worker running it; one retry, at once.
* ``system_store_outage``: same slow check, one retry after ``OUTAGE_RETRY_DELAY`` (time for a
  test to stop the S3 endpoint while the task runs, and to bring it back before the retry).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import DAG

from airflow_mlmonitor.operators.drift import DriftReportOperator

SLOW_SECONDS = 20
OUTAGE_RETRY_DELAY = dt.timedelta(seconds=45)


def reference() -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    return pd.DataFrame({"x": rng.normal(0, 1, 500), "y": rng.choice(["a", "b"], 500)})


def current() -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(2)
    return pd.DataFrame({"x": rng.normal(0.05, 1, 500), "y": rng.choice(["a", "b"], 500)})


def slow_current() -> Any:
    import time

    time.sleep(SLOW_SECONDS)
    return current()


def build(dag_id: str, data: Any, **task_kwargs: Any) -> DAG:
    with DAG(dag_id, schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False,
             max_active_runs=32, tags=["mlmonitor", "system-test"]) as dag:
        DriftReportOperator(task_id="drift", reference=reference, current=data, on_failure="warn", **task_kwargs)
    return dag


system_drift = build("system_drift", current)
system_slow_drift = build("system_slow_drift", slow_current, retries=1, retry_delay=dt.timedelta(0))
system_store_outage = build("system_store_outage", slow_current, retries=1, retry_delay=OUTAGE_RETRY_DELAY)
