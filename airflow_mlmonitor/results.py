"""The one result vocabulary shared by every check (data quality, drift, model comparison).

Every sink (XCom, StatsD, MLflow tags, the UI, the retraining trigger) consumes this type, so a new
check plugs into all of them without adapters. Airflow-free.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any, Literal, get_args

CheckKind = Literal["data_quality", "drift", "model_comparison", "performance", "anomaly"]
Status = Literal["passed", "warned", "failed"]
OnFailure = Literal["fail", "warn", "skip"]

CHECK_KINDS: tuple[str, ...] = get_args(CheckKind)
ON_FAILURE_OPTIONS: tuple[str, ...] = get_args(OnFailure)
#: XCom values must stay small whatever the data size; results are cut down to fit this budget.
MAX_RESULT_BYTES = 48 * 1024
_BASE_KEYS = ("check", "passed", "status", "summary", "metrics", "report_uri")


def to_native(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to JSON-native Python values.

    NaN and infinities become ``None`` (JSON has no representation for them).
    """
    if isinstance(value, Mapping):
        return {str(k): to_native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [to_native(v) for v in items]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        try:
            value = value.item()
        except (ValueError, TypeError):
            return str(value)
        if isinstance(value, bool):
            return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """Outcome of one check. ``to_dict()`` is exactly what lands in XCom ``return_value``.

    :param check: which check produced it.
    :param passed: the raw outcome, before the ``on_failure`` policy.
    :param status: ``passed`` / ``warned`` / ``failed`` after the policy (a skipped check is ``failed``).
    :param summary: one line for humans.
    :param metrics: flat dict of numbers (also emitted to StatsD).
    :param report_uri: where the HTML report lives, or None.
    :param details: the check's own keys (``failed_expectations``, ``columns``, ``decision``...).
    """

    check: CheckKind
    passed: bool
    summary: str
    metrics: Mapping[str, float | int | None] = dataclasses.field(default_factory=dict)
    status: Status | None = None
    report_uri: str | None = None
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.check not in CHECK_KINDS:
            raise ValueError(f"check must be one of {CHECK_KINDS}, got {self.check!r}")
        if self.status is None:
            object.__setattr__(self, "status", "passed" if self.passed else "failed")
        clash = set(self.details) & set(_BASE_KEYS)
        if clash:
            raise ValueError(f"details may not redefine the base result keys {sorted(clash)}")

    def replace(self, **changes: Any) -> CheckResult:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-native dict pushed to XCom (base keys first, then the check's own keys)."""
        data: dict[str, Any] = {
            "check": self.check,
            "passed": bool(self.passed),
            "status": self.status,
            "summary": self.summary,
            "metrics": to_native(dict(self.metrics)),
            "report_uri": self.report_uri,
        }
        data.update(to_native(dict(self.details)))
        return data

    def to_json(self, max_bytes: int = MAX_RESULT_BYTES) -> str:
        """Serialise to JSON, cutting the largest detail lists/dicts until it fits ``max_bytes``."""
        return json.dumps(fit_to_size(self.to_dict(), max_bytes), sort_keys=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        missing = [k for k in ("check", "passed", "summary") if k not in data]
        if missing:
            raise ValueError(f"not a check result: missing keys {missing}")
        details = {k: v for k, v in data.items() if k not in _BASE_KEYS}
        return cls(
            check=data["check"],
            passed=bool(data["passed"]),
            status=data.get("status"),
            summary=str(data["summary"]),
            metrics=dict(data.get("metrics") or {}),
            report_uri=data.get("report_uri"),
            details=details,
        )

    @classmethod
    def from_json(cls, text: str) -> CheckResult:
        return cls.from_dict(json.loads(text))


def fit_to_size(data: dict[str, Any], max_bytes: int = MAX_RESULT_BYTES) -> dict[str, Any]:
    """Return ``data`` unchanged if its JSON fits ``max_bytes``, else a copy whose biggest
    non-base entries are truncated (lists and dicts keep their first items). ``truncated`` then
    lists the keys that were cut, and the full result stays in the report store."""
    size = len(json.dumps(data))
    if size <= max_bytes:
        return data
    out = dict(data)
    truncated: list[str] = []
    candidates = sorted(
        (k for k, v in out.items() if k not in _BASE_KEYS and isinstance(v, (list, dict))),
        key=lambda k: -len(json.dumps(out[k])),
    )
    for key in candidates:
        value = out[key]
        keep = len(value)
        while keep > 0 and len(json.dumps(out)) > max_bytes:
            keep //= 2
            out[key] = value[:keep] if isinstance(value, list) else dict(list(value.items())[:keep])
        truncated.append(key)
        if len(json.dumps(out)) <= max_bytes:
            break
    out["truncated"] = truncated
    if len(json.dumps(out)) > max_bytes:
        out["summary"] = str(out["summary"])[:1000]
    return out
