"""Opt-in drift options beyond Evidently, applied to the Evidently-exact result. Airflow-free.

:func:`beyond_options` validates the rendered operator parameters (before any heavy work);
:func:`apply_beyond` takes the Evidently-exact drift result and returns it with the options
applied. With no option set it returns its inputs unchanged, so verdicts stay exactly Evidently's.

Per column (``columns[c]``): ``test_drifted`` keeps Evidently's verdict; with ``correction``,
p-value columns get ``adjusted_p_value`` and are drifted when it is below their threshold; with
``min_effect``, every column gets ``effect`` (:mod:`~airflow_mlmonitor.drift.effect`) and stays
drifted only when the effect reaches ``min_effect``. ``drifted`` is the final verdict and the
share rule uses it. ``chunks`` (:mod:`~airflow_mlmonitor.drift.chunks`) and ``multivariate``
(:mod:`~airflow_mlmonitor.drift.multivariate`) are added when asked for; ``dataset_drift`` is true
when the share rule or the multivariate test fires, and ``dataset_drift_reasons`` says which.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.drift.chunks import ChunkBy, ChunkDrift, chunk_drift, chunks_svg, parse_chunk_by
from airflow_mlmonitor.drift.correction import Correction, adjust_p_values, check_correction
from airflow_mlmonitor.drift.effect import effect_size, is_p_value
from airflow_mlmonitor.drift.multivariate import (
    SAMPLE_SIZES,
    SEED,
    MultivariateDrift,
    check_multivariate,
    multivariate_drift,
)
from airflow_mlmonitor.drift.types import ColumnType, DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

    from airflow_mlmonitor.results import CheckResult

Columns = Mapping[str, Mapping[str, Any]]


@dataclasses.dataclass(frozen=True)
class BeyondOptions:
    """The validated opt-in options; all ``None`` means plain Evidently verdicts."""

    min_effect: float | None = None
    correction: Correction | None = None
    chunk_by: ChunkBy | None = None
    time_column: str | None = None
    multivariate_method: str | None = None
    multivariate_threshold: float | None = None

    @property
    def per_column(self) -> bool:
        return self.min_effect is not None or self.correction is not None

    @property
    def active(self) -> bool:
        return self.per_column or self.chunk_by is not None or self.multivariate_method is not None

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if self.chunk_by is not None and not isinstance(self.chunk_by, int):
            data["chunk_by"] = str(self.chunk_by)
        return {k: v for k, v in data.items() if v is not None}


def beyond_options(
    *,
    min_effect: Any = None,
    correction: Any = None,
    chunk_by: Any = None,
    time_column: Any = None,
    multivariate_method: Any = None,
    multivariate_threshold: Any = None,
) -> BeyondOptions:
    """Validate the rendered options, or raise an :class:`InvalidInputError` naming the option."""
    effect = None
    if min_effect not in (None, ""):
        try:
            effect = float(min_effect)
        except (TypeError, ValueError):
            raise InvalidInputError(f"min_effect must be a number >= 0, got {min_effect!r}") from None
        if isinstance(min_effect, bool) or not effect >= 0:
            raise InvalidInputError(f"min_effect is an effect size and must be >= 0, got {min_effect!r}")
    if time_column not in (None, "") and not isinstance(time_column, str):
        raise InvalidInputError(f"time_column must be a column name, got {time_column!r}")
    method, threshold = check_multivariate(multivariate_method, multivariate_threshold)
    return BeyondOptions(
        min_effect=effect,
        correction=check_correction(correction),
        chunk_by=parse_chunk_by(chunk_by, time_column or None),
        time_column=time_column or None,
        multivariate_method=method,
        multivariate_threshold=threshold,
    )


def check_inputs(beyond: BeyondOptions, *inputs: Any) -> None:
    """Refuse an active option that an input cannot serve (before any heavy work): a source lists
    such options in ``refused_options`` (a SQL source has no row order and keeps rows in the database)."""
    for data in inputs:
        refused = [name for name in getattr(data, "refused_options", ()) if getattr(beyond, name) is not None]
        if refused:
            raise InvalidInputError(
                f"{', '.join(refused)} {'is' if len(refused) == 1 else 'are'} not supported for {type(data).__name__} "
                f"inputs yet ({data.describe()}): {'it needs' if len(refused) == 1 else 'they need'} every row in "
                "the worker. Leave it out, or pass that input as a file or a callable returning a DataFrame."
            )


def _column(data: Any, name: str) -> pd.Series:
    import pandas as pd

    return data[name] if isinstance(data, pd.DataFrame) else data.column(name)


def _frame(data: Any, columns: Sequence[str], size: int | None = None, seed: int = SEED) -> pd.DataFrame:
    """``columns`` of a DataFrame or column source, a seeded sample of ``size`` rows when larger."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data[list(columns)]
    elif size is not None and hasattr(data, "sample_columns"):
        return data.sample_columns(list(columns), size, seed)
    else:
        frame = pd.DataFrame({name: _column(data, name) for name in columns})
    return frame if size is None or len(frame) <= size else frame.sample(n=size, random_state=seed)


