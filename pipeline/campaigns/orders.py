"""Shop orders: SQLAlchemy extraction (SQLite, PostgreSQL, MariaDB/MySQL), validation, staging.

* Incremental by ``updated_at``: a run for day D reads the rows updated after the watermark
  stored by the runs of earlier days (``meta/orders_watermark``), minus a small overlap
  (``LOOKBACK``) for rows committed late; re-reading a row is harmless (latest version wins).
  There is no upper bound: a backfill sees the shop as it is now.
* ``customer_id`` is pseudonymised (keyed BLAKE2b) before anything is written.
* Raw rows (text) land in ``raw/orders/dt=D``; rows failing a rule go to
  ``quarantine/orders/dt=D`` with their reasons; the rest are upserted (latest ``updated_at``
  wins) into ``stg_orders``, partitioned by the UTC day the order was created. Counts
  reconcile: extracted = staged + quarantined + dropped exact duplicates.
* Naive timestamps (MySQL ``DATETIME``, SQLite text) are read as UTC.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import STG_ORDERS
from pipeline.extract.platform_api import pseudonymise
from pipeline.staging.rules import Rule
from pipeline.staging.suites import compile_expectation, load_suite, severity_of
from pipeline.warehouse.catalog import glob_any
from pipeline.warehouse.storage import Partition, Warehouse

log = logging.getLogger(__name__)

COLUMNS: tuple[str, ...] = tuple(f.name for f in STG_ORDERS.schema)
REQUIRED: tuple[str, ...] = tuple(f.name for f in STG_ORDERS.schema if not f.nullable)
#: re-read rows updated this long before the watermark (late commits); harmless duplicates
LOOKBACK = timedelta(hours=1)
BATCH_ROWS = 100_000
QUARANTINE_SCHEMA = pa.schema(
    [pa.field(c, pa.string()) for c in COLUMNS]
    + [
        ("_reasons", pa.string()),
        ("_run_id", pa.string()),
        ("_source", pa.string()),
        ("_pos", pa.int64()),
    ]  # fmt: skip
)
WATERMARK_SCHEMA = pa.schema(
    [("source", pa.string()), ("watermark", pa.timestamp("us", tz="UTC")),
     ("previous", pa.timestamp("us", tz="UTC")), ("rows", pa.int64()), ("run_id", pa.string())]
)  # fmt: skip


class OrdersError(RuntimeError):
    """Orders cannot be extracted or staged; the message says where and how to fix it."""


@dataclass(frozen=True)
class OrdersResult:
    """Counts of one orders extraction (they reconcile)."""

    dt: str
    extracted_rows: int
    staged_rows: int
    quarantined_rows: int
    duplicate_rows: int
    watermark: str | None
    created_days: list[str]

    def reconciles(self) -> bool:
        return self.extracted_rows == self.staged_rows + self.quarantined_rows + self.duplicate_rows


def source_label(url: str, table: str) -> str:
    """The orders source as stored with the watermark (password hidden)."""
    from sqlalchemy.engine import make_url

    return f"{make_url(url).render_as_string(hide_password=True)}#{table}"


# ------------------------------------------------------------------------------ extraction


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


# ------------------------------------------------------------------------------ staging


def _as_text(typ: pa.DataType, col: str) -> str:
    """SQL giving a column's raw text: timestamps as ISO 8601 UTC, the rest as varchar."""
    if pa.types.is_timestamp(typ):
        return f"""strftime(cast("{col}" as timestamptz), '%Y-%m-%dT%H:%M:%S.%fZ')"""
    return f'cast("{col}" as varchar)'


def _cast(name: str, typ: pa.DataType) -> str:
    col = f'"r_{name}"'
    if pa.types.is_timestamp(typ):
        return f"try_cast({col} as timestamptz)"  # naive text is UTC (session time zone)
    if pa.types.is_floating(typ):
        return f"case when isfinite(try_cast({col} as double)) then try_cast({col} as double) end"
    return f"nullif(trim({col}), '')"


def order_rules() -> list[Rule]:
    """Quarantine rules: required fields, types, ``expectations/orders.json`` row
    expectations, and conflicting duplicates of an order id within one extraction."""
    rules: list[Rule] = []
    for f in STG_ORDERS.schema:
        if not pa.types.is_string(f.type):
            rules.append(Rule(f"type:{f.name}", f'"r_{f.name}" is not null and "{f.name}" is null'))
        if not f.nullable:
            rules.append(Rule(f"required:{f.name}", f"nullif(trim(\"r_{f.name}\"), '') is null"))
    suite = load_suite("orders")
    for exp in suite["expectations"]:
        if severity_of(exp) == "row":
            rule = compile_expectation(exp)
            if (
                rule.name.startswith("expect_column_values_to_not_be_null:")
                and rule.name.split(":")[1] in REQUIRED
            ):
                continue
            rules.append(rule)
    rules.append(
        Rule(
            "duplicate_order_id_conflict",
            "order_id is not null and count(distinct hash("
            + ", ".join(f'"r_{c}"' for c in COLUMNS)
            + ")) over (partition by order_id) > 1",
        )
    )
    return rules


