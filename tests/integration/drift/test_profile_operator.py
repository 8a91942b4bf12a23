"""Reference profiles under dag.test(): DriftProfileOperator once, then checks that read only
``current`` give the verdicts of the same check against the raw reference (local file and S3 on a
real moto server), and profiles that do not fit fail the task."""

from __future__ import annotations

import pathlib
import textwrap
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.airflow import ti_states, xcom_value

DAG_ID = "drift_profile_checks"
DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftProfileOperator, DriftReportOperator

DATA = {data!r}
S3 = "s3://{bucket}/profiles/{{{{ ds_nodash }}}}/reference.zip"
PROFILE_URI = "{{{{ ti.xcom_pull(task_ids='profile')['profile_uri'] }}}}"

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    for size in ("small", "large"):
        profile = DriftProfileOperator(task_id=f"profile_{{size}}", reference=f"{{DATA}}/reference_{{size}}.parquet",
                                       profile_path=f"{{DATA}}/profiles/{{size}}.zip")
        raw = DriftReportOperator(task_id=f"raw_{{size}}", reference=f"{{DATA}}/reference_{{size}}.parquet",
                                  current=DATA + "/current.parquet", report=None)
        from_profile = DriftReportOperator(
            task_id=f"from_profile_{{size}}", current=DATA + "/current.parquet",
            reference_profile="{{{{ ti.xcom_pull(task_ids='profile_" + size + "')['profile_uri'] }}}}")
        profile >> from_profile
    profile_s3 = DriftProfileOperator(task_id="profile_s3", reference=DATA + "/reference_large.parquet",
                                      profile_path=S3, profile_conn_id="{conn_id}")
    from_s3 = DriftReportOperator(task_id="from_s3", current=DATA + "/current.parquet", profile_conn_id="{conn_id}",
                                  reference_profile="{{{{ ti.xcom_pull(task_ids='profile_s3')['profile_uri'] }}}}")
    profile_s3 >> from_s3
    DriftReportOperator(task_id="missing_profile", current=DATA + "/current.parquet",
                        reference_profile=DATA + "/profiles/nope.zip")
    DriftReportOperator(task_id="corrupt_profile", current=DATA + "/current.parquet",
                        reference_profile=DATA + "/current.parquet")
'''


def mixed(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "continuous": rng.normal(shift, 1, n),
            "skewed": rng.lognormal(0, 1 + shift, n),
            "low_card": rng.integers(0, 4, n),  # categorical by Evidently's rule (<= 10 integers)
            "ties": rng.integers(0, 40, n).astype(float),  # many ties
            "plan": rng.choice(["free", "pro", "team"], n, p=[0.5 - shift / 2, 0.3, 0.2 + shift / 2]),
            "flag": rng.choice([True, False], n),
            "wide_int": rng.integers(0, 10_000, n),
        }
    )
    frame.loc[::17, "continuous"] = np.nan
    frame.loc[::23, "plan"] = None
    frame.loc[5::29, "skewed"] = np.inf
    return frame


@pytest.fixture(scope="module")
def profile_run(tmp_path_factory, airflow_db, s3_server) -> Any:
    from tests.fixtures.airflow import DagRunner

    data = tmp_path_factory.mktemp("drift-profile-data")
    mixed(800, 0.0, 1).to_parquet(data / "reference_small.parquet")
    mixed(5000, 0.0, 2).to_parquet(data / "reference_large.parquet", row_group_size=1000)
    mixed(3000, 0.3, 3).to_parquet(data / "current.parquet")
    source = DAG_SOURCE.format(data=str(data), dag_id=DAG_ID, bucket=s3_server["bucket"], conn_id=s3_server["conn_id"])
    runner = DagRunner()
    dag = runner.load_source(textwrap.dedent(source), DAG_ID)
    return runner.run(dag), data, s3_server


def test_a_profile_gives_the_verdicts_of_the_raw_reference(profile_run):
    run, _data, _ = profile_run
    states = ti_states(run)
    for size in ("small", "large"):
        assert states[f"from_profile_{size}"] == states[f"raw_{size}"] == "success"
        raw, from_profile = xcom_value(run, f"raw_{size}"), xcom_value(run, f"from_profile_{size}")
        assert from_profile["columns"] == raw["columns"]
        assert from_profile["dataset_drift"] == raw["dataset_drift"]
        assert from_profile["metrics"]["reference_rows"] == raw["metrics"]["reference_rows"]
    small, large = xcom_value(run, "raw_small")["columns"], xcom_value(run, "raw_large")["columns"]
    assert small["continuous"]["method"] == "ks" and large["continuous"]["method"] == "wasserstein"
    assert small["plan"]["method"] == "chisquare" and large["plan"]["method"] == "jensenshannon"
    assert any(c["drifted"] for c in large.values()) and not all(c["drifted"] for c in large.values())


def test_the_profile_operator_returns_uri_columns_and_rows(profile_run):
    run, data, _ = profile_run
    out = xcom_value(run, "profile_large")
    assert out == {"profile_uri": str(data / "profiles" / "large.zip"), "columns": list(mixed(3, 0, 0).columns),
                   "rows": 5000}
    assert pathlib.Path(out["profile_uri"]).stat().st_size > 5000 * 8


def test_a_profile_on_s3_gives_the_same_verdicts(profile_run):
    import boto3

    run, _data, s3 = profile_run
    out = xcom_value(run, "profile_s3")
    prefix = f"s3://{s3['conn_id']}@{s3['bucket']}/"  # ObjectStoragePath keeps the connection in the URI
    assert out["profile_uri"].startswith(prefix + "profiles/") and out["rows"] == 5000
    client = boto3.client("s3", endpoint_url=s3["endpoint"], aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
    key = out["profile_uri"].removeprefix(prefix)
    assert client.head_object(Bucket=s3["bucket"], Key=key)["ContentLength"] > 5000 * 8
    assert xcom_value(run, "from_s3")["columns"] == xcom_value(run, "raw_large")["columns"]


def test_profiles_that_do_not_fit_fail_the_task(profile_run):
    run, _data, _ = profile_run
    states = ti_states(run)
    assert states["missing_profile"] == "failed" and states["corrupt_profile"] == "failed"
    assert xcom_value(run, "missing_profile") is None
