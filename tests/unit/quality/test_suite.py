"""Reading ``expectations`` (configs, suite files, callables) and the errors a user sees."""

from __future__ import annotations

import json
import pathlib

import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.quality.suite import build_gx_suite, check_columns, load_suite, required_columns
from airflow_mlmonitor.quality.types import ExpectationSpec

NOT_NULL = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": 0.99}}
BETWEEN = {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "min_value": 18, "max_value": 90}}


def test_configs_become_specs_in_order():
    suite = load_suite([NOT_NULL, BETWEEN], name="customers")
    assert suite.name == "customers"
    assert [(e.type, e.position, dict(e.kwargs)) for e in suite.expectations] == [
        ("expect_column_values_to_not_be_null", 0, {"column": "income", "mostly": 0.99}),
        ("expect_column_values_to_be_between", 1, {"column": "age", "min_value": 18, "max_value": 90}),
    ]


@pytest.mark.parametrize(
    ("expectations", "message"),
    [
        ([], r"no expectations given"),
        ([NOT_NULL, "expect_column_values_to_be_unique"], r"expectations\[1\]: expected a dict like"),
        ([{"kwargs": {"column": "a"}}], r"expectations\[0\]: missing the expectation 'type'"),
        ([{"type": "expect_column_values_to_be_unique", "column": "id"}],
         r"expectations\[0\] \(expect_column_values_to_be_unique\): unknown key\(s\) \['column'\]; "
         r"expectation arguments go under 'kwargs'"),
        ([{"type": "expect_column_values_to_be_unique", "kwargs": ["id"]}], r"'kwargs' and 'meta' must be dicts"),
        (42, r"expectations: got int; pass a list of expectation configs"),
    ],
)
def test_malformed_configs_name_the_culprit(expectations, message):
    with pytest.raises(InvalidInputError, match=message):
        load_suite(expectations)


def test_json_suite_file_gx_1x(tmp_path: pathlib.Path):
    path = tmp_path / "customers.json"
    path.write_text(json.dumps({"name": "customers_v2", "expectations": [NOT_NULL, BETWEEN], "meta": {}}))
    suite = load_suite(str(path))
    assert suite.name == "customers_v2"
    assert [e.type for e in suite.expectations] == [NOT_NULL["type"], BETWEEN["type"]]


def test_yaml_suite_file_and_gx_0x_keys(tmp_path: pathlib.Path):
    path = tmp_path / "legacy.yml"
    path.write_text(
        "expectation_suite_name: legacy\n"
        "expectations:\n"
        "  - expectation_type: expect_column_values_to_be_in_set\n"
        "    kwargs: {column: country, value_set: [FR, US]}\n"
    )
    suite = load_suite(path)
    assert suite.name == "legacy"
    assert suite.expectations[0].type == "expect_column_values_to_be_in_set"
    assert suite.expectations[0].kwargs == {"column": "country", "value_set": ["FR", "US"]}


def test_bare_list_file_is_named_after_the_file(tmp_path: pathlib.Path):
    path = tmp_path / "features.json"
    path.write_text(json.dumps([NOT_NULL]))
    assert load_suite(str(path)).name == "features"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.json", '{"expectations": [', r"suite file '.*broken\.json' does not parse as JSON: Expecting value: line 1"),
        ("broken.yaml", "expectations: [\n  - {type: x", r"suite file '.*broken\.yaml' does not parse as YAML"),
        ("scalar.json", "3", r"suite file '.*scalar\.json': expected a suite"),
        ("nolist.json", '{"name": "x", "expectations": {"a": 1}}', r"'expectations' must be a list"),
        ("bad_item.json", '{"expectations": [{"type": "expect_column_values_to_be_unique", "kwargs": {}}, 7]}',
         r"suite file '.*bad_item\.json': expectations\[1\]: expected a dict"),
    ],
)
def test_unparsable_suite_files_name_the_file(tmp_path: pathlib.Path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InvalidInputError, match=message):
        load_suite(str(path))


def test_missing_or_wrongly_named_suite_file(tmp_path: pathlib.Path):
    with pytest.raises(InvalidInputError, match=r"suite file '.*nowhere\.json' does not exist"):
        load_suite(str(tmp_path / "nowhere.json"))
    with pytest.raises(InvalidInputError, match=r"is not a suite file \(suffix '\.txt'\)"):
        load_suite(str(tmp_path / "suite.txt"))


