"""DataQualityOperator with the real Great Expectations library under a real Airflow DB (dag.test()).

One DAG run (module-scoped) on a realistic 5,000-row customer table with nulls, out-of-range ages
and unknown countries covers pass, fail, warn, skip, the ``mostly`` boundary both ways, suite files,
callables, templating and bad input.
"""

from __future__ import annotations

import contextlib
import io
import json
import pathlib

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.airflow import DagRunner, ti_states, xcom_value
from tests.fixtures.statsd import StatsdDaemon

ROWS = 5000
NULL_INCOME = 50  # exactly 1% of rows
BAD_AGES = 100  # 2%
UNKNOWN_COUNTRIES = 25  # 0.5%


def customers() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    income = rng.lognormal(10.5, 0.4, ROWS)
    income[rng.choice(ROWS, NULL_INCOME, replace=False)] = np.nan
    age = rng.integers(18, 91, ROWS)
    age[rng.choice(ROWS, BAD_AGES, replace=False)] = rng.choice([12, 16, 97, 130], BAD_AGES)
    country = rng.choice(["FR", "US", "DE", "ES"], ROWS).astype(object)
    country[rng.choice(ROWS, UNKNOWN_COUNTRIES, replace=False)] = "XX"
    return pd.DataFrame({
        "customer_id": np.arange(ROWS), "income": income, "age": age, "country": country,
        "score": rng.random(ROWS),
    })


GOOD = [
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "customer_id"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": 0.95}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "score", "min_value": 0, "max_value": 1}},
    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 4000, "max_value": 6000}},
]
BAD = [
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "customer_id"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": 0.995}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "min_value": 18, "max_value": 90}},
    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "country", "value_set": ["FR", "US", "DE", "ES"]}},
    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 900, "max_value": 1100}},
]


def not_null(mostly: float) -> list[dict]:
    return [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": mostly}}]


DAG_SOURCE = '''
import pendulum
import pandas as pd
from airflow.sdk import DAG
from airflow_mlmonitor.operators.quality import DataQualityOperator

DATA = {data!r}

def load_customers():
    return pd.read_parquet(DATA)

def customers_suite():
    import great_expectations as gx
    return gx.ExpectationSuite(name="from_code", expectations=[
        gx.expectations.ExpectColumnValuesToBeInSet(column="country", value_set=["FR", "US", "DE", "ES"], mostly=0.99),
    ])

with DAG("quality_checks", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
         params={{"data_path": DATA}}) as dag:
    DataQualityOperator(task_id="passes", data=DATA, expectations={good!r}, suite_name="customers",
                        data_docs=True)
    DataQualityOperator(task_id="fails", data=DATA, expectations={bad!r})
    DataQualityOperator(task_id="warns", data=DATA, expectations={bad!r}, on_failure="warn")
    DataQualityOperator(task_id="skips", data=DATA, expectations={bad!r}, on_failure="skip")
    DataQualityOperator(task_id="mostly_met", data=DATA, expectations={at_boundary!r})
    DataQualityOperator(task_id="mostly_missed", data=DATA, expectations={above_boundary!r})
    DataQualityOperator(task_id="suite_file", data="{{{{ params.data_path }}}}", expectations={suite_file!r})
    DataQualityOperator(task_id="callables", data=load_customers, expectations=customers_suite)
    DataQualityOperator.partial(task_id="mapped", expectations=customers_suite).expand(data=[DATA, DATA])
    DataQualityOperator(task_id="missing_column", data=DATA, expectations={missing_column!r})
    DataQualityOperator(task_id="unknown_type", data=DATA, expectations={unknown_type!r})
'''


@pytest.fixture(scope="module")
def quality_run(airflow_db, tmp_path_factory, statsd_daemon):
    from airflow_mlmonitor.hooks.statsd import reset_statsd_clients

    folder = tmp_path_factory.mktemp("quality")
    data = folder / "customers.parquet"
    customers().to_parquet(data)
    suite_file = folder / "customers_suite.json"
    suite_file.write_text(json.dumps({"name": "customers_file", "expectations": GOOD}))
    source = DAG_SOURCE.format(
        data=str(data), good=GOOD, bad=BAD, at_boundary=not_null(0.99), above_boundary=not_null(0.9901),
        suite_file=str(suite_file),
        missing_column=[{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "incme"}}],
        unknown_type=[{"type": "expect_column_values_to_be_postive", "kwargs": {"column": "income"}}],
    )
    runner = DagRunner()
    dag = runner.load_source(source, "quality_checks")
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        env.setenv("AIRFLOW_CONN_STATSD_DEFAULT", statsd_daemon.conn_uri())
        reset_statsd_clients()
        run = runner.run(dag)
    reset_statsd_clients()
    run.statsd = statsd_daemon
    run.output = out.getvalue()  # the task logs, with each failed task's exception
    return run


