"""DataQualityOperator at DAG parse time and template rendering (no DB, no GX)."""

from __future__ import annotations

import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.quality.validate import normalize_result_format


def _boom():
    raise AssertionError("a user callable ran at DAG parse time")


def test_parse_time_never_validates_nor_calls_user_code():
    op = DataQualityOperator(task_id="gate", data=_boom, expectations=_boom, result_format="nonsense")
    assert op.on_failure == "fail"
    assert op.data.func is _boom and op.expectations.func is _boom  # kept for execute time, not called
    op = DataQualityOperator(task_id="gate2", data="x.parquet", expectations=[{"type": "no_such_expectation"}])
    assert op.expectations == [{"type": "no_such_expectation"}]


def test_rendering_templates_strings_and_leaves_callables_for_execute():
    op = DataQualityOperator(
        task_id="gate",
        data="/data/{{ ds }}/customers.parquet",
        expectations=_boom,
        result_format="{{ params.fmt }}",
    )
    op.render_template_fields({"ds": "2024-05-01", "params": {"fmt": "COMPLETE"}})
    assert op.data.path == "/data/2024-05-01/customers.parquet"  # the source's own template field
    assert op.result_format == "COMPLETE"
    assert op.expectations.func is _boom

    op = DataQualityOperator(
        task_id="gate3",
        data=_boom,
        expectations=[{"type": "expect_column_values_to_be_in_set",
                       "kwargs": {"column": "country", "value_set": ["{{ params.home }}", "US"]}}],
    )
    op.render_template_fields({"params": {"home": "FR"}})
    assert op.data.func is _boom
    assert op.expectations[0]["kwargs"]["value_set"] == ["FR", "US"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("summary", "SUMMARY"), (" COMPLETE ", "COMPLETE"),
     ({"result_format": "complete", "partial_unexpected_count": 5}, {"result_format": "COMPLETE", "partial_unexpected_count": 5})],
)
def test_result_format_values(value, expected):
    assert normalize_result_format(value) == expected


@pytest.mark.parametrize("value", ["FULL", None, {"partial_unexpected_count": 5}])
def test_bad_result_format_is_a_clear_error(value):
    with pytest.raises(InvalidInputError, match=r"result_format must be one of BOOLEAN_ONLY, BASIC, SUMMARY, COMPLETE"):
        normalize_result_format(value)


def test_quality_domain_imports_neither_airflow_nor_gx():
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "import airflow_mlmonitor.quality.check\n"
        "print(json.dumps([m for m in ('airflow', 'great_expectations', 'pandas') if m in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
