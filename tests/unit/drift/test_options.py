"""Rendered operator parameters become DriftOptions with Evidently's precedence."""

from __future__ import annotations

import pytest

from airflow_mlmonitor.drift.options import drift_options
from airflow_mlmonitor.exceptions import InvalidInputError


def test_defaults_are_evidentlys():
    options = drift_options()
    assert options.drift_share == 0.5
    assert options.method_for("a", "numerical") is None
    assert options.threshold_for("a", "categorical") is None


def test_templated_strings_are_converted():
    options = drift_options(drift_share="0.3", threshold="0.01", per_column_threshold={"a": "0.2"}, method="")
    assert options.drift_share == 0.3
    assert options.threshold == 0.01
    assert options.per_column_threshold == {"a": 0.2}
    assert options.method is None


def test_precedence_per_column_then_type_then_all():
    options = drift_options(
        method="psi",
        num_method="ks",
        per_column_method={"b": "wasserstein"},
        threshold=0.2,
        cat_threshold=0.3,
        per_column_threshold={"a": 0.4},
    )
    assert options.method_for("a", "numerical") == "ks"
    assert options.method_for("a", "categorical") == "psi"
    assert options.method_for("b", "categorical") == "wasserstein"
    assert options.threshold_for("a", "categorical") == 0.4
    assert options.threshold_for("c", "categorical") == 0.3
    assert options.threshold_for("c", "numerical") == 0.2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drift_share": 1.5}, "drift_share is a share of columns between 0 and 1"),
        ({"drift_share": "half"}, "drift_share must be a number"),
        ({"drift_share": None}, "drift_share is required"),
        ({"threshold": True}, "threshold must be a number"),
        ({"method": 3}, "method must be an Evidently method name"),
        ({"per_column_method": ["ks"]}, "per_column_method must be a dict"),
        ({"per_column_threshold": {"a": "x"}}, r"per_column_threshold\['a'\] must be a number"),
    ],
)
def test_bad_values_are_clear_errors(kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        drift_options(**kwargs)
