"""DriftReportOperator on the engine: full-data verdicts, parquet read column by column, and an
Evidently report rendered from a seeded sample that says so. One dag.test() run for all checks."""

from __future__ import annotations

import pathlib
import textwrap
from typing import Any

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.types import DriftOptions
from tests.fixtures.airflow import ti_states, xcom_value

DAG_ID = "drift_engine_checks"
DAG_SOURCE = '''
import pendulum
import pandas as pd
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftReportOperator

DATA = {data!r}

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DriftReportOperator(task_id="sampled", reference=DATA + "/reference.parquet", current=DATA + "/current.parquet",
                        report_sample_size=400, report="evidently")
    DriftReportOperator(task_id="sampled_frames", reference=lambda: pd.read_parquet(DATA + "/reference.parquet"),
                        current=DATA + "/current.csv", report_sample_size=400, report="evidently")
    DriftReportOperator(task_id="full", reference="file://" + DATA + "/reference.parquet",
                        current=DATA + "/current.parquet", report_sample_size=None, method="psi",
                        report="evidently")
'''


@pytest.fixture(scope="module")
def engine_run(tmp_path_factory, airflow_db) -> tuple[Any, dict[str, pd.DataFrame]]:
    from tests.fixtures.airflow import DagRunner

    data = tmp_path_factory.mktemp("drift-engine-data")
    rng = np.random.default_rng(5)
    frames = {}
    for name, n, shift in (("reference", 3000, 0.0), ("current", 2500, 0.3)):
        frame = pd.DataFrame(
            {
                "x": rng.normal(shift, 1, n),
                "y": rng.normal(0, 1, n),
                "segment": rng.choice(["a", "b", "c"], n, p=[0.4 + shift / 3, 0.3, 0.3 - shift / 3]),
            }
        )
        frame.to_parquet(data / f"{name}.parquet", row_group_size=700)
        frames[name] = frame
    frames["current"].to_csv(data / "current.csv", index=False)
    runner = DagRunner()
    dag = runner.load_source(textwrap.dedent(DAG_SOURCE.format(data=str(data), dag_id=DAG_ID)), DAG_ID)
    return runner.run(dag), frames


def _report_html(run: Any, task_id: str) -> str:
    return pathlib.Path(xcom_value(run, task_id)["report_uri"].removeprefix("file://")).read_text()


def test_verdicts_and_scores_come_from_the_full_data(engine_run):
    run, frames = engine_run
    assert ti_states(run) == {"sampled": "success", "sampled_frames": "success", "full": "success"}
    types = {"x": "numerical", "y": "numerical", "segment": "categorical"}
    for task_id, options in (("sampled", DriftOptions()), ("full", DriftOptions(method="psi"))):
        expected = compute_column_drift(frames["reference"], frames["current"], options, types)
        result = xcom_value(run, task_id)
        for column in expected:  # scores equal up to float summation order (numpy SIMD alignment)
            got = result["columns"][column.name]
            assert got == {**column.to_dict(), "score": pytest.approx(column.score, rel=1e-12)}, task_id
        assert result["metrics"]["reference_rows"] == 3000 and result["metrics"]["current_rows"] == 2500
    assert xcom_value(run, "sampled")["drifted_columns"] == ["x"]
    frames_result, file_result = xcom_value(run, "sampled_frames")["columns"], xcom_value(run, "sampled")["columns"]
    assert {c: v["score"] for c, v in frames_result.items()} == pytest.approx(
        {c: v["score"] for c, v in file_result.items()}, rel=1e-12
    )


def test_a_sampled_report_says_so_and_a_full_one_does_not(engine_run):
    run, _ = engine_run
    for task_id in ("sampled", "sampled_frames"):
        html = _report_html(run, task_id)
        assert "rendered from a seeded random sample of 400 of 3,000 reference rows and 400 of 2,500" in html
        assert "segment" in html  # still Evidently's own report
    assert "seeded random sample" not in _report_html(run, "full")
