"""Platform pages: the raw JSON pages the extractor landed -> the staging engine -> ``stg_<table>``.

This module only loads the pages (DuckDB ``read_json`` of ``raw/<table>/dt=D/platform=*/``,
every field as text, one row per element of a page's ``data``) and checks the row count
against the raw manifests; :mod:`pipeline.staging.engine` casts, checks, quarantines,
deduplicates and publishes. :func:`validate_staged` then runs the table's GX suite on the
staged partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path, PurePath

import duckdb

from pipeline.contracts import LINEAGE_FIELDS, ROSTER, SOURCE_TABLES, Table
from pipeline.staging.compile import suite_rules
from pipeline.staging.engine import (
    RAW_ROWS,
    ContractBreak,
    StageError,
    StageResult,
    publish,
    run_reference_time,
    stage,
)
from pipeline.staging.gx import render_data_docs, validate_with_gx
from pipeline.staging.results import ValidationRecord, contract_failures, write_validation_results
from pipeline.staging.rules import Rule, schema_rules
from pipeline.warehouse.catalog import connect
from pipeline.warehouse.storage import Partition, Warehouse

#: Tables landed as platform pages: the API entities and the roster (its lookups per platform).
PAGE_TABLES: dict[str, Table] = {**SOURCE_TABLES, ROSTER.name: ROSTER}


#: A table's own quarantine rules beside its schema and suite rules.
EXTRA_RULES: dict[str, list[Rule]] = {
    ROSTER.name: [
        Rule("account_not_found", "\"r_status\" = 'not_found'"),
        Rule("roster_row_invalid", "\"r_status\" = 'invalid'"),
    ],
}


def _raw_columns(table: Table) -> str:
    fields = ", ".join(f'"{f.name}" VARCHAR' for f in table.schema)
    lineage = ", ".join(f"'{n}': 'VARCHAR'" for n in LINEAGE_FIELDS)
    return (
        "{" + lineage + ", '_page': 'BIGINT', "
        f"'page': 'STRUCT(data STRUCT({fields})[], next_cursor VARCHAR)'" + "}"
    )


#: The largest page (one JSON line) read in one go: DuckDB's JSON reader holds buffers of twice
#: this per thread, so a smaller bound keeps the staging step's memory down; a day with a larger
#: page is read again with :data:`MAX_PAGE_BYTES` (see :func:`stage_table`).
PAGE_BYTES = 64 << 20
MAX_PAGE_BYTES = 1 << 30


def load_pages(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    files: list[Path],
    origin: Mapping[Path, str] | None = None,
    max_page: int | None = None,
) -> None:
    """``raw_rows`` (a view) over landed page files: one row per element of ``page.data``;
    ``origin`` names local copies by the file they copy (their ``_file``); a page longer than
    ``max_page`` bytes (default :data:`PAGE_BYTES`; DuckDB reads at least 16 MiB) fails the
    query that reads it (``InvalidInput``)."""
    file_list = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    filename = "filename"
    if origin:
        whens = " ".join(f"when '{f}' then '{u}'" for f, u in origin.items())
        filename = f"case filename {whens} else filename end"
    fields = ", ".join(f'r."{f.name}" as "r_{f.name}"' for f in table.schema)
    con.execute(
        f"""
        create or replace temp view {RAW_ROWS} as
        with pages as (
            select _run_id, _source, _extracted_at, _page, {filename} as _file,
                   generate_subscripts(page.data, 1) as _pos, unnest(page.data) as r
            from read_json({file_list}, format = 'newline_delimited',
                           columns = {_raw_columns(table)}, filename = true,
                           maximum_object_size = {max_page or PAGE_BYTES})
        )
        select _run_id, _source, _extracted_at, _page, _file, _pos, {fields} from pages
        """
    )


def raw_files(wh: Warehouse, table: Table, dt: date) -> list[PurePath]:
    """The landed raw files of one table-day (one per platform; on an object store, the files
    the platforms' manifests name)."""
    if wh.remote:
        manifests = wh.manifests("raw", table.name, dt)
        platforms = [m["partition"]["platform"] for m in manifests if "platform" in m["partition"]]
        parts = [Partition.of("raw", table.name, dt, platform=p) for p in sorted(platforms)]
        return [f for p in parts for f in wh.partition_files(p) if f.suffix == ".jsonl"]
    base = wh.path(Partition.of("raw", table.name, dt))
    return sorted(base.glob("platform=*/part-*.jsonl"))


def stage_table(wh: Warehouse, name: str, dt: date, run_id: str) -> StageResult:
    """Cast, validate, deduplicate and publish one table-day; returns reconciled counts.

    Also writes the per-rule quarantine counts to ``validation_results`` (source
    ``quarantine``); :func:`validate_staged` adds the GX results of the staged partition.
    """
    table = PAGE_TABLES[name]
    files = raw_files(wh, table, dt)
    if not files:
        raise StageError(
            f"{name} {dt}: no raw data landed under {wh.location(Partition.of('raw', name, dt))}; "
            "run the extraction for that day first"
        )
    landed = sum(int(m["rows"]) for m in wh.manifests("raw", name, dt))
    rules = schema_rules(table) + suite_rules(table) + EXTRA_RULES.get(name, [])
    con = connect()
    try:
        with wh.local_copies(files) as local:  # an object store's files: copied for read_json
            origin = (
                {c: f"s3://{f}" for c, f in zip(local, files, strict=True)} if wh.remote else None
            )
            try:
                load_pages(con, table, local, origin)
                staged = stage(con, table, rules, dt, run_id, check_contract=True)
            except duckdb.InvalidInputException as e:
                if "maximum_object_size" not in str(e):
                    raise
                load_pages(con, table, local, origin, MAX_PAGE_BYTES)  # a page above PAGE_BYTES
                staged = stage(con, table, rules, dt, run_id, check_contract=True)
    finally:
        con.close()
    return publish(wh, staged, landed=landed)


def validate_staged(wh: Warehouse, name: str, dt: date, run_id: str) -> list[ValidationRecord]:
    """Run the table's Great Expectations suite on its staged partition, record the results
    and store the GX result under ``<warehouse>/docs`` (rendered into Data Docs by the run's
    publish step, :func:`~pipeline.staging.gx.render_data_docs`; right here where a contract
    expectation fails, which fails the table)."""
    table = PAGE_TABLES[name]
    staged = wh.read_partition(Partition.of("staging", table.staging, dt))
    records = validate_with_gx(
        name, staged, dt, run_id, docs_dir=wh.docs_dir(), run_ts=run_reference_time(dt),
        render_docs=False,
    )  # fmt: skip
    write_validation_results(wh, name, dt, run_id, records, source="gx")
    broken = contract_failures(records)
    if broken:
        render_data_docs(wh.docs_dir())  # the page the error points to
        first = broken[0]
        raise ContractBreak(
            f"{name} {dt}: contract expectation {first.expectation} failed "
            f"({first.unexpected_count} unexpected of {first.element_count} rows)"
            + (f" and {len(broken) - 1} more" if len(broken) > 1 else "")
            + f"; see {wh.docs_dir() / 'index.html'}"
        )
    return records
