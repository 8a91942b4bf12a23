"""Live evaluations in MLflow: runs tagged ``mlmonitor.monitors=<model>/<version>``. Airflow-free.

Only public ``MlflowClient`` methods: ``get_registered_model``, ``get_model_version``,
``get_model_version_by_alias``, ``get_run``, ``search_experiments``, ``search_runs``,
``get_metric_history``, ``create_run``, ``log_metric``, ``set_terminated``.
"""

from __future__ import annotations

import dataclasses
import difflib
import time
from collections.abc import Iterator, Mapping
from typing import Any

from airflow_mlmonitor.anomaly.series import Series
from airflow_mlmonitor.exceptions import InvalidInputError

MONITORS_TAG = "mlmonitor.monitors"
#: Runs read per ``search_runs`` page.
PAGE_SIZE = 200


@dataclasses.dataclass(frozen=True)
class MonitoredVersion:
    model: str
    version: str
    run_id: str | None
    alias: str | None = None

    @property
    def tag_value(self) -> str:
        return f"{self.model}/{self.version}"


def _code(err: BaseException) -> str:
    return str(getattr(err, "error_code", "") or "")


def _not_found(err: BaseException) -> bool:
    return _code(err) in {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"}


def _did_you_mean(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def resolve_version(client: Any, model_name: str, alias: str) -> MonitoredVersion:
    """The version ``alias`` points to (``alias`` may also be ``"@alias"`` or a version number)."""
    from mlflow.exceptions import MlflowException

    if not model_name or not isinstance(model_name, str):
        raise InvalidInputError(f"model_name: give the registered model's name, got {model_name!r}")
    try:
        model = client.get_registered_model(model_name)
    except MlflowException as err:
        if not _not_found(err):
            raise
        names = [m.name for m in client.search_registered_models(max_results=200)]
        raise InvalidInputError(
            f"model_name: no registered model {model_name!r} in the MLflow registry.{_did_you_mean(model_name, names)}"
        ) from None
    text = str(alias).strip().removeprefix("@")
    if text.isdigit():
        try:
            mv = client.get_model_version(model_name, text)
        except MlflowException as err:
            if not _not_found(err):
                raise
            raise InvalidInputError(f"alias: {model_name!r} has no version {text}.") from None
        return MonitoredVersion(model_name, str(mv.version), mv.run_id)
    aliases = dict(getattr(model, "aliases", {}) or {})
    if text not in aliases:
        known = ", ".join(f"@{a}" for a in sorted(aliases)) or "none"
        raise InvalidInputError(
            f"alias: {model_name!r} has no alias @{text} (its aliases: {known}).{_did_you_mean(text, list(aliases))}"
        )
    mv = client.get_model_version_by_alias(model_name, text)
    return MonitoredVersion(model_name, str(mv.version), mv.run_id, text)


def training_baseline(client: Any, version: MonitoredVersion, metric: str) -> float:
    """The ``metric`` of the version's source run (``baseline="training"``)."""
    if not version.run_id:
        raise InvalidInputError(
            f"baseline='training': {version.model} v{version.version} has no source run; pass a number as baseline."
        )
    metrics = dict(client.get_run(version.run_id).data.metrics)
    if metric not in metrics:
        raise InvalidInputError(
            f"metric: the source run {version.run_id} of {version.model} v{version.version} has no metric "
            f"{metric!r} (it has {sorted(metrics)}).{_did_you_mean(metric, sorted(metrics))} "
            "Use a metric it logged, or pass a number as baseline."
        )
    return float(metrics[metric])


def _experiment_ids(client: Any) -> list[str]:
    ids: list[str] = []
    token = None
    while True:
        page = client.search_experiments(max_results=1000, page_token=token)
        ids += [e.experiment_id for e in page]
        token = getattr(page, "token", None)
        if not token:
            return ids


def _monitoring_runs(client: Any, version: MonitoredVersion) -> Iterator[Any]:
    """Runs tagged for ``version``, newest start time first."""
    value = version.tag_value.replace("'", "\\'")
    experiment_ids = _experiment_ids(client)
    if not experiment_ids:
        return
    token = None
    while True:
        page = client.search_runs(
            experiment_ids, filter_string=f"tags.`{MONITORS_TAG}` = '{value}'",
            max_results=PAGE_SIZE, order_by=["attributes.start_time DESC"], page_token=token,
        )
        yield from page
        token = getattr(page, "token", None)
        if not token:
            return


def live_series(client: Any, version: MonitoredVersion, metric: str, window: int) -> Series:
    """The last ``window`` live values of ``metric`` for ``version``, ordered by the metric's timestamp.

    Every value a monitoring run logged counts (a run may log several evaluations). Runs are read
    newest first and reading stops once ``window`` values are found that are all newer than the
    start of the next run.
    """
    points: list[tuple[int, float, str]] = []
    other_metrics: set[str] = set()
    runs_seen = 0
    for run in _monitoring_runs(client, version):
        runs_seen += 1
        if len(points) >= window:
            newest = sorted(p[0] for p in points)[-window:]
            if run.info.start_time is not None and run.info.start_time < newest[0]:
                break
        if metric not in run.data.metrics:
            other_metrics |= set(run.data.metrics)
            continue
        for m in client.get_metric_history(run.info.run_id, metric):
            points.append((int(m.timestamp), float(m.value), run.info.run_id))
    if runs_seen and not points:
        raise InvalidInputError(
            f"metric: {runs_seen} live evaluation run(s) of {version.tag_value} logged no {metric!r} "
            f"(they logged {sorted(other_metrics)}).{_did_you_mean(metric, sorted(other_metrics))}"
        )
    series = Series.from_points(points, sort_key=lambda p: (p[0], p[2]))
    tail = series.tail(window)
    return Series(tuple(_iso(t) for t in tail.timestamps), tail.values, tail.sources)


def _iso(millis: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC).isoformat()


def log_evaluation(
    client: Any,
    experiment_id: str,
    version: MonitoredVersion,
    metrics: Mapping[str, float],
    *,
    timestamp_ms: int | None = None,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Log one live evaluation of ``version`` as a finished MLflow run tagged
    ``mlmonitor.monitors=<model>/<version>``; return its run id."""
    if not metrics:
        raise InvalidInputError("metrics: give at least one metric of the live evaluation, e.g. {'accuracy': 0.91}")
    stamp = int(time.time() * 1000) if timestamp_ms is None else int(timestamp_ms)
    all_tags = {**dict(tags or {}), MONITORS_TAG: version.tag_value}
    run = client.create_run(experiment_id, start_time=stamp, tags=all_tags, run_name=run_name)
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, float(value), timestamp=stamp)
    client.set_terminated(run.info.run_id)
    return str(run.info.run_id)
