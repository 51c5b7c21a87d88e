"""clout ingest delivery on exports in each product's own column names (tests/data/exports):
the built-in profiles, tolerant headers, title rows, totals rows and other days."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline.campaigns.delivery_files import IngestResult, ingest_delivery_file
from pipeline.extract.files import DeliveryFileError
from pipeline.warehouse.catalog import query
from pipeline.warehouse.storage import Warehouse

EXPORTS = Path(__file__).parents[1] / "data" / "exports"
D = dt.date(2026, 3, 2)
COLS = ("campaign_id", "ad_id", "platform", "impressions", "reach", "clicks", "video_views",
        "spend", "currency", "conversions")  # fmt: skip


def _ingest(tmp_path: Path, name: str, profile: str) -> tuple[IngestResult, list[tuple[Any, ...]]]:
    wh = Warehouse(tmp_path / "wh")
    r = ingest_delivery_file(wh, EXPORTS / name, D, "r1", profile=profile)
    assert r.rows == r.staged_rows + r.quarantined_rows + r.duplicate_rows
    rows = query(wh, f"select {', '.join(COLS)} from stg_delivery_files order by ad_id")
    return r, [tuple(x.values()) for x in rows.to_pylist()]


def test_facebook_snake_case_file(tmp_path: Path) -> None:
    # the layout of the public Kaggle "KAG_conversion_data.csv" Facebook ads file
    header = (EXPORTS / "facebook_kag_conversion_data.csv").read_text().splitlines()[0]
    assert header.startswith("ad_id,xyz_campaign_id,fb_campaign_id,age,gender,interest,Impressions")
    r, rows = _ingest(tmp_path, "facebook_kag_conversion_data.csv", "facebook")
    assert (r.rows, r.staged_rows, r.totals_rows, r.other_day_rows) == (5, 5, 0, 0)
    assert rows[0] == ("916", "708746", "instagram", 7350, None, 1, None, 1.429999948, None, 1)
    assert [x[-1] for x in rows] == [1, 0, 0, 0, 1]  # Approved_Conversion, not Total_Conversion


def test_meta_ads_manager_export_keeps_the_day(tmp_path: Path) -> None:
    r, rows = _ingest(tmp_path, "meta_ads_manager_export.csv", "facebook")
    assert (r.rows, r.other_day_rows) == (2, 1)  # the 2026-03-01 row is skipped, counted
    with pytest.raises(DeliveryFileError, match=r"no row is of 2026-03-05 \(the day column holds "
                       r"2026-03-01 to 2026-03-02\); give the report's day as --date"):  # fmt: skip
        ingest_delivery_file(Warehouse(tmp_path / "wh"), EXPORTS / "meta_ads_manager_export.csv",
                             dt.date(2026, 3, 5), "r2")  # fmt: skip
    assert rows == [
        ("spring-drop", "120210000000000101", "instagram", 14820, 9310, 212, 3904, 148.37, "EUR", 11),
        ("spring-drop", "120210000000000102", "instagram", 6105, 4877, 64, None, 52.1, "EUR", 3),
    ]  # fmt: skip


def test_google_ads_report_with_title_rows_and_totals(tmp_path: Path) -> None:
    lines = (EXPORTS / "google_ads_campaign_report.csv").read_text().splitlines()
    assert lines[0] == "Campaign report" and lines[-1].startswith("Total: Video")
    r, rows = _ingest(tmp_path, "google_ads_campaign_report.csv", "google-ads")
    assert (r.rows, r.staged_rows, r.quarantined_rows, r.totals_rows, r.other_day_rows) == (
        2, 2, 0, 2, 1
    )  # fmt: skip
    assert rows == [
        ("21874530001", "163201110001", "youtube", 48210, None, 655, 12880, 1204.57, "EUR", 19),
        ("21874530001", "163201110002", "youtube", 21937, None, 201, 7004, 412.9, "EUR", 4),
    ]  # 18.50 data-driven conversions round to 19  # fmt: skip
    m = query(Warehouse(tmp_path / "wh"), "select * from stg_delivery_files")  # the manifest
    assert m.num_rows == 2


def test_tiktok_ads_report_with_a_totals_row(tmp_path: Path) -> None:
    r, rows = _ingest(tmp_path, "tiktok_ads_report.csv", "tiktok")
    assert (r.rows, r.staged_rows, r.totals_rows) == (2, 2, 1)
    assert rows == [
        ("1791234500000001", "1791234500009001", "tiktok", 88410, 61030, 942, 40112, 310.44, "USD", 27),
        ("1791234500000001", "1791234500009002", "tiktok", 30220, 24008, 188, 12960, 95.1, "USD", 4),
    ]  # fmt: skip


def test_headers_match_whatever_their_spelling(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text(
        '\ufeffCAMPAIGN_ID;"Ad\nID";impressions;LINK-CLICKS;amount_spent (usd);Date\n'
        "spring;a1;1.200;30;12,50;2026-03-02\n"
        "Total;;1.200;30;12,50;\n"
        "spring;a2;900;4;3;02/03/2026\n"
    )
    with pytest.raises(DeliveryFileError, match="line 4: '02/03/2026' in the day column"):
        ingest_delivery_file(Warehouse(tmp_path / "wh"), f, D, "r1")
    f.write_text(f.read_text().replace("02/03/2026", "Mar 2, 2026"))
    r = ingest_delivery_file(Warehouse(tmp_path / "wh"), f, D, "r1")
    assert (r.staged_rows, r.totals_rows) == (2, 1)
    rows = query(Warehouse(tmp_path / "wh"), "select ad_id, impressions, clicks, spend, currency "
                 "from stg_delivery_files order by ad_id").to_pylist()  # fmt: skip
    assert [tuple(x.values()) for x in rows] == [
        ("a1", 1200, 30, 12.5, "USD"), ("a2", 900, 4, 3.0, "USD")
    ]  # fmt: skip


def test_a_campaign_named_total_is_no_totals_row(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("Campaign name,Ad ID,Cost,Impressions\nTotal Fitness Spring,t1,5,100\n")
    r = ingest_delivery_file(Warehouse(tmp_path / "wh"), f, D, "r1", profile="tiktok")
    assert (r.staged_rows, r.totals_rows) == (1, 0)


def test_cli_profiles_and_errors(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUT_", "AIRFLOW"))}
    env = {**base, "CLOUT_WAREHOUSE": str(tmp_path / "wh")}

    def clout(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pipeline.cli", "ingest", "delivery", *args],
                              env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)  # fmt: skip

    ok = clout(str(EXPORTS / "google_ads_campaign_report.csv"), "--date", "2026-03-02",
               "--profile", "google-ads")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "2 rows -> 2 staged, 0 quarantined, 0 duplicates, 2 totals rows skipped, " \
           "1 rows of other days skipped" in ok.stdout  # fmt: skip
    broken = tmp_path / "broken.csv"
    broken.write_text("Report\nCampaign name,Ad ID,Cost\nspring,a1,5\nspring,a2,#VALUE!\n")
    bad = clout(str(broken), "--date", "2026-03-02", "--profile", "tiktok", "--source", "b")
    assert bad.returncode == 0 and "1 staged, 1 quarantined" in bad.stdout
    assert "quarantined: broken.csv row 4: error_cell:spend" in bad.stderr  # the file's row
    wrong = clout(str(EXPORTS / "influencers_suffixes.csv"), "--date", "2026-03-02")
    assert wrong.returncode == 1 and len(wrong.stderr.strip().splitlines()) == 1
    assert "no header with an ad or campaign column" in wrong.stderr