def adjust_columns(
    columns: Columns,
    reference: Any,
    current: Any,
    column_types: Mapping[str, ColumnType],
    beyond: BeyondOptions,
) -> dict[str, dict[str, Any]]:
    """Per-column verdicts with ``correction`` and ``min_effect`` applied (see the module docstring)."""
    out = {name: {**entry, "test_drifted": bool(entry["drifted"])} for name, entry in columns.items()}
    if beyond.correction is not None:
        tested = [name for name, entry in out.items() if is_p_value(str(entry["method"]))]
        adjusted = adjust_p_values([out[name]["score"] for name in tested], beyond.correction)
        for name, p_value in zip(tested, adjusted, strict=True):
            entry = out[name]
            entry["adjusted_p_value"] = p_value
            threshold = float(entry["threshold"])
            below = p_value is not None and (p_value <= threshold if entry["method"] == "ks" else p_value < threshold)
            entry["drifted"] = bool(below)
    if beyond.min_effect is not None:
        for name, entry in out.items():
            effect = effect_size(
                str(entry["method"]), column_types[name], _column(reference, name), _column(current, name), entry["score"]
            )
            entry["effect"] = effect
            if effect is not None:
                entry["drifted"] = bool(entry["drifted"]) and effect >= beyond.min_effect
    return out


def _chunks(
    reference: Any,
    current: Any,
    options: DriftOptions,
    column_types: Mapping[str, ColumnType],
    beyond: BeyondOptions,
    compute: Callable[..., Sequence[Any]] | None,
) -> list[ChunkDrift]:
    assert beyond.chunk_by is not None
    if compute is None:
        from airflow_mlmonitor.drift.engine import compute_column_drift

        compute = compute_column_drift
    names = list(column_types)
    extra = [beyond.time_column] if beyond.time_column and beyond.time_column not in names else []
    if beyond.time_column and beyond.time_column not in names and not _has_column(current, beyond.time_column):
        raise InvalidInputError(f"time_column {beyond.time_column!r} is not a column of the current data.")
    ref_frame, cur_frame = _frame(reference, names), _frame(current, names + extra)
    per_column = dataclasses.replace(beyond, chunk_by=None, multivariate_method=None)

    def drifted(chunk: pd.DataFrame) -> list[str]:
        columns = {v.name: v.to_dict() for v in compute(ref_frame, chunk, options, column_types)}
        if per_column.per_column:
            columns = adjust_columns(columns, ref_frame, chunk, column_types, per_column)
        return [name for name, entry in columns.items() if entry["drifted"]]

    return chunk_drift(cur_frame, beyond.chunk_by, beyond.time_column, drifted, len(names), options.drift_share)


def _has_column(data: Any, name: str) -> bool:
    return name in list(data.columns)


