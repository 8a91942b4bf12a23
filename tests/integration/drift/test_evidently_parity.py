"""Our drift verdicts equal Evidently's, column by column, on generated frames (real Evidently 0.7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.columns import infer_column_type, plan_columns
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.evidently import render_report
from airflow_mlmonitor.drift.options import drift_options
from airflow_mlmonitor.drift.verdicts import METHOD_IDS, dataset_drift, method_id
from airflow_mlmonitor.exceptions import InvalidInputError


def make_frame(n: int, *, shift: bool, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = 1 if shift else 0
    return pd.DataFrame(
        {
            "num_stable": rng.normal(0, 1, n),
            "num_shifted": rng.normal(0.6 * d, 1, n),
            "num_few_values": rng.choice([0.5, 1.5, 2.5, 3.5], n),  # <= 5 distinct: chi-square / JS
            "num_binary": rng.choice([0.0, 1.0], n, p=[0.5 - 0.2 * d, 0.5 + 0.2 * d]),  # Z test when small
            "int_wide": rng.integers(0, 1000, n),  # > 10 distinct integers: numerical
            "int_codes": rng.integers(0, 4 + d, n),  # <= 10 distinct integers: categorical
            "cat_stable": rng.choice(["a", "b", "c"], n),
            "cat_shifted": rng.choice(["a", "b", "c"], n, p=[1 / 3 + 0.3 * d, 1 / 3 - 0.15 * d, 1 / 3 - 0.15 * d]),
            "cat_binary": rng.choice(["yes", "no"], n),
            "flag": rng.choice([True, False], n),
        }
    )


def evidently_direct(current: pd.DataFrame, reference: pd.DataFrame, **preset) -> dict:
    """Evidently run directly, with its own type inference: {column: verdict}, count, share."""
    import json

    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = json.loads(Report([DataDriftPreset(**preset)], include_tests=True).run(current, reference).json())
    status = {t["metric_config"]["metric_id"]: t["status"] for t in snapshot["tests"]}
    columns, count = {}, None
    for metric in snapshot["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            columns[config["column"]] = {
                "method": method_id(config["method"]),
                "score": metric["value"],
                "threshold": config["threshold"],
                "drifted": status[metric["id"]] == "FAIL",
            }
        elif config["type"].endswith("DriftedColumnsCount"):
            count = metric["value"]
    return {"columns": columns, "count": count["count"], "share": count["share"]}


def ours(reference: pd.DataFrame, current: pd.DataFrame, **params) -> tuple[dict, int, float, bool]:
    options = drift_options(**params)
    plan = plan_columns(reference, current)
    verdicts = compute_column_drift(reference, current, options, plan.column_types)
    count, share, detected = dataset_drift(verdicts, options.drift_share)
    return {v.name: v.to_dict() for v in verdicts}, count, share, detected


def assert_same(ours_columns: dict, theirs: dict) -> None:
    assert list(ours_columns) == list(theirs)
    for name, verdict in ours_columns.items():
        expected = theirs[name]
        assert verdict["method"] == expected["method"], name
        assert verdict["threshold"] == expected["threshold"], name
        assert verdict["drifted"] == expected["drifted"], name
        assert verdict["score"] == pytest.approx(expected["score"], rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("reference_rows", [200, 1000, 1001])
@pytest.mark.parametrize("shift", [False, True], ids=["unshifted", "shifted"])
def test_verdicts_equal_evidently_around_the_1000_row_boundary(reference_rows, shift):
    reference = make_frame(reference_rows, shift=False, seed=reference_rows)
    current = make_frame(400, shift=shift, seed=reference_rows + 1)

    columns, count, share, detected = ours(reference, current)
    theirs = evidently_direct(current, reference)

    assert_same(columns, theirs["columns"])
    assert (count, share) == (theirs["count"], theirs["share"])
    assert detected == (theirs["share"] >= 0.5)
    small = reference_rows <= 1000
    assert columns["num_stable"]["method"] == ("ks" if small else "wasserstein")
    assert columns["cat_stable"]["method"] == ("chisquare" if small else "jensenshannon")
    assert columns["cat_binary"]["method"] == ("z" if small else "jensenshannon")
    if shift:
        assert columns["num_shifted"]["drifted"] and columns["cat_shifted"]["drifted"]
    assert not columns["num_stable"]["drifted"]


def test_options_pass_through_with_evidentlys_names():
    reference = make_frame(600, shift=False, seed=1)
    current = make_frame(300, shift=True, seed=2)
    params = {
        "drift_share": 0.3,
        "num_method": "psi",
        "cat_threshold": 0.01,
        "per_column_method": {"cat_stable": "jensenshannon"},
        "per_column_threshold": {"num_stable": 0.05},
    }
    columns, count, share, detected = ours(reference, current, **params)
    theirs = evidently_direct(current, reference, **params)

    assert_same(columns, theirs["columns"])
    assert (count, share) == (theirs["count"], theirs["share"])
    assert columns["num_stable"] | {"score": None} == {
        "method": "psi", "score": None, "threshold": 0.05, "drifted": columns["num_stable"]["drifted"]
    }
    assert columns["cat_stable"]["method"] == "jensenshannon"
    assert columns["cat_binary"]["threshold"] == 0.01
    assert detected == (share >= 0.3)


def test_method_ids_match_evidentlys_registry():
    from evidently.legacy.calculations.stattests.registry import _registered_stat_tests

    registry = {
        test.display_name: name
        for name, by_type in _registered_stat_tests.items()
        for test in by_type.values()
        if "text" not in name
    }
    assert registry == dict(METHOD_IDS)


def test_type_inference_matches_evidentlys():
    from evidently.core.datasets import infer_column_type as evidently_infer

    frame = make_frame(100, shift=False, seed=3).assign(
        text=[f"free text {i}" for i in range(100)],
        when=pd.date_range("2024-01-01", periods=100, freq="D"),
        empty=pd.Series([None] * 100, dtype=object),
        small_uint=np.arange(100, dtype="uint16"),
        nullable=pd.array(range(100), dtype="Int64"),
    )
    names = {"num": "numerical", "cat": "categorical"}
    for name in frame.columns:
        theirs = evidently_infer(frame[name]).value
        assert infer_column_type(frame[name]) == names.get(theirs, theirs), name


def test_tiny_reference_and_constant_columns_are_handled_like_evidently():
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 3), "const": [1.0, 1.0, 1.0], "c": ["a", "b", "a"]})
    current = pd.DataFrame({"x": rng.normal(0, 1, 60), "const": [1.0] * 60, "c": rng.choice(["a", "b"], 60)})
    columns, *_ = ours(reference, current)
    assert_same(columns, evidently_direct(current, reference)["columns"])
    assert columns["const"]["drifted"] is False


def test_infinite_values_are_treated_as_missing_like_evidentlys_column_drift():
    rng = np.random.default_rng(6)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 300)})
    current = pd.DataFrame({"x": np.r_[rng.normal(0.1, 1, 298), [np.inf, -np.inf]]})
    columns, *_ = ours(reference, current)
    cleaned = evidently_direct(current.replace([np.inf, -np.inf], np.nan), reference)
    assert_same(columns, cleaned["columns"])


def test_unknown_or_unfit_method_names_the_column():
    frame = make_frame(50, shift=False, seed=4)[["num_stable", "cat_stable"]]
    plan = plan_columns(frame, frame)
    with pytest.raises(InvalidInputError, match="Unknown drift method 'nope' for column 'num_stable'"):
        compute_column_drift(frame, frame, drift_options(method="nope"), plan.column_types)
    with pytest.raises(InvalidInputError, match="'ks' does not apply to categorical column 'cat_stable'"):
        compute_column_drift(frame, frame, drift_options(method="ks"), plan.column_types)


def test_one_run_gives_verdicts_and_the_report():
    reference = make_frame(300, shift=False, seed=8)
    current = make_frame(200, shift=True, seed=9)
    options = drift_options()
    plan = plan_columns(reference, current)
    verdicts = compute_column_drift(reference, current, options, plan.column_types)
    artifacts = render_report(reference, current, options, plan.column_types)

    assert set(artifacts) == {"report.html", "evidently.json"}
    assert artifacts["report.html"].lstrip().lower().startswith("<!doctype html") or "<html" in artifacts["report.html"][:500]
    assert "num_shifted" in artifacts["report.html"]
    import json

    snapshot = json.loads(artifacts["evidently.json"])
    reported = {m["config"]["column"]: m["value"] for m in snapshot["metrics"] if "column" in m["config"]}
    assert reported == {v.name: v.score for v in verdicts}  # the stored snapshot is the run behind the verdicts


def test_types_come_from_current_as_in_evidently():
    rng = np.random.default_rng(12)
    # 50 distinct integers / 300 distinct strings in reference, few in current: categorical, as Evidently reads current
    reference = pd.DataFrame({"k": rng.integers(0, 50, 400), "s": rng.choice([f"v{i}" for i in range(300)], 400)})
    current = pd.DataFrame({"k": rng.integers(0, 8, 200), "s": rng.choice(["a", "b"], 200)})
    columns, count, share, _ = ours(reference, current)
    theirs = evidently_direct(current, reference)
    assert_same(columns, theirs["columns"])
    assert (count, share) == (theirs["count"], theirs["share"])
    assert columns["k"]["method"] == columns["s"]["method"] == "chisquare"