def test_callable_errors_are_wrapped():
    def broken_suite():
        raise RuntimeError("no suite today")

    with pytest.raises(InvalidInputError, match=r"callable .*broken_suite raised RuntimeError: no suite today"):
        load_suite(broken_suite)


def test_required_columns_skip_expectations_about_column_presence():
    spec = ExpectationSpec
    assert required_columns(spec("expect_column_values_to_be_unique", {"column": "id"})) == ["id"]
    assert required_columns(spec("expect_column_to_exist", {"column": "id"})) == []
    assert required_columns(spec("expect_column_pair_values_to_be_equal", {"column_A": "a", "column_B": "b"})) == ["a", "b"]
    assert required_columns(spec("expect_compound_columns_to_be_unique", {"column_list": ["a", "b"]})) == ["a", "b"]
    assert required_columns(spec("expect_table_columns_to_match_ordered_list", {"column_list": ["a"]})) == []
    assert required_columns(spec("expect_table_row_count_to_be_between", {"min_value": 1})) == []


def test_missing_columns_are_listed_with_a_suggestion():
    suite = load_suite([NOT_NULL, BETWEEN, {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}}])
    check_columns(suite, ["income", "age", "id", "country"])  # all there: no error
    with pytest.raises(InvalidInputError) as info:
        check_columns(suite, ["incomes", "age", "country"], data_name="'customers.parquet'")
    message = str(info.value)
    assert message.startswith(
        "'customers.parquet' has no column 'income' (did you mean 'incomes'?) needed by "
        "expectations[0] (expect_column_values_to_not_be_null on 'income'); no column 'id' needed by expectations[2]"
    )
    assert message.endswith("Columns in 'customers.parquet': 'incomes', 'age', 'country'.")


def test_gx_builds_the_suite():
    suite = build_gx_suite(load_suite([NOT_NULL, BETWEEN], name="customers"))
    assert suite.name == "customers"
    assert [type(e).__name__ for e in suite.expectations] == [
        "ExpectColumnValuesToNotBeNull",
        "ExpectColumnValuesToBeBetween",
    ]


def test_unknown_expectation_type_is_named_with_a_suggestion():
    with pytest.raises(InvalidInputError) as info:
        build_gx_suite(load_suite([NOT_NULL, {"type": "expect_column_values_to_be_not_null", "kwargs": {"column": "a"}}]))
    message = str(info.value)
    assert message.startswith(
        "expectations[1] (expect_column_values_to_be_not_null on 'a'): Great Expectations has no expectation "
        "type 'expect_column_values_to_be_not_null' (did you mean "
    )
    assert "'expect_column_values_to_not_be_null'" in message.split("did you mean")[1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"column": "age", "min_valeu": 18, "max_value": 90}, r"min_valeu extra fields not permitted"),
        ({"column": "age", "mostly": 1.5, "min_value": 1}, r"mostly ensure this value is less than or equal to 1"),
    ],
)
def test_kwargs_gx_rejects_are_named(kwargs, message):
    with pytest.raises(InvalidInputError, match=r"expectations\[0\] \(expect_column_values_to_be_between on 'age'\): "
                                                r"Great Expectations rejected its kwargs .*" + message):
        build_gx_suite(load_suite([{"type": "expect_column_values_to_be_between", "kwargs": kwargs}]))


def test_callable_returning_a_gx_suite():
    import great_expectations as gx

    def customers_suite():
        return gx.ExpectationSuite(
            name="from_code",
            expectations=[gx.expectations.ExpectColumnValuesToBeInSet(column="country", value_set=["FR", "US"])],
        )

    suite = load_suite(customers_suite)
    assert suite.name == "from_code"
    assert suite.expectations[0].type == "expect_column_values_to_be_in_set"
    assert suite.expectations[0].kwargs["value_set"] == ["FR", "US"]

    with pytest.raises(InvalidInputError, match=r"returned dict, expected a gx.ExpectationSuite"):
        load_suite(lambda: {"name": "x"})
