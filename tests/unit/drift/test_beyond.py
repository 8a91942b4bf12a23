"""Opt-in options beyond Evidently: validation, and plain Evidently verdicts when none is set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.beyond import BeyondOptions, apply_beyond, beyond_options
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.result import build_drift_result
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_effect": -0.1}, "min_effect is an effect size and must be >= 0"),
        ({"min_effect": "big"}, "min_effect must be a number"),
        ({"correction": "fdr"}, "correction must be one of"),
        ({"chunk_by": "7d"}, "needs time_column"),
        ({"time_column": 3}, "time_column must be a column name"),
        ({"multivariate_method": "umap"}, "multivariate_method must be one of"),
    ],
)
def test_bad_options_name_the_option(options, message):
    with pytest.raises(InvalidInputError, match=message):
        beyond_options(**options)


def test_rendered_strings_are_accepted():
    options = beyond_options(min_effect="0.1", correction="bh", chunk_by="7d", time_column="ts",
                             multivariate_method="pca_reconstruction", multivariate_threshold="2.5")
    assert options.min_effect == 0.1 and options.multivariate_threshold == 2.5
    assert options.to_dict()["chunk_by"] == "7 days, 0:00:00"
    assert beyond_options(min_effect="", correction="", chunk_by="") == BeyondOptions()


def test_no_option_returns_the_evidently_result_itself():
    rng = np.random.default_rng(1)
    reference, current = pd.DataFrame({"x": rng.normal(0, 1, 300)}), pd.DataFrame({"x": rng.normal(1, 1, 300)})
    options, types = DriftOptions(), {"x": "numerical"}
    plain = build_drift_result(compute_column_drift(reference, current, options, types), options, reference_rows=300, current_rows=300)
    artifacts = {"report.html": "<html></html>"}
    result, out = apply_beyond(plain, artifacts, reference, current, options, types, beyond_options())
    assert result is plain and out is artifacts


def test_min_effect_and_correction_combine():
    rng = np.random.default_rng(4)
    reference = pd.DataFrame({"a": rng.normal(0, 1, 800), "b": rng.normal(0, 1, 800)})
    current = pd.DataFrame({"a": rng.normal(0.25, 1, 800), "b": rng.normal(1.0, 1, 800)})
    options, types = DriftOptions(), {"a": "numerical", "b": "numerical"}
    plain = build_drift_result(compute_column_drift(reference, current, options, types), options, reference_rows=800, current_rows=800)
    assert plain.details["drifted_columns"] == ["a", "b"]
    result, _ = apply_beyond(plain, {}, reference, current, options, types, beyond_options(min_effect=0.2, correction="bh"))
    assert result.details["drifted_columns"] == ["b"]  # a: detected, but D ~ 0.1 < 0.2
    assert result.metrics["drift_share"] == 0.5 and result.metrics["drifted_columns"] == 1
    assert result.details["beyond_options"] == {"min_effect": 0.2, "correction": "bh"}
    assert set(result.details["columns"]["a"]) >= {"effect", "adjusted_p_value", "test_drifted", "drifted"}


def test_the_operator_templates_the_options_and_validates_them_before_loading_data():
    from airflow_mlmonitor.operators.drift import DriftReportOperator

    def never() -> pd.DataFrame:
        raise AssertionError("data must not be loaded when options are invalid")

    op = DriftReportOperator(task_id="drift", reference=never, current=never, chunk_by="7d")
    for name in ("min_effect", "correction", "chunk_by", "time_column", "multivariate_method", "multivariate_threshold"):
        assert name in op.template_fields
        assert name == "chunk_by" or getattr(op, name) is None
    with pytest.raises(InvalidInputError, match="chunk_by='7d' is a duration: it needs time_column"):
        op.run_check(context={})  # type: ignore[arg-type]
    op = DriftReportOperator(task_id="drift", reference=never, current=never, min_effect=-1)
    with pytest.raises(InvalidInputError, match="min_effect is an effect size and must be >= 0"):
        op.run_check(context={})  # type: ignore[arg-type]
