"""DataQualityOperator overhead over plain Great Expectations, 1,000,000 rows x 10 columns, 10 expectations.

Every path validates the same in-memory DataFrame with the same 10 expectations and
``result_format="SUMMARY"`` after a warm-up (GX imported, metrics registered):

* **plain GX, interactive**: ephemeral context, pandas data source, ``batch.validate(suite)``
  (fetches the batch twice: GX fingerprints all rows twice);
* **plain GX, production**: the same with a ``ValidationDefinition`` run (one fingerprint);
* **operator**: ``DataQualityOperator.execute`` end to end (suite building, column checks, validation,
  interpretation, HTML report, GX Data Docs page, report store writes, XCom push, StatsD seam) with a
  minimal task instance standing in for Airflow's (no scheduler, no DB).

Target: operator overhead under 10% of the fastest plain GX path. Run:
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


def _plain_setup(frame: Any) -> tuple[Any, Any, Any]:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = gx.get_context(mode="ephemeral")
    batch_definition = (
        context.data_sources.add_pandas("plain").add_dataframe_asset("data").add_batch_definition_whole_dataframe("data")
    )
    suite = gx.ExpectationSuite(
        name="bench", expectations=[ExpectationConfiguration(**c).to_domain_obj() for c in EXPECTATIONS]
    )
    return context, batch_definition, suite


def plain_batch_validate(frame: Any) -> float:
    """GX's interactive path (the docs' quickstart): ``batch.validate(suite)``."""
    start = time.perf_counter()
    _, batch_definition, suite = _plain_setup(frame)
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format="SUMMARY")
    elapsed = time.perf_counter() - start
    assert result.statistics["evaluated_expectations"] == len(EXPECTATIONS)
    return elapsed


def plain_validation_definition(frame: Any) -> float:
    """GX's production path: a saved ``ValidationDefinition`` run with the frame as batch parameter."""
    import great_expectations as gx

    start = time.perf_counter()
    context, batch_definition, suite = _plain_setup(frame)
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="v", data=batch_definition, suite=suite))
    result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
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
    paths = {
        "plain GX: batch.validate (interactive)": plain_batch_validate,
        "plain GX: ValidationDefinition.run": plain_validation_definition,
        "DataQualityOperator.execute": None,
    }
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for attempt in range(rounds + 1):  # interleaved, so machine load hits every path alike; round 0 warms up
        for name, run in paths.items():
            elapsed = run(frame) if run else operator(frame, try_number=attempt + 1)
            if attempt:
                samples[name].append(elapsed)
    print(f"{'path':<44}{'median s':>10}{'min s':>10}{'max s':>10}")
    for name, values in samples.items():
        print(f"{name:<44}{statistics.median(values):>10.2f}{min(values):>10.2f}{max(values):>10.2f}")
    ours = statistics.median(samples["DataQualityOperator.execute"])
    for name in list(paths)[:2]:
        base = statistics.median(samples[name])
        print(f"operator vs {name}: {ours - base:+.2f} s ({(ours - base) / base * 100:+.1f}%)")
    best = min(statistics.median(samples[name]) for name in list(paths)[:2])
    overhead = (ours - best) / best * 100
    print(f"overhead over the fastest plain GX path: {overhead:+.1f}%; target < 10%: {'met' if overhead < 10 else 'MISSED'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
