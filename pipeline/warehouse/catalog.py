"""DuckDB catalog: one view per warehouse table, and SQL over them.

A session (``query``, ``clout query``) registers each Delta table's Arrow dataset
(``DeltaTable.to_pyarrow_dataset()``) and a view over it, at the last commit or as of a version or
time. The ``warehouse.duckdb`` file cannot keep Arrow datasets: its views read the Parquet files
of each table's last commit, listed when the file is refreshed.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from pipeline.contracts import TABLES, Table
from pipeline.warehouse.storage import FILE_KEY, Warehouse, failpoint

if TYPE_CHECKING:
    import pyarrow.dataset as pads

log = logging.getLogger(__name__)

_DUCK_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
}


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ"
    if pa.types.is_date(t):
        return "DATE"
    return _DUCK_TYPES[t]


def table_layout(wh: Warehouse) -> dict[str, tuple[str, pa.Schema]]:
    """Every published table: name -> (its Delta table's location, schema of its columns and its
    hive keys other than ``dt``)."""
    out: dict[str, tuple[str, pa.Schema]] = {}
    for t in TABLES.values():
        hive = [pa.field(k, pa.string()) for k in t.partitions if k != "dt"]
        schema = pa.schema([*t.schema, *hive])
        out[t.name] = (wh.table_uri(t.layer, t.path), schema)
    return out


def _empty(schema: pa.Schema) -> str:
    cols = [f'cast(null as {_duck_type(f.type)}) as "{f.name}"' for f in schema]
    return f"select {', '.join([*cols, 'cast(null as DATE) as dt'])} where false"


def view_sql(
    name: str, source: str | None, schema: pa.Schema, columns: list[str] | None = None
) -> str:
    """A view over a table's rows (``source``: a relation with its columns and hive keys, ``dt``
    a DATE), without the hidden ``_slice`` key. Every column of ``schema`` is there even when no
    commit has it yet: partitions written before a table gained a column read it as NULL, and a
    table never written is an empty view."""
    empty = _empty(schema)
    if source is None:
        return f'create or replace view "{name}" as {empty}'
    select = ", ".join(f'"{c}"' for c in columns or [] if c != FILE_KEY) or "*"
    return f'create or replace view "{name}" as select {select} from {source} union all by name {empty}'


def glob_any(pattern: str) -> bool:
    """Whether an absolute glob matches any file."""
    path = Path(pattern)
    return any(Path(path.anchor).glob(str(path.relative_to(path.anchor))))


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session in UTC."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


def register_views(
    con: duckdb.DuckDBPyConnection, wh: Warehouse, as_of: int | datetime | None = None
) -> None:
    """Create (or refresh) every table view in ``con``: each reads its Delta table's Arrow dataset
    at the last commit, or ``as_of`` (a version number of every table, or a time: each table as
    it was then; a table created later reads empty)."""
    for t in TABLES.values():
        name, schema = t.name, table_layout_schema(t)
        ds = _dataset_as_of(wh, t.layer, t.path, as_of)
        source, columns = None, None
        if ds is not None:
            con.register(f"__delta_{name}", ds)
            source, columns = f'"__delta_{name}"', ds.schema.names
        con.execute(view_sql(name, source, schema, columns))


def table_layout_schema(t: Table) -> pa.Schema:
    hive = [pa.field(k, pa.string()) for k in t.partitions if k != "dt"]
    return pa.schema([*t.schema, *hive])


def _dataset_as_of(
    wh: Warehouse, layer: str, table: str, as_of: int | datetime | None
) -> pads.Dataset | None:
    dt = wh.delta_table(layer, table)
    if dt is None or as_of is None:
        return None if dt is None else dt.to_pyarrow_dataset()
    if isinstance(as_of, int):
        return wh.dataset(layer, table, version=min(as_of, dt.version()))
    first = dt.history()[-1]["timestamp"]  # ms since the epoch of the table's first commit
    if as_of.timestamp() * 1000 < first:
        return None
    return wh.dataset(layer, table, version=as_of)


def file_views(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> None:
    """Views a DuckDB file can keep: each reads the Parquet files of its table's last commit
    (pinned when made: rewrites after it are not seen until the next refresh, and a vacuum past
    the retention removes the files; refresh with ``clout catalog`` or any nightly run)."""
    for t in TABLES.values():
        dt = wh.delta_table(t.layer, t.path)
        files = [] if dt is None else dt.file_uris()
        source, columns = None, None
        if dt is not None and files:
            columns = dt.to_pyarrow_dataset().schema.names
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            source = (
                f"read_parquet([{listed}], hive_partitioning = true, "
                "hive_types = {'dt': DATE}, union_by_name = true)"
            )
        con.execute(view_sql(t.name, source, table_layout_schema(t), columns))


#: What the runs report as the catalog of an object-store warehouse (it has no catalog file).
NO_CATALOG = "none (an object-store warehouse: use clout query)"


def refresh_catalog(wh: Warehouse) -> Path | None:
    """Rebuild ``warehouse.duckdb`` (views over each table's files at its last commit) and swap
    it in atomically (readers keep the old file). An object-store warehouse has no catalog file
    (its views would need DuckDB's httpfs extension and S3 credentials in every reader's
    session; None is returned): ``query``/``clout query`` read its tables through Arrow
    datasets."""
    target = wh.duckdb_path()
    if wh.remote:
        log.info("catalog: %s is an object store; no %s file (use clout query)", wh.uri, target)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    con = duckdb.connect(str(tmp))
    try:
        con.execute("set TimeZone = 'UTC'")
        file_views(con, wh)
        con.execute("checkpoint")
    finally:
        con.close()
    failpoint("catalog")
    os.replace(tmp, target)
    return target


def query(wh: Warehouse, sql: str, as_of: int | datetime | None = None) -> pa.Table:
    """Run SQL over the warehouse views (read-only; no need for the catalog file)."""
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        register_views(con, wh, as_of)
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()
