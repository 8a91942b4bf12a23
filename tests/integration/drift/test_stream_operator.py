"""Large inputs under dag.test(): with the streaming threshold lowered, DriftReportOperator and
DriftProfileOperator summarise numeric parquet columns as spilled sorted streams, and the check
gives the verdicts and scores of the in-memory engine on the same data."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.types import DriftOptions
from tests.fixtures.airflow import ti_states, xcom_value

DAG_ID = "drift_stream_checks"
DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftProfileOperator, DriftReportOperator

DATA = {data!r}

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DriftReportOperator(task_id="streamed", reference=DATA + "/reference.parquet", current=DATA + "/current.parquet")
    profile = DriftProfileOperator(task_id="profile", reference=DATA + "/reference.parquet",
                                   profile_path=DATA + "/profile.zip")
    profile >> DriftReportOperator(
        task_id="from_profile", current=DATA + "/current.parquet",
        reference_profile="{{{{ ti.xcom_pull(task_ids='profile')['profile_uri'] }}}}")
'''


def frame(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({
        "continuous": rng.normal(shift, 1, n),
        "skewed": rng.lognormal(0, 1 + shift, n),
        "ties": np.round(rng.normal(shift, 1, n), 1),
        "wide_int": rng.integers(0, 500, n) + int(40 * shift),
        "plan": rng.choice(["free", "pro", "team"], n, p=[0.5 - shift / 2, 0.3, 0.2 + shift / 2]),
    })
    data.loc[::17, "continuous"] = np.nan
    data.loc[5::23, "skewed"] = np.inf
    return data


@pytest.fixture(scope="module")
def stream_run(tmp_path_factory, airflow_db) -> tuple[Any, dict[str, pd.DataFrame], Any]:
    from airflow_mlmonitor.drift import parquet, profile, stream
    from tests.fixtures.airflow import DagRunner

    data = tmp_path_factory.mktemp("drift-stream-data")
    spill = tmp_path_factory.mktemp("drift-spill")
    frames = {"reference": frame(12_000, 0.0, 1), "current": frame(9_000, 0.3, 2)}
    for name, values in frames.items():
        values.to_parquet(data / f"{name}.parquet", row_group_size=2_000)
    with pytest.MonkeyPatch.context() as patch:  # dag.test() runs the tasks in this process
        patch.setattr(parquet, "STREAM_ROWS", 1_000)
        patch.setattr(parquet, "BATCH_ROWS", 1_500)
        patch.setattr(profile, "STREAM_VALUES", 1_000)
        patch.setenv("TMPDIR", str(spill))
        import tempfile

        patch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
        built: list[int] = []
        finish = stream.StreamBuilder.finish

        def counted(self: Any, **kwargs: Any) -> Any:
            result = finish(self, **kwargs)
            built.append(result.n)
            return result

        patch.setattr(stream.StreamBuilder, "finish", counted)
        runner = DagRunner()
        dag = runner.load_source(textwrap.dedent(DAG_SOURCE.format(data=str(data), dag_id=DAG_ID)), DAG_ID)
        run = runner.run(dag)
    # streamed: 4 numeric columns x (reference, current) in "streamed", current in "from_profile", reference in "profile"
    assert len(built) == 16 and sorted(set(built))[-1] == 12_000, built
    return run, frames, spill


def test_streamed_checks_give_the_in_memory_verdicts_and_scores(stream_run):
    run, frames, spill = stream_run
    assert ti_states(run) == {"streamed": "success", "profile": "success", "from_profile": "success"}
    types = {"continuous": "numerical", "skewed": "numerical", "ties": "numerical", "wide_int": "numerical",
             "plan": "categorical"}
    expected = compute_column_drift(frames["reference"], frames["current"], DriftOptions(), types)
    for task_id in ("streamed", "from_profile"):
        result = xcom_value(run, task_id)
        assert set(result["columns"]) == set(types), task_id
        for column in expected:
            got = result["columns"][column.name]
            assert got == {**column.to_dict(), "score": pytest.approx(column.score, rel=1e-9)}, (task_id, column.name)
        assert result["metrics"]["reference_rows"] == 12_000
    assert xcom_value(run, "streamed")["dataset_drift"] == xcom_value(run, "from_profile")["dataset_drift"]
    assert "continuous" in xcom_value(run, "streamed")["drifted_columns"]
    assert list(spill.iterdir()) == []  # every spill directory removed after its column
