"""Ad delivery from file drops (ad-manager exports), staged as
``stg_delivery_files/dt=D/source=NAME`` by the staging engine.

The export is read and mapped to the delivery columns by :mod:`pipeline.extract.files` (a
profile or a mapping file). What file drops add to the engine: numbers as spreadsheets write
them (``1.2k``/``3.4M`` suffixes, thousands separators, ``"3.4%"`` strings, currency symbols),
``platform`` in lower case and ``currency`` in upper case (the number rule of
:mod:`pipeline.staging.numbers`; integer columns round: Google Ads reports fractional
conversions); a spreadsheet error cell
(``#VALUE!``, ``#DIV/0!``, ...) quarantines the row as ``error_cell:<column>``, a value that is
not a number as ``type:<column>``; the row rules of ``expectations/delivery.json`` apply. A row
without an influencer (account) is valid: a paid ad. Conversions above clicks are valid
(view-through). The same ad twice in one file: the last row wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.contracts import DELIVERY_FILES
from pipeline.extract.files import (
    DeliveryFileError,
    cell_sql,
    read_export,
    resolve_profile,
)
from pipeline.staging.compile import suite_rules
from pipeline.staging.engine import load_arrow, publish, stage
from pipeline.staging.numbers import number_sql
from pipeline.staging.rules import Rule, required_rule, type_rule
from pipeline.warehouse.catalog import connect
from pipeline.warehouse.storage import Warehouse

_ERROR_CELL = r"^#(VALUE!|DIV/0!|REF!|NAME\?|NUM!|NULL!|N/A|ERROR!?)$"


@dataclass(frozen=True)
class IngestResult:
    """Counts of one ingested file (they reconcile)."""

    file: str
    dt: str
    source: str
    rows: int
    staged_rows: int
    quarantined_rows: int
    duplicate_rows: int
    totals_rows: int = 0  #: totals/summary rows of the file, skipped
    other_day_rows: int = 0  #: rows of other days (the file's day column), skipped
    problems: tuple[str, ...] = ()  #: the first quarantined rows, in words (file, row, rules)


def file_casts() -> dict[str, str]:
    """The engine's cast overrides for exports: spreadsheet numbers, platform and currency."""
    casts: dict[str, str] = {}
    for f in DELIVERY_FILES.schema:
        col = f'"r_{f.name}"'
        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type):
            casts[f.name] = number_sql(col, integer=pa.types.is_integer(f.type), rounding=True)
        elif f.name == "platform":
            casts[f.name] = f"lower({col})"
        elif f.name == "currency":
            casts[f.name] = f"upper({col})"
    return casts


def file_rules() -> list[Rule]:
    """Per column: ``error_cell:<col>``, ``type:<col>`` (not for an error cell, which says more)
    and ``required:<col>``; then the row expectations of ``expectations/delivery.json``."""
    rules: list[Rule] = []
    for f in DELIVERY_FILES.schema:
        error_cell = f"regexp_matches(\"r_{f.name}\", '{_ERROR_CELL}')"
        rules.append(Rule(f"error_cell:{f.name}", error_cell))
        if not pa.types.is_string(f.type):
            rules.append(type_rule(f.name, unless=error_cell))
        if not f.nullable:
            rules.append(required_rule(f.name, blank=False))  # blanks are NULL already
    return rules + suite_rules("delivery")


def _problems(path: Path, quarantined: pa.Table, first: int = 5) -> tuple[str, ...]:
    """The first quarantined rows as ``file row N: reasons`` (N: the row in the file)."""
    head = quarantined.slice(0, first)
    return tuple(
        f"{path.name} row {pos}: {reasons}"
        for pos, reasons in zip(head.column("_pos").to_pylist(), head.column("_reasons").to_pylist(),
                                strict=True)
    )  # fmt: skip


def ingest_delivery_file(
    wh: Warehouse, path: Path | str, dt: date, run_id: str,
    profile: str | None = "facebook", mapping: Path | str | None = None,
    source: str | None = None,
) -> IngestResult:  # fmt: skip
    """Map, validate and stage one ad-manager export as day ``dt`` (idempotent per source)."""
    path = Path(path)
    if not path.exists():
        raise DeliveryFileError(f"{path}: file not found")
    prof = resolve_profile(profile, mapping)
    name = re.sub(r"[^A-Za-z0-9_-]", "_", source or prof.name)
    export = read_export(path, prof, dt)
    con = connect()
    try:
        load_arrow(
            con,
            DELIVERY_FILES,
            export.rows,
            run_id=run_id,
            source=name,
            file=str(path),
            text=cell_sql,
        )
        staged = stage(con, DELIVERY_FILES, file_rules(), dt, run_id, casts=file_casts())
    finally:
        con.close()
    result = IngestResult(
        str(path), dt.isoformat(), name, staged.raw_rows, staged.rows.num_rows,
        staged.quarantined.num_rows, staged.duplicates, export.totals, export.other_days,
        _problems(path, staged.quarantined),
    )  # fmt: skip
    extra: dict[str, Any] = {
        "file": result.file, "source": name, "rows": result.rows, "file_records": export.records,
        "totals_rows": export.totals, "other_day_rows": export.other_days,
        "blank_rows": export.blank,
    }  # fmt: skip
    publish(wh, staged, keys={"source": name}, extra=extra, results_file=name)
    return result
