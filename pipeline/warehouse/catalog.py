"""DuckDB catalog: one view per warehouse table, and SQL over them."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.contracts import TABLES
from pipeline.warehouse.storage import Warehouse, failpoint

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
    """Every published table: name -> (file glob, schema of its files' columns and its hive keys
    other than ``dt``)."""
    out: dict[str, tuple[str, pa.Schema]] = {}
    for t in TABLES.values():
        hive = [pa.field(k, pa.string()) for k in t.partitions if k != "dt"]
        schema = pa.schema([*t.schema, *hive])
        out[t.name] = (wh.table_glob(t.layer, t.path, depth=t.depth), schema)
    return out


def view_sql(name: str, glob: str, schema: pa.Schema) -> str:
    """A view over a table's Parquet files (hive keys become columns; ``dt`` a DATE). Every
    column of ``schema`` is there even when no file has it yet: partitions written before a
    table gained a column read it as NULL, and a table without files is an empty view."""
    cols = [f'cast(null as {_duck_type(f.type)}) as "{f.name}"' for f in schema]
    empty = f"select {', '.join([*cols, 'cast(null as DATE) as dt'])} where false"
    if glob_any(glob):
        return (
            f"create or replace view \"{name}\" as select * from read_parquet('{glob}', "
            "hive_partitioning = true, hive_types = {'dt': DATE}, union_by_name = true) "
            f"union all by name {empty}"
        )
    return f'create or replace view "{name}" as {empty}'


def glob_any(pattern: str) -> bool:
    """Whether an absolute glob matches any file."""
    path = Path(pattern)
    return any(Path(path.anchor).glob(str(path.relative_to(path.anchor))))


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session in UTC."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


def register_views(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> None:
    """Create (or refresh) every table view in ``con``."""
    for name, (glob, schema) in table_layout(wh).items():
        con.execute(view_sql(name, glob, schema))


def refresh_catalog(wh: Warehouse) -> Path:
    """Rebuild ``warehouse.duckdb`` and swap it in atomically (readers keep the old file)."""
    target = wh.duckdb_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    con = duckdb.connect(str(tmp))
    try:
        con.execute("set TimeZone = 'UTC'")
        register_views(con, wh)
        con.execute("checkpoint")
    finally:
        con.close()
    failpoint("catalog")
    os.replace(tmp, target)
    return target


def query(wh: Warehouse, sql: str) -> pa.Table:
    """Run SQL over the warehouse views (read-only; no need for the catalog file)."""
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        register_views(con, wh)
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()
