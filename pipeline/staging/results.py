"""Validation results: one :class:`ValidationRecord` per rule or expectation and table-day.

Staging counts the quarantined rows of each rule (``source='quarantine'``,
:func:`quarantine_records`); the GX run gives one record per expectation of the suite
(``source='gx'``, :mod:`pipeline.staging.gx`). Both land in the ``validation_results`` table,
whose columns are declared once in :data:`pipeline.contracts.VALIDATION_RESULTS`: its stored
columns plus its hive keys ``dt``, ``source`` and ``table``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Literal

import duckdb
import pyarrow as pa

from pipeline.contracts import VALIDATION_RESULTS
from pipeline.staging.compile import literal
from pipeline.staging.rules import Rule
from pipeline.staging.suites import Severity
from pipeline.warehouse.storage import Partition, Warehouse

ResultSource = Literal["quarantine", "gx"]


@dataclass(frozen=True)
class ValidationRecord:
    """One expectation's outcome on one table-day, a row of ``validation_results``."""

    run_id: str
    table: str
    dt: date
    expectation: str  #: ``<type>:<columns>`` (or a staging rule name such as ``type:likes``)
    severity: Severity
    success: bool
    unexpected_count: int | None  #: None where the expectation is not row by row
    element_count: int  #: rows checked
    source: ResultSource


#: Arrow types of the hive keys of ``validation_results`` (they are paths, not file columns).
_HIVE_TYPES: dict[str, pa.DataType] = {
    "dt": pa.date32(),
    "table": pa.string(),
    "source": pa.string(),
}


def _records_schema() -> pa.Schema:
    """The stored columns of ``validation_results`` and its hive keys, in record field order."""
    stored = {f.name: f for f in VALIDATION_RESULTS.schema}
    hive = {k: pa.field(k, _HIVE_TYPES[k], nullable=False) for k in VALIDATION_RESULTS.partitions}
    columns = {**stored, **hive}
    names = [f.name for f in fields(ValidationRecord)]
    if sorted(names) != sorted(columns):
        raise AssertionError(
            f"ValidationRecord fields {names} differ from validation_results {list(columns)}"
        )
    return pa.schema([columns[n] for n in names])


#: A ``validation_results`` row as a record: stored columns plus the hive keys.
VALIDATION_RESULTS_SCHEMA = _records_schema()


def records_to_table(records: Iterable[ValidationRecord]) -> pa.Table:
    """The records as an Arrow table (:data:`VALIDATION_RESULTS_SCHEMA`)."""
    rows = [asdict(r) for r in records]
    return pa.Table.from_pylist(rows, schema=VALIDATION_RESULTS_SCHEMA)


def contract_failures(records: Iterable[ValidationRecord]) -> list[ValidationRecord]:
    """The failed contract-severity records: if any, the task must fail."""
    return [r for r in records if r.severity == "contract" and not r.success]


def quarantine_records(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    table: str,
    dt: date,
    run_id: str,
    rules: Sequence[Rule],
    element_count: int | None = None,
) -> list[ValidationRecord]:
    """Per-rule failure counts over a relation with a ``_reasons`` column (``;``-joined rule
    names), e.g. staging's quarantined rows: one ``source='quarantine'`` record per rule.
    ``element_count`` is the number of rows checked (default: the relation's rows)."""
    if not rules:
        return []
    names = [r.name for r in rules]
    counts = ", ".join(
        f"count(*) filter (where list_contains(string_split(_reasons, ';'), {literal(n)}))"
        for n in names
    )
    row = con.execute(f"select count(*), {counts} from {relation}").fetchall()[0]
    total = int(row[0]) if element_count is None else element_count
    return [
        ValidationRecord(run_id, table, dt, n, "row", int(c) == 0, int(c), total, "quarantine")
        for n, c in zip(names, row[1:], strict=True)
    ]


def write_validation_results(
    wh: Warehouse,
    name: str,
    dt: date,
    run_id: str,
    records: list[ValidationRecord],
    source: ResultSource,
    file: str | None = None,
) -> None:
    """The records of one table-day and source as its ``validation_results`` partition (hive
    keys not stored). With ``file``, they are one file ``<file>.parquet`` of the partition,
    replacing only that file: a table whose day has sub-partitions (file drops, one per ingest
    source) keeps the records of every sub-partition."""
    part = Partition.of("meta", "validation_results", dt, table=name, source=source)
    data = records_to_table(records).drop_columns(list(VALIDATION_RESULTS.partitions))
    if file is None:
        wh.write_table(part, data, run_id)
    else:
        wh.write_file(part, f"{file}.parquet", data)
