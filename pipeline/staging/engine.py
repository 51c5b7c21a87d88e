"""The staging engine: raw rows as text -> typed, validated, deduplicated rows and a quarantine.

One engine for every source: platform pages (:mod:`pipeline.staging.pages`), shop orders
(:mod:`pipeline.campaigns.orders`) and ad-manager file drops
(:mod:`pipeline.campaigns.delivery_files`). A source only loads its raw rows into the DuckDB
temp view ``raw_rows`` (:data:`RAW_ROWS`): every field of its contract as text ``r_<field>``,
plus the lineage :data:`RAW_LINEAGE`. Then:

* :func:`stage` casts the text to the contract's types (:func:`~pipeline.staging.rules.cast_sql`,
  or a source's per-column overrides), checks the rules (each failing row goes to quarantine
  with the names of the rules it failed and its raw text), keeps the latest row per key, checks
  the contract (a required column null in every row fails the stage, where asked) and counts
  the failures of each rule as ``validation_results`` records. Nothing is written.
* :func:`publish` checks that the counts reconcile (raw = staged + quarantined + dropped
  duplicates) and writes the quarantine partition, the staging partition (or hands the rows to
  the source, e.g. the orders upsert) and the table-day's ``validation_results`` (source
  ``quarantine``); every manifest carries the counts.

The quarantine of every table has one schema, :func:`pipeline.contracts.quarantine_of`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.contracts import Table, quarantine_of
from pipeline.staging.compile import set_parameters
from pipeline.staging.results import ValidationRecord, quarantine_records, write_validation_results
from pipeline.staging.rules import Rule, cast_sql
from pipeline.warehouse.storage import Partition, Warehouse

log = logging.getLogger(__name__)

#: The temp view (or table) a source loads its raw rows into.
RAW_ROWS = "raw_rows"
#: Lineage columns of ``raw_rows`` beside the ``r_<field>`` text columns; ``_pos`` (1-based
#: position in its page or file) with ``_file`` and ``_page`` orders the rows as served.
RAW_LINEAGE: tuple[str, ...] = ("_run_id", "_source", "_extracted_at", "_file", "_page", "_pos")


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


@dataclass(frozen=True)
class Staged:
    """What :func:`stage` made of one table-day's raw rows; :func:`publish` writes it."""

    table: Table  #: the source contract (``staging_of``/``quarantine_of`` give the others)
    dt: date
    run_id: str
    raw_rows: int
    rows: pa.Table  #: typed (``table.schema``), one row per key, in served order
    quarantined: pa.Table  #: ``quarantine_of(table).schema``, in served order
    duplicates: int  #: valid rows dropped because a later row has the same key
    records: list[ValidationRecord]  #: one per rule: its quarantined rows (unexpected_count)

    def result(self) -> StageResult:
        return StageResult(
            self.table.name, self.dt.isoformat(), self.raw_rows, self.rows.num_rows,
            self.quarantined.num_rows, self.duplicates,
        )  # fmt: skip


def run_reference_time(dt: date) -> datetime:
    """The "now" a day's data is checked against: the end of its data interval (D+1 00:00 UTC),
    when the nightly run starts. Fixed per day, so reruns and backfills judge alike."""
    return datetime.combine(dt + timedelta(days=1), time(0), tzinfo=UTC)


# ------------------------------------------------------------------------------------ loading


def as_text(column: str, typ: pa.DataType) -> str:
    """SQL giving a typed column's raw text: timestamps as ISO 8601 UTC, the rest as varchar."""
    if pa.types.is_timestamp(typ):
        return f"""strftime(cast("{column}" as timestamptz), '%Y-%m-%dT%H:%M:%S.%fZ')"""
    return f'cast("{column}" as varchar)'


