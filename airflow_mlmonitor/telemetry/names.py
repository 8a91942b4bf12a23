"""StatsD metric names, id sanitising and the three tag modes. Airflow-free, no I/O.

Every metric is a :class:`MetricSpec` in :data:`METRICS` (data, not if/elif chains): a dotted
name, a StatsD type and the ids that identify one series. Rendering puts the ids either into the
name (``none``) or into tags (``dogstatsd``, ``influxdb``)::

    none       mlmonitor.task.duration.my_dag.my_task:1234|ms
    dogstatsd  mlmonitor.task.duration:1234|ms|#dag_id:my_dag,task_id:my_task
    influxdb   mlmonitor.task.duration,dag_id=my_dag,task_id=my_task:1234|ms
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Literal, get_args

MetricType = Literal["c", "g", "ms"]
TagMode = Literal["none", "dogstatsd", "influxdb"]
TAG_MODES: tuple[str, ...] = get_args(TagMode)
DEFAULT_PREFIX = "mlmonitor"

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    """One metric: ``name`` under the prefix, its StatsD ``type`` and the ids of a series, in order."""

    name: str
    type: MetricType
    ids: tuple[str, ...]


_TASK = ("dag_id", "task_id")
METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("task.duration", "ms", _TASK),
        MetricSpec("task.success", "c", _TASK),
        MetricSpec("task.failure", "c", _TASK),
        MetricSpec("task.retry", "c", _TASK),
        MetricSpec("dagrun.duration", "ms", ("dag_id",)),
        MetricSpec("dagrun.success", "c", ("dag_id",)),
        MetricSpec("dagrun.failure", "c", ("dag_id",)),
        MetricSpec("quality.success_percent", "g", _TASK),
        MetricSpec("quality.unsuccessful_expectations", "g", _TASK),
        MetricSpec("drift.share", "g", _TASK),
        MetricSpec("drift.drifted_columns", "g", _TASK),
        MetricSpec("drift.detected", "c", _TASK),
        MetricSpec("model.promotion", "c", ("model",)),
        MetricSpec("model.rollback", "c", ("model",)),
        MetricSpec("model.rejection", "c", ("model",)),
        MetricSpec("model.metric_delta", "g", ("model", "metric")),
        MetricSpec("retrain.triggered", "c", ("target_dag",)),
        MetricSpec("model.performance_ratio", "g", ("model", "metric")),
        MetricSpec("anomaly.count", "g", _TASK),
    )
}


def sanitize(segment: object) -> str:
    """One id as one name segment: anything outside ``[A-Za-z0-9_-]`` becomes ``_``.

    ``group.task`` becomes ``group_task`` (one segment), ``données`` becomes ``donn_es``; an empty id
    becomes ``_`` so a series never loses a segment.
    """
    return _UNSAFE.sub("_", str(segment)) or "_"


def sanitize_prefix(prefix: str) -> str:
    """The prefix keeps its dots (``team.mlmonitor``); each part is sanitised, empty parts dropped."""
    return ".".join(sanitize(part) for part in str(prefix).split(".") if part)


def format_value(value: float) -> str:
    """Integers without a decimal point, other numbers in the shortest exact form."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


@dataclasses.dataclass(frozen=True)
class Stat:
    """One value as a StatsD client call: ``name`` (with the prefix, and in ``none`` mode the id
    segments, in ``influxdb`` mode the ``,key=value`` tags), ``tags`` (``dogstatsd`` mode only)."""

    type: MetricType
    name: str
    value: float
    tags: tuple[str, ...] = ()


def to_stat(spec: MetricSpec, ids: Mapping[str, object], value: float, *, prefix: str, tags: TagMode) -> Stat | None:
    """The client call for one value (None when the value is not a finite number).

    :raises KeyError: an id of ``spec`` is missing.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if spec.type == "ms":
        value = max(0.0, float(value))
    missing = [key for key in spec.ids if key not in ids]
    if missing:
        raise KeyError(f"metric {spec.name!r} needs the ids {missing}")
    segments = [sanitize(ids[key]) for key in spec.ids]
    base = f"{prefix}.{spec.name}" if prefix else spec.name
    if tags == "dogstatsd":
        return Stat(spec.type, base, value, tuple(f"{k}:{seg}" for k, seg in zip(spec.ids, segments, strict=True)))
    if tags == "influxdb":
        return Stat(spec.type, base + "".join(f",{k}={seg}" for k, seg in zip(spec.ids, segments, strict=True)), value)
    return Stat(spec.type, ".".join([base, *segments]), value)


def render(
    spec: MetricSpec, ids: Mapping[str, object], value: float, *, prefix: str, tags: TagMode
) -> list[str]:
    """The StatsD lines one value becomes on the wire (empty when the value is not a finite number).

    A negative gauge is sent as ``0`` then the value: a leading ``-`` alone would be read by StatsD
    as a decrement of the previous value (both clients do this).
    """
    stat = to_stat(spec, ids, value, prefix=prefix, tags=tags)
    return [] if stat is None else lines_of(stat)


def lines_of(stat: Stat) -> list[str]:
    """The canonical StatsD lines of one :class:`Stat` (the clients' number formatting may differ:
    ``statsd`` sends timers as ``1234.500000|ms``)."""
    tail = "|#" + ",".join(stat.tags) if stat.tags else ""
    lines = []
    if stat.type == "g" and stat.value < 0:
        lines.append(f"{stat.name}:0|g{tail}")
    lines.append(f"{stat.name}:{format_value(stat.value)}|{stat.type}{tail}")
    return lines
