"""The light expectation compiler: a suite's ``row`` expectations -> staging :class:`Rule`\\ s.

Each rule is a DuckDB condition, TRUE exactly for the rows GX would mark unexpected, written over
the typed columns of staging's query. Two relations GX has no pandas built-in for are written
with built-in expectation types:

- "not in the future of the run": ``expect_column_values_to_be_between`` with
  ``max_value: {"$PARAMETER": "run_ts"}``. GX gets ``run_ts`` as an expectation parameter; the
  compiled SQL reads the DuckDB variable ``getvariable('run_ts')`` (a TIMESTAMPTZ that the caller
  sets, see :func:`set_parameters`; an unset variable is an error, not a pass).
- group relations such as "the audience shares of one account and dimension sum to 1": the
  suite's ``meta.clout_derived_columns`` maps a derived column name to a DuckDB expression over
  the typed columns (here a window sum over distinct (bucket, share) pairs, since staging checks
  rows before it deduplicates them), and an ordinary expectation checks the derived column. The
  SQL rule inlines the expression; the GX run (:mod:`pipeline.staging.gx`) computes the column
  with DuckDB before handing the frame to GX. One definition serves both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.contracts import Table
from pipeline.staging.rules import Rule
from pipeline.staging.suites import (
    SuiteError,
    check_columns,
    derived_columns,
    expectation_name,
    load_suite,
    severity_of,
    suite_table,
)

#: Suite parameters (``{"$PARAMETER": name}``) and the DuckDB type of their variable.
PARAMETERS: dict[str, str] = {"run_ts": "timestamptz"}

#: Expectation types that are never quarantine rules: staging already keeps one row per key
#: (latest wins) and casts every column to its schema type; they run in GX on staged data.
GX_ONLY_TYPES: frozenset[str] = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_select_column_values_to_be_unique_within_record",
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_be_in_type_list",
    }
)

#: Expectation types :func:`compile_expectation` turns into SQL.
COMPILABLE_TYPES: frozenset[str] = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_pair_values_a_to_be_greater_than_b",
    }
)


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _param_sql(name: str) -> str:
    if name not in PARAMETERS:
        raise SuiteError(
            f"unknown suite parameter {name!r}; known: {', '.join(sorted(PARAMETERS))}"
        )
    msg = (
        f"DuckDB variable {name} is not set: call pipeline.staging.compile.set_parameters "
        "before evaluating suite rules"
    )
    return f"coalesce(cast(getvariable('{name}') as {PARAMETERS[name]}), error('{msg}'))"


def literal(value: Any) -> str:
    """A SQL literal for a JSON value (or a ``$PARAMETER`` reference)."""
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        return _param_sql(str(value["$PARAMETER"]))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SuiteError(f"non-finite bound {value!r}")
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise SuiteError(f"cannot write {value!r} as a SQL literal")


def _column_sql(name: str, derived: Mapping[str, str]) -> str:
    return f"({derived[name]})" if name in derived else ident(name)


def _between(col: str, kw: Mapping[str, Any]) -> str:
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if lo is None and hi is None:
        raise SuiteError("min_value and max_value cannot both be null")
    bad: list[str] = []
    if lo is not None:
        bad.append(f"{col} {'<=' if kw.get('strict_min') else '<'} {literal(lo)}")
    if hi is not None:
        bad.append(f"{col} {'>=' if kw.get('strict_max') else '>'} {literal(hi)}")
    return " or ".join(bad)


def _in_set(col: str, kw: Mapping[str, Any], allowed: bool) -> str:
    """Fails when the value is outside ``value_set`` (``allowed``) or inside it (not)."""
    values = kw.get("value_set")
    if not isinstance(values, list):
        raise SuiteError("value_set must be a list of values")
    if not values:
        return f"{col} is not null" if allowed else "false"
    items = ", ".join(literal(v) for v in values)
    return f"{col} not in ({items})" if allowed else f"{col} in ({items})"


def _regex(col: str, kw: Mapping[str, Any], must_match: bool) -> str:
    """Fails when the regex is not found in the value (``must_match``) or is found (not).
    Like GX's pandas ``str.contains`` it searches; anchor it with ``^...$`` to match whole."""
    regex = kw.get("regex")
    if not isinstance(regex, str):
        raise SuiteError("regex must be a string")
    found = f"regexp_matches(cast({col} as varchar), {literal(regex)})"
    return f"not {found}" if must_match else found


