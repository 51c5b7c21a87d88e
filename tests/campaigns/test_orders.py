"""Orders extraction end to end (SQLite, PostgreSQL, MariaDB) and quarantine of bad orders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from brandkit import KEY, Brand, Shop, order

from pipeline.campaigns.orders import stage_orders
from pipeline.extract.orders import extract_orders, read_watermark, source_label
from pipeline.extract.pii import pseudonymise
from pipeline.warehouse.storage import Partition, Warehouse

D = date(2026, 3, 2)


def _extract_twice(shop: Shop, root: Path) -> None:
    wh = Warehouse(root)
    src = source_label(shop.url, shop.table_name)
    shop.upsert(order("1", "2026-03-01 10:00", 12.5, "EUR", promo="A"),
                order("2", "2026-03-02 23:59", 7.25, "USD", utm="x"))  # fmt: skip
    r1 = stage_orders(wh, extract_orders(shop.url, shop.table_name, None, KEY), D, "r1", src)
    assert (r1.extracted_rows, r1.staged_rows, r1.quarantined_rows) == (2, 2, 0)
    assert r1.created_days == ["2026-03-01", "2026-03-02"]
    since = read_watermark(wh, src, date(2026, 3, 3))
    assert since is not None and since.isoformat() == "2026-03-02T23:59:00+00:00"
    # a refund on order 1 and a new order; order 2 (updated within LOOKBACK of the watermark)
    # is read again, harmlessly
    shop.upsert(order("1", "2026-03-01 10:00", 12.5, "EUR", promo="A", refunded=12.5,
                      updated="2026-03-03 08:00", status="refunded"),
                order("3", "2026-03-03 09:00", 3.0, "GBP"))  # fmt: skip
    raw = extract_orders(shop.url, shop.table_name, since, KEY)
    assert sorted(raw.column("order_id").cast("string").to_pylist()) == ["1", "2", "3"]
    stage_orders(wh, raw, date(2026, 3, 3), "r2", src, previous=since)
    day1 = wh.read_partition(Partition.of("staging", "stg_orders", date(2026, 3, 1)))
    row = day1.to_pylist()[0]
    assert row["refunded_amount"] == 12.5 and row["status"] == "refunded"
    assert row["customer_id"] == pseudonymise(["cust-1"], KEY)[0]
    assert str(row["created_at"]) == "2026-03-01 10:00:00+00:00"
    assert row["net_amount"] == 12.5 and row["currency"] == "EUR"


def test_sqlite_extraction(sqlite_shop: Shop, tmp_path: Path) -> None:
    _extract_twice(sqlite_shop, tmp_path / "wh")


def test_postgres_extraction(postgres_shop: Shop, tmp_path: Path) -> None:
    _extract_twice(postgres_shop, tmp_path / "wh")


def test_mariadb_extraction(mariadb_shop: Shop, tmp_path: Path) -> None:
    _extract_twice(mariadb_shop, tmp_path / "wh")


def test_bad_orders_are_quarantined_with_reasons(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'bad.sqlite'}"
    engine = sa.create_engine(url)
    cols = ("order_id, created_at, updated_at, status, currency, gross_amount, discount_amount, "
            "net_amount, refunded_amount, cogs_amount, promo_code, utm_source, utm_campaign, "
            "utm_content, customer_id")  # fmt: skip
    rows = [
        ("ok", 10.0, "EUR"),
        ("neg", -5.0, "EUR"),
        ("cur", 10.0, "XYZ"),
        (None, 10.0, "EUR"),
        ("dup", 10.0, "EUR"),
        ("dup", 11.0, "EUR"),
        ("same", 4.0, "EUR"),
        ("same", 4.0, "EUR"),
    ]
    with engine.begin() as conn:
        conn.execute(sa.text(f"create table orders ({cols})"))  # no constraints: bad data gets in
        for oid, net, cur in rows:
            conn.execute(
                sa.text(
                    f"insert into orders ({cols}) values (:o, '2026-03-01 10:00:00', "
                    "'2026-03-01 10:00:00', 'paid', :c, :n, 0, :n, 0, null, null, null, null, "
                    "null, 'c')"
                ),  # fmt: skip
                {"o": oid, "c": cur, "n": net},
            )
    engine.dispose()
    wh = Warehouse(tmp_path / "wh")
    raw = extract_orders(url, "orders", None, KEY)
    res = stage_orders(wh, raw, date(2026, 3, 1), "r", "bad")
    assert (res.extracted_rows, res.staged_rows, res.quarantined_rows, res.duplicate_rows) == (
        8,
        2,
        5,
        1,
    )
    q = wh.read_partition(Partition.of("quarantine", "orders", date(2026, 3, 1))).to_pylist()
    reasons = {r["order_id"] or "null": r["_reasons"] for r in q}
    assert "expect_column_values_to_be_between:net_amount" in reasons["neg"]
    assert "expect_column_values_to_be_between:gross_amount" in reasons["neg"]
    assert reasons["cur"] == "expect_column_values_to_be_in_set:currency"
    assert reasons["null"] == "required:order_id"
    assert reasons["dup"] == "duplicate_order_id_conflict"
    assert [r["_reasons"] for r in q].count("duplicate_order_id_conflict") == 2
    manifest = wh.read_manifest(Partition.of("raw", "orders", date(2026, 3, 1)))
    assert manifest is not None and manifest["extracted_rows"] == 8
    # the one quarantine schema of every table: lineage without a file or page for orders
    assert {(r["_run_id"], r["_source"], r["_file"], r["_page"]) for r in q} == {
        ("r", "bad", None, None)
    }
    assert [r["_pos"] for r in q] == [2, 3, 4, 5, 6]


def test_bad_orders_are_counted_in_validation_results(tmp_path: Path) -> None:
    from brandkit import Shop

    from pipeline.warehouse.catalog import query

    shop = Shop(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    shop.upsert(order("ok", "2026-03-01 10:00", 5.0, "EUR"), order("bad", "2026-03-01 11:00", -1.0))
    wh = Warehouse(tmp_path / "wh")
    stage_orders(wh, extract_orders(shop.url, shop.table_name, None, KEY), D, "r", "shop")
    shop.drop()
    rows = query(
        wh,
        "select expectation, severity, success, unexpected_count, element_count "
        "from validation_results where \"table\" = 'orders' and source = 'quarantine' "
        "and dt = date '2026-03-02'",
    ).to_pylist()
    failed = {r["expectation"]: r for r in rows if not r["success"]}
    between = "expect_column_values_to_be_between:"
    assert set(failed) == {between + "gross_amount", between + "net_amount"}
    assert {
        (r["severity"], r["unexpected_count"], r["element_count"]) for r in failed.values()
    } == {("row", 1, 2)}
    assert {"required:order_id", "duplicate_order_id_conflict"} <= {r["expectation"] for r in rows}
    assert query(wh, "select order_id, _file, _page from quarantine_orders").to_pylist() == [
        {"order_id": "bad", "_file": None, "_page": None}
    ]


def test_missing_configuration_is_one_clear_line(tmp_path: Path) -> None:
    from pipeline.extract.orders import OrdersError

    with pytest.raises(OrdersError, match="orders table 'nope' not found"):
        extract_orders(f"sqlite:///{tmp_path / 'x.sqlite'}", "nope", None, KEY)


def test_brand_fixture_runs(brand: Brand) -> None:
    brand.shop.upsert(order("1", "2026-03-01 10:00", 1.0, "EUR"))
    assert brand.run(date(2026, 3, 1))["orders"].staged_rows == 1
