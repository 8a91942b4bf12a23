"""Champion/challenger comparison with exactly the semantics of ``mlflow.models.MetricThreshold``.

Pure and Airflow-free: takes two metric dicts, returns a frozen :class:`Comparison`. MLflow is not
imported; ``tests/unit/mlflow/test_compare.py`` checks every verdict against MLflow's own validator.

Per rule (``>=`` when greater is better, ``<=`` otherwise; ``+``/``-`` likewise):

- ``threshold``: candidate >= threshold.
- ``min_absolute_change``: candidate >= baseline + min_absolute_change.
- ``min_relative_change``: (candidate - baseline) / |baseline| >= min_relative_change (lower is better:
  (baseline - candidate) / |baseline|); a zero baseline falls back to candidate >= baseline + 1e-10.
- none of the three: candidate >= baseline ("no worse than the baseline", our addition: MLflow
  refuses such a threshold).
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.registry.errors import MetricMissingError

_RULE_KEYS = frozenset({"metric", "greater_is_better", "threshold", "min_absolute_change", "min_relative_change"})
_ZERO_BASELINE_EPSILON = 1e-10  # MLflow's fallback when the baseline value is 0


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True)
class Rule:
    """One comparison rule (the fields of ``mlflow.models.MetricThreshold`` plus the metric name)."""

    metric: str
    greater_is_better: bool = True
    threshold: float | None = None
    min_absolute_change: float | None = None
    min_relative_change: float | None = None

    @property
    def needs_baseline(self) -> bool:
        return self.threshold is None or self.min_absolute_change is not None or self.min_relative_change is not None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """Validate one rule dict like ``MetricThreshold`` does; raise :class:`InvalidInputError`."""
        if not isinstance(data, Mapping):
            raise InvalidInputError(f"each rule must be a dict like {{'metric': 'accuracy', ...}}, got {data!r}")
        unknown = set(data) - _RULE_KEYS
        if unknown:
            raise InvalidInputError(f"rule {dict(data)!r}: unknown keys {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}")
        metric = data.get("metric")
        if not isinstance(metric, str) or not metric:
            raise InvalidInputError(f"rule {dict(data)!r}: 'metric' must be a non-empty metric name")
        gib = data.get("greater_is_better", True)
        if not isinstance(gib, bool):
            raise InvalidInputError(f"rule for {metric!r}: 'greater_is_better' must be True or False, got {gib!r}")
        threshold = data.get("threshold")
        if threshold is not None and not (_is_number(threshold) and math.isfinite(threshold)):
            raise InvalidInputError(f"rule for {metric!r}: 'threshold' must be a number, got {threshold!r}")
        abs_change = data.get("min_absolute_change")
        if abs_change is not None and not (_is_number(abs_change) and abs_change > 0):
            raise InvalidInputError(
                f"rule for {metric!r}: 'min_absolute_change' must be a positive number, got {abs_change!r}"
            )
        rel_change = data.get("min_relative_change")
        if rel_change is not None and not (_is_number(rel_change) and 0 <= rel_change <= 1):
            raise InvalidInputError(
                f"rule for {metric!r}: 'min_relative_change' must be a number between 0 and 1 "
                f"(0.05 means 5%), got {rel_change!r}"
            )
        return cls(
            metric=metric,
            greater_is_better=gib,
            threshold=None if threshold is None else float(threshold),
            min_absolute_change=None if abs_change is None else float(abs_change),
            min_relative_change=None if rel_change is None else float(rel_change),
        )


@dataclasses.dataclass(frozen=True)
class RuleOutcome:
    """The verdict of one rule: one entry of the result's ``rules`` list."""

    metric: str
    candidate: float
    baseline: float | None
    passed: bool
    reason: str

    @property
    def delta(self) -> float | None:
        return None if self.baseline is None else self.candidate - self.baseline

    @property
    def relative_delta(self) -> float | None:
        """(candidate - baseline) / |baseline|, None without a baseline or with a zero baseline."""
        if self.baseline is None or self.baseline == 0:
            return None
        return (self.candidate - self.baseline) / abs(self.baseline)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "delta": self.delta,
            "relative_delta": self.relative_delta,
            "passed": self.passed,
            "reason": self.reason,
        }


@dataclasses.dataclass(frozen=True)
class Comparison:
    """All rule verdicts. ``passed`` is True when every rule passed."""

    outcomes: tuple[RuleOutcome, ...]
    has_baseline: bool

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    @property
    def failed_metrics(self) -> list[str]:
        return [o.metric for o in self.outcomes if not o.passed]


