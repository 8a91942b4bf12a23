"""DriftReportOperator with the opt-in options beyond Evidently, in one dag.test() run: parquet and
CSV inputs, templated options, the verdicts each option gives, a bad option failing clearly, and
a run with no option giving exactly the plain engine's result."""

from __future__ import annotations

import pathlib
import textwrap
from typing import Any

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.result import build_drift_result
from airflow_mlmonitor.drift.types import DriftOptions
from tests.fixtures.airflow import ti_states, xcom_value

DAG_ID = "drift_beyond_checks"
DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftReportOperator

DATA = {data!r}

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DriftReportOperator(task_id="plain", reference=DATA + "/reference.parquet", current=DATA + "/current.parquet",
                        columns=["x", "y", "segment"])
    DriftReportOperator(task_id="effect", reference=DATA + "/reference.parquet", current=DATA + "/current.parquet",
                        columns=["x", "y", "segment"], method="ks", cat_method="chisquare",
                        min_effect="{{{{ 0.05 }}}}", correction="bh")
    DriftReportOperator(task_id="chunks", reference=DATA + "/reference.parquet", current=DATA + "/current.parquet",
                        columns=["x", "y", "segment"], chunk_by="{{{{ '1d' }}}}", time_column="ts",
                        drift_share=0.3)
    DriftReportOperator(task_id="multivariate", reference=DATA + "/flip_reference.csv",
                        current=DATA + "/flip_current.csv", multivariate_method="domain_classifier")
    DriftReportOperator(task_id="bad_option", reference=DATA + "/flip_reference.csv",
                        current=DATA + "/flip_current.csv", min_effect=-1)
'''


def _data(folder: pathlib.Path) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(21)
    n = 6000  # current: 6 days of 1,000 rows; x moves by 0.03 sigma overall, y by 0.8 sigma from day 4
    reference = pd.DataFrame(
        {"x": rng.normal(0, 1, n), "y": rng.normal(0, 1, n), "segment": rng.choice(["a", "b"], n)}
    )
    times = pd.date_range("2024-05-01", periods=n, freq="86400ms")
    current = pd.DataFrame(
        {
            "ts": times,
            "x": rng.normal(0.03, 1, n),
            "y": rng.normal(0, 1, n) + np.where(times >= pd.Timestamp("2024-05-04"), 0.8, 0.0),
            "segment": rng.choice(["a", "b"], n),
        }
    )
    reference.to_parquet(folder / "reference.parquet", row_group_size=1500)
    current.to_parquet(folder / "current.parquet", row_group_size=1500)
    for name, rho, seed in (("flip_reference", 0.95, 1), ("flip_current", -0.95, 2)):
        flip = np.random.default_rng(seed).multivariate_normal([0, 0], [[1, rho], [rho, 1]], 8000)
        pd.DataFrame(flip, columns=["u", "v"]).to_csv(folder / f"{name}.csv", index=False)
    return {"reference": reference, "current": current}


@pytest.fixture(scope="module")
def beyond_run(tmp_path_factory, airflow_db) -> tuple[Any, dict[str, pd.DataFrame]]:
    from tests.fixtures.airflow import DagRunner

    folder = tmp_path_factory.mktemp("drift-beyond-data")
    frames = _data(folder)
    runner = DagRunner()
    dag = runner.load_source(textwrap.dedent(DAG_SOURCE.format(data=str(folder), dag_id=DAG_ID)), DAG_ID)
    return runner.run(dag), frames


def test_task_states(beyond_run):
    run, _ = beyond_run
    assert ti_states(run) == {
        "plain": "success",
        "effect": "success",
        "chunks": "success",
        "multivariate": "success",
        "bad_option": "failed",
    }


def test_no_option_is_the_plain_engine_result(beyond_run):
    run, frames = beyond_run
    options, types = DriftOptions(), {"x": "numerical", "y": "numerical", "segment": "categorical"}
    verdicts = compute_column_drift(frames["reference"], frames["current"][list(types)], options, types)
    expected = build_drift_result(verdicts, options, reference_rows=6000, current_rows=6000).to_dict()
    got = xcom_value(run, "plain")
    assert set(got) == set(expected) | {"report_uri"}
    assert {c: v["drifted"] for c, v in got["columns"].items()} == {c: v["drifted"] for c, v in expected["columns"].items()}
    assert got["dataset_drift"] == expected["dataset_drift"] and got["drifted_columns"] == expected["drifted_columns"]
    assert all(set(v) == {"method", "score", "threshold", "drifted"} for v in got["columns"].values())


def test_min_effect_and_correction_through_the_operator(beyond_run):
    run, _ = beyond_run
    result = xcom_value(run, "effect")
    x, y = result["columns"]["x"], result["columns"]["y"]
    assert y["test_drifted"] and y["drifted"] and y["effect"] > 0.05
    assert x["effect"] < 0.05 and not x["drifted"]  # a 0.03 sigma move is not worth an alarm
    assert {"adjusted_p_value", "effect", "test_drifted"} <= set(result["columns"]["segment"])
    assert result["beyond_options"] == {"min_effect": 0.05, "correction": "bh"}
    assert "min_effect 0.05" in result["summary"] and "correction bh" in result["summary"]


def test_chunks_locate_the_day_the_drift_started(beyond_run):
    run, _ = beyond_run
    result = xcom_value(run, "chunks")
    chunks = result["chunks"]
    assert [c["start"][:10] for c in chunks] == [f"2024-05-0{d}" for d in range(1, 7)]
    assert [c["drifted_columns"] for c in chunks] == [[], [], [], ["y"], ["y"], ["y"]]
    assert [c["rows"] for c in chunks] == [1000] * 6 and [c["dataset_drift"] for c in chunks] == [False] * 3 + [True] * 3
    assert result["latest_chunk_drift"] is True
    html = pathlib.Path(result["report_uri"].removeprefix("file://")).read_text()
    assert "Drift over chunks" in html and "<svg" in html


def test_multivariate_fires_where_no_column_drifts(beyond_run):
    run, _ = beyond_run
    result = xcom_value(run, "multivariate")
    assert result["drifted_columns"] == [] and result["multivariate"]["drifted"] is True
    assert result["multivariate"]["method"] == "domain_classifier" and result["multivariate"]["threshold"] == 0.55
    assert result["dataset_drift"] is True and result["dataset_drift_reasons"] == ["multivariate"]
    assert result["status"] == "warned"