def apply_beyond(
    result: CheckResult,
    artifacts: dict[str, Any],
    reference: Any,
    current: Any,
    options: DriftOptions,
    column_types: Mapping[str, ColumnType],
    beyond: BeyondOptions,
    *,
    compute: Callable[..., Sequence[Any]] | None = None,
) -> tuple[CheckResult, dict[str, Any]]:
    """The drift result (and report artifacts) with the opt-in options applied.

    :param result: the Evidently-exact drift result (``build_drift_result``).
    :param reference: DataFrame or column source (``column(name)``, ``sample_columns``).
    :param current: same.
    :param compute: per-column verdicts for a chunk, default the drift engine's ``compute_column_drift``.
    """
    if not beyond.active:
        return result, artifacts
    details = dict(result.details)
    columns: dict[str, dict[str, Any]] = {name: dict(entry) for name, entry in details["columns"].items()}
    if beyond.multivariate_method is not None:
        check_multivariate(beyond.multivariate_method, beyond.multivariate_threshold, len(column_types))
    if beyond.per_column:
        columns = adjust_columns(columns, reference, current, column_types, beyond)
    drifted = sorted(name for name, entry in columns.items() if entry["drifted"])
    share = len(drifted) / len(columns) if columns else 0.0
    share_rule = bool(columns) and share >= options.drift_share
    reasons = ["share"] if share_rule else []
    details.update(columns=columns, drifted_columns=drifted, beyond_options=beyond.to_dict())
    notes = []
    if beyond.multivariate_method is not None:
        verdict = _multivariate(reference, current, column_types, beyond)
        details["multivariate"] = verdict.to_dict()
        reasons += ["multivariate"] if verdict.drifted else []
        notes.append(
            f"multivariate {verdict.method}: score {verdict.score:.4g}, threshold {verdict.threshold:.4g}, "
            + ("drift" if verdict.drifted else "no drift")
        )
    if beyond.chunk_by is not None:
        chunks = _chunks(reference, current, options, column_types, beyond, compute)
        details.update(chunks=[c.to_dict() for c in chunks], latest_chunk_drift=bool(chunks) and chunks[-1].dataset_drift)
        notes += [_chunks_note(chunks)] if chunks else []
        artifacts = _with_chart(artifacts, chunks, options.drift_share)
    detected = bool(reasons)
    details.update(dataset_drift=detected, dataset_drift_reasons=reasons)
    summary = _summary(drifted, len(columns), share, detected, options.drift_share, beyond, notes)
    metrics = {**result.metrics, "drift_share": share, "drifted_columns": len(drifted)}
    return result.replace(passed=not detected, summary=summary, metrics=metrics, details=details, status=None), artifacts


def _multivariate(
    reference: Any, current: Any, column_types: Mapping[str, ColumnType], beyond: BeyondOptions
) -> MultivariateDrift:
    assert beyond.multivariate_method is not None
    names, size = list(column_types), SAMPLE_SIZES[beyond.multivariate_method]
    return multivariate_drift(
        beyond.multivariate_method,
        _frame(reference, names, size),
        _frame(current, names, size),
        column_types,
        beyond.multivariate_threshold,
    )


def _chunks_note(chunks: Sequence[ChunkDrift]) -> str:
    latest = chunks[-1]
    return (
        f"{len(chunks)} chunks, {sum(c.dataset_drift for c in chunks)} with drift; latest chunk "
        f"{latest.start}..{latest.end}: {latest.drift_share:.0%} drifted"
    )


def _summary(
    drifted: list[str], n: int, share: float, detected: bool, drift_share: float, beyond: BeyondOptions, notes: list[str]
) -> str:
    from airflow_mlmonitor.drift.result import summarize

    line = summarize(drifted, n, share, detected, drift_share)
    used = [f"min_effect {beyond.min_effect:g}"] if beyond.min_effect is not None else []
    used += [f"correction {beyond.correction}"] if beyond.correction else []
    if used:
        line += f" (with {', '.join(used)})"
    return "; ".join([line, *notes])


def _with_chart(artifacts: dict[str, Any], chunks: Sequence[ChunkDrift], drift_share: float) -> dict[str, Any]:
    page = artifacts.get("report.html")
    if not isinstance(page, str) or not chunks:
        return artifacts
    from markupsafe import Markup

    from airflow_mlmonitor import html as templates

    svg = Markup(chunks_svg(chunks, drift_share))  # rendered (and escaped) by its own template
    section = templates.render("airflow_mlmonitor.drift", "chunks_section.html.j2", svg=svg, chunks=chunks)
    marker = page.lower().find("<body")
    end = page.find(">", marker) + 1 if marker >= 0 else 0
    return {**artifacts, "report.html": page[:end] + section + page[end:]}