def load_arrow(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    data: pa.Table,
    *,
    run_id: str,
    source: str,
    file: str | None = None,
    extracted_at: datetime | None = None,
    text: Callable[[str, pa.DataType], str] = as_text,
) -> None:
    """``raw_rows`` (a temp table) from Arrow rows: each field of ``table`` that ``data`` has
    becomes ``r_<field>`` by ``text(column, type)`` (a missing field is NULL); the lineage is the
    same for every row (``extracted_at`` defaults to now), ``_pos`` the 1-based row number (or
    ``data``'s own ``_pos`` column, increasing: a file drop's row in the file) and ``_page``
    NULL."""
    if "_pos" in data.column_names:
        rows = data.set_column(
            data.column_names.index("_pos"), "_pos", data.column("_pos").cast(pa.int64())
        )
    else:
        rows = data.append_column("_pos", pa.array(range(1, data.num_rows + 1), pa.int64()))
    con.register("_raw_arrow", rows)
    fields = ", ".join(
        f"{text(n, data.schema.field(n).type) if n in data.column_names else 'null'}"
        f'::varchar as "r_{n}"'
        for n in table.column_names
    )
    con.execute(
        f"""create or replace temp table {RAW_ROWS} as
        select ?::varchar as _run_id, ?::varchar as _source, ?::timestamptz as _extracted_at,
               ?::varchar as _file, null::bigint as _page, _pos, {fields}
        from _raw_arrow""",
        [run_id, source, extracted_at or datetime.now(UTC), file],
    )
    con.unregister("_raw_arrow")


# ------------------------------------------------------------------------------------ staging


def _is_group_rule(rule: Rule) -> bool:
    """A rule over a window (a group of rows, e.g. the shares of one account and dimension)."""
    return " over " in f" {rule.fails.lower()} "


def _raw_columns_named(rules: Sequence[Rule]) -> list[str]:
    """The raw text columns (``"r_<field>"``) the rules read, in first-use order."""
    seen: dict[str, None] = {}
    for r in rules:
        seen.update(dict.fromkeys(re.findall(r'"(r_[^"]+)"', r.fails)))
    return list(seen)


def stage_rows(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    rules: Sequence[Rule],
    casts: Mapping[str, str] | None = None,
) -> tuple[pa.Table, pa.Table, int]:
    """From ``raw_rows``: (staged, quarantined, dropped duplicates).

    ``casts`` overrides the SQL reading a column's raw text (column name -> expression over
    ``"r_<column>"``; default :func:`~pipeline.staging.rules.cast_sql`).

    Leaves the temp table ``checked`` (cast columns, the raw text of the required columns and
    of the columns group rules read, ``_bad``, ``_dup``) for further counts. The clean path is
    one pass in served order (file, page, position), and DuckDB keeps that order through plain
    projections and filters, so the same raw data always gives the same files. What needs a
    window is done afterwards on narrow columns of ``checked``, and only marks rows: the group
    rules (every row, bad ones included, counts in its group), and the dedup that keeps the
    latest row per key, which only a day with repeated keys pays for. Where some rows fail,
    they are read again with their raw text and reasons.
    """
    overrides = casts or {}
    unknown = sorted(set(overrides) - set(table.column_names))
    if unknown:
        raise ValueError(f"{table.name}: cast overrides for unknown column(s) {unknown}")
    casts_sql = ", ".join(
        f'{overrides.get(f.name) or cast_sql(f.name, f.type)} as "{f.name}"' for f in table.schema
    )
    group_rules = [r for r in rules if _is_group_rule(r)]
    row_rules = [r for r in rules if r not in group_rules]
    any_fails = " or ".join(f"({r.fails})" for r in row_rules) or "false"
    typed = f"select *, {casts_sql} from {RAW_ROWS}"
    checked = f"select *, coalesce({any_fails}, false) as _bad from ({typed})"
    cols = ", ".join(f'"{f.name}"' for f in table.schema)
    raw_kept = dict.fromkeys([f"r_{n}" for n in table.required] + _raw_columns_named(group_rules))
    required_raw = "".join(f', "{c}"' for c in raw_kept)
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
    quarantine = quarantine_of(table).schema
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
        quarantined = quarantine.empty_table()
    return staged.cast(table.schema), quarantined.cast(quarantine), good - staged.num_rows