def parse_rules(rules: Any) -> list[Rule]:
    if not isinstance(rules, Sequence) or isinstance(rules, (str, bytes)) or not rules:
        raise InvalidInputError(
            "rules must be a non-empty list of dicts like "
            "[{'metric': 'accuracy', 'min_absolute_change': 0.01}], got " + repr(rules)
        )
    return [r if isinstance(r, Rule) else Rule.from_dict(r) for r in rules]


def _metric_value(metrics: Mapping[str, float], rule: Rule, side: str, label: str) -> float:
    value = metrics.get(rule.metric)
    if value is None:
        import difflib

        known = ", ".join(sorted(metrics)) or "none"
        close = difflib.get_close_matches(rule.metric, sorted(metrics), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise MetricMissingError(
            f"the {side} ({label}) has no metric {rule.metric!r} ({hint}its metrics: {known}); log it on the "
            "model version's source run or fix the rule"
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise MetricMissingError(
            f"the {side} ({label}) logged {rule.metric!r} = {value!r}, which cannot be compared; "
            "log a finite number"
        )
    return float(value)


def evaluate_rule(rule: Rule, candidate: float, baseline: float | None) -> RuleOutcome:
    """One rule, MetricThreshold semantics. ``baseline=None``: only ``threshold`` is checked."""
    better: Callable[[Any, Any], bool] = operator.ge if rule.greater_is_better else operator.le
    shift: Callable[[float, float], float] = operator.add if rule.greater_is_better else operator.sub
    sym = ">=" if rule.greater_is_better else "<="
    sign = "+" if rule.greater_is_better else "-"
    reasons: list[str] = []
    failed = False

    def check(ok: bool, text: str) -> None:
        nonlocal failed
        failed = failed or not ok
        reasons.append(("ok: " if ok else "FAILED: ") + text)

    name = rule.metric
    if rule.threshold is not None:
        check(better(candidate, rule.threshold), f"{name} {candidate:g} {sym} threshold {rule.threshold:g}")
    if baseline is None:
        if rule.needs_baseline:
            reasons.append("no baseline: only the absolute threshold was checked")
    else:
        if rule.min_absolute_change is not None:
            bound = shift(baseline, rule.min_absolute_change)
            check(
                better(Decimal(candidate), Decimal(bound)),
                f"{name} {candidate:g} {sym} baseline {baseline:g} {sign} {rule.min_absolute_change:g}",
            )
        if rule.min_relative_change is not None:
            if baseline == 0:
                ok = better(Decimal(candidate), Decimal(shift(baseline, _ZERO_BASELINE_EPSILON)))
                check(ok, f"{name} {candidate:g} strictly better than a zero baseline (relative change undefined)")
            else:
                diff = candidate - baseline if rule.greater_is_better else baseline - candidate
                rel = diff / abs(baseline)
                check(
                    not rel < rule.min_relative_change,
                    f"{name} relative improvement {rel:.6g} >= {rule.min_relative_change:g}",
                )
        if rule.threshold is None and rule.min_absolute_change is None and rule.min_relative_change is None:
            check(better(candidate, baseline), f"{name} {candidate:g} {sym} baseline {baseline:g} (no worse)")
    return RuleOutcome(name, candidate, baseline, not failed, "; ".join(reasons))


def compare(
    rules: Sequence[Rule],
    candidate_metrics: Mapping[str, float],
    baseline_metrics: Mapping[str, float] | None,
    *,
    candidate_label: str = "candidate",
    baseline_label: str = "baseline",
) -> Comparison:
    """Evaluate every rule. ``baseline_metrics=None`` means there is no baseline model (only
    thresholds are checked); a metric missing or NaN on either side raises :class:`MetricMissingError`."""
    outcomes = []
    for rule in rules:
        cand = _metric_value(candidate_metrics, rule, "candidate", candidate_label)
        base = None
        if baseline_metrics is not None and rule.needs_baseline:
            base = _metric_value(baseline_metrics, rule, "baseline", baseline_label)
        elif baseline_metrics is not None and rule.metric in baseline_metrics:
            value = baseline_metrics[rule.metric]
            base = float(value) if isinstance(value, (int, float)) and not math.isnan(value) else None
        outcomes.append(evaluate_rule(rule, cand, base))
    return Comparison(tuple(outcomes), has_baseline=baseline_metrics is not None)
