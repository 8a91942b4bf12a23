"""What a check result says about each of its inputs, as OpenLineage data-quality facets in plain
data: ``DataQualityMetricsInputDatasetFacet`` (row count, per-column null / distinct counts where the
check computed them) and ``DataQualityAssertionsDatasetFacet`` (one assertion per expectation or
drift column: ``assertion``, ``success``, ``column``).

- data quality (input ``data``): one assertion per expectation (from the expectation list when it is
  a list of configs, else one per failed expectation plus one for the suite), null counts from
  ``expect_column_values_to_not_be_null``;
- drift (inputs ``reference``, ``current``): on ``current`` one assertion per column,
  ``drift:{method}``, success when the column did not drift;
- any other kind (input ``data``): one dataset-level assertion ``{check}`` with the verdict.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

NOT_NULL = "expect_column_values_to_not_be_null"


@dataclasses.dataclass(frozen=True)
class Assertion:
    assertion: str
    success: bool
    column: str | None = None


@dataclasses.dataclass(frozen=True)
class InputQuality:
    """The facets of one input dataset."""

    row_count: int | None = None
    #: ``{column: {"nullCount": n, "distinctCount": n}}`` (only what was computed).
    column_metrics: Mapping[str, Mapping[str, int]] = dataclasses.field(default_factory=dict)
    assertions: tuple[Assertion, ...] = ()


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _rows(metrics: Mapping[str, Any]) -> int | None:
    """``metrics.rows`` (the contract key), else the older ``metrics.row_count``."""
    return _int(metrics.get("rows", metrics.get("row_count")))


def _expectation_configs(expectations: Any) -> list[Mapping[str, Any]] | None:
    if not isinstance(expectations, Sequence) or isinstance(expectations, (str, bytes)):
        return None
    configs = [e for e in expectations if isinstance(e, Mapping)]
    return configs if len(configs) == len(expectations) else None


def _extra_column_metrics(result: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """``result["column_metrics"]`` when a check computes it: ``{column: {null_count, distinct_count}}``."""
    out: dict[str, dict[str, int]] = {}
    for column, values in (result.get("column_metrics") or {}).items():
        if not isinstance(values, Mapping):
            continue
        for key, facet_key in (("null_count", "nullCount"), ("distinct_count", "distinctCount")):
            if (number := _int(values.get(key))) is not None:
                out.setdefault(str(column), {})[facet_key] = number
    return out


def _quality(result: Mapping[str, Any], expectations: Any) -> InputQuality:
    failed = [f for f in result.get("failed_expectations") or [] if isinstance(f, Mapping)]
    remaining = [(str(f.get("expectation_type")), f.get("column")) for f in failed]
    metrics = _extra_column_metrics(result)
    assertions: list[Assertion] = []
    configs = _expectation_configs(expectations)
    if configs is not None:
        for config in configs:
            etype = str(config.get("type") or config.get("expectation_type"))
            kwargs = config.get("kwargs") or {}
            column = kwargs.get("column")
            key = (etype, column)
            success = key not in remaining
            if not success:
                remaining.remove(key)
            assertions.append(Assertion(etype, success, column))
            if etype == NOT_NULL and column and success and kwargs.get("mostly", 1) in (1, 1.0):
                metrics.setdefault(str(column), {}).setdefault("nullCount", 0)
    else:
        assertions += [Assertion(etype, False, column) for etype, column in remaining]
        assertions.append(Assertion("expectation_suite", bool(result.get("passed"))))
    for item in failed:
        count = _int(item.get("unexpected_count"))
        if item.get("expectation_type") == NOT_NULL and item.get("column") and count is not None:
            metrics.setdefault(str(item["column"]), {})["nullCount"] = count
    return InputQuality(_rows(result.get("metrics") or {}), metrics, tuple(assertions))


def _drift(result: Mapping[str, Any]) -> dict[str, InputQuality]:
    assertions = []
    for column, info in sorted((result.get("columns") or {}).items()):
        if isinstance(info, Mapping) and "drifted" in info:
            assertions.append(Assertion(f"drift:{info.get('method') or 'test'}", not info["drifted"], str(column)))
    metrics = result.get("metrics") or {}
    current_rows = _int(metrics.get("current_rows")) or _rows(metrics)
    out = {"current": InputQuality(current_rows, _extra_column_metrics(result), tuple(assertions))}
    if (reference_rows := _int(metrics.get("reference_rows"))) is not None:
        out["reference"] = InputQuality(reference_rows)
    return out


def input_quality(result: Mapping[str, Any], *, expectations: Any = None) -> dict[str, InputQuality]:
    """``{input parameter name: facets}`` of one check result (the XCom ``return_value`` dict)."""
    check = result.get("check")
    if check == "data_quality":
        return {"data": _quality(result, expectations)}
    if check == "drift":
        return _drift(result)
    return {"data": InputQuality(_rows(result.get("metrics") or {}), _extra_column_metrics(result),
                                 (Assertion(str(check), bool(result.get("passed"))),))}