def test_task_states_follow_on_failure_and_mostly(quality_run):
    assert ti_states(quality_run) == {
        "passes": "success",
        "fails": "failed",
        "warns": "success",
        "skips": "skipped",
        "mostly_met": "success",
        "mostly_missed": "failed",
        "suite_file": "success",
        "callables": "success",
        "mapped[0]": "success",
        "mapped[1]": "success",
        "missing_column": "failed",
        "unknown_type": "failed",
    }


def test_passing_result_and_report(quality_run):
    result = xcom_value(quality_run, "passes")
    assert result["check"] == "data_quality" and result["passed"] is True and result["status"] == "passed"
    assert result["metrics"] == {"success_percent": 100.0, "evaluated_expectations": 4, "successful_expectations": 4,
                                 "unsuccessful_expectations": 0, "row_count": ROWS, "rows": ROWS}
    assert result["failed_expectations"] == [] and result["suite_name"] == "customers"
    report = pathlib.Path(result["report_uri"].removeprefix("file://"))
    html = report.read_text()
    assert "Data quality validation <span class='badge ok'>Passed</span>" in html
    assert "customers.parquet" in html
    gx_result = json.loads((report.parent / "validation_result.json").read_text())
    assert gx_result["statistics"]["success_percent"] == 100.0
    assert "great expectations" in (report.parent / "data_docs.html").read_text().lower()  # opted in
    link = xcom_value(quality_run, "passes", key="_link_MonitoringReportLink")
    assert link.startswith("http://airflow.test/mlmonitor/reports/quality_checks/") and "/passes?" in link


def test_failing_result_is_in_xcom_with_every_failure(quality_run):
    result = xcom_value(quality_run, "fails")
    assert result["passed"] is False and result["status"] == "failed"
    assert result["metrics"]["success_percent"] == 20.0
    assert result["metrics"]["unsuccessful_expectations"] == 4
    failed = {item["expectation_type"]: item for item in result["failed_expectations"]}
    assert failed["expect_column_values_to_be_between"]["column"] == "age"
    assert failed["expect_column_values_to_be_between"]["unexpected_count"] == BAD_AGES
    assert failed["expect_column_values_to_be_between"]["unexpected_percent"] == pytest.approx(2.0)
    assert failed["expect_column_values_to_be_in_set"]["unexpected_count"] == UNKNOWN_COUNTRIES
    assert failed["expect_column_values_to_be_in_set"]["sample_unexpected"] == ["XX"]
    assert failed["expect_column_values_to_not_be_null"]["success_percent"] == pytest.approx(99.0)
    assert failed["expect_table_row_count_to_be_between"]["observed_value"] == ROWS
    report = pathlib.Path(result["report_uri"].removeprefix("file://"))
    assert "<span class='badge bad'>Failed</span>" in report.read_text() and "100 (2.00%)" in report.read_text()
    assert sorted(p.name for p in report.parent.iterdir()) == ["report.html", "result.json", "validation_result.json"]


