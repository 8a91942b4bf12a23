"""Reference profiles: a round trip gives the raw reference's verdicts; bad profiles are clear errors."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.columns import plan_columns
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.profile import PROFILE_VERSION, ReferenceProfile, write_profile
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError


def mixed(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "continuous": rng.normal(shift, 1, n),
            "skewed": rng.lognormal(0, 1 + shift, n),
            "low_card": rng.integers(0, 4, n),
            "ties": rng.integers(0, 40, n).astype(float),
            "plan": rng.choice(["free", "pro", "team"], n),
            "flag": rng.choice([True, False], n),
            "category": pd.Categorical(rng.choice(["x", "y"], n), categories=["y", "x", "unused"]),
            "when": pd.date_range("2024-01-01", periods=n, freq="min"),
        }
    )
    frame.loc[::11, "continuous"] = np.nan
    frame.loc[::13, "plan"] = None
    frame.loc[3::19, "skewed"] = np.inf
    return frame


class Frame:
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame, self.columns, self.num_rows = frame, list(frame.columns), len(frame)

    def __len__(self) -> int:
        return self.num_rows

    def column(self, name: str) -> pd.Series:
        return self.frame[name]


def profile_of(frame: pd.DataFrame, **kwargs) -> ReferenceProfile:
    buffer = io.BytesIO()
    write_profile(Frame(frame), buffer, **kwargs)
    data = buffer.getvalue()
    return ReferenceProfile(lambda: io.BytesIO(data), "mem://reference.zip")


@pytest.mark.parametrize("n_ref", [700, 4000])
@pytest.mark.parametrize(
    "options",
    [DriftOptions(), DriftOptions(method="psi"), DriftOptions(num_method="ks", cat_method="chisquare", drift_share=0.3),
     DriftOptions(num_method="anderson", cat_method="g_test")],
    ids=["defaults", "psi", "ks-chisquare", "anderson-g_test"],
)
def test_a_profile_round_trip_gives_identical_verdicts(n_ref, options):
    reference, current = mixed(n_ref, 0.0, 1), mixed(n_ref if "g_test" in repr(options) else 900, 0.4, 2)
    profile = profile_of(reference)
    plan = plan_columns(reference, current)
    assert plan_columns(profile, current) == plan
    assert "when" in plan.ignored
    raw = compute_column_drift(reference, current, options, plan.column_types)
    stored = compute_column_drift(profile, current, options, plan.column_types)
    assert [v.to_dict() for v in raw] == [v.to_dict() for v in stored]
    assert any(v.drifted for v in raw)


def test_profile_index_has_format_version_and_columns():
    profile = profile_of(mixed(100, 0, 1))
    assert profile.index["version"] == PROFILE_VERSION and profile.num_rows == 100
    assert profile.columns == list(mixed(1, 0, 1).columns)
    assert profile.facts("skewed").infinite == len(range(3, 100, 19))


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a zip at all", r"mem://p.zip is not a drift profile \(corrupt"),
        (_zip({"other.txt": "x"}), r"mem://p.zip has no readable profile.json"),
        (_zip({"profile.json": json.dumps({"format": "airflow-mlmonitor/drift-profile", "version": 99})}),
         r"profile format version 99; .* reads version 1: rebuild it"),
        (_zip({"profile.json": json.dumps({"format": "something-else"})}), "is not a drift profile"),
    ],
)
def test_bad_profiles_are_clear_errors_naming_the_file(content, message):
    profile = ReferenceProfile(lambda: io.BytesIO(content), "mem://p.zip")
    with pytest.raises(InvalidInputError, match=message):
        _ = profile.columns


def test_a_missing_file_and_a_missing_column_name_the_file():
    def missing():
        raise FileNotFoundError("nope")

    with pytest.raises(DataLoadError, match=r"reference_profile /tmp/nope.zip does not exist"):
        _ = ReferenceProfile(missing, "/tmp/nope.zip").columns
    profile = profile_of(mixed(100, 0, 1), columns=["continuous", "plan"])
    current = mixed(100, 0, 2)
    with pytest.raises(InvalidInputError, match=r"reference_profile mem://reference.zip and current have different"):
        plan_columns(profile, current)
    with pytest.raises(InvalidInputError, match=r"'ties' \(missing in reference_profile mem://reference.zip\)"):
        plan_columns(profile, current, columns=["continuous", "ties"])
    with pytest.raises(InvalidInputError, match=r"reference_profile mem://reference.zip has no column 'ties'"):
        profile.summary("ties")


def test_a_corrupt_column_member_names_the_column():
    profile = profile_of(mixed(50, 0, 1), columns=["continuous"])
    data = bytearray(profile.opener().read())
    start = data.find(b"\x93NUMPY")
    data[start : start + 6] = b"garbag"
    broken = ReferenceProfile(lambda: io.BytesIO(bytes(data)), "mem://broken.zip")
    with pytest.raises(InvalidInputError, match=r"mem://broken.zip: column 'continuous' cannot be read"):
        broken.summary("continuous")
