"""Attribution and the campaign marts: ``sql/marts/campaign_daily.sql`` and
``sql/marts/campaign_summary.sql`` run by DuckDB over the warehouse views.

Late data: orders arrive and are refunded for days, so each run for day D rebuilds
``campaign_daily`` and ``campaign_summary`` for every day of [D - rebuild_days + 1, D]
(default: the 7-day attribution window plus the day itself). A day is always rebuilt whole from
the staged inputs, so reruns and backfills give the same partitions.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.brand.fx import fx_rates
from pipeline.schemas import BRAND_TABLES, STG_ORDERS, BrandTable
from pipeline.sqlfiles import macros_sql, sql_text
from pipeline.warehouse.catalog import glob_any, register_views, view_sql
from pipeline.warehouse.storage import Partition, Warehouse

log = logging.getLogger(__name__)

WINDOW_DAYS = 7  #: attribution window: days after the deliverable's live day
REBUILD_DAYS = WINDOW_DAYS + 1  #: days of marts each run rebuilds (the window and the day)
PERIOD_DAYS = 7  #: lift: the last N days against the N days before
REFUND_HORIZON_DAYS = 180  #: refunds of orders older than this are not looked for

FRAUD_FLAGS_EMPTY = (
    "create or replace temp view fraud_flags as select cast(null as varchar) as entity_type, "
    "cast(null as varchar) as entity_id, cast(null as varchar) as platform, "
    "cast(null as varchar) as signal, cast(null as date) as dt where false"
)


def _quarantine_schema(t: BrandTable) -> pa.Schema:
    from pipeline.brand.orders import QUARANTINE_SCHEMA

    if t.name == "stg_orders":
        return QUARANTINE_SCHEMA
    from pipeline.brand.delivery_files import QUARANTINE_SCHEMA as DQ

    return DQ


def brand_table_layout(wh: Warehouse) -> dict[str, tuple[str, pa.Schema]]:
    """Brand tables for the DuckDB catalog: name -> (file glob, schema); the same shape as
    :func:`pipeline.warehouse.catalog.table_layout` (the lead merges it in)."""
    out: dict[str, tuple[str, pa.Schema]] = {}
    for t in BRAND_TABLES.values():
        out[t.name] = (wh.table_glob(t.layer, t.name, depth=t.depth), t.schema)
    out["quarantine_orders"] = (
        wh.table_glob("quarantine", "orders"),
        _quarantine_schema(STG_ORDERS),
    )
    out["quarantine_delivery_files"] = (
        wh.table_glob("quarantine", "delivery_files", depth=2),
        _quarantine_schema(BRAND_TABLES["stg_delivery_files"]),
    )
    return out


def register_brand_views(
    con: duckdb.DuckDBPyConnection, wh: Warehouse, first: date | None = None,
    last: date | None = None,
) -> None:  # fmt: skip
    """Every warehouse view, the brand views, an empty ``fraud_flags`` where that mart is
    absent, and ``fx_rates`` for [first, last] (when given)."""
    register_views(con, wh)
    for name, (glob, schema) in brand_table_layout(wh).items():
        con.execute(view_sql(name, glob, schema))
    present = con.execute(
        "select count(*) from duckdb_views() where view_name = 'fraud_flags' and not internal"
    ).fetchall()[0]
    if not (present and present[0]):  # not in the catalog (yet): its files, else empty
        glob = wh.table_glob("marts", "fraud_flags")
        con.execute(
            view_sql("fraud_flags", glob, pa.schema([])) if glob_any(glob) else FRAUD_FLAGS_EMPTY
        )
    if first is not None and last is not None:
        con.register("fx_rates", fx_rates(first, last))


def _connect() -> duckdb.DuckDBPyConnection:
    from pipeline.stage import connect

    return connect()


def _set(con: duckdb.DuckDBPyConnection, **values: Any) -> None:
    for k, v in values.items():
        con.execute(f"set variable {k} = ?", [v])


def compute_campaign_daily(
    wh: Warehouse, first: date, last: date, run_dt: date, window_days: int = WINDOW_DAYS
) -> pa.Table:
    """``campaign_daily`` rows of the days [first, last] (with a ``dt`` column)."""
    con = _connect()
    try:
        register_brand_views(con, wh, first - timedelta(days=REFUND_HORIZON_DAYS), last)
        _set(con, first_dt=first, last_dt=last, run_dt=run_dt, window_days=window_days,
             refund_horizon_days=REFUND_HORIZON_DAYS)  # fmt: skip
        con.execute(macros_sql())
        return con.sql(sql_text("marts/campaign_daily")).to_arrow_table()
    finally:
        con.close()


def compute_campaign_summary(wh: Warehouse, dt: date, period_days: int = PERIOD_DAYS) -> pa.Table:
    """``campaign_summary`` as of ``dt`` from the published ``campaign_daily``."""
    con = _connect()
    try:
        register_brand_views(con, wh)
        _set(con, dt=dt, period_days=period_days)
        con.execute(macros_sql())
        return con.sql(sql_text("marts/campaign_summary")).to_arrow_table()
    finally:
        con.close()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def build_campaign_marts(
    wh: Warehouse,
    dt: date,
    run_id: str,
    rebuild_days: int = REBUILD_DAYS,
    window_days: int = WINDOW_DAYS,
    period_days: int = PERIOD_DAYS,
) -> dict[str, Any]:
    """Rebuild both campaign marts for [dt - rebuild_days + 1, dt]; every day of the range is
    written (an empty day too, replacing what an earlier run wrote). Returns row counts."""
    first = dt - timedelta(days=rebuild_days - 1)
    daily_t = BRAND_TABLES["campaign_daily"]
    summary_t = BRAND_TABLES["campaign_summary"]
    with wh.day_lock("campaign_marts", "all", wait=True):
        daily = compute_campaign_daily(wh, first, dt, run_dt=dt, window_days=window_days)
        day_col = daily.column("dt")
        data = daily.select([f.name for f in daily_t.schema]).cast(daily_t.schema)
        counts: dict[str, int] = {}
        for d in _days(first, dt):
            part = data.filter(pc.equal(day_col, pa.scalar(d, pa.date32())))
            wh.write_table(Partition.of("marts", "campaign_daily", d), part, run_id)
            counts[d.isoformat()] = part.num_rows
        summaries: dict[str, int] = {}
        for d in _days(first, dt):
            s = compute_campaign_summary(wh, d, period_days)
            s = s.select([f.name for f in summary_t.schema]).cast(summary_t.schema)
            wh.write_table(Partition.of("marts", "campaign_summary", d), s, run_id)
            summaries[d.isoformat()] = s.num_rows
    log.info("campaign marts %s .. %s: %d daily rows", first, dt, data.num_rows)
    return {"first": first.isoformat(), "last": dt.isoformat(), "campaign_daily": counts,
            "campaign_summary": summaries}  # fmt: skip


def _fmt(v: float | None, pct: bool = False, digits: int = 2) -> str:
    if v is None:
        return "-"
    return f"{100 * v:.{digits}f}%" if pct else f"{v:,.{digits}f}"


def campaign_summary_lines(wh: Warehouse, days: int) -> list[str]:
    """A campaign table for the demo: spend, revenue, ROAS, CTR, CVR, and ROAS lift of the last
    ``days`` days against the ``days`` before, as of the latest ``campaign_daily`` day."""
    con = _connect()
    try:
        register_brand_views(con, wh)
        last = con.execute("select max(dt) from campaign_daily").fetchall()[0]
    finally:
        con.close()
    if not last or last[0] is None:
        return ["campaigns: no campaign_daily rows yet"]
    t = compute_campaign_summary(wh, last[0], period_days=max(days, 1)).to_pylist()
    head = (
        f"  {'campaign':<22} {'cur':<3} {'spend':>12} {'revenue':>12} {'ROAS':>6} "
        f"{'CTR':>7} {'CVR':>7} {'ROAS lift':>9}"
    )
    lines = [f"campaigns to {last[0]} (lift: last {days} days vs the {days} before):", head]
    for r in t:
        lift = r["roas_lift_pct"]
        lines.append(
            f"  {r['campaign_id'][:22]:<22} {r['currency']:<3} {_fmt(r['ad_spend']):>12} "
            f"{_fmt(r['revenue']):>12} {_fmt(r['roas']):>6} {_fmt(r['ctr'], True):>7} "
            f"{_fmt(r['cvr'], True):>7} {('-' if lift is None else f'{lift:+.1f}%'):>9}"
        )
    return lines
