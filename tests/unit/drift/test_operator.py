"""DriftReportOperator without a DB: parse-time safety, templating of callables, early input errors."""

from __future__ import annotations

import pandas as pd
import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.operators.drift import CallableSource, DriftReportOperator


def test_defaults_and_templated_fields():
    op = DriftReportOperator(task_id="drift", reference="ref.parquet", current="{{ ds }}.parquet")
    assert op.on_failure == "warn"
    assert op.drift_share == 0.5 and op.method is None and op.threshold is None
    for name in ("reference", "current", "columns", "drift_share", "per_column_method", "per_column_threshold"):
        assert name in op.template_fields


def test_callables_are_never_called_at_parse_or_render_time():
    calls = []

    def load() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({"x": [1.0]})

    op = DriftReportOperator(task_id="drift", reference=load, current=load, columns=["{{ 'x' }}"])
    op.render_template_fields(context={})  # Airflow would call a bare callable with context=...
    assert calls == []
    assert isinstance(op.reference, CallableSource) and op.reference.func is load
    assert op.columns == ["x"]
    assert repr(op.current).startswith("callable ")


def test_an_empty_current_batch_is_a_clear_error_before_evidently_runs():
    op = DriftReportOperator(
        task_id="drift",
        reference=lambda: pd.DataFrame({"x": [1.0, 2.0, 3.0]}),
        current=lambda: pd.DataFrame({"x": pd.Series([], dtype=float)}),
    )
    with pytest.raises(InvalidInputError, match=r"current: .* is empty \(0 rows x 1 columns\)"):
        op.run_check(context={})  # type: ignore[arg-type]


def test_bad_options_fail_before_loading_data():
    def never() -> pd.DataFrame:
        raise AssertionError("data must not be loaded when options are invalid")

    op = DriftReportOperator(task_id="drift", reference=never, current=never, drift_share="most")
    with pytest.raises(InvalidInputError, match="drift_share must be a number"):
        op.run_check(context={})  # type: ignore[arg-type]


def test_the_profile_operator_keeps_its_contract_import_path():
    from airflow_mlmonitor.operators import drift, drift_profile

    assert drift.DriftProfileOperator is drift_profile.DriftProfileOperator
    assert "DriftProfileOperator" in drift.__all__


@pytest.mark.parametrize("empty", [False, True], ids=["written", "empty-reference"])
def test_the_profile_operator_closes_its_reference_source_whatever_happens(tmp_path, empty):
    """A Spark session started by the reference stops with the task (the source's ``close``)."""
    from airflow_mlmonitor.operators.drift import DriftProfileOperator
    from airflow_mlmonitor.sources import FileSource

    closed: list[str] = []

    class Recording(FileSource):
        def close(self) -> None:
            closed.append(self.describe())

    frame = pd.DataFrame({"x": pd.Series([], dtype=float)}) if empty else pd.DataFrame({"x": [1.0, 2.0, 3.5]})
    frame.to_parquet(tmp_path / "reference.parquet")
    op = DriftProfileOperator(task_id="profile", reference=Recording(str(tmp_path / "reference.parquet")),
                              profile_path=str(tmp_path / "profile.zip"))
    if empty:
        with pytest.raises(InvalidInputError, match="reference"):
            op.execute(context={})
    else:
        assert op.execute(context={})["columns"] == ["x"]
    assert closed == [repr(str(tmp_path / "reference.parquet"))]
