"""Which columns a drift report compares, and as what type. Airflow-free, Evidently-free.

Type inference follows Evidently 0.7 (``evidently.core.datasets.infer_column_type``) applied to the
*current* frame, as ``Report.run(current, reference)`` does: floats are numerical, integers with at
most 10 distinct values categorical (else numerical), strings categorical unless more than half of
the values are distinct (then free text), bools and pandas categories categorical, datetimes and
anything else are not drift-tested. Explicit ``numerical_columns`` / ``categorical_columns`` win.

Bad inputs get an :class:`~airflow_mlmonitor.exceptions.InvalidInputError` naming the column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

from airflow_mlmonitor.drift.summary import ColumnSummary, kind_of, text_examples
from airflow_mlmonitor.drift.types import ColumnType
from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

#: Evidently's ``INTEGER_CARDINALITY_LIMIT``: integer columns with at most this many values are categorical.
INTEGER_CARDINALITY_LIMIT = 10
InferredType = Literal["numerical", "categorical", "text", "datetime", "list", "unknown"]


@dataclasses.dataclass(frozen=True)
class ColumnPlan:
    """The columns to compare (in order, with their type) and what was left out and why."""

    column_types: dict[str, ColumnType]
    ignored: dict[str, str]  # column -> reason (datetime, unknown type...)
    notes: tuple[str, ...] = ()  # things worth a warning in the task log (infinite values...)


def infer_column_type(series: pd.Series) -> InferredType:
    """Evidently's type inference for one column (see the module docstring)."""
    dtype = series.dtype.name
    if dtype == "object":
        values = series.dropna()
        if values.count() == 0:
            return "unknown"
        first, last = values.iloc[0], values.iloc[-1]
        if isinstance(first, (list, tuple)) and isinstance(last, (list, tuple)):
            return "list"
    return infer_type(dtype, kind_of(series), int(series.count()), lambda: int(series.nunique()))


def infer_type(dtype: str, kind: str, count: int, distinct: Callable[[], int]) -> InferredType:
    """:func:`infer_column_type` from a column's facts: dtype name, kind (``text`` when the values
    are strings), non-missing count and (called only when needed) the distinct count."""
    if dtype.startswith("float"):
        return "numerical"
    if dtype.startswith("int"):  # Evidently checks this prefix only: uint/Int64 end up "unknown"
        return "categorical" if distinct() <= INTEGER_CARDINALITY_LIMIT else "numerical"
    if dtype in ("string", "str") or (dtype == "object" and kind == "text"):
        return "text" if distinct() > count * 0.5 else "categorical"
    if dtype == "object":  # mixed objects, or nothing but missing values
        return "unknown"
    if dtype in ("bool", "category"):
        return "categorical"
    if dtype.startswith("datetime"):
        return "datetime"
    return "unknown"


def infer_type_of(summary: ColumnSummary) -> InferredType:
    """:func:`infer_type` from a source's facts (``summary.distinct`` must be set for integer and
    text columns)."""

    def distinct() -> int:
        if summary.distinct is None:
            raise InvalidInputError(
                f"{summary.side}: the facts of column {summary.name!r} (dtype {summary.dtype}) have no distinct "
                "count, which type inference needs; list the column in numerical_columns or categorical_columns."
            )
        return summary.distinct

    return infer_type(summary.dtype, summary.kind, summary.rows - summary.missing, distinct)


