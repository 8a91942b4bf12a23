"""OpenTelemetry spans of a check: one ``mlmonitor.check`` span with a child per stage (``load``,
``compute``, ``report``, ``emit``). Airflow-free; ``opentelemetry-api`` only, imported lazily.

A no-op unless a tracer provider is configured: Airflow's ``[traces] otel_on`` (Airflow sets the
global provider in the task process, and the check span nests under Airflow's task span), or the
user's own ``opentelemetry.trace.set_tracer_provider(...)``. With the API's default proxy provider
the context managers yield ``None`` and cost one ``isinstance`` check.

Attributes (``mlmonitor.*``): ``check`` (kind), ``dag_id``, ``task_id``, ``rows``, ``columns``,
``passed``, ``status`` (the verdict), ``input`` and ``source`` on ``load``, ``report_uri`` on
``report``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

TRACER_NAME = "airflow_mlmonitor"
STAGES = ("load", "compute", "report", "emit")

#: The open check span of this thread/task: stages started anywhere below it (a source loading its
#: data, the report store) become its direct children.
_check_span: contextvars.ContextVar[Any] = contextvars.ContextVar("mlmonitor_check_span", default=None)


def _tracer() -> Any | None:
    """Our tracer, or None when no tracer provider is configured (tracing off)."""
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider) or type(provider).__name__ == "NoOpTracerProvider":
        return None
    return provider.get_tracer(TRACER_NAME)


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if value is None:
            continue
        if not isinstance(value, (str, bool, int, float)):
            value = str(value)
        out[key if key.startswith("mlmonitor.") else f"mlmonitor.{key}"] = value
    return out


def set_attributes(span: Any, **attributes: Any) -> None:
    """Set ``mlmonitor.*`` attributes on ``span`` (None values skipped; no-op for ``span=None``)."""
    if span is not None:
        span.set_attributes(_clean(attributes))


@contextlib.contextmanager
def check_span(**attributes: Any) -> Iterator[Any]:
    """The span of one check run (current span while open; a child of Airflow's task span when
    Airflow traces the task). Exceptions are recorded and re-raised."""
    tracer = _tracer()
    if tracer is None:
        yield None
        return
    with tracer.start_as_current_span("mlmonitor.check", attributes=_clean(attributes)) as span:
        token = _check_span.set(span)
        try:
            yield span
        finally:
            _check_span.reset(token)


@contextlib.contextmanager
def stage(name: str, **attributes: Any) -> Iterator[Any]:
    """A stage span, child of the open check span (or of the current span when none is open)."""
    tracer = _tracer()
    if tracer is None:
        yield None
        return
    from opentelemetry import trace

    parent = _check_span.get()
    context = trace.set_span_in_context(parent) if parent is not None else None
    with tracer.start_as_current_span(f"mlmonitor.{name}", context=context, attributes=_clean(attributes)) as span:
        yield span


def result_attributes(result: Any) -> dict[str, Any]:
    """Span attributes of a check result (a ``CheckResult`` or its dict): kind, verdict, rows, columns."""
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    metrics = data.get("metrics") or {}
    columns = metrics.get("n_columns", metrics.get("columns"))
    return {
        "check": data.get("check"),
        "passed": data.get("passed"),
        "status": data.get("status"),
        "rows": metrics.get("rows", metrics.get("row_count")),
        "columns": columns if isinstance(columns, (int, float)) and not isinstance(columns, bool) else None,
    }
