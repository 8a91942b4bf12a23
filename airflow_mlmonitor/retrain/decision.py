"""Decide whether to trigger retraining from the results of upstream checks. Airflow-free."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError


@dataclasses.dataclass(frozen=True)
class RetrainDecision:
    """Whether to trigger, why, and what the triggered run's conf says about the checks.

    :param failing: check keys (``task_id`` or ``task_id[map_index]``) that did not pass.
    :param missing: check task ids that left no result (they errored before checking, or did not run).
    :param checks: ``{check key: {check, status, passed, summary, report_uri, rows}}`` of every
        result found (``rows``: its ``metrics.rows``, or None).
    :param inconclusive: check keys whose result says it had too little data to decide
        (``insufficient: true``, e.g. a performance check with fewer live values than its window):
        they do not count as failed checks.
    """

    trigger: bool
    reason: str
    failing: tuple[str, ...]
    missing: tuple[str, ...]
    checks: Mapping[str, Mapping[str, Any]]
    inconclusive: tuple[str, ...] = ()

    @property
    def rows(self) -> dict[str, int]:
        """``{check key: rows}`` of the results that say how many rows they checked."""
        return {k: int(v["rows"]) for k, v in self.checks.items() if v.get("rows") is not None}


def _summary(result: Mapping[str, Any]) -> dict[str, Any]:
    from airflow_mlmonitor.retrain.volume import rows_of

    summary = {k: result.get(k) for k in ("check", "status", "passed", "summary", "report_uri")}
    summary["rows"] = rows_of(result)
    if result.get("insufficient"):
        summary["insufficient"] = True
    return summary


def _is_result(value: Any) -> bool:
    return isinstance(value, Mapping) and "passed" in value and "check" in value


def decide(results: Mapping[str, Sequence[Any]]) -> RetrainDecision:
    """``results`` maps each check task id to the XCom values it left (one per map index).

    Retraining triggers when any result did not pass. A task that left no result is reported in
    ``missing`` and does not count as a failed check: a broken input is not a reason to retrain.
    """
    checks: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for task_id, values in results.items():
        found = [v for v in values if v is not None]
        if not found:
            missing.append(task_id)
            continue
        for index, value in enumerate(found):
            if not _is_result(value):
                raise InvalidInputError(
                    f"check_task_ids: task {task_id!r} returned {type(value).__name__}, not a check "
                    "result; list only airflow-mlmonitor check operators."
                )
            checks[task_id if len(found) == 1 else f"{task_id}[{index}]"] = _summary(value)
    inconclusive = tuple(k for k, v in checks.items() if not v["passed"] and v.get("insufficient"))
    failing = tuple(k for k, v in checks.items() if not v["passed"] and k not in inconclusive)
    if failing:
        details = "; ".join(f"{k}: {checks[k]['summary']}" for k in failing)
        reason = f"{len(failing)} check(s) did not pass: {details}"
    elif missing or inconclusive:
        parts = [f"no result from {', '.join(missing)}"] if missing else []
        parts += [f"too little data in {', '.join(inconclusive)}"] if inconclusive else []
        reason = f"no check failed; {'; '.join(parts)}"
    else:
        reason = f"all {len(checks)} check(s) passed"
    return RetrainDecision(bool(failing), reason[:2000], failing, tuple(missing), checks, inconclusive)


@dataclasses.dataclass(frozen=True)
class CooldownState:
    """The last trigger for a cooldown key, as stored in an Airflow Variable (JSON)."""

    triggered_at: dt.datetime
    dag_id: str
    run_id: str

    def to_json_dict(self) -> dict[str, str]:
        return {"triggered_at": self.triggered_at.isoformat(), "dag_id": self.dag_id, "run_id": self.run_id}

    @classmethod
    def from_json_dict(cls, data: Any) -> CooldownState | None:
        try:
            return cls(dt.datetime.fromisoformat(data["triggered_at"]), str(data["dag_id"]), str(data["run_id"]))
        except (KeyError, TypeError, ValueError):
            return None

    def remaining(self, cooldown: dt.timedelta | None, now: dt.datetime) -> dt.timedelta | None:
        """Time left in the cooldown, or None when it is over (or there is no cooldown)."""
        if cooldown is None:
            return None
        left = self.triggered_at + cooldown - now
        return left if left > dt.timedelta(0) else None


def triggered_run_id(source_dag_id: str, source_run_id: str) -> str:
    """A deterministic run id per source run: a retried trigger task never starts a second run."""
    run_id = f"mlmonitor_retrain__{source_dag_id}__{source_run_id}"
    if len(run_id) > 240:
        digest = hashlib.sha256(run_id.encode()).hexdigest()[:16]
        run_id = f"{run_id[:200]}__{digest}"
    return run_id
