"""The suites in expectations/ load in GX and agree with pipeline.contracts."""

from __future__ import annotations

from typing import Any

import duckdb
import great_expectations as gx
import pyarrow as pa
import pytest
from rulecheck import RUN_TS

from pipeline.contracts import AUDIENCE_DIMENSIONS, MEDIA_TYPES, PLATFORMS, SOURCE_TABLES
from pipeline.staging.compile import set_parameters, suite_rules
from pipeline.staging.rules import schema_rules
from pipeline.staging.suites import (
    EXPECTATIONS_DIR,
    GX_SEVERITY,
    SEVERITIES,
    derived_columns,
    expectation_columns,
    load_suite,
)

TABLES = list(SOURCE_TABLES)
ENUMS: dict[str, tuple[str, ...]] = {
    "platform": PLATFORMS,
    "media_type": MEDIA_TYPES,
    "dimension": AUDIENCE_DIMENSIONS,
}
#: the pandas type GX observes for each Arrow type of the staged tables
GX_TYPES = {pa.int64(): "int64", pa.float64(): "float64", pa.bool_(): "bool", pa.string(): "str"}


def of_type(suite: dict[str, Any], typ: str) -> list[dict[str, Any]]:
    return [e for e in suite["expectations"] if e["type"] == typ]


def test_one_suite_per_source_table() -> None:
    brand = {"orders", "campaigns", "roster"}  # brand-side suites (campaigns, the roster)
    stems = {p.stem for p in EXPECTATIONS_DIR.glob("*.json")}
    assert stems - brand == set(TABLES)


@pytest.mark.parametrize("table", TABLES)
def test_suite_loads_in_gx_whole(table: str) -> None:
    data = load_suite(table)
    suite = gx.ExpectationSuite(**data)  # GX logs and drops an invalid expectation: count them
    assert suite.name == table
    assert len(suite.expectations) == len(data["expectations"])


@pytest.mark.parametrize("table", TABLES)
def test_suite_states_the_grain(table: str) -> None:
    assert load_suite(table)["meta"]["grain"] == SOURCE_TABLES[table].grain


@pytest.mark.parametrize("table", TABLES)
def test_required_columns_and_key_are_not_null(table: str) -> None:
    t = SOURCE_TABLES[table]
    cols = {
        e["kwargs"]["column"]
        for e in of_type(load_suite(table), "expect_column_values_to_not_be_null")
    }
    assert set(t.key) <= cols
    assert cols == set(t.required)


@pytest.mark.parametrize("table", TABLES)
def test_key_is_compound_unique_as_a_contract(table: str) -> None:
    unique = of_type(load_suite(table), "expect_compound_columns_to_be_unique")
    assert [e["kwargs"]["column_list"] for e in unique] == [list(SOURCE_TABLES[table].key)]
    assert unique[0]["meta"]["severity"] == "contract"


@pytest.mark.parametrize("table", TABLES)
def test_every_column_has_its_type(table: str) -> None:
    types = {
        e["kwargs"]["column"]: e["kwargs"]["type_"]
        for e in of_type(load_suite(table), "expect_column_values_to_be_of_type")
    }
    expected = {
        f.name: "Timestamp" if pa.types.is_timestamp(f.type) else GX_TYPES[f.type]
        for f in SOURCE_TABLES[table].schema
    }
    assert types == expected


@pytest.mark.parametrize("table", TABLES)
def test_enum_sets_equal_the_schemas_constants(table: str) -> None:
    suite = load_suite(table)
    sets = {
        e["kwargs"]["column"]: e["kwargs"]["value_set"]
        for e in of_type(suite, "expect_column_values_to_be_in_set")
    }
    columns = {f.name for f in SOURCE_TABLES[table].schema}
    for col, values in ENUMS.items():
        if col in columns:
            assert col in sets, f"{table}.{col} has no in-set expectation"
            assert sorted(sets[col]) == sorted(values)
            assert len(sets[col]) == len(set(sets[col]))
    assert set(sets) <= set(ENUMS)


@pytest.mark.parametrize("table", TABLES)
def test_severities_are_known_and_mirrored_in_gx(table: str) -> None:
    for e in load_suite(table)["expectations"]:
        sev = e["meta"]["severity"]
        assert sev in SEVERITIES
        assert e["severity"] == GX_SEVERITY[sev]


@pytest.mark.parametrize("table", TABLES)
def test_expectations_name_known_columns(table: str) -> None:
    suite = load_suite(table)
    known = {f.name for f in SOURCE_TABLES[table].schema} | set(derived_columns(suite))
    for e in suite["expectations"]:
        assert set(expectation_columns(e)) <= known, e


@pytest.mark.parametrize("table", TABLES)
def test_rules_compile_and_let_an_all_null_row_pass(table: str) -> None:
    """Every compiled rule is valid DuckDB SQL over the staging schema; NULLs pass, as in GX
    (the not-null of required columns is staging's ``required:`` rule, not a suite rule)."""
    rules = suite_rules(table)
    names = [r.name for r in rules]
    assert len(names) == len(set(names))
    assert all(";" not in n and "'" not in n for n in names)
    con = duckdb.connect()
    set_parameters(con, RUN_TS)
    schema = SOURCE_TABLES[table].schema
    con.register("typed", pa.table({f.name: pa.array([None], f.type) for f in schema}))
    flags = ", ".join(f"case when {r.fails} then 1 else 0 end" for r in rules)
    assert con.execute(f"select {flags} from typed").fetchone() == (0,) * len(rules)


@pytest.mark.parametrize("table", TABLES)
def test_rule_names_do_not_repeat_schema_rules(table: str) -> None:
    """Not-null on a required column is staging's ``required:<col>``, not a second reason."""
    suite_cols = {r.name.split(":", 1)[1] for r in suite_rules(table) if "not_be_null" in r.name}
    required = {
        r.name.split(":", 1)[1]
        for r in schema_rules(SOURCE_TABLES[table])
        if r.name.startswith("required:")
    }
    assert not suite_cols & required


def test_rule_names_per_table() -> None:
    """The quarantine reasons staging can give beside its schema rules (a reader's index)."""
    between = "expect_column_values_to_be_between:"
    platform = "expect_column_values_to_be_in_set:platform"
    assert [r.name for r in suite_rules("posts")] == [
        platform,
        "expect_column_values_to_be_in_set:media_type",
        *(between + c for c in ("likes", "comments", "shares", "saves", "views", "published_at")),
    ]
    assert [r.name for r in suite_rules("audience")] == [
        platform,
        "expect_column_values_to_be_in_set:dimension",
        between + "share",
        between + "share_sum_of_dimension",
    ]
    assert "expect_column_pair_values_a_to_be_greater_than_b:impressions,reach" in {
        r.name for r in suite_rules("delivery")
    }
    assert between + "created_at" in {r.name for r in suite_rules("accounts")}
