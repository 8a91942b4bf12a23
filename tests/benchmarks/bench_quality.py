"""DataQualityOperator overhead over plain Great Expectations, 1,000,000 rows x 10 columns, 10 expectations.

Both sides validate the same in-memory DataFrame with the same 10 expectations and
``result_format="SUMMARY"`` after a warm-up (GX imported, metrics registered):

* **plain GX**: ephemeral context, pandas data source, whole-dataframe batch, ``batch.validate``;
* **operator**: ``DataQualityOperator.execute`` end to end (suite building, column checks, validation,
  interpretation, HTML report, GX Data Docs page, report store writes, XCom push, StatsD seam) with a
  minimal task instance standing in for Airflow's (no scheduler, no DB).

Target: operator overhead under 10% of plain GX. Run:
``.venv/bin/python tests/benchmarks/bench_quality.py [rounds]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("AIRFLOW__MLMONITOR__REPORT_BASE_PATH", tempfile.mkdtemp(prefix="bench-quality-"))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

ROWS = 1_000_000
EXPECTATIONS = [
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "customer_id"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": 0.98}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "min_value": 18, "max_value": 90}},
    {"type": "expect_column_values_to_be_in_set",
     "kwargs": {"column": "country", "value_set": ["FR", "DE", "ES", "US", "IT"]}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "score", "min_value": 0, "max_value": 1}},
    {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "tenure_months", "min_value": 10, "max_value": 100}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "segment"}},
    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "channel", "value_set": ["web", "app", "store"]}},
    {"type": "expect_column_max_to_be_between", "kwargs": {"column": "balance", "max_value": 1e7}},
    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 900_000, "max_value": 1_100_000}},
]


def make_frame() -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    income = rng.lognormal(10.4, 0.5, ROWS)
    income[rng.choice(ROWS, ROWS // 100, replace=False)] = np.nan
    age = rng.integers(18, 91, ROWS)
    age[rng.choice(ROWS, ROWS // 200, replace=False)] = 7  # some failures: realistic result sizes
    return pd.DataFrame({
        "customer_id": np.arange(ROWS),
        "income": income,
        "age": age,
        "country": rng.choice(["FR", "DE", "ES", "US", "IT"], ROWS),
        "score": rng.random(ROWS),
        "tenure_months": rng.integers(1, 120, ROWS),
        "segment": rng.choice(["a", "b", "c"], ROWS),
        "channel": rng.choice(["web", "app", "store"], ROWS),
        "balance": rng.normal(5000, 2000, ROWS),
        "signup_day": rng.integers(0, 3650, ROWS),
    })


def plain_gx(frame: Any) -> float:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    start = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("plain").add_dataframe_asset("data")
        .add_batch_definition_whole_dataframe("data").get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(
        name="bench", expectations=[ExpectationConfiguration(**c).to_domain_obj() for c in EXPECTATIONS]
    )
    result = batch.validate(suite, result_format="SUMMARY")
    elapsed = time.perf_counter() - start
    assert result.statistics["evaluated_expectations"] == len(EXPECTATIONS)
    return elapsed


class _TI:
    dag_id, task_id, run_id, map_index = "bench_quality", "validate", "manual__bench", -1

    def __init__(self, try_number: int) -> None:
        self.try_number = try_number
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def operator(frame: Any, try_number: int) -> float:
    from airflow_mlmonitor.operators.quality import DataQualityOperator

    op = DataQualityOperator(task_id="validate", data=lambda: frame, expectations=EXPECTATIONS,
                             on_failure="warn", statsd_conn_id="bench_no_statsd")
    ti = _TI(try_number)
    start = time.perf_counter()
    result = op.execute({"ti": ti, "outlet_events": {}})  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    assert result["metrics"]["evaluated_expectations"] == len(EXPECTATIONS), result
    assert result["report_uri"] and ti.pushed["return_value"] == result
    return elapsed


def main(rounds: int = 5) -> None:
    import logging

    logging.disable(logging.WARNING)  # the warn-mode log line, not the measurement
    frame = make_frame()
    print(f"frame: {ROWS:,} rows x {frame.shape[1]} columns, {frame.memory_usage(deep=True).sum() / 1e6:.0f} MB; "
          f"{len(EXPECTATIONS)} expectations; {rounds} rounds after a warm-up")
    plain_gx(frame)
    operator(frame, try_number=1)
    plain, ours = [], []
    for attempt in range(rounds):  # interleaved, so machine load hits both sides alike
        plain.append(plain_gx(frame))
        ours.append(operator(frame, try_number=attempt + 2))
    p, o = statistics.median(plain), statistics.median(ours)
    overhead = (o - p) / p * 100
    print(f"{'path':<46}{'median s':>10}{'min s':>10}{'max s':>10}")
    print(f"{'plain GX (ephemeral context, batch.validate)':<46}{p:>10.2f}{min(plain):>10.2f}{max(plain):>10.2f}")
    print(f"{'DataQualityOperator.execute':<46}{o:>10.2f}{min(ours):>10.2f}{max(ours):>10.2f}")
    print(f"operator overhead: {o - p:+.2f} s ({overhead:+.1f}%); target < 10%: {'met' if overhead < 10 else 'MISSED'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
