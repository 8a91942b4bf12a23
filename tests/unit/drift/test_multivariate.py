"""Multivariate drift: a correlation flip that no per-column test sees, caught by both methods."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.beyond import apply_beyond, beyond_options
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.multivariate import check_multivariate, multivariate_drift
from airflow_mlmonitor.drift.result import build_drift_result
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError, MissingDependencyError

TYPES = {"x": "numerical", "y": "numerical"}


def _pair(rho: float, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], n), columns=["x", "y"])


@pytest.mark.parametrize("method", ["domain_classifier", "pca_reconstruction"])
def test_a_correlation_flip_drifts_no_column_but_the_joint_distribution(method):
    reference, current = _pair(0.95, 20_000, 1), _pair(-0.95, 20_000, 2)
    options = DriftOptions()
    plain = build_drift_result(
        compute_column_drift(reference, current, options, TYPES), options, reference_rows=20_000, current_rows=20_000
    )
    result, _ = apply_beyond(plain, {}, reference, current, options, TYPES, beyond_options(multivariate_method=method))
    assert plain.details["drifted_columns"] == [] and plain.passed  # marginals unchanged: Evidently sees nothing
    assert result.details["drifted_columns"] == []
    verdict = result.details["multivariate"]
    assert verdict["method"] == method and verdict["drifted"] is True
    assert verdict["score"] > verdict["threshold"]
    assert result.details["dataset_drift"] is True and result.details["dataset_drift_reasons"] == ["multivariate"]
    assert not result.passed and f"multivariate {method}" in result.summary


@pytest.mark.parametrize("method", ["domain_classifier", "pca_reconstruction"])
def test_unchanged_joint_distribution_does_not_drift(method):
    verdict = multivariate_drift(method, _pair(0.95, 20_000, 3), _pair(0.95, 20_000, 4), TYPES)
    assert verdict.drifted is False
    if method == "domain_classifier":
        assert verdict.score == pytest.approx(0.5, abs=0.02) and verdict.threshold == 0.55
    else:
        assert verdict.lower_threshold < verdict.score < verdict.threshold and verdict.components == 1


@pytest.mark.parametrize("method", ["domain_classifier", "pca_reconstruction"])
def test_categorical_columns_are_encoded(method):
    """The category follows the sign of x in the reference and the opposite sign in current."""
    rng = np.random.default_rng(6)
    x_ref, x_cur = rng.normal(0, 1, 10_000), rng.normal(0, 1, 10_000)
    reference = pd.DataFrame({"x": x_ref, "segment": np.where(x_ref > 0, "up", "down")})
    current = pd.DataFrame({"x": x_cur, "segment": np.where(x_cur > 0, "down", "up")})
    current.loc[:9, "segment"] = None
    types = {"x": "numerical", "segment": "categorical"}
    assert multivariate_drift(method, reference, current, types).drifted is True
    assert multivariate_drift(method, reference, reference.sample(frac=1, random_state=1), types).drifted is False


def test_fixed_threshold_overrides_the_default():
    verdict = multivariate_drift("domain_classifier", _pair(0.5, 5000, 1), _pair(0.5, 5000, 2), TYPES, 0.5)
    assert verdict.threshold == 0.5
    pca = multivariate_drift("pca_reconstruction", _pair(0.5, 5000, 1), _pair(0.5, 5000, 2), TYPES, 1e-6)
    assert pca.drifted is True and pca.threshold == 1e-6 and pca.lower_threshold is None


@pytest.mark.parametrize(
    ("method", "threshold", "n_columns", "message"),
    [
        ("domain_classifier", None, 1, "needs at least 2 drift-tested columns, got 1"),
        ("tsne", None, 3, "multivariate_method must be one of 'domain_classifier', 'pca_reconstruction'"),
        (None, 0.6, 3, "multivariate_threshold is set but multivariate_method is not"),
        ("domain_classifier", 0.3, 3, r"ROC AUC in \[0.5, 1\)"),
        ("pca_reconstruction", -1, 3, "reconstruction error > 0"),
        ("pca_reconstruction", "high", 3, "multivariate_threshold must be a number"),
    ],
)
def test_bad_multivariate_options_are_named(method, threshold, n_columns, message):
    with pytest.raises(InvalidInputError, match=message):
        check_multivariate(method, threshold, n_columns)


def test_one_column_data_is_a_clear_error_from_apply_beyond():
    frame = pd.DataFrame({"x": np.arange(100.0)})
    options, types = DriftOptions(), {"x": "numerical"}
    plain = build_drift_result(compute_column_drift(frame, frame, options, types), options, reference_rows=100, current_rows=100)
    with pytest.raises(InvalidInputError, match=r"multivariate_method='pca_reconstruction' .* needs at least 2"):
        apply_beyond(plain, {}, frame, frame, options, types, beyond_options(multivariate_method="pca_reconstruction"))


def test_missing_scikit_learn_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes ``import sklearn`` raise ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'airflow-mlmonitor\[multivariate\]'"):
        multivariate_drift("domain_classifier", _pair(0.5, 100, 1), _pair(0.5, 100, 2), TYPES)
