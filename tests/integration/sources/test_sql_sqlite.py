"""SqlSource on SQLite (Airflow's ``sqlite`` connection type, a real database file): drift and
quality equal what the same rows give from a DataFrame, infinities and NULLs included."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.columns import plan_columns
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.sources import SqlSource


def frame(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = pd.DataFrame({
        "amount": rng.normal(shift, 1, n), "Mixed Case": rng.integers(0, 3, n),
        "plan": rng.choice(["basic", "premium", "select"], n), "visits": rng.poisson(20 + shift * 5, n),
    }).astype({"plan": object})
    out.loc[::11, "amount"] = np.nan
    out.loc[5:7, "amount"] = np.inf
    out.loc[::13, "plan"] = None
    return out


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "warehouse.db"
    frames = {"reference": frame(1500, 0.0, 1), "current": frame(900, 0.3, 2)}
    with sqlite3.connect(path) as conn:
        for name, data in frames.items():
            data.to_sql(name, conn, index=False)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AIRFLOW_CONN_MLMONITOR_SQLITE", json.dumps({"conn_type": "sqlite", "host": str(path)}))
        yield frames


def test_drift_on_sqlite_equals_the_frames(warehouse):
    reference, current = SqlSource("mlmonitor_sqlite", table="reference"), SqlSource("mlmonitor_sqlite", table="current")
    plan = plan_columns(reference, current)
    assert plan == plan_columns(warehouse["reference"], warehouse["current"])
    assert plan.column_types == {"amount": "numerical", "Mixed Case": "categorical", "plan": "categorical",
                                 "visits": "numerical"}
    from_sql = compute_column_drift(reference, current, DriftOptions(), plan.column_types)
    from_frames = compute_column_drift(warehouse["reference"], warehouse["current"], DriftOptions(), plan.column_types)
    for got, expected in zip(from_sql, from_frames, strict=True):
        assert got.to_dict() == {**expected.to_dict(), "score": pytest.approx(expected.score, rel=1e-9)}, got.name
    facts = current.facts("amount")
    assert (facts.missing, facts.infinite, facts.dtype) == (int(warehouse["current"]["amount"].isna().sum()), 3, "float64")


def test_quality_on_sqlite_equals_the_frame(warehouse):
    expectations = [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "plan"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "visits", "min_value": 10, "max_value": 30}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "Mixed Case", "value_set": [0, 1]}},
    ]
    results = [
        DataQualityOperator(task_id="q", data=data, expectations=expectations).run_check({})[0].to_dict()  # type: ignore[arg-type]
        for data in (SqlSource("mlmonitor_sqlite", sql="SELECT * FROM current"), lambda: warehouse["current"])
    ]
    assert results[0]["failed_expectations"] == results[1]["failed_expectations"]
    assert results[0]["metrics"] == results[1]["metrics"] and results[0]["metrics"]["rows"] == 900
    assert len(results[0]["failed_expectations"]) == 3


def test_a_reference_profile_built_from_a_table_gives_the_same_verdicts(warehouse, tmp_path):
    from airflow_mlmonitor.drift.profile import ReferenceProfile
    from airflow_mlmonitor.operators.drift import DriftProfileOperator

    target = tmp_path / "reference.zip"
    index = DriftProfileOperator(task_id="p", reference=SqlSource("mlmonitor_sqlite", table="reference"),
                                 profile_path=str(target)).execute({})  # type: ignore[arg-type]
    assert index["rows"] == 1500 and index["columns"] == ["amount", "Mixed Case", "plan", "visits"]
    profile = ReferenceProfile(lambda: target.open("rb"), str(target))
    current = SqlSource("mlmonitor_sqlite", table="current")
    plan = plan_columns(profile, current)
    with_profile = compute_column_drift(profile, current, DriftOptions(), plan.column_types)
    from_frames = compute_column_drift(warehouse["reference"], warehouse["current"], DriftOptions(), plan.column_types)
    assert [c.to_dict() for c in with_profile] == [
        {**c.to_dict(), "score": pytest.approx(c.score, rel=1e-9)} for c in from_frames]
