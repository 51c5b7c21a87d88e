"""Shop orders extraction: SQLAlchemy (SQLite, PostgreSQL, MariaDB/MySQL) -> Arrow.

* Incremental by ``updated_at``: a run for day D reads the rows updated after the watermark
  stored by the runs of earlier days (``meta/orders_watermark``, :func:`read_watermark`), minus
  a small overlap (:data:`LOOKBACK`) for rows committed late; re-reading a row is harmless
  (latest version wins). There is no upper bound: a backfill sees the shop as it is now.
* ``customer_id`` is pseudonymised (keyed BLAKE2b) before the rows leave this module.

Staging (:func:`pipeline.campaigns.orders.stage_orders`) lands, validates and upserts them and
stores the new watermark.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.contracts import ORDERS
from pipeline.extract.pii import pseudonymise
from pipeline.warehouse.storage import Warehouse

#: The columns read from the shop's orders table (DESIGN section 11).
COLUMNS: tuple[str, ...] = ORDERS.column_names
#: re-read rows updated this long before the watermark (late commits); harmless duplicates
LOOKBACK = timedelta(hours=1)
BATCH_ROWS = 100_000


class OrdersError(RuntimeError):
    """Orders cannot be extracted; the message says where and how to fix it."""


def source_label(url: str, table: str) -> str:
    """The orders source as stored with the watermark (password hidden)."""
    from sqlalchemy.engine import make_url

    return f"{make_url(url).render_as_string(hide_password=True)}#{table}"


def _column(values: list[Any]) -> pa.Array:
    """One extracted column as Arrow; mixed types (SQLite allows them) become text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def extract_orders(
    url: str, table: str, since: datetime | None, key: bytes, batch_rows: int = BATCH_ROWS
) -> pa.Table:
    """Rows of the orders table updated after ``since`` (minus :data:`LOOKBACK`), as Arrow
    with the types the driver returned; ``customer_id`` already pseudonymised."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as e:
        raise OrdersError(f"CLOUT_ORDERS_URL {url!r} is not a usable SQLAlchemy URL: {e}") from None
    try:
        try:
            t = sa.Table(table, sa.MetaData(), autoload_with=engine)
        except sa.exc.NoSuchTableError:
            raise OrdersError(
                f"orders table {table!r} not found in {source_label(url, table)} "
                "(set CLOUT_ORDERS_TABLE)"
            ) from None
        except sa.exc.OperationalError as e:
            raise OrdersError(
                f"cannot connect to the shop database: {str(e.orig).strip()}"
            ) from None
        missing = [c for c in COLUMNS if c not in t.c]
        if missing:
            raise OrdersError(
                f"orders table {table!r} lacks column(s) {', '.join(missing)} "
                "(DESIGN section 11 lists the orders columns)"
            )
        stmt = sa.select(*(t.c[c] for c in COLUMNS))
        if since is not None:
            bound = since - LOOKBACK
            tz = getattr(t.c.updated_at.type, "timezone", False)
            value = bound if tz else bound.astimezone(UTC).replace(tzinfo=None)
            stmt = stmt.where(t.c.updated_at > value)
        parts: list[pa.Table] = []
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(stmt)
            for chunk in result.partitions(batch_rows):
                cols = list(zip(*chunk, strict=True)) if chunk else [()] * len(COLUMNS)
                data = {c: _column(list(v)) for c, v in zip(COLUMNS, cols, strict=True)}
                data["customer_id"] = pa.array(
                    pseudonymise(list(cols[COLUMNS.index("customer_id")]), key), pa.string()
                )
                parts.append(pa.table(data))
    finally:
        engine.dispose()
    if not parts:
        return pa.table({c: pa.array([], pa.string()) for c in COLUMNS})
    return pa.concat_tables(parts, promote_options="permissive")


def read_watermark(wh: Warehouse, source: str, before: date) -> datetime | None:
    """The highest watermark stored for ``source`` by runs of days before ``before``."""
    ds = wh.dataset("meta", "orders_watermark")
    if ds is None:
        return None
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.register("orders_watermark", ds)
        row = con.execute(
            "select max(watermark) from orders_watermark where source = ? and dt < ?",
            [source, before],
        ).fetchall()[0]
    finally:
        con.close()
    return row[0] if row and row[0] is not None else None
