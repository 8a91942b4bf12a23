"""Validate rendered operator parameters into :class:`DriftOptions`. Airflow-free."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError


def _number(name: str, value: Any, *, optional: bool = True) -> float | None:
    if value is None or (optional and value == ""):
        if optional:
            return None
        raise InvalidInputError(f"{name} is required")
    if isinstance(value, bool):
        raise InvalidInputError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)  # templated values arrive as strings
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number, got {value!r}") from None


def _method(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{name} must be an Evidently method name such as 'ks', 'psi' or 'wasserstein', got {value!r}"
        )
    return value


def _per_column(name: str, value: Any, convert: Any) -> dict[str, Any] | None:
    if value is None or value == {}:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{name} must be a dict {{column: value}}, got {value!r}")
    return {str(column): convert(f"{name}[{column!r}]", item) for column, item in value.items()}


def drift_options(
    *,
    drift_share: Any = 0.5,
    method: Any = None,
    num_method: Any = None,
    cat_method: Any = None,
    per_column_method: Any = None,
    threshold: Any = None,
    num_threshold: Any = None,
    cat_threshold: Any = None,
    per_column_threshold: Any = None,
) -> DriftOptions:
    """Build :class:`DriftOptions` from rendered parameters, or raise a clear :class:`InvalidInputError`."""
    share = _number("drift_share", drift_share, optional=False)
    assert share is not None
    if not 0.0 <= share <= 1.0:
        raise InvalidInputError(f"drift_share is a share of columns between 0 and 1, got {drift_share!r}")
    return DriftOptions(
        drift_share=share,
        method=_method("method", method),
        num_method=_method("num_method", num_method),
        cat_method=_method("cat_method", cat_method),
        per_column_method=_per_column("per_column_method", per_column_method, _method),
        threshold=_number("threshold", threshold),
        num_threshold=_number("num_threshold", num_threshold),
        cat_threshold=_number("cat_threshold", cat_threshold),
        per_column_threshold=_per_column("per_column_threshold", per_column_threshold, _number),
    )
