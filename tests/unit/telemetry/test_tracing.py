"""The tracing seam with a real SDK provider (in-memory exporter), not the global one."""

from __future__ import annotations

import pytest

from airflow_mlmonitor.telemetry import tracing


@pytest.fixture
def exporter(monkeypatch):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    monkeypatch.setattr("opentelemetry.trace.get_tracer_provider", lambda: provider)
    return memory


def test_stages_are_children_of_the_check_span_even_when_nested(exporter):
    with tracing.check_span(task_id="t", dag_id="d") as check, tracing.stage("compute") as compute:
        with tracing.stage("load", rows=10, columns=3, source=object()):
            pass
        tracing.set_attributes(compute, check="drift", passed=True, rows=None)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"mlmonitor.check", "mlmonitor.compute", "mlmonitor.load"}
    check_id = spans["mlmonitor.check"].context.span_id
    assert spans["mlmonitor.load"].parent.span_id == check_id  # sibling of compute, not its child
    assert spans["mlmonitor.compute"].parent.span_id == check_id
    assert spans["mlmonitor.load"].attributes["mlmonitor.rows"] == 10
    assert spans["mlmonitor.load"].attributes["mlmonitor.source"].startswith("<object")
    assert dict(spans["mlmonitor.compute"].attributes) == {"mlmonitor.check": "drift", "mlmonitor.passed": True}
    assert check is not None


def test_an_exception_is_recorded_and_re_raised(exporter):
    with pytest.raises(ValueError), tracing.check_span(task_id="t"):
        raise ValueError("bad input")
    (span,) = exporter.get_finished_spans()
    assert not span.status.is_ok and span.events[0].name == "exception"


def test_result_attributes_of_a_drift_result():
    result = {"check": "drift", "passed": False, "status": "warned", "metrics": {"rows": 5, "n_columns": 4}}
    assert tracing.result_attributes(result) == {"check": "drift", "passed": False, "status": "warned",
                                                 "rows": 5, "columns": 4}


def test_off_by_default_yields_none(monkeypatch):
    from opentelemetry import trace

    # the API's default provider, whatever another test module set globally
    monkeypatch.setattr("opentelemetry.trace.get_tracer_provider", lambda: trace.ProxyTracerProvider())
    with tracing.check_span() as span, tracing.stage("emit") as child:
        assert span is None and child is None
