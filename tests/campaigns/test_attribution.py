"""Attribution and campaign marts, by hand-checkable cases (DESIGN section 4)."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import pyarrow as pa
import pytest
from brandkit import Brand, delivery_rows, order, write_campaigns

from pipeline.campaigns.fx import convert
from pipeline.warehouse.storage import Partition

D1, D2, D3, D4, D5 = (date(2026, 3, d) for d in range(1, 6))


def rows_by_account(b: Brand, day: date) -> dict[str | None, dict]:
    return {r["account_id"]: r for r in b.daily(f"dt = '{day}'")}


def test_worked_example(tmp_path: Path, sqlite_shop) -> None:  # type: ignore[no-untyped-def]
    cases = [(10000, 5000, 10000, 1.0, 0.5), (15000, 10000, 20000, 0.75, 0.25),
             (20000, 15000, 30000, 0.6667, 0.1667), (25000, 20000, 40000, 0.625, 0.125),
             (30000, 25000, 50000, 0.6, 0.1)]  # fmt: skip
    yaml = "campaigns:\n" + "".join(
        f"""  - {{campaign_id: c{i}, currency: USD, start_date: 2026-03-01, end_date: 2026-03-31,
      influencers: [{{platform: instagram, account_id: a{i}, fee: {spend}, promo_code: P{i},
                     live_date: 2026-03-01}}]}}
