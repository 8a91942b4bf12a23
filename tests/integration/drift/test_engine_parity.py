"""Parity of the drift engine with Evidently 0.7.23 run directly, on many generated frames.

Two levels: every stattest Evidently offers, called directly on the same cleaned column (scores
within 1e-6 relative, identical verdicts, identical errors), and whole ``DataDriftPreset`` reports
(same default method per column, same scores, same drifted-column count).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.methods import METHODS
from airflow_mlmonitor.drift.types import DriftOptions

SIZES = [(200, 150), (1000, 1000), (1001, 900), (3000, 12000), (15000, 11000)]
#: Evidently's own implementations that are slow on large data (permutations, O(n^2) kernels)
SLOW_FALLBACKS = {"TVD", "empirical_mmd", "es", "cramer_von_mises", "fisher_exact"}


def make_frames(n_ref: int, n_cur: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(seed)

    def frame(n: int, shift: float, current: bool) -> pd.DataFrame:
        cities = ["paris", "rome", "oslo", "lima"] + (["tokyo"] if current else [])  # unseen in reference
        data = {
            "normal": rng.normal(shift, 1, n),
            "ties": rng.integers(0, 50, n).astype(float) + (shift > 0),  # many ties, > 20 values
            "int30": rng.integers(0, 30, n),  # integer dtype histogram rule
            "three": rng.choice([1.5, 2.5, 3.5], n, p=[0.5, 0.3, 0.2] if current else None),
            "two": rng.choice([0.0, 1.0], n),
            "five": rng.integers(0, 5, n).astype(float),
            "six": rng.integers(0, 6, n).astype(float),
            "constant": np.full(n, 4.0),
            "dirty": rng.exponential(1 + shift, n),
            "city": rng.choice(cities, n),
            "plan": rng.choice(["free", "pro"], n),
            "code": rng.choice([3, 10, 200], n),  # int categories: sorted numerically by the z-test
            "rare": rng.choice(["a", "b", "c"], n, p=[0.98, 0.01, 0.01]),
        }
        data["dirty"][::7] = np.nan
        data["dirty"][3::11] = np.inf
        result = pd.DataFrame(data)
        result.loc[::13, "city"] = None
        return result

    types = {name: "numerical" for name in ("normal", "ties", "int30", "three", "two", "five", "six", "constant", "dirty")}
    types.update({name: "categorical" for name in ("city", "plan", "code", "rare")})
    return frame(n_ref, 0.0, False), frame(n_cur, 0.25 * (seed % 2), True), types


def evidently_direct(reference: pd.Series, current: pd.Series, column_type: str, method: str | None):
    """(method id, score, drifted) from Evidently's registry, or the exception it raises."""
    from evidently.legacy.calculations.stattests import get_stattest
    from evidently.legacy.core import ColumnType

    kind = ColumnType.Numerical if column_type == "numerical" else ColumnType.Categorical
    ref = reference.replace([-np.inf, np.inf], np.nan).dropna()
    cur = current.replace([-np.inf, np.inf], np.nan).dropna()
    try:
        stattest = get_stattest(ref, cur, kind, method)
        result = stattest(ref, cur, kind, None)
    except ValueError as err:
        return err
    return stattest.name, float(result.drift_score), bool(result.drifted)


def engine(reference, current, column, column_type, method):
    try:
        (drift,) = compute_column_drift(
            reference[[column]], current[[column]], DriftOptions(method=method), {column: column_type}, workers=1
        )
    except ValueError as err:
        return err
    return drift


def same_error(ours, theirs) -> bool:
    """Both refuse the column for the same reason: our error is Evidently's, naming method and column.

    ``ours`` is the engine's ``InvalidInputError``; its message carries the underlying error's text
    verbatim and is raised from an exception of the type Evidently (or the scipy call under it) raised.
    """
    from airflow_mlmonitor.exceptions import InvalidInputError

    if not (isinstance(ours, InvalidInputError) and isinstance(theirs, Exception)):
        return False
    cause = ours.__cause__
    return type(cause) is type(theirs) and str(cause) == str(theirs) and f": {theirs}. " in str(ours)


