"""Great Expectations suites: the table contracts in ``expectations/<table>.json``, loaded.

A suite is a GX 1.x ``ExpectationSuite`` in GX's own JSON form, so GX loads it as it is
(``gx.ExpectationSuite(**load_suite(table))``). This module reads the files and the parts clout
adds to them; two modules use them:

* :mod:`pipeline.staging.compile` turns the ``row`` expectations into the SQL rules that decide,
  row by row, what staging quarantines;
* :mod:`pipeline.staging.gx` runs the whole suite in GX on a staged partition.

What clout reads of its own:

* ``meta.severity`` of each expectation decides what a failure does:

  - ``contract``: the data as a whole breaks the contract; the task fails (types, grain);
  - ``row`` (the default): the failing rows are quarantined by staging;
  - ``flag``: never rejects anything; the result is only recorded (fraud thresholds).

  GX's own ``severity`` mirrors it (critical, warning, info) so Data Docs show the same.
* ``meta.clout_derived_columns`` of the suite: derived column name -> DuckDB expression over the
  typed columns (group relations such as "the audience shares of one account and dimension sum
  to 1"); see :mod:`pipeline.staging.compile`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

from pipeline.contracts import BRAND_SOURCES, SOURCE_TABLES, Table

#: Folder of the suites (one ``<table>.json`` each).
EXPECTATIONS_DIR = Path(__file__).resolve().parents[1] / "expectations"

Severity = Literal["contract", "row", "flag"]
SEVERITIES: tuple[Severity, ...] = ("contract", "row", "flag")
#: GX's own failure severity for each clout severity (shown in Data Docs).
GX_SEVERITY: dict[Severity, str] = {"contract": "critical", "row": "warning", "flag": "info"}


class SuiteError(ValueError):
    """A suite is missing, malformed or uses something clout cannot compile."""


def suite_table(table: str | Table) -> Table:
    """The contract of a table with a suite: a platform entity or a brand-side input."""
    if not isinstance(table, str):
        return table
    known = {**SOURCE_TABLES, **BRAND_SOURCES}
    if table not in known:
        raise SuiteError(f"unknown table {table!r}; known: {', '.join(known)}")
    return known[table]


def suite_path(table: str, directory: Path | None = None) -> Path:
    """Path of the suite file of ``table``."""
    return (directory or EXPECTATIONS_DIR) / f"{table}.json"


def load_suite(table: str, directory: Path | None = None) -> dict[str, Any]:
    """The suite of ``table`` as its JSON dict (GX's serialised ``ExpectationSuite``)."""
    return read_suite_file(suite_path(table, directory), f"table {table!r}")


def read_suite_file(path: Path, what: str) -> dict[str, Any]:
    """A suite file as its JSON dict; a SuiteError naming the file when it is missing or not a
    suite (``what`` says whose suite it is)."""
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"no expectation suite for {what}: {path} is missing") from None
    except json.JSONDecodeError as e:
        raise SuiteError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise SuiteError(f"{path}: not an expectation suite (no 'expectations' list)")
    return cast(dict[str, Any], suite)


def severity_of(expectation: Mapping[str, Any]) -> Severity:
    """The clout severity in an expectation's ``meta`` (``row`` when absent)."""
    sev = (expectation.get("meta") or {}).get("severity", "row")
    if sev not in SEVERITIES:
        raise SuiteError(
            f"{expectation_name(expectation)}: meta.severity {sev!r} is not one of "
            f"{', '.join(SEVERITIES)}"
        )
    return cast(Severity, sev)


def expectation_columns(expectation: Mapping[str, Any]) -> tuple[str, ...]:
    """The column(s) an expectation is about, in the order its kwargs name them."""
    kw = expectation.get("kwargs") or {}
    if "column" in kw:
        return (str(kw["column"]),)
    if "column_A" in kw or "column_B" in kw:
        return (str(kw.get("column_A")), str(kw.get("column_B")))
    if "column_list" in kw:
        return tuple(str(c) for c in kw["column_list"])
    return ()


def expectation_name(expectation: Mapping[str, Any]) -> str:
    """``<type>:<col>[,<col>...]``, e.g. ``expect_column_values_to_be_between:likes``."""
    cols = expectation_columns(expectation)
    typ = str(expectation.get("type", "?"))
    return f"{typ}:{','.join(cols)}" if cols else typ


def derived_columns(suite: Mapping[str, Any]) -> dict[str, str]:
    """Derived column name -> DuckDB expression, from ``meta.clout_derived_columns``."""
    return dict((suite.get("meta") or {}).get("clout_derived_columns") or {})


def check_columns(table: Table, suite: Mapping[str, Any]) -> None:
    """Every column a suite names is a column of the table's contract or a derived column."""
    known = set(table.column_names) | set(derived_columns(suite))
    for exp in suite["expectations"]:
        unknown = [c for c in expectation_columns(exp) if c not in known]
        if unknown:
            raise SuiteError(
                f"{table.name} suite, {expectation_name(exp)}: unknown column(s) "
                f"{', '.join(unknown)} (not in pipeline.contracts nor meta.clout_derived_columns)"
            )
