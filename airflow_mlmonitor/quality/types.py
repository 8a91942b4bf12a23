"""Small typed values shared by the suite builder, the interpretation and the report."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class ExpectationSpec:
    """One expectation as configured by the user: GX 1.x ``{"type", "kwargs", "meta"}``.

    ``position`` is its index in the user's list (for error messages).
    """

    type: str
    kwargs: Mapping[str, Any]
    meta: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    position: int = 0

    @property
    def label(self) -> str:
        """How errors name it: ``expectations[2] (expect_column_values_to_be_between on 'age')``."""
        column = column_of(self.kwargs)
        where = f" on {column!r}" if column else ""
        return f"expectations[{self.position}] ({self.type}{where})"


@dataclasses.dataclass(frozen=True)
class SuiteSpec:
    """A whole suite: its name and its expectations, in the user's order."""

    name: str
    expectations: tuple[ExpectationSpec, ...]


@dataclasses.dataclass(frozen=True)
class ExpectationOutcome:
    """The verdict of one expectation, read from GX's validation result."""

    expectation_type: str
    column: str | None
    kwargs: Mapping[str, Any]
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    sample_unexpected: tuple[Any, ...] = ()

    @property
    def mostly(self) -> float | None:
        value = self.kwargs.get("mostly")
        return float(value) if isinstance(value, (int, float)) else None

    @property
    def success_percent(self) -> float | None:
        """Percent of the evaluated values that met the expectation (None for table-level ones)."""
        if self.unexpected_percent is None:
            return None
        return 100.0 - float(self.unexpected_percent)

    @property
    def expected(self) -> str:
        """The expectation's own arguments, short: ``min_value=18, max_value=90``."""
        parts = [f"{k}={v!r}" for k, v in self.kwargs.items() if k not in {"column", "mostly", "batch_id"}]
        return _small(", ".join(parts))

    def to_failed_dict(self) -> dict[str, Any]:
        """One item of the result's ``failed_expectations`` (contract keys first)."""
        return {
            "expectation_type": self.expectation_type,
            "column": self.column,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "success_percent": self.success_percent,
            "mostly": self.mostly,
            "expected": self.expected,
            "observed_value": _small(self.observed_value),
            "sample_unexpected": [_small(v) for v in self.sample_unexpected[:5]],
        }


@dataclasses.dataclass(frozen=True)
class QualityOutcome:
    """What a validation means: the numbers and every expectation's verdict."""

    success: bool
    suite_name: str
    evaluated_expectations: int
    successful_expectations: int
    unsuccessful_expectations: int
    success_percent: float | None
    expectations: tuple[ExpectationOutcome, ...]
    row_count: int | None = None
    gx_version: str | None = None

    @property
    def failed(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(e for e in self.expectations if not e.success)


def column_of(kwargs: Mapping[str, Any]) -> str | None:
    """The column(s) an expectation is about, as one string; None for table-level expectations."""
    if kwargs.get("column") is not None:
        return str(kwargs["column"])
    pair = [str(kwargs[k]) for k in ("column_A", "column_B") if kwargs.get(k) is not None]
    if pair:
        return ", ".join(pair)
    columns = kwargs.get("column_list")
    if isinstance(columns, (list, tuple)) and columns:
        return ", ".join(map(str, columns))
    return None


def _small(value: Any, limit: int = 200) -> Any:
    """Keep a value as is when small; a long string or container becomes a cut-down string."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return value if isinstance(value, (str, list, dict)) else text
    return text[: limit - 3] + "..."