def same(ours, theirs) -> bool:
    if isinstance(theirs, Exception) or isinstance(ours, Exception):  # both must refuse the column alike
        return same_error(ours, theirs)
    name, score, drifted = theirs
    if ours.method != name or ours.drifted != drifted:
        return False
    if np.isnan(score):
        return ours.score is None
    return ours.score is not None and abs(ours.score - score) <= 1e-6 * abs(score) + 1e-300


@pytest.mark.parametrize(("n_ref", "n_cur"), SIZES)
@pytest.mark.parametrize("seed", [1, 2])
def test_every_method_matches_evidently_on_every_column(n_ref, n_cur, seed):
    warnings.simplefilter("ignore")
    reference, current, types = make_frames(n_ref, n_cur, seed)
    mismatches, compared, refused = [], 0, 0
    for column, column_type in types.items():
        methods = [None] + [m.name for m in METHODS.values() if column_type in m.column_types]
        for method in methods:
            if method in SLOW_FALLBACKS:
                continue
            ours = engine(reference, current, column, column_type, method)
            theirs = evidently_direct(reference[column], current[column], column_type, method)
            compared += 1
            refused += isinstance(theirs, Exception)
            if not same(ours, theirs):
                mismatches.append(f"{column} [{method or 'default'}]: engine {ours!r} != evidently {theirs!r}")
    assert compared > 130 and refused >= 1  # "constant" refuses anderson at every size
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("method", sorted(SLOW_FALLBACKS))
def test_methods_without_a_kernel_are_evidently_s_own_answer(method):
    """Evidently's randomised/slow methods run Evidently itself: same answer under the same seed."""
    warnings.simplefilter("ignore")
    reference, current, _ = make_frames(200, 200, seed=1)
    column_type = next(iter(METHODS[method].column_types))
    columns = ["plan"] if column_type == "categorical" else ["normal", "ties", "two"]  # TVD: 1000 permutations
    for column in columns:
        np.random.seed(0)
        ours = engine(reference, current, column, column_type, method)
        np.random.seed(0)
        theirs = evidently_direct(reference[column], current[column], column_type, method)
        assert same(ours, theirs), f"{column}: engine {ours!r} != evidently {theirs!r}"


def run_preset(reference, current, types, **preset_options):
    from evidently import DataDefinition, Dataset, Report
    from evidently.legacy.calculations.stattests.registry import _registered_stat_tests
    from evidently.presets import DataDriftPreset

    display_ids = {next(iter(t.values())).display_name: name for name, t in _registered_stat_tests.items()}
    definition = DataDefinition(
        numerical_columns=[c for c, t in types.items() if t == "numerical"],
        categorical_columns=[c for c, t in types.items() if t == "categorical"],
    )
    snapshot = Report([DataDriftPreset(**preset_options)]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    columns, drifted_count = {}, None
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            drifted_count = metric["value"]["count"]
        elif config["type"].endswith("ValueDrift"):
            method = display_ids.get(config["method"], config["method"])
            columns[config["column"]] = (method, float(metric["value"]), float(config["threshold"]))
    return columns, drifted_count


@pytest.mark.parametrize(
    ("n_ref", "options"),
    [
        (800, {}),
        (1200, {}),
        (1500, {"num_method": "psi", "cat_threshold": 0.2, "per_column_method": {"plan": "z"},
                "per_column_threshold": {"normal": 0.01}}),
    ],
)
def test_data_drift_preset_reports_match_the_engine(n_ref, options):
    warnings.simplefilter("ignore")
    reference, current, types = make_frames(n_ref, 700, seed=3)
    types.pop("constant")  # Evidently's report cannot plot a constant column's histogram scatter
    theirs, drifted_count = run_preset(reference, current, types, **options)
    ours = {c.name: c for c in compute_column_drift(reference, current, DriftOptions(**options), types)}
    for column, (method, score, threshold) in theirs.items():
        assert (ours[column].method, ours[column].threshold) == (method, threshold), column
        assert ours[column].score == pytest.approx(score, rel=1e-6), column
    assert sum(c.drifted for c in ours.values()) == drifted_count
