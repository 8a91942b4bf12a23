"""Data-volume retraining: rows seen by the checks since the last trigger for a key. Airflow-free.

The state is a small JSON document stored next to the cooldown state (an Airflow Variable per
``cooldown_key``), so it outlives the process and the worker and is shared by every DAG that uses
the same key. Rows are recorded per check task instance (``dag_id/run_id/task_id[map_index]``) and
*replaced*, never added, when the same check is seen again: a retried trigger task, or a retried
check task, never counts its rows twice. A trigger (for any reason) resets the count; the check
keys that counted towards it are remembered so that a retry after the reset does not count them
again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

#: Keys remembered as already counted towards a past trigger (oldest dropped first).
MAX_CONSUMED = 500
#: Check keys counted since the last trigger; beyond this the oldest are folded into ``carried``.
MAX_COUNTED = 2000


@dataclasses.dataclass(frozen=True)
class VolumeState:
    """Rows seen per check key since the last trigger for one cooldown key.

    :param counted: ``{check key: rows}`` since the last trigger (insertion order = arrival order).
    :param carried: rows of old check keys folded away to keep the document small.
    :param consumed: check keys that counted towards the last trigger(s); seeing them again adds nothing.
    """

    counted: Mapping[str, int] = dataclasses.field(default_factory=dict)
    carried: int = 0
    consumed: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return self.carried + sum(self.counted.values())

    def record(self, rows: Mapping[str, int]) -> VolumeState:
        """The state after the checks ``rows`` (``{check key: rows}``) were seen. Idempotent."""
        counted = dict(self.counted)
        consumed = set(self.consumed)
        for key, value in rows.items():
            if key in consumed:
                continue
            counted.pop(key, None)  # replace, and move to the end (newest)
            counted[key] = int(value)
        carried = self.carried
        while len(counted) > MAX_COUNTED:
            oldest = next(iter(counted))
            carried += counted.pop(oldest)
        return VolumeState(counted, carried, self.consumed)

    def reset(self) -> VolumeState:
        """The state after a trigger: no rows, and every counted key remembered as consumed."""
        consumed = [k for k in self.consumed if k not in self.counted] + list(self.counted)
        return VolumeState({}, 0, tuple(consumed[-MAX_CONSUMED:]))

    def to_json_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "counted": dict(self.counted), "carried": self.carried, "consumed": list(self.consumed)}

    @classmethod
    def from_json_dict(cls, data: Any) -> VolumeState:
        """Parse a stored state; anything unreadable (or nothing) is an empty state."""
        if not isinstance(data, Mapping):
            return cls()
        try:
            counted = {str(k): int(v) for k, v in dict(data.get("counted") or {}).items()}
            carried = int(data.get("carried") or 0)
            consumed = tuple(str(k) for k in data.get("consumed") or ())
        except (TypeError, ValueError):
            return cls()
        return cls(counted, carried, consumed)


def rows_of(result: Mapping[str, Any]) -> int | None:
    """Rows a check result says it checked (``metrics.rows``), or None when it does not say."""
    metrics = result.get("metrics") or {}
    value = metrics.get("rows") if isinstance(metrics, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        return None
    return int(value)


def check_rows(dag_id: str, run_id: str, rows: Mapping[str, int]) -> dict[str, int]:
    """Key ``{check key: rows}`` of one run by check task instance: ``dag_id/run_id/check key``."""
    return {f"{dag_id}/{run_id}/{key}": int(value) for key, value in rows.items()}
