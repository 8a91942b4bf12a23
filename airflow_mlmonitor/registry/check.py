"""The ``model_comparison`` check: resolve candidate and baseline, compare, build the result.

Airflow-free. :func:`run_comparison` talks to the injected client; :func:`comparison_result`
and :func:`render_report` only interpret, so they are tested without MLflow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_mlmonitor.registry.compare import Comparison, Rule, compare, parse_rules
from airflow_mlmonitor.registry.errors import ModelNotFoundError, NoBaselineError
from airflow_mlmonitor.registry.refs import (
    ResolvedModel,
    alias_version,
    did_you_mean,
    get_registered_model,
    parse_reference,
    resolve,
)
from airflow_mlmonitor.results import CheckResult


@dataclasses.dataclass(frozen=True)
class ComparisonOutcome:
    model_name: str
    candidate: ResolvedModel
    baseline: ResolvedModel | None
    baseline_ref: str | None
    comparison: Comparison
    rules: tuple[Rule, ...] = ()

    @property
    def decision(self) -> str:
        return "promote" if self.comparison.passed else "reject"


def run_comparison(
    client: Any,
    model_name: str,
    *,
    candidate: str,
    baseline: str | None,
    rules: Sequence[Mapping[str, Any]],
    promote_if_no_baseline: bool = False,
    promote_to_alias: str | None = None,
    include_rolled_back: bool = False,
) -> ComparisonOutcome:
    """Resolve both references, read their source runs' metrics and apply the rules.

    **No baseline**: a baseline alias that is not set counts as "no baseline" only when the model
    has no aliases at all, or the alias is ``promote_to_alias`` (the first promotion to it). Then it
    is an error unless ``promote_if_no_baseline`` (only absolute ``threshold`` rules are checked).
    Any other unset alias is a typo until proven otherwise: :class:`ModelNotFoundError` naming the
    existing aliases, with a did-you-mean. Any other unresolvable reference, a missing metric or a
    NaN metric raises a typed error before anything is decided. Rolled-back versions are refused
    as candidate or baseline unless ``include_rolled_back``.
    """
    parsed_rules = parse_rules(rules)
    cand = resolve(client, model_name, candidate, include_rolled_back=include_rolled_back)
    base: ResolvedModel | None = None
    if baseline:
        ref = parse_reference(baseline)
        model = get_registered_model(client, model_name)
        aliases = dict(getattr(model, "aliases", None) or {})
        unset = ref.kind == "alias" and alias_version(client, model_name, ref.value, model) is None
        if unset and aliases and ref.value != promote_to_alias:
            raise ModelNotFoundError(
                f"registered model {model_name!r} has no alias {ref.value!r} for baseline {baseline!r}"
                + did_you_mean(ref.value, aliases, "aliases")
                + ". A missing baseline alias counts as 'no baseline' only when the model has no aliases yet "
                "or it is the promote_to_alias; nothing was decided or moved."
            )
        if not unset:
            base = resolve(client, model_name, ref, include_rolled_back=include_rolled_back)
    if base is None and not promote_if_no_baseline:
        raise NoBaselineError(
            f"registered model {model_name!r} has no baseline {baseline!r} to compare {cand.label} with; "
            "nothing was decided. Set promote_if_no_baseline=True to accept a first model on its "
            "absolute thresholds alone, or point baseline at an existing version."
        )
    comparison = compare(
        parsed_rules,
        cand.metrics,
        None if base is None else base.metrics,
        candidate_label=cand.label,
        baseline_label="" if base is None else base.label,
    )
    return ComparisonOutcome(model_name, cand, base, baseline, comparison, tuple(parsed_rules))


def failed_rule_lines(outcome: ComparisonOutcome) -> list[str]:
    """One line per failed rule: metric, candidate, baseline, delta and the bound that failed."""
    lines = []
    rules: list[Rule | None] = list(outcome.rules) or [None] * len(outcome.comparison.outcomes)
    for o, rule in zip(outcome.comparison.outcomes, rules, strict=False):
        if o.passed:
            continue
        failed = "; ".join(p[len("FAILED: "):] for p in o.reason.split("; ") if p.startswith("FAILED: "))
        bounds = ", ".join(
            f"{k}={getattr(rule, k)!r}" for k in ("threshold", "min_absolute_change", "min_relative_change")
            if rule is not None and getattr(rule, k) is not None
        ) or "no worse than the baseline"
        lines.append(
            f"rule {o.metric!r} failed: candidate {_fmt(o.candidate)}, baseline {_fmt(o.baseline)}, "
            f"delta {_fmt(o.delta)}, relative delta {_fmt(o.relative_delta)}; rule {bounds}; failed check: {failed}"
        )
    return lines


def _fmt(value: Any) -> str:
    return "none" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


def comparison_result(outcome: ComparisonOutcome, promotion: Mapping[str, Any] | None = None) -> CheckResult:
    """The ``model_comparison`` result pushed to XCom (keys in DESIGN.md)."""
    comp = outcome.comparison
    rules = [o.to_dict() for o in comp.outcomes]
    metrics: dict[str, float | int | None] = {"rules": len(rules), "failed_rules": len(comp.failed_metrics)}
    for rule in rules:
        metrics[f"candidate.{rule['metric']}"] = rule["candidate"]
        if rule["delta"] is not None:
            metrics[f"delta.{rule['metric']}"] = rule["delta"]
    against = (
        f"{outcome.baseline_ref} (version {outcome.baseline.version})" if outcome.baseline else "no baseline"
    )
    verdict = (
        f"promote ({len(rules)}/{len(rules)} rules passed)"
        if comp.passed
        else f"reject (failed: {', '.join(comp.failed_metrics)})"
    )
    summary = f"{outcome.candidate.label} vs {against}: {verdict}"
    if promotion:
        summary += f"; promoted to @{promotion['alias']}"
    return CheckResult(
        check="model_comparison",
        passed=comp.passed,
        summary=summary,
        metrics=metrics,
        details={
            "model_name": outcome.model_name,
            "decision": outcome.decision,
            "candidate": outcome.candidate.to_dict(),
            "baseline": None if outcome.baseline is None else outcome.baseline.to_dict(),
            "rules": rules,
            "failed_metrics": comp.failed_metrics,
            "promotion": dict(promotion) if promotion else None,
        },
    )


def _num(value: Any) -> str:
    """A number for the page: floats to 6 significant digits, None as nothing (escaped by the template)."""
    return "" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


def render_report(result: CheckResult) -> str:
    """A small self-contained HTML page of the comparison (Jinja2 template, autoescaped)."""
    from airflow_mlmonitor.html import environment

    d = result.details
    env = environment("airflow_mlmonitor.registry")
    env.filters.setdefault("num", _num)
    page = env.get_template("comparison.html").render(
        d=d, base=d["baseline"] or {"version": None, "run_id": None}, summary=result.summary
    )
    return str(page)
