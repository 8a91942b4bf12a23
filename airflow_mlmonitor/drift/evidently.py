"""Render Evidently 0.7's own ``DataDriftPreset`` report (``report="evidently"``). Airflow-free.

Verdicts never come from here (the engine computes them on the full data); this module only runs
Evidently to draw its HTML page and JSON snapshot, usually from a seeded sample
(``drift/sampling.py``). Both frames are passed with one explicit ``DataDefinition`` (the column
types resolved by ``drift/columns.py``, which equal Evidently's own inference unless the user
overrides them). +/-inf values are turned into missing values first, as Evidently's per-column
test treats them, so its page agrees with the per-column verdicts.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.drift.types import ColumnType, DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError, MissingDependencyError

if TYPE_CHECKING:
    import pandas as pd

_LEGACY_TYPE = {"numerical": "num", "categorical": "cat"}


def preset_kwargs(options: DriftOptions, columns: list[str]) -> dict[str, Any]:
    """``DataDriftPreset`` keyword arguments for ``options`` (same names)."""
    kwargs: dict[str, Any] = {"columns": columns, "drift_share": options.drift_share}
    for name in (
        "method",
        "num_method",
        "cat_method",
        "threshold",
        "num_threshold",
        "cat_threshold",
    ):
        kwargs[name] = getattr(options, name)
    kwargs["per_column_method"] = dict(options.per_column_method) if options.per_column_method else None
    kwargs["per_column_threshold"] = (
        dict(options.per_column_threshold) if options.per_column_threshold else None
    )
    return kwargs


def check_methods(options: DriftOptions, column_types: Mapping[str, ColumnType]) -> None:
    """Raise :class:`InvalidInputError` naming the column when its method is unknown to Evidently or
    does not apply to its type."""
    from evidently.legacy.calculations.stattests.registry import _registered_stat_tests
    from evidently.legacy.core import ColumnType as EvidentlyType

    for column, column_type in column_types.items():
        method = options.method_for(column, column_type)
        if method is None:
            continue
        if method not in _registered_stat_tests:
            raise InvalidInputError(
                f"Unknown drift method {method!r} for column {column!r}. Evidently's methods: "
                f"{', '.join(sorted(_registered_stat_tests, key=str.lower))}."
            )
        if EvidentlyType(_LEGACY_TYPE[column_type]) not in _registered_stat_tests[method]:
            raise InvalidInputError(
                f"Drift method {method!r} does not apply to {column_type} column {column!r}; pick a "
                f"{column_type} method (num_method/cat_method/per_column_method)."
            )


def _import_evidently() -> None:
    try:
        import evidently  # noqa: F401
    except ImportError as err:  # pragma: no cover - a hard dependency, but give a clear message
        raise MissingDependencyError(
            "Drift reports need Evidently: pip install 'airflow-mlmonitor' (evidently>=0.7.20,<0.8)"
        ) from err


def _clean(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    import numpy as np

    from airflow_mlmonitor.drift.columns import infinite_counts

    out = frame[columns]
    infinite = infinite_counts(out, columns)
    if infinite:
        out = out.copy()
        for name in infinite:
            out[name] = out[name].replace([np.inf, -np.inf], np.nan)
    return out


def run_evidently(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    options: DriftOptions,
    column_types: Mapping[str, ColumnType],
) -> Any:
    """Run ``Report([DataDriftPreset(...)], include_tests=True).run(current, reference)``: the snapshot."""
    _import_evidently()
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    check_methods(options, column_types)
    columns = list(column_types)
    definition = DataDefinition(
        numerical_columns=[c for c in columns if column_types[c] == "numerical"],
        categorical_columns=[c for c in columns if column_types[c] == "categorical"],
        text_columns=[],
        datetime_columns=[],
        unknown_columns=[],
        list_columns=[],
    )
    report = Report([DataDriftPreset(**preset_kwargs(options, columns))], include_tests=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy noise on constant/NaN columns
            return report.run(
                Dataset.from_pandas(_clean(current, columns), data_definition=definition),
                Dataset.from_pandas(_clean(reference, columns), data_definition=definition),
            )
    except (ValueError, TypeError, ArithmeticError, KeyError) as err:
        raise InvalidInputError(
            f"Evidently could not compute drift on columns {columns}: {type(err).__name__}: {err}"
        ) from err


def render_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    options: DriftOptions,
    column_types: Mapping[str, ColumnType],
) -> dict[str, str]:
    """Evidently's HTML report and JSON snapshot: ``{"report.html": ..., "evidently.json": ...}``."""
    snapshot = run_evidently(reference, current, options, column_types)
    return {"report.html": snapshot.get_html_str(as_iframe=False), "evidently.json": snapshot.json()}
