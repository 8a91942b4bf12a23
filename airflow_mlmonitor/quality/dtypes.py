"""Type mismatches between expectations and the data, explained before GX runs. Airflow-free.

GX answers a text column checked against numbers with "Column values, min_value, and max_value must
either be None or of the same type" (or a pandas reduction error). We say which expectation, which
column, the dtype as read, a few offending values, and the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.quality.types import ExpectationSpec, SuiteSpec

if TYPE_CHECKING:
    import pandas as pd

#: expectations that need a numeric column whatever their arguments
NUMERIC_EXPECTATIONS = frozenset({
    "expect_column_mean_to_be_between",
    "expect_column_median_to_be_between",
    "expect_column_stdev_to_be_between",
    "expect_column_sum_to_be_between",
    "expect_column_quantile_values_to_be_between",
    "expect_column_values_to_be_increasing",
    "expect_column_values_to_be_decreasing",
})
#: expectations comparing the column's values with ``min_value``/``max_value`` (numbers need numbers)
VALUE_BOUNDED = frozenset({
    "expect_column_values_to_be_between",
    "expect_column_min_to_be_between",
    "expect_column_max_to_be_between",
})
BOUNDS = ("min_value", "max_value")
SAMPLE = 5


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def needs_numbers(item: ExpectationSpec) -> bool:
    """Whether ``item`` compares its column with numbers."""
    if item.type in NUMERIC_EXPECTATIONS:
        return True
    return item.type in VALUE_BOUNDED and any(_is_number(item.kwargs.get(bound)) for bound in BOUNDS)


def check_column_types(spec: SuiteSpec, frame: pd.DataFrame, data_name: str = "data") -> None:
    """Raise one clear error for every expectation comparing a text column with numbers."""
    from pandas.api import types

    problems = []
    for item in spec.expectations:
        column = item.kwargs.get("column")
        if not isinstance(column, str) or column not in frame.columns or not needs_numbers(item):
            continue
        series = frame[column]
        if types.is_numeric_dtype(series.dtype) or types.is_datetime64_any_dtype(series.dtype):
            continue
        problems.append(_explain(item, column, series))
    if problems:
        raise InvalidInputError(
            f"data ({data_name}): " + " ".join(problems)
            + " Fix: cast the column to numbers (e.g. pandas.to_numeric in a callable input) or fix the file "
            "that wrote text where numbers belong."
        )


def _explain(item: ExpectationSpec, column: str, series: pd.Series) -> str:
    import pandas as pd

    values = series.dropna()
    coerced = pd.to_numeric(values, errors="coerce")
    offending = [str(v) for v in values[coerced.isna()].unique()[:SAMPLE]]
    if offending:
        found = f"values that are not numbers: {', '.join(map(repr, offending))}"
    else:
        found = "every value looks like a number but is stored as text"
    return f"{item.label} expects numbers, but column {column!r} was read as {series.dtype} ({found})."
