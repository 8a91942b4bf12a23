from __future__ import annotations

import pandas as pd
import pytest

from airflow_mlmonitor.anomaly.series import series_from_frame
from airflow_mlmonitor.exceptions import InvalidInputError


def test_values_are_ordered_by_the_time_column():
    frame = pd.DataFrame({"t": ["2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z"], "m": [2.0, 1.0]})
    series = series_from_frame(frame, "m", "t")
    assert series.values == (1.0, 2.0) and series.timestamps[0].startswith("2024-01-01")
    numeric = series_from_frame(pd.DataFrame({"step": [3, 1, 2], "m": [3, 1, 2]}), "m", "step")
    assert numeric.values == (1.0, 2.0, 3.0) and numeric.timestamps == (1, 2, 3)


@pytest.mark.parametrize(
    ("frame", "metric", "time", "match"),
    [
        (pd.DataFrame({"t": [1], "m": [1.0]}), "x", "t", "metric: no column 'x' in data"),
        (pd.DataFrame({"t": [1], "m": [1.0]}), "m", "when", "time_column: no column 'when' in data"),
        (pd.DataFrame({"t": [1, 2], "m": ["a", "b"]}), "m", "t", "metric: column 'm' of data is .* not numeric"),
        (pd.DataFrame({"t": [1, 2], "m": [1.0, None]}), "m", "t", "metric: 1 missing, NaN"),
        (pd.DataFrame({"t": ["x", "y"], "m": [1.0, 2.0]}), "m", "t", "time_column: column 't' of data is not datetimes"),
        (pd.DataFrame({"t": [1, None], "m": [1.0, 2.0]}), "m", "t", "time_column: column 't' of data has 1 missing"),
    ],
)
def test_bad_frames_name_the_parameter(frame, metric, time, match):
    with pytest.raises(InvalidInputError, match=match):
        series_from_frame(frame, metric, time)
