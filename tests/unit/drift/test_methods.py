"""The method registry is data: score kind, default threshold, verdict rule, Evidently's defaults."""

from __future__ import annotations

import pytest

from airflow_mlmonitor.drift.methods import EVIDENTLY_NAMES, METHODS, default_method


def values_more_than(n_values: int):
    return lambda k: n_values > k


@pytest.mark.parametrize(
    ("small", "column_type", "n_values", "expected"),
    [
        (True, "numerical", 6, "ks"),
        (True, "numerical", 5, "chisquare"),
        (True, "numerical", 3, "chisquare"),
        (True, "numerical", 2, "z"),
        (True, "categorical", 30, "chisquare"),
        (True, "categorical", 2, "z"),
        (False, "numerical", 6, "wasserstein"),
        (False, "numerical", 5, "jensenshannon"),
        (False, "categorical", 100, "jensenshannon"),
        (False, "categorical", 1, "jensenshannon"),
    ],
)
def test_evidentlys_default_methods_come_from_the_registry(small, column_type, n_values, expected):
    assert default_method(small, column_type, values_more_than(n_values)).name == expected


def test_verdict_rules_follow_the_kind_of_score():
    ks, chisquare, wasserstein, ed = (METHODS[m] for m in ("ks", "chisquare", "wasserstein", "ed"))
    assert ks.score == chisquare.score == "p_value" and wasserstein.score == ed.score == "distance"
    assert ks.drifted(0.05, 0.05) and not chisquare.drifted(0.05, 0.05) and chisquare.drifted(0.049, 0.05)
    assert wasserstein.drifted(0.1, 0.1) and not ed.drifted(0.1, 0.1) and ed.drifted(0.11, 0.1)


def test_every_method_has_a_threshold_and_a_unique_evidently_name():
    assert len(EVIDENTLY_NAMES) == len(METHODS)
    assert all(m.default_threshold in (0.05, 0.1) and m.column_types for m in METHODS.values())
    assert {m.name for m in METHODS.values() if m.kernel is None} == {
        "hellinger", "fisher_exact", "TVD", "es", "cramer_von_mises", "empirical_mmd"
    }


@pytest.mark.parametrize("block", [1 << 20, 7, 1])
@pytest.mark.parametrize("sizes", [(1000, 1000), (1001, 999), (3, 2000), (4096, 1536), (1, 1)])
@pytest.mark.parametrize("ties", [False, True])
def test_quantile_wasserstein_equals_scipys_cdf_integral(sizes, ties, block):
    import numpy as np
    from scipy import stats

    from airflow_mlmonitor.drift.distances import quantile_distance

    rng = np.random.default_rng(sum(sizes) + ties)
    n, m = sizes
    if ties:
        ref, cur = np.sort(rng.integers(0, 6, n)), np.sort(rng.integers(1, 8, m))
    else:
        ref, cur = np.sort(rng.normal(0, 1, n)), np.sort(rng.normal(0.3, 2, m))
    expected = stats.wasserstein_distance(ref, cur)
    assert quantile_distance(ref, cur, block=block) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_jensenshannon_equals_scipys_without_importing_it():
    import numpy as np
    import pandas as pd
    from scipy.spatial import distance

    from airflow_mlmonitor.drift.methods import binned_percents
    from airflow_mlmonitor.drift.samples import ColumnPair
    from airflow_mlmonitor.drift.summary import summarize

    ref = pd.Series(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    cur = pd.Series(["a"] * 10 + ["b"] * 60 + ["d"] * 30)  # a value missing on each side
    pair = ColumnPair("c", "categorical", summarize(ref, name="c", side="reference"),
                      summarize(cur, name="c", side="current"))
    expected = distance.jensenshannon(*binned_percents(pair, fill_zeroes=False), None)
    assert METHODS["jensenshannon"].kernel(pair) == pytest.approx(expected, rel=1e-12)
    assert np.isfinite(expected) and expected > 0.2


def test_rel_entr_is_scipys_value_for_value_even_for_nearly_equal_distributions():
    """Small distances cancel: an ulp per term (numpy's log against scipy's log1p near 1) showed as
    a 2e-12 relative error in Jensen-Shannon on a binary column against Evidently."""
    import numpy as np
    from scipy.special import rel_entr

    from airflow_mlmonitor.drift.distances import rel_entr as ours

    rng = np.random.default_rng(7)
    for ratio_low, ratio_high in ((0.01, 0.49), (0.49, 0.51), (0.9, 1.1), (1.99, 2.01), (2.5, 50)):
        y = rng.random(5000) + 0.01
        x = y * rng.uniform(ratio_low, ratio_high, 5000)
        x[::97] = 0.0
        assert np.array_equal(ours(x, y), rel_entr(x, y))