def read_watermark(wh: Warehouse, source: str, before: date) -> datetime | None:
    """The highest watermark stored for ``source`` by runs of days before ``before``."""
    glob = wh.table_glob("meta", "orders_watermark")
    if not glob_any(glob):
        return None
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        row = con.execute(
            f"select max(watermark) from read_parquet('{glob}', hive_partitioning = true, "
            "hive_types = {'dt': DATE}) where source = ? and dt < ?",
            [source, before],
        ).fetchall()[0]
    finally:
        con.close()
    return row[0] if row and row[0] is not None else None


def stage_orders(
    wh: Warehouse, raw: pa.Table, dt: date, run_id: str, source: str,
    previous: datetime | None = None,
) -> OrdersResult:  # fmt: skip
    """Validate one extraction, quarantine bad rows, upsert the rest into ``stg_orders``,
    store the new watermark. Idempotent: rerunning the same extraction changes nothing."""
    from pipeline.warehouse.catalog import connect

    rules = order_rules()
    con = connect()
    try:
        con.register("raw_in", raw)
        texts = ", ".join(f'{_as_text(raw.schema.field(c).type, c)} as "r_{c}"' for c in COLUMNS)
        con.execute(
            f"create temp table raw_rows as select row_number() over () as _pos, {texts} from raw_in"
        )
        casts = ", ".join(f'{_cast(f.name, f.type)} as "{f.name}"' for f in STG_ORDERS.schema)
        reasons = ", ".join(f"case when {r.fails} then '{r.name}' end" for r in rules)
        con.execute(
            f"""create temp table checked as
            select *, concat_ws(';', {reasons}) as _reasons
            from (select *, {casts} from raw_rows)"""
        )
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        raw_text = ", ".join(f'"r_{c}" as "{c}"' for c in COLUMNS)
        quarantined = (
            con.sql(
                f"""select {raw_text}, _reasons, '{run_id}' as _run_id, '{source}' as _source, _pos
            from checked where _reasons <> '' order by _pos"""
            )
            .to_arrow_table()
            .cast(QUARANTINE_SCHEMA)
        )
        good = (
            con.sql(
                f"""select {cols} from checked where _reasons = ''
            qualify row_number() over (partition by order_id order by _pos) = 1"""
            )
            .to_arrow_table()
            .cast(STG_ORDERS.schema)
        )
        n_good = con.execute("select count(*) from checked where _reasons = ''").fetchall()[0]
        extracted = raw.num_rows
        duplicates = int(n_good[0] if n_good else 0) - good.num_rows
        wm = con.execute(
            "select max(updated_at) from checked where updated_at is not null"
        ).fetchall()[0]
        raw_out = con.sql(
            f"""select {raw_text}, '{run_id}' as _run_id, now() as _extracted_at,
            '{source}' as _source from raw_rows order by _pos"""
        ).to_arrow_table()
    finally:
        con.close()
    watermark = max([w for w in (wm[0] if wm else None, previous) if w is not None], default=None)
    days = _upsert(wh, good, run_id)
    result = OrdersResult(
        dt.isoformat(), extracted, good.num_rows, quarantined.num_rows, duplicates,
        watermark.isoformat() if watermark else None, days,
    )  # fmt: skip
    if not result.reconciles():
        raise OrdersError(f"orders {dt}: counts do not reconcile: {asdict(result)}")
    counts = {k: v for k, v in asdict(result).items() if k != "created_days"}
    wh.write_table(Partition.of("raw", "orders", dt), raw_out, run_id, extra=counts)
    wh.write_table(Partition.of("quarantine", "orders", dt), quarantined, run_id, extra=counts)
    mark = pa.table(
        {"source": [source], "watermark": [watermark], "previous": [previous],
         "rows": [extracted], "run_id": [run_id]},
        schema=WATERMARK_SCHEMA,
    )  # fmt: skip
    wh.write_table(Partition.of("meta", "orders_watermark", dt), mark, run_id, extra=counts)
    log.info("orders %s: %s", dt, counts)
    return result


def _upsert(wh: Warehouse, batch: pa.Table, run_id: str) -> list[str]:
    """Merge staged orders into their created-day partitions (latest ``updated_at`` wins; on a
    tie the new row). One lock for the table: parallel days never lose each other's rows."""
    if batch.num_rows == 0:
        return []
    day_arr = pc.cast(batch.column("created_at"), pa.date32())
    days = sorted(pc.unique(day_arr).to_pylist())
    from pipeline.warehouse.catalog import connect

    with wh.day_lock("stg_orders", "upsert", wait=True):
        existing = [
            str(p)
            for d in days
            for p in wh.partition_files(Partition.of("staging", "stg_orders", d))
            if p.suffix == ".parquet"
        ]
        con = connect()
        try:
            con.register("batch", batch)
            cols = ", ".join(f'"{c}"' for c in COLUMNS)
            old = (
                f"select {cols}, 1 as _src from read_parquet({existing!r}) union all "
                if existing
                else ""
            )
            merged = con.sql(
                f"""select {cols}, cast(created_at as date) as _day from (
                    {old} select {cols}, 0 as _src from batch)
                qualify row_number() over (
                    partition by order_id order by updated_at desc, _src) = 1
                order by _day, created_at, order_id"""
            ).to_arrow_table()
        finally:
            con.close()
        day_col = merged.column("_day")
        data = merged.drop_columns(["_day"]).cast(STG_ORDERS.schema)
        for d in days:
            mask = pc.equal(day_col, pa.scalar(d, pa.date32()))
            wh.write_table(Partition.of("staging", "stg_orders", d), data.filter(mask), run_id)
    return [d.isoformat() for d in days]
