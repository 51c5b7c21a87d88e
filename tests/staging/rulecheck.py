"""Shared helpers for the validation tests: evaluate rules on tiny DuckDB tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.contracts import SOURCE_TABLES
from pipeline.staging.rules import Rule
from pipeline.staging.suites import set_parameters, suite_rules

#: the start of the run every test validates against
RUN_TS = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def typed_table(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows (missing fields NULL) typed by the staging schema, with a leading ``id``."""
    schema = SOURCE_TABLES[table].schema
    full = [{"id": i, **{f.name: r.get(f.name) for f in schema}} for i, r in enumerate(rows)]
    return pa.Table.from_pylist(full, schema=pa.schema([("id", pa.int64()), *schema]))


def rule(table: str, name: str) -> Rule:
    """The compiled rule ``name`` of ``table``'s suite."""
    found = [r for r in suite_rules(table) if r.name == name]
    assert found, f"{table} has no rule {name}: {[r.name for r in suite_rules(table)]}"
    return found[0]


def flagged(r: Rule, data: pa.Table, run_ts: datetime | None = RUN_TS) -> list[int]:
    """The ids of the rows the rule fails, evaluated as staging does (over ``typed``)."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    if run_ts is not None:
        set_parameters(con, run_ts)
    con.register("typed", data)
    rows = con.execute(
        f"select id from (select id, case when {r.fails} then 1 end as bad from typed) "
        "where bad = 1 order by id"
    ).fetchall()
    return [int(x[0]) for x in rows]
