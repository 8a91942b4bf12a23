"""Benjamini-Hochberg and Bonferroni adjustment of per-column p-values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control

from airflow_mlmonitor.drift.beyond import apply_beyond, beyond_options
from airflow_mlmonitor.drift.correction import adjust_p_values, check_correction
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.result import build_drift_result
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError


def test_bh_is_scipys_false_discovery_control():
    p = np.random.default_rng(2).uniform(0, 0.2, 40)
    assert adjust_p_values(list(p), "bh") == pytest.approx(list(false_discovery_control(p, method="bh")))


def test_bonferroni_multiplies_by_the_family_size_and_caps_at_one():
    assert adjust_p_values([0.01, 0.3, None, 0.02], "bonferroni") == pytest.approx([0.03, 0.9, None, 0.06])
    assert adjust_p_values([0.5, 0.6], "bonferroni") == [1.0, 1.0]


def test_missing_p_values_stay_missing_and_do_not_count():
    assert adjust_p_values([None, 0.01, 0.04], "bh") == [None, pytest.approx(0.02), pytest.approx(0.04)]


def test_unknown_correction_is_named():
    with pytest.raises(InvalidInputError, match="correction must be one of 'bh', 'bonferroni'"):
        check_correction("holm")
    assert check_correction(None) is None and check_correction("bh") == "bh"


def _null_run(correction):
    rng = np.random.default_rng(2024)
    cols = [f"f{i}" for i in range(50)]
    reference = pd.DataFrame(rng.normal(0, 1, (500, 50)), columns=cols)  # <= 1000 rows: Evidently picks KS
    current = pd.DataFrame(rng.normal(0, 1, (500, 50)), columns=cols)
    options, types = DriftOptions(), dict.fromkeys(cols, "numerical")
    plain = build_drift_result(compute_column_drift(reference, current, options, types), options, reference_rows=500, current_rows=500)
    result, _ = apply_beyond(plain, {}, reference, current, options, types, beyond_options(correction=correction))
    return plain, result


def test_fifty_null_columns_plain_flags_some_bh_and_bonferroni_flag_none():
    plain, bh = _null_run("bh")
    assert {c["method"] for c in plain.details["columns"].values()} == {"ks"}
    assert plain.details["drifted_columns"], "plain alpha 0.05 on 50 null columns should flag some column"
    assert bh.details["drifted_columns"] == []
    flagged = plain.details["drifted_columns"][0]
    column = bh.details["columns"][flagged]
    assert column["test_drifted"] is True and column["drifted"] is False
    assert column["adjusted_p_value"] >= column["score"]
    assert _null_run("bonferroni")[1].details["drifted_columns"] == []


def test_distance_columns_are_untouched():
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 3000), "y": rng.normal(0, 1, 3000)})
    current = pd.DataFrame({"x": rng.normal(0.5, 1, 3000), "y": rng.normal(0, 1, 3000)})
    options, types = DriftOptions(), {"x": "numerical", "y": "numerical"}  # > 1000 rows: Wasserstein
    plain = build_drift_result(compute_column_drift(reference, current, options, types), options, reference_rows=3000, current_rows=3000)
    result, _ = apply_beyond(plain, {}, reference, current, options, types, beyond_options(correction="bonferroni"))
    for name, column in result.details["columns"].items():
        assert "adjusted_p_value" not in column
        assert column["drifted"] == plain.details["columns"][name]["drifted"]
    assert result.details["drifted_columns"] == ["x"]
