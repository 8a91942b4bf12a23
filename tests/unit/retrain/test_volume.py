from __future__ import annotations

from airflow_mlmonitor.retrain.decision import decide
from airflow_mlmonitor.retrain.volume import VolumeState, check_rows, rows_of


def _result(passed: bool = True, rows: object = 600, **extra: object) -> dict:
    return {"check": "data_quality", "passed": passed, "summary": "s", "metrics": {"rows": rows}, **extra}


def test_rows_are_counted_once_per_check_task_instance():
    state = VolumeState().record({"a/r1/quality": 600})
    assert state.rows == 600
    assert state.record({"a/r1/quality": 600}).rows == 600  # the same check seen again (a retry)
    assert state.record({"a/r1/quality": 650}).rows == 650  # a retried check that read more rows: replaced
    assert state.record({"b/r1/quality": 600}).rows == 1200


def test_reset_forgets_the_rows_and_ignores_the_counted_checks_afterwards():
    state = VolumeState().record({"a/r1/q": 600, "b/r1/q": 600}).reset()
    assert state.rows == 0
    assert state.record({"b/r1/q": 600}).rows == 0  # the trigger task retried after the reset
    assert state.record({"a/r2/q": 600}).rows == 600


def test_state_round_trips_and_garbage_is_an_empty_state():
    state = VolumeState().record({"a/r1/q": 10}).reset().record({"a/r2/q": 5})
    assert VolumeState.from_json_dict(state.to_json_dict()) == state
    assert VolumeState.from_json_dict(None) == VolumeState()
    assert VolumeState.from_json_dict({"counted": {"x": "many"}}) == VolumeState()


def test_the_document_stays_small_but_the_count_stays_exact():
    state = VolumeState()
    for i in range(3000):
        state = state.record({f"d/r{i}/q": 1})
    assert state.rows == 3000 and len(state.counted) <= 2000


def test_rows_of_reads_metrics_rows_only_when_it_is_a_count():
    assert rows_of(_result(rows=12)) == 12
    assert rows_of(_result(rows=None)) is None
    assert rows_of(_result(rows=True)) is None
    assert rows_of({"metrics": {}}) is None


def test_decide_exposes_rows_and_keys_them_by_run():
    decision = decide({"quality": [_result(rows=600)], "drift": [_result(rows=None)]})
    assert decision.rows == {"quality": 600}
    assert check_rows("dag", "run", decision.rows) == {"dag/run/quality": 600}


def test_an_insufficient_result_is_not_a_failed_check():
    decision = decide({"perf": [_result(passed=False, insufficient=True)], "quality": [_result()]})
    assert not decision.trigger and decision.inconclusive == ("perf",)
    assert "too little data in perf" in decision.reason


def test_min_new_rows_is_validated_when_the_dag_is_parsed():
    import pytest

    from airflow_mlmonitor.operators.retrain import RetrainTriggerOperator

    for bad in (0, -5, 2.5, True, "1000"):
        with pytest.raises(ValueError, match="min_new_rows must be a positive integer"):
            RetrainTriggerOperator(task_id="r", trigger_dag_id="t", check_task_ids=["q"], min_new_rows=bad)
    assert RetrainTriggerOperator(task_id="r", trigger_dag_id="t", check_task_ids=["q"], min_new_rows=10).min_new_rows == 10
