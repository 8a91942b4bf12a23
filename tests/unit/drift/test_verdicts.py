"""Reading Evidently's verdicts out of its JSON snapshot, and the dataset-drift rule (no Evidently run)."""

from __future__ import annotations

import json
import pathlib

import pytest

from airflow_mlmonitor.drift.types import ColumnDrift
from airflow_mlmonitor.drift.verdicts import dataset_drift, method_id, verdicts_from_snapshot

SNAPSHOT = json.loads((pathlib.Path(__file__).parent / "fixtures" / "evidently_snapshot.json").read_text())
TYPES = {"age": "numerical", "city": "categorical", "plan": "categorical"}


def test_verdicts_follow_the_snapshot_column_by_column():
    verdicts = verdicts_from_snapshot(SNAPSHOT, TYPES)

    assert [v.name for v in verdicts] == ["age", "city", "plan"]
    age, city, plan = verdicts
    assert (age.method, age.threshold, age.drifted) == ("ks", 0.05, True)
    assert age.score == pytest.approx(7.820358278708043e-06)
    assert (city.method, city.threshold, city.drifted) == ("chisquare", 0.05, True)
    assert city.score == pytest.approx(4.398026348900609e-17, rel=1e-9)
    # an explicitly chosen method is reported by id, with that method's default threshold
    assert (plan.method, plan.threshold, plan.drifted) == ("psi", 0.1, False)
    assert plan.score == pytest.approx(0.006705434872236914)  # the snapshot's ValueDrift value for plan
    assert plan.to_dict() == {"method": "psi", "score": pytest.approx(0.006705434872236914), "threshold": 0.1,
                              "drifted": False}


def test_verdicts_keep_the_requested_column_order_and_subset():
    verdicts = verdicts_from_snapshot(SNAPSHOT, {"plan": "categorical", "age": "numerical"})
    assert [v.name for v in verdicts] == ["plan", "age"]


def test_a_column_missing_from_the_snapshot_is_an_error():
    with pytest.raises(ValueError, match="income"):
        verdicts_from_snapshot(SNAPSHOT, {**TYPES, "income": "numerical"})


def test_a_snapshot_run_without_tests_is_an_error():
    with pytest.raises(ValueError, match="include_tests"):
        verdicts_from_snapshot({**SNAPSHOT, "tests": []}, TYPES)


def test_display_names_map_to_method_ids():
    assert method_id("Wasserstein distance (normed)") == "wasserstein"
    assert method_id("Jensen-Shannon distance") == "jensenshannon"
    assert method_id("Z-test p_value") == "z"
    assert method_id("psi") == "psi"


def _verdicts(*drifted: bool) -> list[ColumnDrift]:
    return [ColumnDrift(f"c{i}", "numerical", "ks", 0.5, 0.05, d) for i, d in enumerate(drifted)]


@pytest.mark.parametrize(
    ("drifted", "drift_share", "expected"),
    [
        ((True, False), 0.5, (1, 0.5, True)),  # share == drift_share is drift, as in Evidently
        ((True, False), 0.51, (1, 0.5, False)),
        ((False, False), 0.5, (0, 0.0, False)),
        ((True, True, False), 0.0, (2, 2 / 3, True)),
        ((False,), 0.0, (0, 0.0, True)),  # drift_share=0 flags every run, as Evidently's >= does
    ],
)
def test_dataset_drift_when_share_reaches_drift_share(drifted, drift_share, expected):
    assert dataset_drift(_verdicts(*drifted), drift_share) == expected