def _count_and_check_contract(
    con: duckdb.DuckDBPyConnection, table: Table, dt: str, check: bool
) -> int:
    """The rows of ``checked``; with ``check``, fail when a required column is absent (null in
    every row) of a non-empty day."""
    if not check or not table.required:
        return int(con.execute("select count(*) from checked").fetchall()[0][0])
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


def stage(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    rules: Sequence[Rule],
    dt: date,
    run_id: str,
    *,
    casts: Mapping[str, str] | None = None,
    check_contract: bool = False,
    run_ts: datetime | None = None,
) -> Staged:
    """Stage the ``raw_rows`` loaded in ``con`` as ``table``'s day ``dt`` (nothing is written).

    ``rules`` decide what is quarantined (schema rules, the suite's row expectations, the
    source's own); ``casts`` overrides the reading of some columns' text (see
    :func:`stage_rows`). With ``check_contract``, a required column that is null in every row of
    a non-empty day raises :class:`ContractBreak` (platform pages: the API changed shape).
    ``run_ts`` (default :func:`run_reference_time` of ``dt``) is the "now" of the suite rules.
    """
    set_parameters(con, run_ts or run_reference_time(dt))
    rows, quarantined, duplicates = stage_rows(con, table, rules, casts)
    raw_rows = _count_and_check_contract(con, table, dt.isoformat(), check_contract)
    con.register("quarantined_rows", quarantined)
    try:
        records = quarantine_records(
            con, "quarantined_rows", table.name, dt, run_id, rules, element_count=raw_rows
        )
    finally:
        con.unregister("quarantined_rows")
    return Staged(table, dt, run_id, raw_rows, rows, quarantined, duplicates, records)


# ----------------------------------------------------------------------------------- publish


def publish(
    wh: Warehouse,
    staged: Staged,
    *,
    keys: Mapping[str, str] | None = None,
    landed: int | None = None,
    write_rows: Callable[[pa.Table], object] | None = None,
    extra: Mapping[str, Any] | None = None,
    results_file: str | None = None,
) -> StageResult:
    """Write a staged table-day: its quarantine partition, its staging partition (or
    ``write_rows(rows)``, e.g. the orders upsert into created-day partitions), and its
    ``validation_results`` (source ``quarantine``).

    ``keys`` are the hive keys below ``dt`` (file drops: ``source``); ``landed`` the raw row
    count the source recorded, checked against the rows read; ``extra`` more counts for the
    manifests; ``results_file`` names the table-day's ``validation_results`` file where a day
    has several sub-partitions (see :func:`~pipeline.staging.results.write_validation_results`).
    Raises :class:`StageError` when the counts do not reconcile, before anything is written.
    """
    table, dt, run_id = staged.table, staged.dt, staged.run_id
    result = staged.result()
    if (landed is not None and landed != result.raw_rows) or not result.reconciles():
        read = f"read {result.raw_rows}"
        if landed is not None:
            read = f"landed {landed}, {read}"
        raise StageError(
            f"{table.name} {dt}: counts do not reconcile: {read}, staged {result.staged_rows} "
            f"+ quarantined {result.quarantined_rows} + duplicates {result.duplicate_rows}"
        )
    counts = {**asdict(result), **(extra or {})}
    sub = dict(keys or {})
    quarantine = Partition.of("quarantine", quarantine_of(table).path, dt, **sub)
    wh.write_table(quarantine, staged.quarantined, run_id, extra=counts)
    if write_rows is None:
        part = Partition.of("staging", table.staging, dt, **sub)
        wh.write_table(part, staged.rows, run_id, extra=counts)
    else:
        write_rows(staged.rows)
    write_validation_results(
        wh, table.name, dt, run_id, staged.records, source="quarantine", file=results_file
    )
    log.info(
        "staged %s %s%s: %d raw -> %d staged, %d quarantined, %d duplicates",
        table.name, dt, "".join(f" {k}={v}" for k, v in sub.items()), result.raw_rows,
        result.staged_rows, result.quarantined_rows, result.duplicate_rows,
    )  # fmt: skip
    return result
