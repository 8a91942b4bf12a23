"""The drift engine without Evidently: method choice, option precedence, scores vs scipy, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.methods import METHODS
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError

RNG = np.random.default_rng(7)


def _frame(n: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "income": RNG.normal(50 + shift, 10, n),
            "rooms": RNG.integers(1, 4, n).astype(float),  # 3 values
            "flag": RNG.integers(0, 2, n).astype(float),  # 2 values
            "city": RNG.choice(["paris", "rome", "oslo"], n),
            "plan": RNG.choice(["free", "pro"], n),
        }
    )


TYPES = {"income": "numerical", "rooms": "numerical", "flag": "numerical", "city": "categorical", "plan": "categorical"}


def _by_name(reference, current, options=None, types=TYPES, **kwargs):
    result = compute_column_drift(reference, current, options or DriftOptions(), types, **kwargs)
    return {c.name: c for c in result}


@pytest.mark.parametrize(
    ("n_ref", "expected"),
    [
        (1000, {"income": "ks", "rooms": "chisquare", "flag": "z", "city": "chisquare", "plan": "z"}),
        (1001, {"income": "wasserstein", "rooms": "jensenshannon", "flag": "jensenshannon",
                "city": "jensenshannon", "plan": "jensenshannon"}),
    ],
)
def test_default_methods_follow_evidently_around_the_1000_row_boundary(n_ref, expected):
    columns = _by_name(_frame(n_ref), _frame(700))
    assert {name: c.method for name, c in columns.items()} == expected
    assert all(c.threshold == METHODS[c.method].default_threshold for c in columns.values())


def test_results_come_back_in_column_order_with_json_friendly_values():
    result = compute_column_drift(_frame(300), _frame(300), DriftOptions(), TYPES)
    assert [c.name for c in result] == list(TYPES)
    for column in result:
        assert set(column.to_dict()) == {"method", "score", "threshold", "drifted"}
        assert isinstance(column.score, float) and isinstance(column.drifted, bool)


def test_option_precedence_per_column_then_type_then_all():
    options = DriftOptions(
        method="psi", cat_method="chisquare", per_column_method={"plan": "z"},
        threshold=0.2, num_threshold=0.3, per_column_threshold={"rooms": 0.01},
    )
    columns = _by_name(_frame(500), _frame(500), options)
    assert columns["income"].method == "psi" and columns["income"].threshold == 0.3
    assert columns["rooms"].threshold == 0.01
    assert columns["city"].method == "chisquare" and columns["city"].threshold == 0.2
    assert columns["plan"].method == "z"


def test_ks_matches_scipy_in_exact_and_asymptotic_modes():
    for n_ref, n_cur in ((800, 900), (30_000, 12_000)):
        ref, cur = _frame(n_ref), _frame(n_cur, shift=0.3)
        column = _by_name(ref, cur, DriftOptions(method="ks"), {"income": "numerical"})["income"]
        expected = stats.ks_2samp(ref["income"], cur["income"]).pvalue
        assert column.score == pytest.approx(expected, rel=1e-9, abs=1e-300)
        assert column.drifted == (expected <= 0.05)


def test_wasserstein_is_normed_by_the_reference_std_like_evidently():
    ref, cur = _frame(20_000), _frame(5_000, shift=2.0)
    column = _by_name(ref, cur, types={"income": "numerical"})["income"]
    expected = stats.wasserstein_distance(ref["income"], cur["income"]) / np.std(ref["income"])
    assert column.method == "wasserstein"
    assert column.score == pytest.approx(expected, rel=1e-9)
    assert column.drifted  # a shift of 0.2 std is drift at Evidently's 0.1 threshold


def test_nan_and_infinities_are_dropped_before_testing():
    ref, cur = _frame(400), _frame(400)
    dirty = ref.copy()
    dirty.loc[::10, "income"] = np.nan
    dirty.loc[1::10, "income"] = np.inf
    clean = dirty[np.isfinite(dirty["income"])]
    got = _by_name(dirty, cur, types={"income": "numerical"})["income"]
    want = _by_name(clean, cur, types={"income": "numerical"})["income"]
    assert got == want


def test_a_column_named_like_a_method_is_just_a_column():
    frame = _frame(300).rename(columns={"income": "column"})
    (drift,) = compute_column_drift(frame, frame, DriftOptions(), {"column": "numerical"})
    assert drift.name == "column" and drift.drifted is False


def test_one_worker_and_two_workers_agree():
    ref, cur = _frame(3000), _frame(2000, shift=1.0)
    assert compute_column_drift(ref, cur, DriftOptions(), TYPES, workers=1) == compute_column_drift(
        ref, cur, DriftOptions(), TYPES, workers=2
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (DriftOptions(method="nope"), "Unknown drift method 'nope'"),
        (DriftOptions(per_column_method={"income": "chisquare"}), "does not apply to numerical column 'income'"),
    ],
)
def test_bad_methods_are_clear_errors(options, message):
    with pytest.raises(InvalidInputError, match=message):
        compute_column_drift(_frame(50), _frame(50), options, TYPES)


def test_an_all_nan_column_and_a_text_numerical_column_are_clear_errors():
    ref, cur = _frame(50), _frame(50)
    ref["income"] = np.nan
    with pytest.raises(InvalidInputError, match=r"empty column 'income'.*reference"):
        compute_column_drift(ref, cur, DriftOptions(), {"income": "numerical"})
    with pytest.raises(InvalidInputError, match=r"'city'.*numerical values only"):
        compute_column_drift(cur, cur, DriftOptions(), {"city": "numerical"})


def test_a_method_that_cannot_run_on_the_data_says_which_column():
    ref, cur = _frame(100), _frame(120)  # Evidently's g_test needs equal sizes
    with pytest.raises(InvalidInputError, match="'g_test' cannot be computed on column 'city'"):
        compute_column_drift(ref, cur, DriftOptions(method="g_test"), {"city": "categorical"})
