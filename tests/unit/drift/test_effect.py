"""Effect sizes per method, and min_effect: a detection at a million rows is not necessarily drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association

from airflow_mlmonitor.drift.beyond import apply_beyond, beyond_options
from airflow_mlmonitor.drift.effect import (
    P_VALUE_METHODS,
    cramers_v,
    effect_kind,
    effect_size,
    ks_statistic,
    proportion_difference,
)
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.methods import METHODS
from airflow_mlmonitor.drift.result import build_drift_result
from airflow_mlmonitor.drift.types import DriftOptions


def test_p_value_methods_are_the_registry_methods_that_drift_below_their_threshold():
    below = {m.name for m in METHODS.values() if m.score == "p_value"}  # the registry says which drift below
    assert below == P_VALUE_METHODS


def test_ks_statistic_is_scipys_d():
    rng = np.random.default_rng(3)
    ref, cur = rng.normal(0, 1, 5000), np.round(rng.normal(0.1, 1, 4000), 1)  # ties on one side
    assert ks_statistic(ref, cur) == pytest.approx(stats.ks_2samp(ref, cur).statistic, abs=1e-12)
    assert ks_statistic(ref, np.array([])) is None


def test_cramers_v_is_scipys_association_of_the_two_by_k_table():
    ref, cur = np.array([50.0, 30, 20]), np.array([20.0, 30, 50])
    expected = association(np.vstack([ref, cur]).astype(int), method="cramer")
    assert cramers_v(ref, cur) == pytest.approx(expected)
    assert cramers_v(np.array([10.0]), np.array([5.0])) == 0.0  # one category: nothing to tell apart
    assert cramers_v(np.array([10.0, 0]), np.array([0.0, 0])) is None  # current has no values


def test_effect_size_per_method():
    ref = pd.Series(["a"] * 70 + ["b"] * 30)
    cur = pd.Series(["a"] * 40 + ["b"] * 60 + [None] * 5)
    assert effect_kind("z", "categorical") == "proportion_difference"
    assert effect_size("z", "categorical", ref, cur, 0.001) == pytest.approx(0.3)
    assert proportion_difference(np.array([70.0, 30]), np.array([40.0, 60])) == pytest.approx(0.3)
    assert effect_size("chisquare", "categorical", ref, cur, 0.001) == pytest.approx(
        association(np.array([[70, 30], [40, 60]]), method="cramer")
    )
    numbers = pd.Series([1.0, 2.0, np.inf, np.nan, 3.0])
    assert effect_kind("t_test", "numerical") == "ks_d"
    assert effect_size("t_test", "numerical", numbers, numbers + 10, 0.2) == 1.0  # inf/nan dropped
    for distance in ("wasserstein", "psi", "jensenshannon", "kl_div", "hellinger", "ed"):
        assert effect_size(distance, "numerical", numbers, numbers, 0.42) == 0.42


@pytest.mark.parametrize(("sigma", "drifted"), [(0.01, False), (0.2, True)])
def test_min_effect_at_a_million_rows(sigma, drifted):
    """0.01 sigma is a KS detection but not drift at min_effect 0.05; 0.2 sigma is both."""
    rng = np.random.default_rng(11)
    n = 1_000_000
    reference, current = pd.DataFrame({"x": rng.normal(0, 1, n)}), pd.DataFrame({"x": rng.normal(sigma, 1, n)})
    options, types = DriftOptions(method="ks"), {"x": "numerical"}
    plain = build_drift_result(compute_column_drift(reference, current, options, types), options, reference_rows=n, current_rows=n)
    result, _ = apply_beyond(plain, {}, reference, current, options, types, beyond_options(min_effect=0.05))
    column = result.details["columns"]["x"]
    assert plain.details["columns"]["x"]["drifted"] is True  # Evidently's verdict: detected
    assert column["test_drifted"] is True
    assert column["drifted"] is drifted and result.details["dataset_drift"] is drifted
    assert column["effect"] == pytest.approx(stats.norm.cdf(sigma / 2) - stats.norm.cdf(-sigma / 2), abs=0.004)
    assert ("min_effect 0.05" in result.summary) and result.passed is not drifted
