"""Small typed values shared by the drift computation, its interpretation and the operator."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

ColumnType = Literal["numerical", "categorical"]


@dataclasses.dataclass(frozen=True)
class DriftOptions:
    """Evidently ``DataDriftPreset`` options, same names and defaults.

    ``method`` applies to every column, ``num_method``/``cat_method`` to a column type,
    ``per_column_method`` to named columns (most specific wins); thresholds likewise.
    ``None`` means Evidently's default for the column type and reference size.
    """

    drift_share: float = 0.5
    method: str | None = None
    num_method: str | None = None
    cat_method: str | None = None
    per_column_method: Mapping[str, str] | None = None
    threshold: float | None = None
    num_threshold: float | None = None
    cat_threshold: float | None = None
    per_column_threshold: Mapping[str, float] | None = None

    def method_for(self, column: str, column_type: ColumnType) -> str | None:
        """The method Evidently applies to ``column``: per column, else per type, else ``method``."""
        by_type = self.num_method if column_type == "numerical" else self.cat_method
        default = by_type if by_type is not None else self.method
        return (self.per_column_method or {}).get(column, default)

    def threshold_for(self, column: str, column_type: ColumnType) -> float | None:
        """The threshold Evidently applies to ``column`` (same precedence); None = the method's default."""
        if self.per_column_threshold and column in self.per_column_threshold:
            return self.per_column_threshold[column]
        by_type = self.num_threshold if column_type == "numerical" else self.cat_threshold
        return by_type if by_type is not None else self.threshold


@dataclasses.dataclass(frozen=True)
class ColumnDrift:
    """The drift verdict of one column: what lands in the result's ``columns[name]``."""

    name: str
    column_type: ColumnType
    method: str  # Evidently's method id, e.g. "ks", "chisquare", "wasserstein", "jensenshannon"
    score: float | None  # p-value for tests, distance for distances; None when not computable
    threshold: float
    drifted: bool
    #: reference vs current shares for the native report (not part of the result dict)
    distribution: Any = dataclasses.field(default=None, compare=False, repr=False)
    #: things worth a line in the task log (infinite values treated as missing...)
    notes: tuple[str, ...] = dataclasses.field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "score": self.score, "threshold": self.threshold, "drifted": self.drifted}
