from __future__ import annotations

import datetime as dt

import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.retrain.decision import CooldownState, decide, triggered_run_id


def _result(passed: bool, summary: str = "s") -> dict:
    return {"check": "drift", "passed": passed, "status": "passed" if passed else "failed", "summary": summary, "report_uri": None}


def test_no_trigger_when_everything_passed():
    decision = decide({"quality": [_result(True)], "drift": [_result(True)]})
    assert not decision.trigger and decision.reason == "all 2 check(s) passed"


def test_any_failed_result_triggers_and_names_it():
    decision = decide({"quality": [_result(True)], "drift": [_result(False, "4 of 10 columns drifted")]})
    assert decision.trigger and decision.failing == ("drift",)
    assert "drift: 4 of 10 columns drifted" in decision.reason


def test_mapped_checks_are_keyed_by_map_index():
    decision = decide({"drift": [_result(True), _result(False), _result(True)]})
    assert decision.failing == ("drift[1]",)
    assert set(decision.checks) == {"drift[0]", "drift[1]", "drift[2]"}


def test_missing_results_do_not_trigger_but_are_reported():
    decision = decide({"quality": [None], "drift": [_result(True)]})
    assert not decision.trigger and decision.missing == ("quality",)
    assert "no result from quality" in decision.reason


def test_a_non_check_result_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="task 'train' returned int, not a check result"):
        decide({"train": [3]})


def test_cooldown_window():
    now = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    state = CooldownState(now - dt.timedelta(minutes=30), "retrain", "r1")
    assert state.remaining(dt.timedelta(hours=1), now) == dt.timedelta(minutes=30)
    assert state.remaining(dt.timedelta(minutes=30), now) is None
    assert state.remaining(None, now) is None
    assert CooldownState.from_json_dict(state.to_json_dict()) == state
    assert CooldownState.from_json_dict({"garbage": 1}) is None


def test_triggered_run_id_is_deterministic_and_bounded():
    assert triggered_run_id("d", "r") == triggered_run_id("d", "r") == "mlmonitor_retrain__d__r"
    assert len(triggered_run_id("d" * 200, "r" * 200)) <= 250
