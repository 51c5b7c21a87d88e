"""Shop orders staging: one extraction (:mod:`pipeline.extract.orders`) through the staging
engine, upserted into ``stg_orders``.

* Raw rows (text) land in ``raw/orders/dt=D``; rows failing a rule go to
  ``quarantine/orders/dt=D`` with their reasons, and the failures of each rule to
  ``validation_results`` (table ``orders``, source ``quarantine``); the rest are upserted
  (latest ``updated_at`` wins) into ``stg_orders``, partitioned by the UTC day the order was
  created. Counts reconcile: extracted = staged + quarantined + dropped exact duplicates.
* What orders add to the engine: naive timestamps (MySQL ``DATETIME``, SQLite text) are read as
  UTC and blank text is missing; two different versions of one order id in one extraction are
  quarantined (``duplicate_order_id_conflict``); the upsert; the ``updated_at`` watermark the
  next day's extraction starts from.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import ORDERS, ORDERS_WATERMARK, STG_ORDERS
from pipeline.staging.compile import suite_rules
from pipeline.staging.engine import RAW_ROWS, load_arrow, publish, stage
from pipeline.staging.rules import Rule, schema_rules
from pipeline.warehouse.catalog import connect
from pipeline.warehouse.storage import Partition, Warehouse

log = logging.getLogger(__name__)

COLUMNS: tuple[str, ...] = ORDERS.column_names


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


def order_casts() -> dict[str, str]:
    """The engine's cast overrides for orders: naive timestamps are UTC (the session time zone),
    blank text is NULL."""
    casts: dict[str, str] = {}
    for f in ORDERS.schema:
        col = f'"r_{f.name}"'
        if pa.types.is_timestamp(f.type):
            casts[f.name] = f"try_cast({col} as timestamptz)"
        elif pa.types.is_string(f.type):
            casts[f.name] = f"nullif(trim({col}), '')"
    return casts


def order_rules() -> list[Rule]:
    """Quarantine rules: required fields (blank text is missing), types,
    ``expectations/orders.json`` row expectations, and conflicting versions of an order id
    within one extraction."""
    conflict = Rule(
        "duplicate_order_id_conflict",
        "order_id is not null and count(distinct hash("
        + ", ".join(f'"r_{c}"' for c in COLUMNS)
        + ")) over (partition by order_id) > 1",
    )
    return [*schema_rules(ORDERS, blank_is_missing=True), *suite_rules(ORDERS), conflict]


def stage_orders(
    wh: Warehouse, raw: pa.Table, dt: date, run_id: str, source: str,
    previous: datetime | None = None,
) -> OrdersResult:  # fmt: skip
    """Validate one extraction, quarantine bad rows, upsert the rest into ``stg_orders``,
    store the new watermark. Idempotent: rerunning the same extraction changes nothing."""
    con = connect()
    try:
        load_arrow(con, ORDERS, raw, run_id=run_id, source=source)
        staged = stage(con, ORDERS, order_rules(), dt, run_id, casts=order_casts())
        # every row with a readable updated_at moves the watermark, quarantined ones too
        wm = con.execute("select max(updated_at) from checked").fetchall()[0][0]
        raw_text = ", ".join(f'"r_{c}" as "{c}"' for c in COLUMNS)
        raw_out = con.sql(
            f"select {raw_text}, _run_id, _extracted_at, _source from {RAW_ROWS} order by _pos"
        ).to_arrow_table()
    finally:
        con.close()
    watermark = max([w for w in (wm, previous) if w is not None], default=None)
    days: list[str] = []

    def upsert(rows: pa.Table) -> None:
        days.extend(_upsert(wh, rows, run_id))

    mark = watermark.isoformat() if watermark else None
    counts = {"extracted_rows": staged.raw_rows, "watermark": mark}
    publish(wh, staged, write_rows=upsert, extra=counts)
    result = OrdersResult(
        dt.isoformat(), staged.raw_rows, staged.rows.num_rows, staged.quarantined.num_rows,
        staged.duplicates, mark, days,
    )  # fmt: skip
    manifest = {**asdict(staged.result()), **counts}
    wh.write_table(Partition.of("raw", "orders", dt), raw_out, run_id, extra=manifest)
    stored = pa.table(
        {"source": [source], "watermark": [watermark], "previous": [previous],
         "rows": [staged.raw_rows], "run_id": [run_id]},
        schema=ORDERS_WATERMARK.schema,
    )  # fmt: skip
    wh.write_table(Partition.of("meta", "orders_watermark", dt), stored, run_id, extra=manifest)
    log.info("orders %s: %s", dt, manifest)
    return result


def _upsert(wh: Warehouse, batch: pa.Table, run_id: str) -> list[str]:
    """Merge staged orders into their created-day partitions (latest ``updated_at`` wins; on a
    tie the new row). One lock for the table: parallel days never lose each other's rows."""
    if batch.num_rows == 0:
        return []
    day_arr = pc.cast(batch.column("created_at"), pa.date32())
    days = sorted(pc.unique(day_arr).to_pylist())

    with wh.day_lock("stg_orders", "upsert", wait=True):
        stored = wh.dataset("staging", "stg_orders")
        con = connect()
        try:
            con.register("batch", batch)
            cols = ", ".join(f'"{c}"' for c in COLUMNS)
            old = ""
            if stored is not None:
                con.register("stored", stored)
                listed = ", ".join(f"date '{d.isoformat()}'" for d in days)
                old = f"select {cols}, 1 as _src from stored where dt in ({listed}) union all "
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