def _as_list(value: str | Sequence[str] | None, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(f"{name} must be a list of column names, got {value!r}")
    return list(value)


def _check_presence(reference: Any, current: Any, wanted: list[str] | None) -> list[str]:
    for side, frame in (("reference", reference), ("current", current)):
        odd = [c for c in frame.columns if not isinstance(c, str)]
        if odd:
            raise InvalidInputError(
                f"{side} has column names that are not strings: {odd[:5]}; name the columns "
                "(for example frame.columns = frame.columns.astype(str))."
            )
    ref_cols, cur_cols = list(reference.columns), list(current.columns)
    # a source of facts (a profile, a SQL or Spark source) is named by what it reads
    ref_side: str = reference.describe() if hasattr(reference, "facts") else "reference"
    cur_side: str = current.describe() if hasattr(current, "facts") else "current"
    if wanted is not None:
        missing = [
            f"{c!r} (missing in {' and '.join(s for s, cols in ((ref_side, ref_cols), (cur_side, cur_cols)) if c not in cols)})"
            for c in wanted
            if c not in ref_cols or c not in cur_cols
        ]
        if missing:
            raise InvalidInputError(f"Columns not found: {', '.join(missing)}. Fix `columns` or the inputs.")
        return wanted
    only_ref = [c for c in ref_cols if c not in cur_cols]
    only_cur = [c for c in cur_cols if c not in ref_cols]
    if only_ref or only_cur:
        raise InvalidInputError(
            f"{ref_side} and {cur_side} have different columns: "
            f"only in {ref_side} {only_ref}, only in {cur_side} {only_cur}. "
            "Pass `columns=[...]` to compare the shared ones"
            + (", or rebuild the profile." if _is_profile(reference) else ".")
        )
    return cur_cols


def _is_profile(data: Any) -> bool:
    from airflow_mlmonitor.drift.profile import ReferenceProfile

    return isinstance(data, ReferenceProfile)


def _check_type_lists(
    reference: pd.DataFrame, current: pd.DataFrame, numerical: list[str], categorical: list[str]
) -> None:
    both = sorted(set(numerical) & set(categorical))
    if both:
        raise InvalidInputError(f"Columns {both} are in both numerical_columns and categorical_columns.")
    for name, listed in (("numerical_columns", numerical), ("categorical_columns", categorical)):
        absent = [c for c in listed if c not in current.columns or c not in reference.columns]
        if absent:
            raise InvalidInputError(f"{name} names columns missing from reference or current: {absent}")


def _column_type(inferred: InferredType, facts: ColumnSummary, *, explicit: bool) -> ColumnType | None:
    """Evidently's inferred type of a ``current`` column, None when it is ignored (not tested)."""
    if inferred in ("numerical", "categorical"):
        return inferred  # type: ignore[return-value]
    if inferred == "text":
        raise InvalidInputError(
            f"Column {facts.name!r} looks like free text ({facts.distinct} distinct of "
            f"{facts.rows - facts.missing} values); Evidently would test it with a text classifier, which "
            "this operator does not run. List it in categorical_columns to compare value "
            "frequencies, or leave it out with columns=[...]."
        )
    if explicit:
        raise InvalidInputError(
            f"Column {facts.name!r} has type {inferred} (dtype {facts.dtype}); drift is computed "
            "for numerical and categorical columns. List it in numerical_columns or "
            "categorical_columns, or leave it out of `columns`."
        )
    return None


def plan_columns(
    reference: pd.DataFrame | Any,
    current: pd.DataFrame | Any,
    *,
    columns: str | Sequence[str] | None = None,
    numerical_columns: str | Sequence[str] | None = None,
    categorical_columns: str | Sequence[str] | None = None,
) -> ColumnPlan:
    """Resolve the compared columns and their types; validate their data on both sides.

    Without ``columns``, every column must exist on both sides (as Evidently requires) and
    datetime/unknown-typed columns are ignored (as Evidently's ``DataDriftPreset`` does).
    Either side may be a source of facts (anything with ``columns`` and ``facts(name)``: a
    reference profile, a SQL or Spark source), whose :class:`ColumnSummary` facts are used instead
    of reading the column; the current side's facts must then carry ``distinct`` for integer and
    text columns.
    """
    wanted = _as_list(columns, "columns")
    numerical = _as_list(numerical_columns, "numerical_columns") or []
    categorical = _as_list(categorical_columns, "categorical_columns") or []
    _check_type_lists(reference, current, numerical, categorical)
    column_types: dict[str, ColumnType] = {}
    ignored: dict[str, str] = {}
    notes: dict[str, list[str]] = {"reference": [], "current": []}
    names = _check_presence(reference, current, wanted)
    prefetched = _prefetch(reference, current, names)
    try:
        for name in names:
            series = None if hasattr(current, "facts") else current[name]  # one read per column and side
            # a source with facts computes them where the data lives (a SQL or Spark source)
            if name in prefetched:
                current_facts, reference_facts = prefetched.pop(name).result()
            else:
                current_facts = facts_of(current, name, "current") if series is None else facts(series, name, "current")
                reference_facts = facts_of(reference, name, "reference")
            sides = {"reference": reference_facts, "current": current_facts}
            if name not in categorical:
                check_kinds(sides["reference"], sides["current"], name)
            column_type: ColumnType | None
            if name in numerical or name in categorical:
                column_type = "numerical" if name in numerical else "categorical"
            else:
                inferred_type = infer_type_of(current_facts) if series is None else infer_column_type(series)
                if inferred_type == "text" and series is not None:
                    current_facts.distinct = int(series.nunique())
                column_type = _column_type(inferred_type, current_facts, explicit=wanted is not None)
            if column_type is None:
                ignored[name] = f"{inferred_type} column (dtype {current_facts.dtype}) is not drift-tested"
                continue
            column_types[name] = column_type
            validate_column(sides["reference"], sides["current"], name, column_type)
            for side, summary in sides.items():
                if summary.infinite:
                    notes[side].append(
                        f"column {name!r}: {summary.infinite} infinite value(s) in {side} treated as missing, as Evidently does"
                    )
    finally:
        for future in prefetched.values():  # an error stopped the plan: no more reads
            future.cancel()
    if not column_types:
        raise InvalidInputError(
            "No numerical or categorical columns to compare"
            + (f" (ignored: {ignored})" if ignored else "")
            + ". Pass `columns`, `numerical_columns` or `categorical_columns`."
        )
    return ColumnPlan(column_types=column_types, ignored=ignored, notes=(*notes["reference"], *notes["current"]))


#: parallel reads of parquet facts in the column plan (pyarrow decoding releases the GIL)
PLAN_WORKERS = 2


def _prefetch(reference: Any, current: Any, names: list[str]) -> dict[str, Future[tuple[ColumnSummary, ColumnSummary]]]:
    """Both sides' facts of every column, read ahead in threads when both inputs are parquet files
    (memory: facts only, no values). Other sources are read in the plan's own loop."""
    from airflow_mlmonitor.drift.parquet import ParquetColumns

    if not (isinstance(current, ParquetColumns) and isinstance(reference, ParquetColumns)) or len(names) < 2:
        return {}
    pool = ThreadPoolExecutor(max_workers=PLAN_WORKERS, thread_name_prefix="mlmonitor-plan")

    def both(name: str) -> tuple[ColumnSummary, ColumnSummary]:
        return facts_of(current, name, "current"), facts_of(reference, name, "reference")

    futures = {name: pool.submit(both, name) for name in names}
    pool.shutdown(wait=False)  # the futures still run; the plan waits on each in column order
    return futures


def facts(series: pd.Series, name: str, side: str) -> ColumnSummary:
    """The facts about one raw column that validation needs (a summary without its values)."""
    kind = kind_of(series)
    missing = int(series.isna().sum())
    return ColumnSummary(
        name, side, str(series.dtype), kind, len(series), missing,
        infinite=_infinite_count(series),
        examples=text_examples(series) if kind == "text" else (),
    )


def facts_of(data: Any, name: str, side: str) -> ColumnSummary:
    """:func:`facts` of ``data[name]``, or the stored facts of a reference profile."""
    if hasattr(data, "facts"):
        summary: ColumnSummary = data.facts(name)
        summary.side = side
        return summary
    return facts(data[name], name, side)


def _values(summary: ColumnSummary) -> str:
    return f", {summary.side} values such as {', '.join(map(repr, summary.examples))}" if summary.examples else ""


def check_kinds(reference: ColumnSummary, current: ColumnSummary, name: str) -> None:
    """Numbers on one side and text on the other: the column, both dtypes, a few values, the fix."""
    if {reference.kind, current.kind} != {"numeric", "text"}:
        return
    text = reference if reference.kind == "text" else current
    raise InvalidInputError(
        f"Column {name!r} is numeric on one side and text on the other "
        f"(reference dtype {reference.dtype}, current dtype {current.dtype}{_values(text)}). "
        f"Cast it to one type (for example pd.to_numeric on the {text.side} data, or fix the file that "
        f"stores numbers as text), or list it in categorical_columns to compare its values as categories."
    )


def validate_column(reference: ColumnSummary, current: ColumnSummary, name: str, column_type: ColumnType) -> None:
    """Raise a clear error when one column cannot be compared (empty side, numbers vs text)."""
    for summary in (reference, current):
        if summary.usable <= 0:
            raise InvalidInputError(
                f"Column {name!r} has no usable values in {summary.side} (all {summary.rows} are NaN/null or "
                "infinite); drift cannot be computed. Fix the data or leave the column out with columns=[...]."
            )
    if column_type == "numerical":
        bad = [s for s in (reference, current) if s.kind != "numeric"]
        if bad:
            raise InvalidInputError(
                f"Column {name!r} is treated as numerical but holds non-numeric values in "
                f"{' and '.join(s.side for s in bad)} (reference dtype {reference.dtype}, current dtype "
                f"{current.dtype}{_values(bad[0])}); cast it to numbers (pd.to_numeric) or list it in "
                "categorical_columns."
            )


def infinite_counts(frame: pd.DataFrame, names: Sequence[str]) -> dict[str, int]:
    """``{column: number of +/-inf values}`` for the numeric columns among ``names`` that have any."""
    return {name: count for name in names if (count := _infinite_count(frame[name]))}


def _infinite_count(series: pd.Series) -> int:
    """Number of +/-inf values of a numeric (non-bool) column; 0 for any other column."""
    import numpy as np
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return 0
    return int(np.isinf(series.to_numpy(dtype="float64", na_value=np.nan)).sum())
