"""Campaigns files, ad-manager file drops, the demo shop and the DAG file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipeline.campaigns.campaigns import CampaignsError, load_campaigns
from pipeline.campaigns.delivery_files import ingest_delivery_file
from pipeline.campaigns.fx import CURRENCIES
from pipeline.warehouse.storage import Partition, Warehouse

GOOD = """campaign_id,brand,currency,start_date,end_date,budget,platform,account_id,fee,promo_code,utm_content,live_date
spring,Acme,EUR,2026-03-01,2026-03-31,50000,instagram,1234,4000,ACME-ANNA,anna,2026-03-05
spring,Acme,EUR,2026-03-01,2026-03-31,50000,tiktok,99,"1,500",ACME-BO,bo,2026-03-06
"""


def test_campaigns_csv(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("\ufeff" + GOOD)
    t = load_campaigns(tmp_path / "c.csv").to_pylist()
    assert [r["fee"] for r in t] == [4000.0, 1500.0]
    assert t[0]["live_date"] == dt.date(2026, 3, 5) and t[0]["currency"] == "EUR"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("EUR,2026-03-01,2026-03-31,50000,tiktok", "EUR,2026-03-01,2026-03-31,50000,tiktak"),
            r"c.csv row 3: platform: 'tiktak' is not one of",
        ),
        (('"1,500"', "abc"), r"c.csv row 3: fee: 'abc' is not a number"),
        (("bo,2026-03-06", "bo,2026-04-06"), r"c.csv row 3: live_date 2026-04-06 is outside"),
        (
            ("EUR,2026-03-01,2026-03-31,50000,tiktok", "XXX,2026-03-01,2026-03-31,50000,tiktok"),
            r"c.csv row 3: currency: 'XXX'",
        ),
        (("tiktok,99,", "instagram,1234,"), r"influencer instagram/1234 is listed twice"),
    ],
)
def test_campaigns_errors_name_file_row_and_field(tmp_path: Path, edit: tuple[str, str],
                                                  message: str) -> None:  # fmt: skip
    (tmp_path / "c.csv").write_text(GOOD.replace(*edit))
    with pytest.raises(CampaignsError, match=message):
        load_campaigns(tmp_path / "c.csv")


def test_campaigns_yaml_errors(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("campaigns:\n  - {campaign_id: x, currency: EUR, start_date: 2026-03-01}\n")
    with pytest.raises(CampaignsError, match=r"c.yaml: campaign 1: end_date: missing"):
        load_campaigns(p)


FACEBOOK = (
    "\ufeffAd performance report\n"
    "Campaign ID,Ad ID,Ad name,Impressions,Reach,Link clicks,Amount spent (EUR),Results,"
    "Approved conversions,CTR (link click-through rate)\n"
    'spring,a1,Anna reel,1.2k,900,30,"1,234.50",12,10,"3.4%"\n'
    "spring,a2,Paid,475.8k,N/A,4,12.5,N/A,25,2%\n"  # conversions above clicks: view-through
    "spring,a3,Broken,#VALUE!,1,1,1,1,1,1%\n"
    "spring,a4,Negative,100,10,-3,1,1,1,1%\n"
    "spring,a1,Anna reel again,1.3k,900,31,1,12,11,3%\n"  # same ad twice: the last row wins
)


def test_facebook_export(tmp_path: Path) -> None:
    (tmp_path / "fb.csv").write_text(FACEBOOK)
    wh = Warehouse(tmp_path / "wh")
    r = ingest_delivery_file(wh, tmp_path / "fb.csv", dt.date(2026, 3, 2), "r")
    assert (r.rows, r.staged_rows, r.quarantined_rows, r.duplicate_rows) == (5, 2, 2, 1)
    staged = wh.read_partition(Partition.of("staging", "stg_delivery_files", dt.date(2026, 3, 2),
                                                source="facebook")).to_pylist()  # fmt: skip
    a1, a2 = sorted(staged, key=lambda x: x["ad_id"])
    assert (a1["ad_id"], a1["impressions"], a1["clicks"], a1["conversions"]) == ("a1", 1300, 31, 11)
    assert a2["impressions"] == 475_800 and a2["reach"] is None and a2["conversions"] == 25
    assert a2["spend"] == 12.5 and a2["currency"] == "EUR" and a2["account_id"] is None
    q = wh.read_partition(Partition.of("quarantine", "delivery_files", dt.date(2026, 3, 2),
                                           source="facebook")).to_pylist()  # fmt: skip
    assert {x["ad_id"]: x["_reasons"] for x in q} == {
        "a3": "error_cell:impressions",
        "a4": "expect_column_values_to_be_between:clicks",
    }
    assert {(x["_source"], x["_file"], x["_page"]) for x in q} == {
        ("facebook", str(tmp_path / "fb.csv"), None)
    }


def _file_results(wh: Warehouse) -> list[dict[str, object]]:
    from pipeline.warehouse.catalog import query

    return query(
        wh,
        "select run_id, expectation, severity, unexpected_count, element_count "
        "from validation_results where \"table\" = 'delivery_files' and source = 'quarantine' "
        "and dt = date '2026-03-02' and not success order by run_id, expectation",
    ).to_pylist()


def test_bad_file_rows_are_counted_in_validation_results(tmp_path: Path) -> None:
    (tmp_path / "fb.csv").write_text(FACEBOOK)
    wh = Warehouse(tmp_path / "wh")
    ingest_delivery_file(wh, tmp_path / "fb.csv", dt.date(2026, 3, 2), "r1")
    assert _file_results(wh) == [
        {"run_id": "r1", "expectation": "error_cell:impressions", "severity": "row",
         "unexpected_count": 1, "element_count": 5},
        {"run_id": "r1", "expectation": "expect_column_values_to_be_between:clicks",
         "severity": "row", "unexpected_count": 1, "element_count": 5},
    ]  # fmt: skip
    # another file source the same day adds its records; re-ingesting a source replaces its own
    (tmp_path / "fb2.csv").write_text(FACEBOOK.replace("-3", "3"))
    ingest_delivery_file(wh, tmp_path / "fb2.csv", dt.date(2026, 3, 2), "r2", source="fb2")
    ingest_delivery_file(wh, tmp_path / "fb2.csv", dt.date(2026, 3, 2), "r3", source="fb2")
    assert [(r["run_id"], r["expectation"]) for r in _file_results(wh)] == [
        ("r1", "error_cell:impressions"),
        ("r1", "expect_column_values_to_be_between:clicks"),
        ("r3", "error_cell:impressions"),
    ]


def test_mapping_file(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "name: tiktok-ads\ncolumns: {ad_id: Ad, campaign_id: Campaign, account_id: Creator,"
        " impressions: Impr, clicks: Clicks, spend: Cost, conversions: Conv}\n"
        "constants: {platform: tiktok, currency: USD}\n"
    )
    (tmp_path / "t.csv").write_text(
        "Ad;Campaign;Creator;Impr;Clicks;Cost;Conv\nx;spring;ben;1M;10;3.5;1\n"
    )
    wh = Warehouse(tmp_path / "wh")
    r = ingest_delivery_file(
        wh, tmp_path / "t.csv", dt.date(2026, 3, 2), "r", mapping=tmp_path / "m.yaml"
    )
    assert (r.source, r.staged_rows) == ("tiktok-ads", 1)


def test_orders_suite_lists_the_fx_currencies() -> None:
    suite = json.loads((Path(__file__).parents[2] / "expectations" / "orders.json").read_text())
    sets = [e for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_in_set"]
    assert sets[0]["kwargs"]["value_set"] == list(CURRENCIES)


def test_demo_shop_is_deterministic_and_valid(tmp_path: Path) -> None:
    from pipeline.simulator.brand import demo_orders, write_demo_shop
    from pipeline.simulator.world import World

    w = World()
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 7)
    path, url = write_demo_shop(w, tmp_path, start, end)
    camps = load_campaigns(path)
    assert camps.num_rows > 0
    a, b = demo_orders(w, start, end), demo_orders(World(), start, end)
    assert all((a[k] == b[k]).all() or k in ("cogs_amount",) for k in a)
    assert len(set(a["currency"])) >= 3 and (a["refunded_amount"] > 0).any()
    assert any(x is None for x in a["promo_code"])


def test_dag_file_wiring() -> None:
    pytest.importorskip("airflow")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "campaign_roas", Path(__file__).parents[2] / "dags" / "campaign_roas.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    dag = mod.dag
    assert set(dag.task_ids) == {"campaigns", "orders", "campaign_marts", "publish_sql"}
    assert all(t.retries >= 2 for t in dag.tasks)
    assert dag.get_task("campaign_marts").upstream_task_ids == {"campaigns", "orders"}
    assert dag.get_task("publish_sql").upstream_task_ids == {"campaign_marts"}
