"""The emitter: turns task/DAG-run outcomes, check results and registry events into StatsD lines.

Airflow-free: it takes plain values and an injected :class:`~.client.MetricsClient`. Every public
method sends one batch (one datagram for a typical call) and never raises.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from airflow_mlmonitor.telemetry.client import MetricsClient, NullClient
from airflow_mlmonitor.telemetry.kinds import Point, check_points
from airflow_mlmonitor.telemetry.names import DEFAULT_PREFIX, METRICS, Stat, TagMode, sanitize_prefix, to_stat

log = logging.getLogger("airflow_mlmonitor.telemetry")

TaskOutcome = Literal["success", "failure", "retry"]
RunOutcome = Literal["success", "failure"]
ModelEvent = Literal["promotion", "rollback", "rejection"]


@dataclasses.dataclass(frozen=True)
class Telemetry:
    """A StatsD target: a client, the name prefix and the tag mode."""

    client: MetricsClient = dataclasses.field(default_factory=NullClient)
    prefix: str = DEFAULT_PREFIX
    tags: TagMode = "none"

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", sanitize_prefix(self.prefix))

    @property
    def enabled(self) -> bool:
        return not isinstance(self.client, NullClient)

    def emit(self, points: Iterable[Point]) -> None:
        """Name and send a batch of points; a broken point is logged and skipped."""
        stats: list[Stat] = []
        for name, ids, value in points:
            try:
                stat = to_stat(METRICS[name], ids, value, prefix=self.prefix, tags=self.tags)
            except (KeyError, TypeError, ValueError) as err:
                log.warning("Skipping metric %s: %s", name, err)
                continue
            if stat is not None:
                stats.append(stat)
        if stats:
            try:
                self.client.send(stats)
            except Exception as err:  # a custom client must not break a task either
                log.warning("Could not send %d StatsD metrics: %s", len(stats), err)

    def task_finished(self, dag_id: str, task_id: str, outcome: TaskOutcome, duration_ms: float | None) -> None:
        """``task.{outcome}`` counter and, when known, the ``task.duration`` timer."""
        ids = {"dag_id": dag_id, "task_id": task_id}
        points: list[Point] = [(f"task.{outcome}", ids, 1)]
        if duration_ms is not None:
            points.append(("task.duration", ids, duration_ms))
        self.emit(points)

    def dagrun_finished(self, dag_id: str, outcome: RunOutcome, duration_ms: float | None) -> None:
        """``dagrun.{outcome}`` counter and, when known, the ``dagrun.duration`` timer."""
        ids = {"dag_id": dag_id}
        points: list[Point] = [(f"dagrun.{outcome}", ids, 1)]
        if duration_ms is not None:
            points.append(("dagrun.duration", ids, duration_ms))
        self.emit(points)

    def check_result(self, result: Mapping[str, Any], dag_id: str, task_id: str) -> None:
        """The metrics of one check result dict (the XCom ``return_value`` of a check operator)."""
        self.emit(check_points(result, dag_id, task_id))

    def model_event(self, event: ModelEvent, model_name: str) -> None:
        self.emit([(f"model.{event}", {"model": model_name}, 1)])

    def retrain_triggered(self, target_dag_id: str) -> None:
        self.emit([("retrain.triggered", {"target_dag": target_dag_id}, 1)])