def test_failing_task_message_lists_every_failure(quality_run):
    start = quality_run.output.index("CheckFailedError: fails: data quality check failed")
    message = quality_run.output[start:].split("Report: ")[0]
    assert message.splitlines()[0] == (
        "CheckFailedError: fails: data quality check failed: 4 of 5 expectations failed (success percent 20.00%)."
    )
    for line in (
        "expect_column_values_to_not_be_null on column 'income': 99.00% success (50 unexpected, 1.00%), "
        "needs mostly 0.995 (99.50%)",
        "expect_column_values_to_be_between on column 'age' (min_value=18.0, max_value=90.0): 98.00% success "
        "(100 unexpected, 2.00%)",
        "expect_column_values_to_be_in_set on column 'country' (value_set=['FR', 'US', 'DE', 'ES']): 99.50% success "
        "(25 unexpected, 0.50%), e.g. ['XX']",
        "expect_table_row_count_to_be_between on the table (min_value=900, max_value=1100): success percent n/a",
    ):
        assert line in message, line


def test_warn_and_skip_keep_the_result(quality_run):
    warned = xcom_value(quality_run, "warns")
    assert warned["status"] == "warned" and warned["passed"] is False
    assert len(warned["failed_expectations"]) == 4
    skipped = xcom_value(quality_run, "skips")
    assert skipped["status"] == "failed" and skipped["passed"] is False


def test_mostly_boundary_both_ways(quality_run):
    met = xcom_value(quality_run, "mostly_met")  # exactly 99% non-null, mostly=0.99
    assert met["status"] == "passed" and met["metrics"]["success_percent"] == 100.0
    missed = xcom_value(quality_run, "mostly_missed")  # same data, mostly=0.9901
    assert missed["status"] == "failed"
    assert missed["failed_expectations"][0]["success_percent"] == pytest.approx(99.0)
    assert missed["failed_expectations"][0]["mostly"] == 0.9901


def test_suite_file_templated_path_and_callables(quality_run):
    from_file = xcom_value(quality_run, "suite_file")
    assert from_file["status"] == "passed" and from_file["suite_name"] == "customers_file"
    assert from_file["metrics"]["evaluated_expectations"] == 4
    from_code = xcom_value(quality_run, "callables")
    assert from_code["status"] == "passed" and from_code["suite_name"] == "from_code"
    assert from_code["metrics"]["row_count"] == ROWS
    mapped = xcom_value(quality_run, "mapped", map_index=1)  # mapped tasks keep the suite callable too
    assert mapped["status"] == "passed" and mapped["suite_name"] == "from_code"


def test_bad_input_fails_the_task_and_writes_nothing(quality_run):
    import os

    task_root = pathlib.Path(os.environ["AIRFLOW__MLMONITOR__REPORT_BASE_PATH"]) / "quality_checks" / quality_run.run_id
    for task_id in ("missing_column", "unknown_type"):
        assert xcom_value(quality_run, task_id) is None
        assert not (task_root / task_id).exists()
    assert (task_root / "passes").exists()
    assert (
        "InvalidInputError: '" in quality_run.output
        and "customers.parquet' has no column 'incme' (did you mean 'income'?) needed by expectations[0] "
        "(expect_column_values_to_not_be_null on 'incme')." in quality_run.output
    )
    assert (
        "InvalidInputError: expectations[0] (expect_column_values_to_be_postive on 'income'): Great Expectations "
        "has no expectation type 'expect_column_values_to_be_postive' (did you mean 'expect_column_values_to_be_"
    ) in quality_run.output


def test_quality_metrics_reach_statsd(quality_run):
    daemon: StatsdDaemon = quality_run.statsd
    gauges = daemon.gauges("mlmonitor.quality.")
    prefix = "mlmonitor.quality.success_percent.quality_checks."
    assert gauges[prefix + "passes"] == 100 and gauges[prefix + "fails"] == 20
    assert gauges[prefix + "mostly_missed"] == 0
    assert gauges["mlmonitor.quality.unsuccessful_expectations.quality_checks.fails"] == 4
    assert gauges["mlmonitor.quality.unsuccessful_expectations.quality_checks.warns"] == 4
    assert not any("missing_column" in key for key in gauges)  # bad input: no result, no metric
