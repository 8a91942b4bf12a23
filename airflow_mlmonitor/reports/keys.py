"""Identify one report folder and validate every id so nothing can escape the report store."""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import quote, urlencode

from airflow_mlmonitor.exceptions import ReportStoreError

# Airflow's own id alphabets: dag/task ids are word characters, dots and dashes (a dot separates
# task-group levels); run ids may also hold ':', '+' and '~' (timestamps). No slashes, ever.
_ID = re.compile(r"^[\w.-]{1,250}$")
_RUN_ID = re.compile(r"^[\w.~:+-]{1,250}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$")


def _check_segment(kind: str, value: Any, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str):
        raise ReportStoreError(f"{kind} must be a string, got {type(value).__name__}")
    if value in {".", ".."} or "\x00" in value or not pattern.fullmatch(value) or value.startswith("."):
        raise ReportStoreError(
            f"Refusing {kind} {value!r}: ids in the report store may only hold letters, digits, "
            "'_', '-', '.' (run ids also ':', '+', '~'), may not start with '.', and never '/' or '..'."
        )
    return value


def _check_int(kind: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool):
        raise ReportStoreError(f"{kind} must be an integer, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ReportStoreError(f"{kind} must be an integer, got {value!r}") from None
    if str(number) != str(value).strip() and not isinstance(value, int):
        raise ReportStoreError(f"{kind} must be an integer, got {value!r}")
    if number < minimum:
        raise ReportStoreError(f"{kind} must be >= {minimum}, got {number}")
    return number


def check_file_name(name: str) -> str:
    if not isinstance(name, str) or not _FILE_NAME.fullmatch(name) or ".." in name:
        raise ReportStoreError(f"Refusing report file name {name!r}: use letters, digits, '_', '-', '.'.")
    return name


@dataclasses.dataclass(frozen=True)
class ReportKey:
    """One task-instance try: ``dag_id / run_id / task_id / map_index / try_number``."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    try_number: int = 1

    def __post_init__(self) -> None:
        _check_segment("dag_id", self.dag_id, _ID)
        _check_segment("run_id", self.run_id, _RUN_ID)
        _check_segment("task_id", self.task_id, _ID)
        object.__setattr__(self, "map_index", _check_int("map_index", self.map_index, -1))
        object.__setattr__(self, "try_number", _check_int("try_number", self.try_number, 0))

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.dag_id, self.run_id, self.task_id, str(self.map_index), str(self.try_number))

    @classmethod
    def from_ti(cls, ti: Any) -> ReportKey:
        """Build from a task instance (or a ``TaskInstanceKey``); works on workers, no DB."""
        map_index = getattr(ti, "map_index", -1)
        return cls(
            dag_id=ti.dag_id,
            run_id=ti.run_id,
            task_id=ti.task_id,
            map_index=-1 if map_index is None else map_index,
            try_number=getattr(ti, "try_number", 1) or 1,
        )


def parse_map_index(value: Any) -> int:
    """The UI leaves ``{MAP_INDEX}`` unreplaced on non-mapped tasks: anything non-integer is -1."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return -1
    return max(number, -1)


def report_path(dag_id: str, run_id: str, task_id: str) -> str:
    """The route path (below the plugin mount) of a task's report; ids are percent-encoded."""
    segments = (quote(str(s), safe="") for s in (dag_id, run_id, task_id))
    return "/mlmonitor/reports/" + "/".join(segments)


def report_url(key: ReportKey, base_url: str = "") -> str:
    """Absolute URL of the report of exactly this try, as served by the ``mlmonitor`` plugin."""
    query = urlencode({"map_index": key.map_index, "try_number": key.try_number})
    return f"{base_url.rstrip('/')}{report_path(key.dag_id, key.run_id, key.task_id)}?{query}"
