"""Brand test helpers (imported by tests/brand): a tiny shop (SQLAlchemy) and a warehouse to run the campaign steps on."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pipeline.campaigns.campaigns import load_campaigns
from pipeline.campaigns.orders import extract_orders, read_watermark, source_label, stage_orders
from pipeline.contracts import DELIVERY
from pipeline.flows.marts import build_campaign_marts
from pipeline.warehouse.storage import Partition, Warehouse

KEY = b"test-key"
D = date(2026, 3, 1)


def order(oid: str, created: str, net: float, currency: str = "USD", promo: str | None = None,
          utm: str | None = None, refunded: float = 0.0, updated: str | None = None,
          cogs: float | None = None, status: str = "paid") -> dict[str, Any]:  # fmt: skip
    """One shop order row (timestamps 'YYYY-MM-DD HH:MM', naive UTC)."""
    c = datetime.fromisoformat(created)
    return {
        "order_id": oid, "created_at": c,
        "updated_at": datetime.fromisoformat(updated) if updated else c,
        "status": status, "currency": currency, "gross_amount": net, "discount_amount": 0.0,
        "net_amount": net, "refunded_amount": refunded, "cogs_amount": cogs,
        "promo_code": promo, "utm_source": "instagram" if utm else None, "utm_campaign": None,
        "utm_content": utm, "customer_id": f"cust-{oid}",
    }  # fmt: skip


class Shop:
    """An orders table at a SQLAlchemy URL (created on first use, dropped by ``drop``)."""

    def __init__(self, url: str, table: str = "orders") -> None:
        import sqlalchemy as sa

        from pipeline.simulator.brand import orders_table

        self.url, self.table_name = url, table
        self.engine = sa.create_engine(url)
        self.md = sa.MetaData()
        self.table = orders_table(self.md, table)
        self.md.create_all(self.engine)

    def upsert(self, *rows: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            for r in rows:
                conn.execute(self.table.delete().where(self.table.c.order_id == r["order_id"]))
                conn.execute(self.table.insert(), [r])

    def drop(self) -> None:
        self.md.drop_all(self.engine)
        self.engine.dispose()


def write_campaigns(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


CAMPAIGNS_YAML = """
campaigns:
  - campaign_id: spring
    brand: Acme
    currency: EUR
    start_date: 2026-03-01
    end_date: 2026-03-31
    influencers:
      - {platform: instagram, account_id: "anna", fee: 1000, promo_code: ACME-ANNA,
         utm_content: anna, live_date: 2026-03-01}
      - {platform: tiktok, account_id: "ben", fee: 0, promo_code: ACME-BEN,
         utm_content: ben, live_date: 2026-03-01}
"""


def delivery_rows(*rows: tuple[str, str, str | None, str, int, int, int, float]) -> pa.Table:
    """(campaign, platform, account, ad, impressions, clicks, conversions, spend) rows, EUR."""
    cols = list(zip(*rows, strict=True))
    n = len(rows)
    return pa.table(
        {
            "campaign_id": list(cols[0]),
            "platform": list(cols[1]),
            "account_id": list(cols[2]),
            "ad_id": list(cols[3]),
            "impressions": list(cols[4]),
            "reach": list(cols[4]),
            "clicks": list(cols[5]),
            "video_views": [0] * n,
            "spend": list(cols[7]),
            "currency": ["EUR"] * n,
            "conversions": list(cols[6]),
        },  # fmt: skip
        schema=DELIVERY.schema,
    )


class Brand:
    """A warehouse plus a shop: run the campaign steps for a day like the DAG does."""

    def __init__(self, root: Path, shop: Shop, campaigns: Path) -> None:
        self.wh = Warehouse(root)
        self.shop, self.campaigns = shop, campaigns

    def run(self, dt: date) -> dict[str, Any]:
        self.wh.write_table(
            Partition.of("staging", "stg_campaigns", dt), load_campaigns(self.campaigns), "t"
        )
        src = source_label(self.shop.url, self.shop.table_name)
        since = read_watermark(self.wh, src, dt)
        raw = extract_orders(self.shop.url, self.shop.table_name, since, KEY)
        res = stage_orders(self.wh, raw, dt, f"run-{dt}", src, previous=since)
        build_campaign_marts(self.wh, dt, f"run-{dt}")
        return {"orders": res}

    def delivery(self, dt: date, table: pa.Table) -> None:
        self.wh.write_table(Partition.of("staging", "stg_delivery", dt), table, "t")

    def daily(self, where: str = "true") -> list[dict[str, Any]]:
        import duckdb

        from pipeline.warehouse.catalog import register_views

        con = duckdb.connect()
        try:
            con.execute("set TimeZone = 'UTC'")
            register_views(con, self.wh)
            return (
                con.sql(
                    f"select * from campaign_daily where {where} order by dt, campaign_id, platform, account_id"
                )
                .to_arrow_table()
                .to_pylist()
            )
        finally:
            con.close()

    def sql(self, sql: str) -> list[dict[str, Any]]:
        import duckdb

        from pipeline.warehouse.catalog import register_views

        con = duckdb.connect()
        try:
            con.execute("set TimeZone = 'UTC'")
            register_views(con, self.wh)
            return con.sql(sql).to_arrow_table().to_pylist()
        finally:
            con.close()


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def server_shop(name: str, url: str, port: int) -> Iterator[Shop]:
    """A uniquely named orders table on a live server; skip (fail under CI=true) if down."""
    if not _reachable("127.0.0.1", port):
        msg = f"{name} server not reachable at 127.0.0.1:{port}"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        shop = Shop(url, table=f"clout_orders_{uuid.uuid4().hex[:10]}")
    except Exception as e:  # noqa: BLE001 - reported as the reason
        msg = f"{name} server at 127.0.0.1:{port} refused: {str(e).splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        yield shop
    finally:
        shop.drop()
