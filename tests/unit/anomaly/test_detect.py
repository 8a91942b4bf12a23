from __future__ import annotations

import numpy as np
import pytest

from airflow_mlmonitor.anomaly.check import detect_anomalies, render_report
from airflow_mlmonitor.anomaly.series import Series
from airflow_mlmonitor.exceptions import InvalidInputError


def latency(seed: int, n: int = 500, spikes: int = 5) -> tuple[Series, list[int]]:
    """Noisy latency (lognormal around 120 ms) with ``spikes`` isolated spikes of 3-6x."""
    rng = np.random.default_rng(seed)
    values = rng.lognormal(np.log(120), 0.15, n)
    where = sorted(int(i) for i in rng.choice(n, spikes, replace=False))
    values[where] *= rng.uniform(3, 6, spikes)
    stamps = [f"2025-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00" for i in range(n)]
    return Series(tuple(stamps), tuple(float(v) for v in values)), where


@pytest.mark.parametrize("method", ["isolation_forest", "mad"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_planted_spikes_are_found_without_flagging_the_noise(method, seed):
    series, spikes = latency(seed)
    result, _ = detect_anomalies(series, metric="latency_ms", method=method)
    found = [series.timestamps.index(a["timestamp"]) for a in result.details["anomalies"]]
    assert set(spikes) <= set(found), (spikes, found)
    assert result.metrics["anomalies"] <= len(spikes) + 3  # at most a few noise points, never most of it
    assert result.passed is False and result.details["anomaly_count"] == result.metrics["anomalies"]


@pytest.mark.parametrize("method", ["isolation_forest", "mad"])
def test_a_clean_series_passes(method):
    series, _ = latency(7, spikes=0)
    result, _ = detect_anomalies(series, metric="latency_ms", method=method)
    assert result.metrics["anomalies"] <= 2


def test_isolation_forest_is_seeded_and_contamination_flags_a_share():
    series, _ = latency(1)
    first, _ = detect_anomalies(series, metric="m", seed=3)
    again, _ = detect_anomalies(series, metric="m", seed=3)
    assert first.to_dict() == again.to_dict()
    share, _ = detect_anomalies(series, metric="m", contamination=0.1)
    assert share.metrics["anomalies"] == 50


def test_anomalies_are_sorted_by_time_capped_and_counted_exactly():
    series, _ = latency(2, n=400, spikes=30)
    result, _ = detect_anomalies(series, metric="m", method="mad", max_anomalies=5)
    stamps = [a["timestamp"] for a in result.details["anomalies"]]
    assert len(stamps) == 5 and stamps == sorted(stamps)
    assert result.details["anomaly_count"] >= 30 and result.details["anomalies_truncated"] is True


def test_mad_threshold_default_and_zero_mad():
    flat = Series(tuple(range(10)), (1.0,) * 9 + (5.0,))
    result, _ = detect_anomalies(flat, metric="m", method="mad")
    assert result.details["threshold"] == 3.5 and result.metrics["anomalies"] == 1
    same, _ = detect_anomalies(Series(tuple(range(5)), (2.0,) * 5), metric="m", method="mad")
    assert same.passed


def test_too_few_points_is_insufficient():
    result, detection = detect_anomalies(Series((1, 2), (1.0, 2.0)), metric="m", method="mad")
    assert result.details["insufficient"] is True and detection is None and "needs at least 3" in result.summary


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"method": "zscore"}, "method must be one of 'mad', 'isolation_forest'"),
     ({"threshold": -1}, "threshold must be a number > 0"),
     ({"contamination": 0.9}, r"contamination must be a fraction in \(0, 0.5\]"),
     ({"method": "mad", "contamination": 0.1}, "contamination applies to method='isolation_forest' only")],
)
def test_bad_options_name_the_parameter(kwargs, match):
    series, _ = latency(0, n=20, spikes=1)
    with pytest.raises(InvalidInputError, match=match):
        detect_anomalies(series, metric="m", **kwargs)


def test_nan_values_are_an_error():
    with pytest.raises(InvalidInputError, match="metric: 1 missing, NaN"):
        detect_anomalies(Series((1, 2, 3), (1.0, float("nan"), 2.0)), metric="m", method="mad")


def test_report_is_inline_svg_with_the_anomalies_marked_and_escaped():
    series, _ = latency(0)
    result, detection = detect_anomalies(series, metric="<script>alert(1)</script>", method="mad")
    html = render_report(result, series, detection, "warned")
    assert "<svg" in html and "<polyline" in html and html.count('class="anomaly"') == result.metrics["anomalies"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no CDN


def test_missing_scikit_learn_is_a_clear_error(monkeypatch):
    import sys

    from airflow_mlmonitor.exceptions import MissingDependencyError

    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)
    series, _ = latency(0, n=20, spikes=1)
    with pytest.raises(MissingDependencyError, match=r"pip install 'airflow-mlmonitor\[anomaly\]'"):
        detect_anomalies(series, metric="m")


def test_operator_validates_literal_options_when_the_dag_is_parsed():
    from airflow_mlmonitor.operators.anomaly import MetricAnomalyOperator

    with pytest.raises(InvalidInputError, match="method must be one of"):
        MetricAnomalyOperator(task_id="a", metric="m", data="x.csv", method="iforest")
    with pytest.raises(InvalidInputError, match="give either data"):
        MetricAnomalyOperator(task_id="a", metric="m")
    with pytest.raises(InvalidInputError, match="give either data"):
        MetricAnomalyOperator(task_id="a", metric="m", data="x.csv", dag_id="d", history_task_id="t")
    with pytest.raises(InvalidInputError, match="dag_id and history_task_id go together"):
        MetricAnomalyOperator(task_id="a", metric="m", dag_id="d")
    op = MetricAnomalyOperator(task_id="a", metric="m", data="x.csv")
    assert op.on_failure == "warn" and op.method == "isolation_forest"
