"""DriftReportOperator with SparkSource inputs under dag.test(): verdicts and scores equal to the
file engine on the same rows (parquet paths, sql= queries, a mixed Spark/file pair), on mixed
data: continuous with NaN and NULL, skewed, ties, low-cardinality integers, categories with NULL.
The reference has 3,000 rows and the current 12,000, so KS runs its distributed (asymptotic) path.
"""

from __future__ import annotations

import pathlib
import textwrap
from typing import Any

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.columns import plan_columns
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.sources import FileSource
from tests.fixtures.airflow import DagRunner, ti_states, xcom_value

DAG_ID = "spark_drift_parity"
PER_COLUMN = {"cont": "ks", "skew": "psi", "ties": "mannw", "mid": "ed"}
TASKS: dict[str, DriftOptions] = {
    "paths": DriftOptions(),
    "sql": DriftOptions(per_column_method=PER_COLUMN),
    "mixed": DriftOptions(num_method="t_test"),
    "binned": DriftOptions(num_method="jensenshannon", cat_method="chisquare"),
}
DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.sources import SparkSource

REF, CUR = {ref!r}, {cur!r}

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DriftReportOperator(task_id="paths", reference=SparkSource(path=REF), current=SparkSource(path=CUR))
    DriftReportOperator(
        task_id="sql",
        reference=SparkSource(sql="SELECT * FROM parquet.`" + REF + "`"),
        current=SparkSource(sql="SELECT * FROM parquet.`" + CUR + "` WHERE {{{{ params.keep }}}}"),
        per_column_method={per_column!r}, params={{"keep": "1 = 1"}},
    )
    DriftReportOperator(task_id="mixed", reference=REF, current=SparkSource(path=CUR), num_method="t_test")
    DriftReportOperator(task_id="binned", reference=SparkSource(path=REF), current=SparkSource(path=CUR),
                        num_method="jensenshannon", cat_method="chisquare", report=None)
'''


def mixed_frame(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cont = rng.normal(shift, 1, n)
    cont[rng.random(n) < 0.04] = np.nan
    cat = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3 - shift / 2, 0.2 + shift / 2, 0.1]).astype(object)
    cat[rng.random(n) < 0.03] = None
    frame = pd.DataFrame({
        "cont": cont,
        "skew": rng.lognormal(0, 1 + shift, n),
        "ties": np.round(rng.normal(shift, 1, n), 1),
        "low": rng.integers(0, 4, n),
        "mid": rng.integers(0, 40, n),
        "cat": cat,
    })
    frame.loc[frame.index[:25], "cont"] = None  # NULLs next to NaNs: both are missing
    return frame


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("spark-drift")
    paths = {}
    for name, n, shift, seed in (("reference", 3000, 0.0, 1), ("current", 12000, 0.15, 2)):
        paths[name] = str(folder / f"{name}.parquet")
        mixed_frame(n, shift, seed).to_parquet(paths[name], row_group_size=1000)
    return paths


@pytest.fixture(scope="module")
def drift_run(spark: Any, data: dict[str, str], airflow_db: str) -> Any:
    source = DAG_SOURCE.format(ref=data["reference"], cur=data["current"], dag_id=DAG_ID, per_column=PER_COLUMN)
    runner = DagRunner()
    return runner.run(runner.load_source(textwrap.dedent(source), DAG_ID))


def file_engine(data: dict[str, str], options: DriftOptions) -> list[Any]:
    reference = FileSource(data["reference"], name="reference").columnar()
    current = FileSource(data["current"], name="current").columnar()
    plan = plan_columns(reference, current)
    return compute_column_drift(reference, current, options, plan.column_types)


def test_spark_verdicts_and_scores_equal_the_file_engine(drift_run: Any, data: dict[str, str]) -> None:
    assert ti_states(drift_run) == dict.fromkeys(TASKS, "success")
    seen_methods = set()
    for task_id, options in TASKS.items():
        result = xcom_value(drift_run, task_id)
        expected = file_engine(data, options)
        assert list(result["columns"]) == [c.name for c in expected], task_id
        for column in expected:
            got = result["columns"][column.name]
            assert got == {**column.to_dict(), "score": pytest.approx(column.score, rel=1e-9)}, (task_id, column.name)
            seen_methods.add(column.method)
        assert result["metrics"]["reference_rows"] == 3000 and result["metrics"]["current_rows"] == 12000
    assert {"wasserstein", "jensenshannon", "ks", "psi", "mannw", "ed", "t_test", "chisquare"} <= seen_methods
    assert xcom_value(drift_run, "paths")["columns"]["low"]["method"] == "jensenshannon"  # 4 integers: categorical


def test_the_native_report_shows_the_same_distributions(drift_run: Any, data: dict[str, str]) -> None:
    from airflow_mlmonitor.drift.report import render_native_report

    html = pathlib.Path(xcom_value(drift_run, "paths")["report_uri"].removeprefix("file://")).read_text()
    expected = file_engine(data, DriftOptions())
    page = render_native_report(xcom_value(drift_run, "paths"), expected, DriftOptions())
    for column in expected:  # the same inline charts from the same full-data shares
        assert column.distribution.kind in ("histogram", "bars")
        assert column.name in html
    marker = "<svg"
    assert html.count(marker) == page.count(marker) > 0


def test_spark_pairs_give_the_same_distributions_as_files(spark: Any, data: dict[str, str]) -> None:
    from airflow_mlmonitor.sources import SparkSource

    reference = SparkSource(path=data["reference"], name="reference").columnar()
    current = SparkSource(path=data["current"], name="current").columnar()
    plan = plan_columns(reference, current)
    options = DriftOptions(num_method="kl_div")
    got = compute_column_drift(reference, current, options, plan.column_types)
    for ours, theirs in zip(got, file_engine(data, options), strict=True):
        assert ours.distribution == theirs.distribution, ours.name
        assert ours.score == pytest.approx(theirs.score, rel=1e-9) and ours.drifted == theirs.drifted
