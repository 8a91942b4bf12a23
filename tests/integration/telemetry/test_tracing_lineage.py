"""OpenTelemetry spans and OpenLineage facets of real check operators under ``dag.test()``.

Spans: the SDK's in-memory exporter behind a real ``TracerProvider`` (set once per process, as a
user's own SDK setup would). Lineage: the OpenLineage provider with its file transport, in a fresh
interpreter (the provider reads its transport config once per process, when its plugin loads).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.airflow import DagRunner, ti_states

REPO = pathlib.Path(__file__).resolve().parents[3]

DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.operators.quality import DataQualityOperator

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False) as dag:
    DataQualityOperator(
        task_id="quality",
        data="{data}",
        expectations=[
            {{"type": "expect_column_values_to_not_be_null", "kwargs": {{"column": "income"}}}},
            {{"type": "expect_column_values_to_not_be_null", "kwargs": {{"column": "age"}}}},
            {{"type": "expect_column_values_to_be_between", "kwargs": {{"column": "age", "min_value": 0, "max_value": 120}}}},
        ],
        on_failure="warn",
    )
    DriftReportOperator(task_id="drift", reference="{reference}", current="{current}")
'''


@pytest.fixture(scope="module")
def data_files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("lineage-data")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"income": rng.normal(50, 10, 400), "age": rng.integers(18, 90, 400).astype(float)})
    frame.loc[:6, "income"] = np.nan  # 7 nulls: the not-null expectation fails with unexpected_count 7
    frame.to_csv(folder / "customers.csv", index=False)
    reference = pd.DataFrame({"income": rng.normal(50, 10, 500), "age": rng.normal(40, 5, 500)})
    current = pd.DataFrame({"income": rng.normal(80, 10, 500), "age": rng.normal(40, 5, 500)})
    reference.to_parquet(folder / "reference.parquet")
    current.to_parquet(folder / "current.parquet")
    return {"data": str(folder / "customers.csv"), "reference": str(folder / "reference.parquet"),
            "current": str(folder / "current.parquet")}


def dag_source(dag_id: str, files: dict[str, str]) -> str:
    return DAG_SOURCE.format(dag_id=dag_id, **files)


# --- OpenTelemetry -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def span_exporter():
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def test_each_check_emits_stage_spans_with_attributes(dag_runner: DagRunner, data_files, span_exporter):
    span_exporter.clear()
    dag = dag_runner.load_source(dag_source("otel_checks", data_files), "otel_checks")
    run = dag_runner.run(dag)
    assert ti_states(run) == {"quality": "success", "drift": "success"}
    spans = span_exporter.get_finished_spans()
    checks = {s.attributes["mlmonitor.task_id"]: s for s in spans if s.name == "mlmonitor.check"}
    assert set(checks) == {"quality", "drift"}
    for task_id, check in checks.items():
        children = [s for s in spans if s.parent is not None and s.parent.span_id == check.context.span_id]
        names = sorted(s.name for s in children)
        expected = {"quality": ["mlmonitor.compute", "mlmonitor.emit", "mlmonitor.load", "mlmonitor.report"],
                    "drift": ["mlmonitor.compute", "mlmonitor.emit", "mlmonitor.report"]}[task_id]
        assert [n for n in names if n != "mlmonitor.load"] == [n for n in expected if n != "mlmonitor.load"]
        if task_id == "quality":
            (load,) = [s for s in children if s.name == "mlmonitor.load"]
            assert load.attributes["mlmonitor.rows"] == 400 and load.attributes["mlmonitor.columns"] == 2
            assert load.attributes["mlmonitor.input"] == "data"
        compute = next(s for s in children if s.name == "mlmonitor.compute")
        emit = next(s for s in children if s.name == "mlmonitor.emit")
        kind = {"quality": "data_quality", "drift": "drift"}[task_id]
        assert compute.attributes["mlmonitor.check"] == kind == emit.attributes["mlmonitor.check"]
        assert isinstance(compute.attributes["mlmonitor.passed"], bool)
        assert emit.attributes["mlmonitor.status"] in ("passed", "warned")
    assert checks["quality"].attributes["mlmonitor.dag_id"] == "otel_checks"
    quality_emit = next(s for s in spans if s.name == "mlmonitor.emit"
                        and s.parent.span_id == checks["quality"].context.span_id)
    assert quality_emit.attributes["mlmonitor.status"] == "warned"  # one expectation fails, on_failure=warn
    drift_compute = next(s for s in spans if s.name == "mlmonitor.compute"
                         and s.parent.span_id == checks["drift"].context.span_id)
    assert drift_compute.attributes["mlmonitor.columns"] == 2
    assert drift_compute.attributes.get("mlmonitor.rows", 500) == 500  # metrics.rows: set by the core branch


def test_no_tracer_provider_means_no_spans_and_no_sdk_import():
    """Tracing is off by default: the seam yields None, and importing it pulls in no SDK."""
    code = textwrap.dedent("""
        import sys
        from airflow_mlmonitor.telemetry import tracing
        with tracing.check_span(task_id="t") as span, tracing.stage("load") as child:
            assert span is None and child is None
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry.sdk")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --- OpenLineage ---------------------------------------------------------------------------------

