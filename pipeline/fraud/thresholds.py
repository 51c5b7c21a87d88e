"""Thresholds of the fake-traffic signals, read from their Great Expectations suite.

``expectations/marts/fraud_flags.json`` is the one source of every threshold. Each expectation
there carries ``meta.severity = "flag"`` (it never rejects a row, DESIGN section 7),
``meta.signal`` and, for a numeric threshold, ``meta.clout_variable`` (the DuckDB variable the
signal SQL reads) and ``meta.clout_bound`` (which kwarg holds the value). The suite's
``meta.clout_parameters`` holds the other numbers (windows, minimum evidence, scale floors).

:func:`set_variables` sets them all on a DuckDB connection; the SQL reads them with
``getvariable('fraud_...')``. :func:`check_sql` makes sure every variable a SQL model reads is
defined (an unset variable would be NULL and silently disable a signal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from pipeline.staging.suites import EXPECTATIONS_DIR, SuiteError, read_suite_file, severity_of

#: The suite of the fraud thresholds (in a sub-folder: the top level holds one suite per
#: source table).
SUITE_PATH = EXPECTATIONS_DIR / "marts" / "fraud_flags.json"

_VAR_RE = re.compile(r"getvariable\('(fraud_[a-z0-9_]+)'\)")


def load_fraud_suite(path: Path | None = None) -> dict[str, Any]:
    """The fraud-threshold suite as its JSON dict."""
    return read_suite_file(path or SUITE_PATH, "the fraud thresholds")


def thresholds(suite: Mapping[str, Any] | None = None) -> dict[str, float]:
    """DuckDB variable name -> value, from the suite's expectations and parameters."""
    s = suite if suite is not None else load_fraud_suite()
    out: dict[str, float] = {}
    for name, spec in ((s.get("meta") or {}).get("clout_parameters") or {}).items():
        value = spec.get("value") if isinstance(spec, Mapping) else spec
        out[str(name)] = _number(name, value)
    for e in s["expectations"]:
        meta = e.get("meta") or {}
        if severity_of(e) != "flag":
            raise SuiteError(f"fraud expectation {meta.get('signal')!r}: severity must be 'flag'")
        var = meta.get("clout_variable")
        if var is None:
            continue
        bound = meta.get("clout_bound", "max_value")
        value = (e.get("kwargs") or {}).get(bound)
        if var in out:
            raise SuiteError(f"fraud threshold {var!r} is defined twice")
        out[str(var)] = _number(var, value)
    return out


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SuiteError(f"fraud threshold {name!r}: {value!r} is not a number")
    return float(value)


def signals(suite: Mapping[str, Any] | None = None) -> list[str]:
    """Names of the signals the suite declares, in suite order."""
    s = suite if suite is not None else load_fraud_suite()
    return [str((e.get("meta") or {}).get("signal")) for e in s["expectations"]]


def set_variables(
    con: duckdb.DuckDBPyConnection, values: Mapping[str, float] | None = None
) -> None:
    """Set every threshold as a DuckDB variable (``getvariable('fraud_growth_z')`` ...)."""
    for name, value in (values if values is not None else thresholds()).items():
        con.execute(f"set variable {name} = cast(? as double)", [value])


def sql_variables(sql: str) -> set[str]:
    """The ``fraud_*`` variables a SQL text reads."""
    return set(_VAR_RE.findall(sql))


def check_sql(texts: Iterable[str], values: Mapping[str, float] | None = None) -> None:
    """Raise SuiteError when a SQL model reads a threshold the suite does not define."""
    known = set(values if values is not None else thresholds())
    missing = sorted(set().union(*(sql_variables(t) for t in texts)) - known)
    if missing:
        raise SuiteError(
            f"fraud SQL reads thresholds not in {SUITE_PATH.name}: {', '.join(missing)}"
        )
