"""Staging: raw JSON pages -> typed, validated, deduplicated ``stg_<table>`` partitions.

Everything runs in DuckDB over the landed files: every field is read as text, cast to the Arrow
schema of ``pipeline.contracts`` and checked by the row rules; failures go to quarantine with their
reasons and raw values; the rest is deduplicated on the table's key (latest page wins). The counts
reconcile: raw = staged + quarantined + dropped duplicates, or the stage fails.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.contracts import LINEAGE_FIELDS, SOURCE_TABLES, Table, quarantine_of
from pipeline.staging.rules import Rule, cast_sql, schema_rules
from pipeline.staging.suites import (
    ValidationRecord,
    contract_failures,
    quarantine_records,
    records_to_table,
    set_parameters,
    suite_rules,
    validate_with_gx,
)
from pipeline.warehouse.catalog import connect
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


def _raw_columns(table: Table) -> str:
    fields = ", ".join(f'"{f.name}" VARCHAR' for f in table.schema)
    lineage = ", ".join(f"'{n}': 'VARCHAR'" for n in LINEAGE_FIELDS)
    return (
        "{" + lineage + ", '_page': 'BIGINT', "
        f"'page': 'STRUCT(data STRUCT({fields})[], next_cursor VARCHAR)'" + "}"
    )


def _load_raw(con: duckdb.DuckDBPyConnection, table: Table, files: list[Path]) -> None:
    file_list = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    fields = ", ".join(f'r."{f.name}" as "r_{f.name}"' for f in table.schema)
    con.execute(
        f"""
        create or replace temp view raw_rows as
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


def _check_contract(con: duckdb.DuckDBPyConnection, table: Table, dt: str) -> int:
    """Fail when a required column is absent (null in every row) of a non-empty day."""
    counts = ", ".join(f'count("r_{n}")' for n in table.required)
    row = con.execute(f"select count(*), {counts} from checked").fetchall()[0]
    total = int(row[0])
    if total:
        missing = [n for n, c in zip(table.required, row[1:], strict=True) if c == 0]
        if missing:
            raise ContractBreak(
                f"{table.name} {dt}: required column(s) {', '.join(missing)} missing or null in "
                f"all {total} rows; the source no longer matches the contract"
            )
    return total


def _is_group_rule(rule: Rule) -> bool:
    """A rule over a window (a group of rows, e.g. the shares of one account and dimension)."""
    return " over " in f" {rule.fails.lower()} "


def stage_rows(
    con: duckdb.DuckDBPyConnection, table: Table, rules: list[Rule]
) -> tuple[pa.Table, pa.Table, int]:
    """From ``raw_rows``: (staged, quarantined, dropped duplicates).

    Leaves the temp table ``checked`` (cast columns, the raw text of the required columns,
    ``_bad``, ``_dup``) for further counts. The clean path is one pass in served order (file,
    page, position), and DuckDB keeps that order through plain projections and filters, so the
    same raw data always gives the same files. What needs a window is done afterwards on narrow
    columns of ``checked``, and only marks rows: the group rules (every row, bad ones included,
    counts in its group), and the dedup that keeps the latest row per key, which only a day
    with repeated keys pays for. Where some rows fail, they are read again with their raw text
    and reasons.
    """
    casts = ", ".join(f'{cast_sql(f.name, f.type)} as "{f.name}"' for f in table.schema)
    group_rules = [r for r in rules if _is_group_rule(r)]
    row_rules = [r for r in rules if r not in group_rules]
    any_fails = " or ".join(f"({r.fails})" for r in row_rules) or "false"
    typed = f"select *, {casts} from raw_rows"
    checked = f"select *, coalesce({any_fails}, false) as _bad from ({typed})"
    cols = ", ".join(f'"{f.name}"' for f in table.schema)
    required_raw = "".join(f', "r_{n}"' for n in table.required)
    con.execute(
        f"""
        create or replace temp table checked as
        select _extracted_at, _page, _pos, _bad, false as _dup{required_raw}, {cols}
        from ({checked})
        """
    )
    for rule in group_rules:
        con.execute(
            f"""update checked set _bad = true where rowid in (
                select rowid from (select rowid, {rule.fails} as _f from checked) where _f)"""
        )
    key = ", ".join(f'"{k}"' for k in table.key)
    counts = con.execute(
        f"""select count(*) filter (where not _bad), count(distinct hash({key})) filter (where
            not _bad), count(*) filter (where _bad) from checked"""
    ).fetchall()[0]
    good, distinct, bad = (int(c) for c in counts)
    if good != distinct:  # some keys repeat (or hashes collide): mark all but the latest row
        con.execute(
            f"""
            update checked set _dup = true where rowid in (
                select rowid from (
                    select rowid, row_number() over (partition by {key}
                        order by _extracted_at desc, _page desc, _pos desc) as _n
                    from checked
                    where not _bad and hash({key}) in (
                        select hash({key}) from checked where not _bad
                        group by hash({key}) having count(*) > 1)
                ) where _n > 1)
            """
        )
    staged = con.sql(f"select {cols} from checked where not _bad and not _dup").to_arrow_table()
    if bad:
        raw_cols = ", ".join(f'"r_{f.name}" as "{f.name}"' for f in table.schema)
        # reasons over all rows, then the filter: group rules (window sums) see every row
        reasons = ", ".join(f"case when {r.fails} then '{r.name}' end" for r in rules)
        quarantined = con.sql(
            f"""
            select {raw_cols}, _reasons, _run_id, _source, _file, _page, _pos
            from (select *, concat_ws(';', {reasons}) as _reasons from ({typed}))
            where _reasons <> '' order by _file, _page, _pos
            """
        ).to_arrow_table()
    else:
        quarantined = quarantine_of(table).schema.empty_table()
    return (
        staged.cast(table.schema),
        quarantined.cast(quarantine_of(table).schema),
        good - staged.num_rows,
    )