RUNNER = textwrap.dedent('''
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("lineage_dag", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run = module.dag.test()
    print("STATES", {ti.task_id: str(ti.state) for ti in run.get_task_instances()})
''')


@pytest.fixture(scope="module")
def lineage_events(airflow_db, data_files, tmp_path_factory) -> list[dict]:
    """One ``dag.test()`` with the OpenLineage provider enabled, in a subprocess with its OWN Airflow
    home and SQLite metadata DB: the provider's listener forks on task events, and a forked child
    closing an inherited SQLite connection can corrupt the parent's database (SQLite's documented
    fork hazard), which broke later tests sharing the session DB."""
    home = tmp_path_factory.mktemp("openlineage-home")
    events_file = home / "events.jsonl"
    dags = home / "dags"
    dags.mkdir()
    dag_file = dags / "ol_checks_dag.py"
    dag_file.write_text(dag_source("ol_checks", data_files))
    env = {**os.environ,
           "AIRFLOW_HOME": str(home),
           "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
           "AIRFLOW__MLMONITOR__REPORT_BASE_PATH": str(home / "reports"),
           "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "file", "log_file_path": str(events_file),
                                                          "append": True}),
           "AIRFLOW__OPENLINEAGE__NAMESPACE": "mlmonitor-tests",
           "AIRFLOW__OPENLINEAGE__DISABLED": "False",
           "PYTHONPATH": str(REPO)}
    airflow = pathlib.Path(sys.executable).with_name("airflow")
    migrate = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True, timeout=600, env=env)
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(dag_file)], capture_output=True, text=True,
                          timeout=600, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "'quality': 'success'" in proc.stdout and "'drift': 'success'" in proc.stdout, proc.stdout[-2000:]
    assert events_file.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]


def complete_event(events: list[dict], task_id: str) -> dict:
    found = [e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == f"ol_checks.{task_id}"]
    assert len(found) == 1, [(e["eventType"], e["job"]["name"]) for e in events]
    return found[0]


def test_quality_complete_event_carries_both_facets(lineage_events, data_files):
    event = complete_event(lineage_events, "quality")
    (dataset,) = event["inputs"]
    assert dataset["namespace"] == "file" and dataset["name"] == data_files["data"]
    metrics = dataset["inputFacets"]["dataQualityMetrics"]
    assert metrics["rowCount"] == 400
    assert metrics["columnMetrics"]["income"]["nullCount"] == 7
    assert metrics["columnMetrics"]["age"]["nullCount"] == 0
    assertions = dataset["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert [(a["assertion"], a["column"], a["success"]) for a in assertions] == [
        ("expect_column_values_to_not_be_null", "income", False),
        ("expect_column_values_to_not_be_null", "age", True),
        ("expect_column_values_to_be_between", "age", True),
    ]


def test_drift_complete_event_has_one_assertion_per_column(lineage_events, data_files):
    event = complete_event(lineage_events, "drift")
    by_name = {d["name"]: d for d in event["inputs"]}
    assert set(by_name) == {data_files["reference"], data_files["current"]}
    current = by_name[data_files["current"]]["inputFacets"]
    assertions = {a["column"]: a for a in current["dataQualityAssertions"]["assertions"]}
    assert set(assertions) == {"income", "age"}
    assert assertions["income"]["success"] is False and assertions["age"]["success"] is True
    assert all(a["assertion"].startswith("drift:") for a in assertions.values())
    assert current["dataQualityMetrics"].get("rowCount", 500) == 500  # metrics.rows: set by the core branch
