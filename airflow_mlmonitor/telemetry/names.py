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


def render(
    spec: MetricSpec, ids: Mapping[str, object], value: float, *, prefix: str, tags: TagMode
) -> list[str]:
    """The StatsD lines for one value (empty when the value is not a finite number).

    A negative gauge is sent as ``0`` then the value: a leading ``-`` alone would be read by StatsD
    as a decrement of the previous value.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return []
    if spec.type == "ms":
        value = max(0.0, float(value))
    missing = [key for key in spec.ids if key not in ids]
    if missing:
        raise KeyError(f"metric {spec.name!r} needs the ids {missing}")
    segments = [sanitize(ids[key]) for key in spec.ids]
    base = f"{prefix}.{spec.name}" if prefix else spec.name
    if tags == "dogstatsd":
        tag_text = ",".join(f"{key}:{seg}" for key, seg in zip(spec.ids, segments, strict=True))
        head, tail = base, f"|#{tag_text}"
    elif tags == "influxdb":
        tag_text = "".join(f",{key}={seg}" for key, seg in zip(spec.ids, segments, strict=True))
        head, tail = base + tag_text, ""
    else:
        head, tail = ".".join([base, *segments]), ""
    lines = []
    if spec.type == "g" and value < 0:
        lines.append(f"{head}:0|g{tail}")
    lines.append(f"{head}:{format_value(value)}|{spec.type}{tail}")
    return lines
