"""The windowed degradation rule: average of the last ``window`` live values vs a baseline.

``greater_is_better=True`` (accuracy, AUC): ``ratio = average / baseline``.
``greater_is_better=False`` (log loss, RMSE, latency): the mirrored ratio ``baseline / average``.
Either way a higher ratio is healthier and the check passes when ``ratio >= min_ratio`` (a ratio
within 1e-9 relative of ``min_ratio`` is *at* the boundary and passes). So ``min_ratio=0.9`` means
"the average may be at most 10% below the baseline" for accuracy, and "at most baseline / 0.9
(about 11% above it)" for a loss. Fewer than ``window`` values is *insufficient*: the result says so
(``insufficient: true``, ``passed: false``) and the operator's ``on_insufficient`` policy applies.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, Literal, get_args

from airflow_mlmonitor.anomaly.series import Series, check_finite
from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.results import CheckResult

OnInsufficient = Literal["skip", "warn", "fail"]
ON_INSUFFICIENT: tuple[str, ...] = get_args(OnInsufficient)
_BOUNDARY_TOLERANCE = 1e-9


@dataclasses.dataclass(frozen=True)
class PerformanceRule:
    """``window`` >= 1 live values, ``min_ratio`` > 0, ``greater_is_better`` a bool."""

    window: int = 5
    min_ratio: float = 0.9
    greater_is_better: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1:
            raise InvalidInputError(f"window must be an integer >= 1 (live values to average), got {self.window!r}")
        if isinstance(self.min_ratio, bool) or not isinstance(self.min_ratio, (int, float)):
            raise InvalidInputError(f"min_ratio must be a number > 0, got {self.min_ratio!r}")
        if not math.isfinite(self.min_ratio) or self.min_ratio <= 0:
            raise InvalidInputError(f"min_ratio must be a number > 0 (e.g. 0.9 for 90%), got {self.min_ratio!r}")
        if not isinstance(self.greater_is_better, bool):
            raise InvalidInputError(f"greater_is_better must be True or False, got {self.greater_is_better!r}")

    def ratio(self, average: float, baseline: float) -> float:
        if self.greater_is_better:
            return average / baseline
        return math.inf if average == 0 else baseline / average

    def passes(self, ratio: float) -> bool:
        return ratio >= self.min_ratio or math.isclose(ratio, self.min_ratio, rel_tol=_BOUNDARY_TOLERANCE)


def validate_on_insufficient(value: Any) -> str:
    if value not in ON_INSUFFICIENT:
        raise InvalidInputError(
            f"on_insufficient must be one of {', '.join(map(repr, ON_INSUFFICIENT))}, got {value!r}"
        )
    return str(value)


def parse_baseline(value: Any) -> float | None:
    """A number (also a numeric string, e.g. rendered from a template), or None for ``"training"``."""
    if isinstance(value, str) and value.strip().lower() == "training":
        return None
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise InvalidInputError(
            f"baseline must be a number > 0 or 'training' (the metric of the version's source run), got {value!r}"
        )
    return number


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def evaluate(
    series: Series,
    *,
    baseline: float,
    rule: PerformanceRule,
    subject: Mapping[str, Any],
) -> CheckResult:
    """The ``performance`` check result of the last ``rule.window`` values of ``series``.

    ``subject`` holds ``model`` (name), ``version``, ``alias``, ``metric``, ``baseline_source`` and
    ``source`` (where the values came from); it is copied into the result.
    """
    if not math.isfinite(baseline) or baseline <= 0:
        raise InvalidInputError(f"baseline must be > 0 to compute a ratio, got {baseline!r} ({subject.get('baseline_source')})")
    window = series.tail(rule.window)
    check_finite(window.values, param="metric", where=f"the live values of {subject.get('metric')!r}")
    label = f"{subject.get('metric')} of {subject.get('model')}" + (f" v{subject['version']}" if subject.get("version") else "")
    average = sum(window.values) / len(window) if len(window) else None
    ratio = rule.ratio(average, baseline) if average is not None else None
    insufficient = len(window) < rule.window
    passed = not insufficient and ratio is not None and rule.passes(ratio)
    if insufficient:
        summary = (
            f"only {len(window)} of {rule.window} live values of {label}: not enough to judge "
            f"(window={rule.window})"
        )
    else:
        op = ">=" if passed else "<"
        summary = (
            f"{label}: average of the last {rule.window} live values {_fmt(average)} vs baseline {_fmt(baseline)} "
            f"({subject.get('baseline_source')}): ratio {_fmt(ratio)} {op} min_ratio {rule.min_ratio:g}"
        )
    metrics = {"ratio": ratio, "average": average, "baseline": baseline, "n_values": len(window), "window": rule.window,
               "min_ratio": rule.min_ratio}
    details = {
        **dict(subject),
        "model_name": subject.get("model"),
        "values": list(window.values),
        "timestamps": list(window.timestamps),
        "runs": list(window.sources),
        "average": average,
        "baseline": baseline,
        "ratio": ratio,
        "min_ratio": rule.min_ratio,
        "window": rule.window,
        "greater_is_better": rule.greater_is_better,
        "insufficient": insufficient,
    }
    return CheckResult(check="performance", passed=passed, summary=summary, metrics=metrics, details=details)