def _pair_greater(kw: Mapping[str, Any], derived: Mapping[str, str]) -> str:
    ignore = kw.get("ignore_row_if", "both_values_are_missing")
    if ignore != "either_value_is_missing":
        raise SuiteError(
            "expect_column_pair_values_a_to_be_greater_than_b needs "
            "ignore_row_if='either_value_is_missing' (a NULL on either side passes, as in GX; "
            f"GX's pandas engine errors on nullable columns with {ignore!r})"
        )
    a = _column_sql(str(kw["column_A"]), derived)
    b = _column_sql(str(kw["column_B"]), derived)
    return f"{a} {'<' if kw.get('or_equal') else '<='} {b}"


def _condition(typ: Any, kw: Mapping[str, Any], derived: Mapping[str, str]) -> str:
    """The SQL condition true for a failing row (may be NULL for a NULL value: it passes)."""
    if typ == "expect_column_pair_values_a_to_be_greater_than_b":
        return _pair_greater(kw, derived)
    if typ not in COMPILABLE_TYPES:
        raise SuiteError(
            f"expectation type {typ!r} cannot be compiled to a quarantine rule; "
            f"supported: {', '.join(sorted(COMPILABLE_TYPES))}"
        )
    col = _column_sql(str(kw["column"]), derived)
    if typ == "expect_column_values_to_not_be_null":
        return f"{col} is null"
    if typ == "expect_column_values_to_be_null":
        return f"{col} is not null"
    if typ == "expect_column_values_to_be_between":
        return _between(col, kw)
    if typ in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        return _in_set(col, kw, allowed=typ == "expect_column_values_to_be_in_set")
    return _regex(col, kw, must_match=typ == "expect_column_values_to_match_regex")


def compile_expectation(
    expectation: Mapping[str, Any], derived: Mapping[str, str] | None = None
) -> Rule:
    """A staging rule whose ``fails`` is TRUE exactly for the rows GX would mark unexpected.

    NULLs pass every expectation but the not-null one (``mostly`` is ignored: a failing row
    is quarantined whatever the share of failures). Columns named in ``derived`` are replaced
    by their SQL expression. Raises :class:`SuiteError` for a type it cannot compile.
    """
    name = expectation_name(expectation)
    if ";" in name or "'" in name:
        raise SuiteError(f"{name}: column names with ';' or quotes cannot name a rule")
    kw: Mapping[str, Any] = expectation.get("kwargs") or {}
    try:
        cond = _condition(expectation.get("type"), kw, derived or {})
    except KeyError as e:
        raise SuiteError(f"{name}: missing kwarg {e}") from None
    except SuiteError as e:
        raise SuiteError(f"{name}: {e}") from None
    return Rule(name, f"coalesce({cond}, false)")


def suite_rules(table: str | Table, directory: Path | None = None) -> list[Rule]:
    """The quarantine rules of ``table``: its row-severity expectations compiled to SQL, in
    suite order, to use beside :func:`~pipeline.staging.rules.schema_rules`.

    A not-null expectation on a column the schema requires is left out: staging's
    ``required:<col>`` rule already rejects those rows (and blank strings too), so a row gets
    one reason, not two. Raises :class:`SuiteError` for a row-severity uniqueness or type
    expectation (staging keeps the latest row per key and casts every column: state those as
    ``contract``), an unknown column or severity, or two rules of the same name.
    """
    contract = suite_table(table)
    name = contract.name
    suite = load_suite(name, directory)
    check_columns(contract, suite)
    derived = derived_columns(suite)
    required = set(contract.required)
    rules: list[Rule] = []
    for exp in suite["expectations"]:
        if severity_of(exp) != "row":
            continue
        typ = exp.get("type")
        if typ in GX_ONLY_TYPES:
            raise SuiteError(
                f"{name} suite, {expectation_name(exp)}: uniqueness and type expectations "
                "cannot quarantine rows (staging deduplicates keys and casts types); "
                "give it meta.severity 'contract'"
            )
        if typ == "expect_column_values_to_not_be_null" and exp["kwargs"]["column"] in required:
            continue
        rules.append(compile_expectation(exp, derived))
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise SuiteError(f"{name} suite: rule names are not unique: {', '.join(dup)}")
    return rules


def set_parameters(con: duckdb.DuckDBPyConnection, run_ts: datetime) -> None:
    """Set the DuckDB variables the compiled rules read (``run_ts``, timezone-aware)."""
    con.execute("set variable run_ts = cast(? as timestamptz)", [aware_utc(run_ts)])


def aware_utc(ts: datetime) -> datetime:
    """``ts`` in UTC; a ValueError for a naive datetime (``run_ts`` must say its zone)."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"run_ts must be timezone-aware (UTC), got {ts!r}")
    return ts.astimezone(UTC)
