"""Staging: raw JSON pages -> typed, validated, deduplicated ``stg_<table>`` partitions.

Everything runs in DuckDB over the landed files: every field is read as text, cast to the Arrow
schema of ``pipeline.schemas`` and checked by the row rules; failures go to quarantine with their
reasons and raw values; the rest is deduplicated on the table's key (latest page wins). The counts
reconcile: raw = staged + quarantined + dropped duplicates, or the stage fails.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.schemas import LINEAGE_FIELDS, SOURCE_TABLES, SourceTable
from pipeline.validate.rules import Rule, cast_sql, schema_rules
from pipeline.warehouse.storage import Partition, Warehouse

log = logging.getLogger(__name__)


class StageError(RuntimeError):
    """The day cannot be staged; the message names table, day and cause."""


class ContractBreak(StageError):
    """The data as a whole breaks the table's contract (a required column missing, ...)."""


@dataclass(frozen=True)
class StageResult:
    """Counts of one staged table-day (they reconcile)."""

    table: str
    dt: str
    raw_rows: int
    staged_rows: int
    quarantined_rows: int
    duplicate_rows: int

    def reconciles(self) -> bool:
        return self.raw_rows == self.staged_rows + self.quarantined_rows + self.duplicate_rows


QUARANTINE_SCHEMA_EXTRA = pa.schema(
    [
        ("_reasons", pa.string()),
        ("_run_id", pa.string()),
        ("_source", pa.string()),
        ("_file", pa.string()),
        ("_page", pa.int64()),
        ("_pos", pa.int64()),
    ]
)


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session in UTC."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


def _raw_columns(table: SourceTable) -> str:
    fields = ", ".join(f'"{f.name}" VARCHAR' for f in table.schema)
    lineage = ", ".join(f"'{n}': 'VARCHAR'" for n in LINEAGE_FIELDS)
    return (
        "{" + lineage + ", '_page': 'BIGINT', "
        f"'page': 'STRUCT(data STRUCT({fields})[], next_cursor VARCHAR)'" + "}"
    )


def _load_raw(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> None:
    file_list = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    fields = ", ".join(f'r."{f.name}" as "r_{f.name}"' for f in table.schema)
    con.execute(
        f"""
        create or replace temp table raw_rows as
        with pages as (
            select _run_id, _source, _extracted_at, _page, filename as _file,
                   generate_subscripts(page.data, 1) as _pos, unnest(page.data) as r
            from read_json({file_list}, format = 'newline_delimited',
                           columns = {_raw_columns(table)}, filename = true,
                           maximum_object_size = 1073741824)
        )
        select _run_id, _source, _extracted_at, _page, _file, _pos, {fields} from pages
        """
    )


def _check_contract(con: duckdb.DuckDBPyConnection, table: SourceTable, dt: str) -> int:
    """Fail when a required column is absent (null in every row) of a non-empty day."""
    counts = ", ".join(f'count("r_{n}")' for n in table.required)
    row = con.execute(f"select count(*), {counts} from raw_rows").fetchone()
    assert row is not None
    total = int(row[0])
    if total:
        missing = [n for n, c in zip(table.required, row[1:], strict=True) if c == 0]
        if missing:
            raise ContractBreak(
                f"{table.name} {dt}: required column(s) {', '.join(missing)} missing or null in "
                f"all {total} rows; the source no longer matches the contract"
            )
    return total


def stage_rows(
    con: duckdb.DuckDBPyConnection, table: SourceTable, rules: list[Rule]
) -> tuple[pa.Table, pa.Table, int]:
    """From ``raw_rows``: (staged, quarantined, dropped duplicates)."""
    casts = ", ".join(f'{cast_sql(f.name, f.type)} as "{f.name}"' for f in table.schema)
    reasons = ", ".join(f"case when {r.fails} then '{r.name}' end" for r in rules) or "null"
    con.execute(
        f"""
        create or replace temp table checked as
        with typed as (select *, {casts} from raw_rows)
        select *, concat_ws(';', {reasons}) as _reasons from typed
        """
    )
    cols = ", ".join(f'"{f.name}"' for f in table.schema)
    key = ", ".join(f'"{k}"' for k in table.key)
    staged = con.sql(
        f"""
        select {cols} from checked where _reasons = ''
        qualify row_number() over (
            partition by {key} order by _extracted_at desc, _page desc, _pos desc) = 1
        order by {key}
        """
    ).to_arrow_table()
    raw_cols = ", ".join(f'"r_{f.name}" as "{f.name}"' for f in table.schema)
    quarantined = con.sql(
        f"""
        select {raw_cols}, _reasons, _run_id, _source, _file, _page, _pos
        from checked where _reasons <> '' order by _file, _page, _pos
        """
    ).to_arrow_table()
    row = con.execute("select count(*) from checked where _reasons = ''").fetchone()
    assert row is not None
    duplicates = int(row[0]) - staged.num_rows
    quarantine_schema = pa.schema(
        [pa.field(f.name, pa.string()) for f in table.schema] + list(QUARANTINE_SCHEMA_EXTRA)
    )
    return staged.cast(table.schema), quarantined.cast(quarantine_schema), duplicates


def raw_files(wh: Warehouse, table: SourceTable, dt: date) -> list[Path]:
    """The landed raw files of one table-day (one per platform)."""
    base = wh.path(Partition.of("raw", table.name, dt))
    return sorted(base.glob("platform=*/part-*.jsonl"))


def stage_table(wh: Warehouse, name: str, dt: date, run_id: str) -> StageResult:
    """Cast, validate, deduplicate and publish one table-day; returns reconciled counts."""
    table = SOURCE_TABLES[name]
    files = raw_files(wh, table, dt)
    if not files:
        raise StageError(
            f"{name} {dt}: no raw data landed under {wh.path(Partition.of('raw', name, dt))}; "
            "run the extraction for that day first"
        )
    landed = sum(int(m["rows"]) for m in wh.manifests("raw", name, dt))
    con = connect()
    try:
        _load_raw(con, table, files)
        raw_rows = _check_contract(con, table, dt.isoformat())
        staged, quarantined, duplicates = stage_rows(con, table, schema_rules(table))
    finally:
        con.close()
    result = StageResult(
        name, dt.isoformat(), raw_rows, staged.num_rows, quarantined.num_rows, duplicates
    )
    if raw_rows != landed or not result.reconciles():
        raise StageError(
            f"{name} {dt}: counts do not reconcile: landed {landed}, read {raw_rows}, staged "
            f"{result.staged_rows} + quarantined {result.quarantined_rows} + duplicates "
            f"{duplicates}"
        )
    counts = asdict(result)
    wh.write_table(Partition.of("quarantine", name, dt), quarantined, run_id, extra=counts)
    wh.write_table(Partition.of("staging", table.staging, dt), staged, run_id, extra=counts)
    log.info(
        "staged %s %s: %d raw -> %d staged, %d quarantined, %d duplicates",
        name,
        dt,
        raw_rows,
        staged.num_rows,
        quarantined.num_rows,
        duplicates,
    )
    return result