def raw_files(wh: Warehouse, table: Table, dt: date) -> list[Path]:
    """The landed raw files of one table-day (one per platform)."""
    base = wh.path(Partition.of("raw", table.name, dt))
    return sorted(base.glob("platform=*/part-*.jsonl"))


def run_reference_time(dt: date) -> datetime:
    """The "now" a day's data is checked against: the end of its data interval (D+1 00:00 UTC),
    when the nightly run starts. Fixed per day, so reruns and backfills judge alike."""
    return datetime.combine(dt + timedelta(days=1), time(0), tzinfo=UTC)


def stage_table(wh: Warehouse, name: str, dt: date, run_id: str) -> StageResult:
    """Cast, validate, deduplicate and publish one table-day; returns reconciled counts.

    Also writes the per-rule quarantine counts to ``validation_results`` (source
    ``quarantine``); :func:`validate_staged` adds the GX results of the staged partition.
    """
    table = SOURCE_TABLES[name]
    files = raw_files(wh, table, dt)
    if not files:
        raise StageError(
            f"{name} {dt}: no raw data landed under {wh.path(Partition.of('raw', name, dt))}; "
            "run the extraction for that day first"
        )
    landed = sum(int(m["rows"]) for m in wh.manifests("raw", name, dt))
    rules = schema_rules(table) + suite_rules(name)
    con = connect()
    try:
        set_parameters(con, run_reference_time(dt))
        _load_raw(con, table, files)
        staged, quarantined, duplicates = stage_rows(con, table, rules)
        raw_rows = _check_contract(con, table, dt.isoformat())
        con.register("quarantined_rows", quarantined)
        records = quarantine_records(
            con, "quarantined_rows", name, dt, run_id, rules, element_count=raw_rows
        )
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
    write_validation_results(wh, name, dt, run_id, records, source="quarantine")
    log.info(
        "staged %s %s: %d raw -> %d staged, %d quarantined, %d duplicates",
        name, dt, raw_rows, staged.num_rows, quarantined.num_rows, duplicates,
    )  # fmt: skip
    return result


def write_validation_results(
    wh: Warehouse, name: str, dt: date, run_id: str, records: list[ValidationRecord], source: str
) -> None:
    """One ``validation_results`` partition per day, table and source (hive keys not stored)."""
    part = Partition.of("meta", "validation_results", dt, table=name, source=source)
    data = records_to_table(records).drop_columns(["dt", "table", "source"])
    wh.write_table(part, data, run_id)


def validate_staged(wh: Warehouse, name: str, dt: date, run_id: str) -> list[ValidationRecord]:
    """Run the table's Great Expectations suite on its staged partition, record the results,
    render Data Docs under ``<warehouse>/docs``; a failed contract expectation fails here."""
    table = SOURCE_TABLES[name]
    staged = pq.read_table(wh.path(Partition.of("staging", table.staging, dt)))
    records = validate_with_gx(
        name, staged, dt, run_id, docs_dir=wh.docs_dir(), run_ts=run_reference_time(dt)
    )
    write_validation_results(wh, name, dt, run_id, records, source="gx")
    broken = contract_failures(records)
    if broken:
        first = broken[0]
        raise ContractBreak(
            f"{name} {dt}: contract expectation {first.expectation} failed "
            f"({first.unexpected_count} unexpected of {first.element_count} rows)"
            + (f" and {len(broken) - 1} more" if len(broken) > 1 else "")
            + f"; see {wh.docs_dir() / 'index.html'}"
        )
    return records
