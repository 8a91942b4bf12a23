"""Run the DAGs of one DAG file with ``dag.test()``, in order, in this Airflow installation.

Used by test_races.py as one of two Airflow installations (its own AIRFLOW_HOME and SQLite
metadata DB) racing another on one MLflow server: ``python race_worker.py <dag file> <dag ids...>``.
"""

from __future__ import annotations

import importlib.util
import sys


def main() -> None:
    path, dag_ids = sys.argv[1], sys.argv[2:]
    spec = importlib.util.spec_from_file_location("race_dags", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["race_dags"] = module
    spec.loader.exec_module(module)
    for dag_id in dag_ids:
        getattr(module, dag_id).test()


if __name__ == "__main__":
    main()