"""
        for i, (_, _, spend, _, _) in enumerate(cases)
    )
    b = Brand(tmp_path / "wh", sqlite_shop, write_campaigns(tmp_path / "c.yaml", yaml))
    sqlite_shop.upsert(*(order(f"o{i}", "2026-03-01 12:00", rev, promo=f"P{i}", cogs=cogs)
                         for i, (rev, cogs, _, _, _) in enumerate(cases)))  # fmt: skip
    b.run(D1)
    got = {r["campaign_id"]: r for r in b.daily()}
    for i, (rev, cogs, spend, roas, net_roas) in enumerate(cases):
        r = got[f"c{i}"]
        assert (r["revenue"], r["cogs"], r["ad_spend"]) == (rev, cogs, spend)
        assert round(r["roas"], 4) == roas and round(r["net_roas"], 4) == net_roas
        assert r["ctr"] is None and r["cpa"] is None  # no delivery: zero denominators are NULL


def test_promo_code_beats_utm_and_the_window(brand: Brand) -> None:
    brand.shop.upsert(
        order("1", "2026-03-02 10:00", 100, "EUR", promo="acme-ben ", utm="anna"),  # promo wins
        order("2", "2026-03-02 11:00", 50, "EUR", utm="anna"),  # utm only
        order("3", "2026-03-08 23:00", 10, "EUR", promo="ACME-ANNA"),  # last day of the window
        order("4", "2026-03-09 00:30", 1000, "EUR", promo="ACME-ANNA"),  # outside the window
        order("5", "2026-03-02 12:00", 70, "EUR"),  # no campaign
    )
    brand.run(date(2026, 3, 9))
    by = {(r["account_id"], str(r["dt"])): r for r in brand.daily()}
    assert by[("ben", "2026-03-02")]["revenue"] == 100
    assert by[("anna", "2026-03-02")]["revenue"] == 50
    assert by[("anna", "2026-03-08")]["revenue"] == 10
    assert ("anna", "2026-03-09") not in by
    assert sum(r["orders"] for r in by.values()) == 3


def test_a_later_refund_reduces_revenue_on_the_order_day(brand: Brand) -> None:
    brand.shop.upsert(order("1", "2026-03-02 10:00", 100, "EUR", promo="ACME-ANNA"))
    brand.run(D2)
    assert rows_by_account(brand, D2)["anna"]["revenue"] == 100
    brand.shop.upsert(order("1", "2026-03-02 10:00", 100, "EUR", promo="ACME-ANNA",
                            refunded=40, updated="2026-03-04 09:00", status="refunded"))  # fmt: skip
    brand.run(D4)  # the refund arrives two days later; the run rebuilds the window
    d2 = rows_by_account(brand, D2)["anna"]
    assert (d2["revenue"], d2["refunds"], d2["orders"]) == (60, 40, 1)
    assert rows_by_account(brand, D4).get("anna", {}).get("revenue", 0) == 0


def test_currencies_convert_to_the_campaign_currency(brand: Brand) -> None:
    brand.shop.upsert(
        order("1", "2026-03-02 10:00", 100, "USD", promo="ACME-ANNA", cogs=20),
        order("2", "2026-03-02 11:00", 50, "GBP", utm="anna"),
    )
    brand.run(D2)
    r = rows_by_account(brand, D2)["anna"]
    assert r["currency"] == "EUR"
    assert r["revenue"] == pytest.approx(convert(100, "USD", "EUR") + convert(50, "GBP", "EUR"))
    assert r["cogs"] == pytest.approx(convert(20, "USD", "EUR"))


def test_fee_on_live_day_and_view_through_conversions(brand: Brand) -> None:
    brand.delivery(D1, delivery_rows(
        ("spring", "instagram", "anna", "ad1", 1000, 10, 25, 20.0),  # conversions > clicks
        ("spring", "instagram", None, "ad2", 500, 0, 0, 5.0),  # a paid ad: no influencer
    ))  # fmt: skip
    brand.run(D1)
    rows = rows_by_account(brand, D1)
    anna = rows["anna"]
    assert anna["conversions"] == 25 and anna["cvr"] == 2.5
    assert anna["ad_spend"] == 1020 and anna["fee"] == 1000 and anna["paid_spend"] == 20
    assert anna["ctr"] == 0.01 and anna["cpm"] == 1020.0
    assert rows[None]["cvr"] is None and rows[None]["cpc"] is None and rows[None]["ad_spend"] == 5


def test_fraud_adjusted_roas(brand: Brand) -> None:
    brand.delivery(D2, delivery_rows(("spring", "tiktok", "ben", "adb", 1000, 400, 5, 10.0)))
    brand.shop.upsert(
        order("1", "2026-03-02 10:00", 30, "EUR", utm="ben"),
        order("2", "2026-03-02 11:00", 20, "EUR", promo="ACME-BEN"),
    )
    brand.run(D2)
    ben = rows_by_account(brand, D2)["ben"]
    assert ben["roas"] == 5.0 and ben["roas_fraud_adjusted"] == 5.0  # no fraud_flags yet
    flags = pa.table({"entity_type": ["delivery"], "entity_id": ["adb"], "platform": ["tiktok"],
                      "signal": ["ctr_outlier"]})  # fmt: skip
    brand.wh.write_table(Partition.of("marts", "fraud_flags", D2), flags, "t")
    brand.run(D2)
    ben = rows_by_account(brand, D2)["ben"]
    assert ben["invalid_clicks"] == 400 and ben["invalid_conversions"] == 5
    assert ben["invalid_revenue"] == 30 and ben["roas_fraud_adjusted"] == pytest.approx(2.0)


def _marts(b: Brand) -> tuple[list[dict], list[dict]]:
    daily = b.sql("select * from campaign_daily order by all")
    summary = b.sql("select * from campaign_summary order by all")
    return daily, summary


def test_late_orders_change_earlier_days_and_backfill_agrees(tmp_path: Path, brand: Brand) -> None:
    from brandkit import Shop

    brand.delivery(D2, delivery_rows(("spring", "instagram", "anna", "ad1", 1000, 10, 2, 0.0)))
    on_time = order("1", "2026-03-02 10:00", 500, "EUR", promo="ACME-ANNA")
    late = order("2", "2026-03-02 12:00", 300, "EUR", utm="anna", updated="2026-03-05 08:00")
    brand.shop.upsert(on_time)
    for d in (D1, D2, D3, D4):
        brand.run(d)
    before = rows_by_account(brand, D2)["anna"]["revenue"]
    brand.shop.upsert(late)  # arrives three days late
    brand.run(D5)
    assert (before, rows_by_account(brand, D2)["anna"]["revenue"]) == (500, 800)

    fresh = Shop(f"sqlite:///{tmp_path / 'backfill.sqlite'}")
    try:
        fresh.upsert(on_time, late)
        again = Brand(tmp_path / "wh2", fresh, brand.campaigns)
        again.delivery(D2, delivery_rows(("spring", "instagram", "anna", "ad1", 1000, 10, 2, 0.0)))
        for d in (D1, D2, D3, D4, D5):
            again.run(d)
        assert _marts(again) == _marts(brand)
    finally:
        fresh.drop()


def test_summary_lift_against_the_previous_period(brand: Brand) -> None:
    brand.delivery(D1, delivery_rows(("spring", "instagram", "anna", "ad1", 1000, 10, 1, 0.0)))
    brand.delivery(D2, delivery_rows(("spring", "instagram", "anna", "ad1", 2000, 30, 3, 0.0)))
    brand.run(D2)
    from pipeline.campaigns.attribution import prepare_summary
    from pipeline.flows.marts import compute_mart

    s = compute_mart(
        brand.wh, "campaign_summary", D2, prepare=partial(prepare_summary, period_days=1)
    ).to_pylist()[0]
    assert s["impressions"] == 3000 and s["first_dt"] == D1 and s["last_dt"] == D2
    assert s["impressions_lift_pct"] == pytest.approx(100.0)
    assert s["ctr_lift_pct"] == pytest.approx(50.0)  # 1.5% against 1.0%
    assert s["cvr_lift_pct"] == pytest.approx(0.0)
    assert s["roas_lift_pct"] is None  # no spend: ROAS is NULL in both periods
