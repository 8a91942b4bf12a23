"""Seeded samples for the Evidently HTML report of large inputs, and the note the page then shows.

The verdicts and XCom scores always come from the full data (:mod:`airflow_mlmonitor.drift.engine`);
only the HTML report, which Evidently renders slowly and with memory growing with the rows, is
built from a seeded uniform sample of at most ``report_sample_size`` rows per input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: rows per input above which the report is rendered from a sample (Evidently: ~16 s at 100,000 x 20)
DEFAULT_REPORT_SAMPLE_SIZE = 100_000
SAMPLE_SEED = 42
_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)


def report_frame(data: Any, columns: Sequence[str], size: int | None, seed: int = SAMPLE_SEED) -> pd.DataFrame:
    """``data`` (DataFrame or column source) restricted to ``columns``, sampled when over ``size`` rows."""
    import pandas as pd

    if not isinstance(data, pd.DataFrame):  # a column source (parquet file)
        return data.sample_columns(list(columns), size, seed)
    frame = data[list(columns)]
    if size is None or len(frame) <= size:
        return frame
    return frame.sample(n=size, random_state=seed).sort_index()


def sample_note(reference_rows: int, current_rows: int, report: tuple[int, int]) -> str | None:
    """The sentence the report page shows when it was rendered from a sample, else None."""
    if report == (reference_rows, current_rows):
        return None
    return (
        f"This Evidently report was rendered from a seeded random sample of {report[0]:,} of "
        f"{reference_rows:,} reference rows and {report[1]:,} of {current_rows:,} current rows "
        "(report_sample_size). The drift verdicts and scores in the task result were computed on the "
        "full data by airflow-mlmonitor's drift engine, so the figures on this page may differ slightly."
    )


def add_note(page: str, note: str) -> str:
    """Put ``note`` in a banner at the top of an HTML page."""
    from airflow_mlmonitor import html as templates

    banner = templates.render("airflow_mlmonitor.drift", "note.html.j2", note=note).strip()
    match = _BODY.search(page)
    if match is None:
        return banner + page
    return page[: match.end()] + banner + page[match.end() :]
