"""Which columns are compared, as what type, and the clear errors for unusable columns."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.columns import infer_column_type, plan_columns
from airflow_mlmonitor.exceptions import InvalidInputError

RNG = np.random.default_rng(7)


def frame(n: int = 50) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "income": RNG.normal(50, 10, n),
            "age": RNG.integers(18, 90, n),
            "children": RNG.integers(0, 4, n),
            "city": RNG.choice(["paris", "oslo", "rome"], n),
            "member": RNG.choice([True, False], n),
            "signup": pd.date_range("2024-01-01", periods=n, freq="D"),
        }
    )


def test_types_follow_evidently_inference_on_current():
    plan = plan_columns(frame(), frame())
    assert plan.column_types == {
        "income": "numerical",
        "age": "numerical",  # more than 10 distinct integers
        "children": "categorical",  # at most 10 distinct integers
        "city": "categorical",
        "member": "categorical",
    }
    assert list(plan.ignored) == ["signup"]  # datetimes are not drift-tested, as in DataDriftPreset


def test_explicit_types_win_and_columns_select():
    plan = plan_columns(
        frame(), frame(), columns=["children", "income"], numerical_columns=["children"], categorical_columns="income"
    )
    assert plan.column_types == {"children": "numerical", "income": "categorical"}


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        (pd.Series([1.0, 2.0]), "numerical"),
        (pd.Series(range(11)), "numerical"),
        (pd.Series(range(10)), "categorical"),
        (pd.Series(["a", "b", "a", "a"]), "categorical"),
        (pd.Series(["a", "b", "c", "a"]), "text"),
        (pd.Series([None, None], dtype=object), "unknown"),
        (pd.Series([[1], [2]]), "list"),
        (pd.Series(np.arange(20, dtype="uint8")), "unknown"),
        (pd.Series(pd.to_datetime(["2024-01-01"])), "datetime"),
    ],
)
def test_infer_column_type(series, expected):
    assert infer_column_type(series) == expected


def test_mismatched_columns_are_an_error_unless_columns_excludes_them():
    ref, cur = frame(), frame().drop(columns=["city"]).assign(extra=1.0)
    with pytest.raises(InvalidInputError, match=r"only in reference \['city'\], only in current \['extra'\]"):
        plan_columns(ref, cur)
    assert "city" not in plan_columns(ref, cur, columns=["income", "age"]).column_types
    with pytest.raises(InvalidInputError, match=r"'city' \(missing in current\)"):
        plan_columns(ref, cur, columns=["income", "city"])


def test_disjoint_frames():
    with pytest.raises(InvalidInputError, match="different columns"):
        plan_columns(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [1.0]}))


def test_numeric_on_one_side_text_on_the_other_names_the_column():
    ref = pd.DataFrame({"score": RNG.normal(size=30)})
    cur = pd.DataFrame({"score": ["low", "high", "mid"] * 10})
    with pytest.raises(InvalidInputError, match="Column 'score' is numeric on one side and text on the other"):
        plan_columns(ref, cur)
    with pytest.raises(InvalidInputError, match="'score' is numeric on one side"):
        plan_columns(cur, ref)


@pytest.mark.parametrize("side", ["reference", "current"])
def test_all_nan_column_names_the_column_and_side(side):
    good = pd.DataFrame({"x": RNG.normal(size=20), "y": RNG.normal(size=20)})
    bad = good.assign(y=np.nan)
    ref, cur = (bad, good) if side == "reference" else (good, bad)
    with pytest.raises(InvalidInputError, match=f"Column 'y' has no usable values in {side}"):
        plan_columns(ref, cur)


def test_all_infinite_column_is_like_all_nan():
    good = pd.DataFrame({"x": RNG.normal(size=20)})
    with pytest.raises(InvalidInputError, match="Column 'x' has no usable values in current"):
        plan_columns(good, pd.DataFrame({"x": [np.inf, -np.inf]}))


def test_free_text_column_is_a_clear_error():
    ref = pd.DataFrame({"x": RNG.normal(size=20), "comment": [f"note {i}" for i in range(20)]})
    with pytest.raises(InvalidInputError, match="Column 'comment' looks like free text"):
        plan_columns(ref, ref)
    assert plan_columns(ref, ref, categorical_columns=["comment"]).column_types["comment"] == "categorical"


def test_numerical_override_on_text_values_is_an_error():
    ref = pd.DataFrame({"grade": ["a", "b"] * 10})
    with pytest.raises(InvalidInputError, match="'grade' is treated as numerical"):
        plan_columns(ref, ref, numerical_columns=["grade"])


def test_listed_datetime_column_is_an_error():
    with pytest.raises(InvalidInputError, match="Column 'signup' has type datetime"):
        plan_columns(frame(), frame(), columns=["signup"])


def test_bad_parameters():
    with pytest.raises(InvalidInputError, match="both numerical_columns and categorical_columns"):
        plan_columns(frame(), frame(), numerical_columns=["age"], categorical_columns=["age"])
    with pytest.raises(InvalidInputError, match="categorical_columns names columns missing"):
        plan_columns(frame(), frame(), categorical_columns=["nope"])
    with pytest.raises(InvalidInputError, match="columns must be a list"):
        plan_columns(frame(), frame(), columns=[1, 2])
    with pytest.raises(InvalidInputError, match="No numerical or categorical columns"):
        plan_columns(frame()[["signup"]], frame()[["signup"]])


def test_infinite_values_are_noted_per_side():
    ref = pd.DataFrame({"x": RNG.normal(size=20)})
    cur = pd.DataFrame({"x": np.r_[RNG.normal(size=18), [np.inf, -np.inf]]})
    plan = plan_columns(ref, cur)
    assert plan.notes == ("column 'x': 2 infinite value(s) in current treated as missing, as Evidently does",)
    assert plan_columns(ref, ref).notes == ()


def test_unnamed_columns_are_a_clear_error():
    numbers = pd.DataFrame(RNG.normal(size=(10, 2)))
    with pytest.raises(InvalidInputError, match="reference has column names that are not strings: \\[0, 1\\]"):
        plan_columns(numbers, numbers)


def test_text_where_numbers_are_expected_shows_dtypes_values_and_the_fix():
    ref = pd.DataFrame({"income": RNG.normal(50, 10, 40)})
    cur = pd.DataFrame({"income": [f"{v:,.0f}" for v in RNG.normal(5000, 10, 39)] + ["n/a"]})
    with pytest.raises(InvalidInputError) as err:
        plan_columns(ref, cur)
    message = str(err.value)
    assert "Column 'income' is numeric on one side and text on the other" in message
    assert re.search(r"reference dtype float64, current dtype (object|str)", message)
    assert re.search(r"current values such as '[0-9],[0-9]{3}'", message)
    assert "pd.to_numeric" in message and "categorical_columns" in message
    assert plan_columns(ref, cur, categorical_columns=["income"]).column_types == {"income": "categorical"}


def test_numerical_columns_on_text_shows_values():
    ref = pd.DataFrame({"grade": ["a", "b"] * 10})
    with pytest.raises(InvalidInputError, match=r"current dtype \w+, reference values such as 'a', 'b'\); cast it"):
        plan_columns(ref, ref, numerical_columns=["grade"])


class _Facts:
    """A source that hands out facts instead of columns, as a SQL or Spark source does."""

    def __init__(self, frame: pd.DataFrame, side: str, *, with_distinct: bool = True) -> None:
        self.frame, self.side, self.with_distinct = frame, side, with_distinct
        self.columns = list(frame.columns)

    def describe(self) -> str:
        return f"facts of {self.side}"

    def facts(self, name: str):
        from airflow_mlmonitor.drift.columns import facts

        summary = facts(self.frame[name], name, self.side)
        if self.with_distinct:
            summary.distinct = int(self.frame[name].nunique())
        return summary

    def __getitem__(self, name: str):
        raise AssertionError("a facts source must not be read column by column")


def test_plan_from_facts_matches_plan_from_frames():
    rng = np.random.default_rng(3)
    n = 200
    frame = pd.DataFrame({
        "f": rng.normal(size=n),
        "i_low": rng.integers(0, 5, n),
        "i_high": rng.integers(0, 1000, n),
        "s": rng.choice(["a", "b", "c"], n).astype(object),
        "b": rng.random(n) > 0.5,
        "t": pd.date_range("2024-01-01", periods=n, freq="h"),
    })
    frame.loc[::7, "f"] = np.nan
    from_frames = plan_columns(frame, frame.copy())
    from_facts = plan_columns(_Facts(frame, "reference"), _Facts(frame, "current"))
    assert from_facts.column_types == from_frames.column_types
    assert from_facts.ignored == from_frames.ignored
    assert from_frames.column_types == {"f": "numerical", "i_low": "categorical", "i_high": "numerical",
                                        "s": "categorical", "b": "categorical"}


def test_facts_without_distinct_count_name_the_column():
    frame = pd.DataFrame({"i": np.arange(50)})
    with pytest.raises(InvalidInputError, match=r"column 'i' \(dtype int64\) have no distinct count"):
        plan_columns(frame, _Facts(frame, "current", with_distinct=False))
    plan = plan_columns(frame, _Facts(frame, "current", with_distinct=False), numerical_columns=["i"])
    assert plan.column_types == {"i": "numerical"}


def test_free_text_from_facts_is_a_clear_error():
    frame = pd.DataFrame({"note": [f"text {i}" for i in range(40)]})
    with pytest.raises(InvalidInputError, match=r"looks like free text \(40 distinct of 40 values\)"):
        plan_columns(frame, _Facts(frame, "current"))


def test_facts_sources_are_named_in_column_mismatches():
    left, right = pd.DataFrame({"a": [1.0], "b": [2.0]}), pd.DataFrame({"a": [1.0]})
    with pytest.raises(InvalidInputError, match=r"facts of reference and facts of current have different columns: "
                       r"only in facts of reference \['b'\], only in facts of current \[\]\. Pass `columns=\[\.\.\.\]` to compare the shared ones\.$"):
        plan_columns(_Facts(left, "reference"), _Facts(right, "current"))
