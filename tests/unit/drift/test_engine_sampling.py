"""Report samples for large inputs: seeded, bounded, and announced on the page."""

from __future__ import annotations

import numpy as np
import pandas as pd

from airflow_mlmonitor.drift.sampling import add_note, report_frame, sample_note


def test_small_inputs_are_reported_whole_and_large_ones_sampled_with_a_seed():
    frame = pd.DataFrame({"x": np.arange(1000.0), "y": np.arange(1000), "unused": 0})
    whole = report_frame(frame, ["x", "y"], 5000)
    assert list(whole.columns) == ["x", "y"] and len(whole) == 1000
    first, again = report_frame(frame, ["x"], 100), report_frame(frame, ["x"], 100)
    assert len(first) == 100 and first.equals(again) and first.index.is_monotonic_increasing
    assert len(report_frame(frame, ["x"], None)) == 1000


def test_the_note_appears_only_for_a_sample_and_at_the_top_of_the_page():
    assert sample_note(1000, 800, (1000, 800)) is None
    note = sample_note(2_000_000, 150_000, (100_000, 100_000))
    assert note is not None
    assert "100,000 of 2,000,000 reference rows and 100,000 of 150,000 current rows" in note
    assert "computed on the full data" in note
    page = add_note("<html><body class='x'><h1>Report</h1></body></html>", "a < b")
    assert page.index("a &lt; b") < page.index("<h1>Report</h1>")
    assert add_note("<h1>no body</h1>", "n").startswith('<div role="note"')
