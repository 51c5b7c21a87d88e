"""Query results for people and for files: a readable text table, CSV, JSON and Parquet.

Results are streamed batch by batch from DuckDB: a file export never holds the whole result, and
the text table keeps only the rows it prints.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import pyarrow as pa

if TYPE_CHECKING:
    from pipeline.warehouse.storage import Warehouse

Format = Literal["table", "csv", "json", "parquet"]
FORMATS: tuple[str, ...] = ("table", "csv", "json", "parquet")
NULL = "NULL"
BATCH_ROWS = 65_536


class ExportError(ValueError):
    """A bad format / output combination; the message says how to fix it."""


def format_value(value: Any) -> str:
    """One cell as people read it: thousands separators, never scientific notation, at least
    two decimals and four significant digits for fractions, ``NULL`` for null and NaN."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal) and value.is_finite() and int(value.as_tuple().exponent) >= 0:
        return f"{int(value):,}"  # DuckDB's sum() of integers arrives as DECIMAL(38, 0)
    if isinstance(value, float | Decimal):
        v = float(value)
        if math.isnan(v):
            return NULL
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == 0:
            return "0.00"
        decimals = min(10, max(2, 3 - math.floor(math.log10(abs(v)))))
        return f"{v:,.{decimals}f}"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _is_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def render_table(schema: pa.Schema, rows: list[dict[str, Any]], more: int = 0) -> str:
    """Aligned text: a header line, one line per row (numbers right-aligned), and a last line
    saying how many rows were not shown."""
    if not rows:
        return "(no rows)"
    names = schema.names
    cells = [[format_value(r[n]) for n in names] for r in rows]
    widths = [max(len(n), *(len(c[i]) for c in cells)) for i, n in enumerate(names)]
    right = [_is_numeric(f.type) for f in schema]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ).rstrip()

    out = [line(list(names)), *(line(c) for c in cells)]
    if more:
        out.append(f"... {more:,} more rows")
    return "\n".join(out)


def table_text(batches: Iterable[pa.RecordBatch], schema: pa.Schema, max_rows: int = 50) -> str:
    """The readable table of a stream: keeps the first ``max_rows`` rows, counts the rest."""
    kept: list[dict[str, Any]] = []
    more = 0
    for batch in batches:
        room = max_rows - len(kept)
        if room > 0:
            kept.extend(batch.slice(0, room).to_pylist())
        more += max(0, batch.num_rows - max(room, 0))
    return render_table(schema, kept, more)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; the warehouse means NULL by them
    return value


def write_json(batches: Iterable[pa.RecordBatch], out: IO[str]) -> int:
    """A JSON array of row objects, written as rows arrive; returns the rows written."""
    n = 0
    out.write("[")
    for batch in batches:
        for row in batch.to_pylist():
            out.write(",\n" if n else "\n")
            out.write(json.dumps({k: _clean(v) for k, v in row.items()}, default=_json_default))
            n += 1
    out.write("\n]\n" if n else "]\n")
    return n


def write_csv(batches: Iterable[pa.RecordBatch], schema: pa.Schema, out: IO[bytes]) -> int:
    """CSV with a header line; nulls are empty fields. Returns the rows written."""
    import pyarrow.csv as pacsv

    n = 0
    with pacsv.CSVWriter(out, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            n += batch.num_rows
    return n


def write_parquet(batches: Iterable[pa.RecordBatch], schema: pa.Schema, path: Path) -> int:
    """A Parquet file written row group by row group. Returns the rows written."""
    import pyarrow.parquet as pq

    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in batches:
            if batch.num_rows:
                writer.write_batch(batch)
                n += batch.num_rows
    return n


@contextmanager
def open_query(
    wh: Warehouse, sql: str, as_of: int | datetime | None = None
) -> Iterator[pa.RecordBatchReader]:
    """A stream of the result batches of ``sql`` over the warehouse views (the tables as of a
    version or a time when ``as_of`` is given); the DuckDB session lives while the caller
    reads."""
    from pipeline.warehouse.catalog import connect, register_views

    con = connect()
    try:
        register_views(con, wh, as_of)
        yield con.sql(sql).to_arrow_reader(BATCH_ROWS)
    finally:
        con.close()


def export(
    reader: pa.RecordBatchReader,
    fmt: Format,
    output: Path | None,
    echo: Callable[[str], object] = print,
    max_rows: int = 50,
) -> int | None:
    """Write a query's result stream as ``fmt`` to ``output`` (a file), or to stdout through
    ``echo`` for ``table``, ``csv`` and ``json``. Returns the rows written (``None`` for a table
    printed to the terminal, which stops formatting after ``max_rows``)."""
    import sys

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    schema = reader.schema
    batches: Iterator[pa.RecordBatch] = iter(reader)
    if fmt == "parquet":
        if output is None:
            raise ExportError("--format parquet needs an output file: add -o FILE.parquet")
        return write_parquet(batches, schema, output)
    if fmt == "table":
        text = table_text(batches, schema, max_rows if output is None else 2**62)
        if output is None:
            echo(text)
            return None
        output.write_text(text + "\n")
        return text.count("\n")
    if fmt == "csv":
        if output is None:
            sys.stdout.flush()
            return write_csv(batches, schema, sys.stdout.buffer)
        with output.open("wb") as f:
            return write_csv(batches, schema, f)
    if output is None:
        return write_json(batches, sys.stdout)
    with output.open("w") as f:
        return write_json(batches, f)
