"""clout ingest conversions: GA4 exports staged, joined to campaigns by UTM in campaign_daily."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from analystkit import LAST

from pipeline.analyst.ga4 import ConversionsError, ingest_conversions, read_export
from pipeline.campaigns.fx import USD_PER_UNIT
from pipeline.warehouse.catalog import query
from pipeline.warehouse.storage import Warehouse

D = date(2026, 3, 5)


def test_csv_export_with_comments_and_a_second_block(tmp_path: Path) -> None:
    f = tmp_path / "ga4.csv"
    f.write_text(
        "\ufeff# GA4 export\n#\n"
        "Date,Session source,Session medium,Session campaign,Session manual ad content,"
        "Sessions,Key events,Total revenue\n"
        '20260305,instagram,social,spring,anna,"1,204",31,"1,250.50"\n'
        "20260305,instagram,social,spring,ben,oops,1,0\n"
        "20260306,google,organic,(not set),(not set),50,2,80\n\nDate,Sessions\n20260305,9\n"
    )
    header, rows = read_export(f)
    assert header[0] == "Date" and len(rows) == 3
    wh = Warehouse(tmp_path / "wh")
    r = ingest_conversions(wh, f, "t", currency="EUR")
    assert r.rows == 3
    assert r.days == {
        "2026-03-05": {"raw_rows": 2, "staged_rows": 1, "quarantined_rows": 1, "duplicate_rows": 0},
        "2026-03-06": {"raw_rows": 1, "staged_rows": 1, "quarantined_rows": 0, "duplicate_rows": 0},
    }
    staged = query(wh, "select * exclude (dt) from stg_ga4_conversions order by sessions desc")
    assert staged.to_pylist()[0] == {
        "session_source": "instagram", "session_medium": "social",
        "session_campaign_name": "spring", "session_manual_ad_content": "anna",
        "sessions": 1204, "conversions": 31.0, "revenue": 1250.5, "currency": "EUR",
    }  # fmt: skip
    bad = query(wh, "select sessions, _reasons from quarantine_ga4_conversions").to_pylist()
    assert bad == [{"sessions": "oops", "_reasons": "type:sessions"}]
    results = query(
        wh,
        "select dt, expectation, unexpected_count, element_count from "
        "validation_results where \"table\" = 'ga4_conversions' and not success",
    )
    assert [(str(r["dt"]), r["expectation"], r["unexpected_count"], r["element_count"])
            for r in results.to_pylist()] == [("2026-03-05", "type:sessions", 1, 2)]  # fmt: skip
    again = ingest_conversions(wh, f, "t2", currency="EUR")  # a rerun replaces the days
    assert again.days == r.days
    assert query(wh, "select count(*) as n from stg_ga4_conversions").column("n")[0].as_py() == 2


def test_data_api_json_with_api_names(tmp_path: Path) -> None:
    doc = {
        "dimensionHeaders": [{"name": "sessionSource"}, {"name": "sessionCampaignName"},
                             {"name": "sessionManualAdContent"}],
        "metricHeaders": [{"name": "sessions", "type": "TYPE_INTEGER"},
                          {"name": "keyEvents", "type": "TYPE_FLOAT"},
                          {"name": "purchaseRevenue", "type": "TYPE_CURRENCY"}],
        "rows": [{"dimensionValues": [{"value": "tiktok"}, {"value": "spring"}, {"value": "ben"}],
                  "metricValues": [{"value": "42"}, {"value": "2.5"}, {"value": "99.5"}]}],
    }  # fmt: skip
    f = tmp_path / "report.json"
    f.write_text(json.dumps(doc))
    wh = Warehouse(tmp_path / "wh")
    with pytest.raises(ConversionsError, match="--date"):
        ingest_conversions(wh, f, "t")
    r = ingest_conversions(wh, f, "t", day=D)
    assert r.days[D.isoformat()]["staged_rows"] == 1
    row = query(wh, "select * from stg_ga4_conversions").to_pylist()[0]
    assert (row["session_medium"], row["sessions"], row["conversions"], row["revenue"]) == (
        None, 42, 2.5, 99.5)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Date,Sessions\n20260305,3\n", "sessionmanualadcontent"),
        ("Date,Session manual ad content,Sessions,Key events\n2026-13-45,a,1,1\n", "unreadable Date"),
        ("# only comments\n", "no header"),
    ],
)  # fmt: skip
def test_bad_exports_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "ga4.csv"
    f.write_text(text)
    with pytest.raises(ConversionsError, match=message):
        ingest_conversions(Warehouse(tmp_path / "wh"), f, "t")
    with pytest.raises(ConversionsError, match="not supported"):
        ingest_conversions(Warehouse(tmp_path / "wh"), f, "t", currency="XXX")


def test_campaign_daily_shows_ga4_beside_the_shop(analyst_wh) -> None:  # type: ignore[no-untyped-def]
    wh = Warehouse(analyst_wh.root)
    for p in analyst_wh.ga4_rows:
        rows = query(
            wh,
            f"""select web_sessions, web_conversions, web_revenue, currency, revenue, orders
            from campaign_daily where dt = '{LAST}' and campaign_id = '{p["campaign_id"]}'
                and platform = '{p["platform"]}' and account_id = '{p["account_id"]}'""",
        ).to_pylist()
        assert len(rows) == 1, p
        r = rows[0]
        assert r["web_sessions"] == p["sessions"] and r["web_conversions"] == p["conversions"]
        expected = p["revenue"] * USD_PER_UNIT["USD"] / USD_PER_UNIT[r["currency"]]
        assert r["web_revenue"] == pytest.approx(expected, rel=1e-6)
    totals = query(wh, "select sum(web_sessions) as s from campaign_daily").column("s")[0].as_py()
    assert totals == sum(p["sessions"] for p in analyst_wh.ga4_rows)  # organic rows match none
    staged = query(wh, "select sum(sessions) as s from stg_ga4_conversions").column("s")[0].as_py()
    assert staged == totals + 5000  # the unmatched row stays in staging


def test_cli_ingest_conversions(tmp_path: Path, analyst_wh) -> None:  # type: ignore[no-untyped-def]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUT_", "AIRFLOW"))}
    env = {**base, "CLOUT_WAREHOUSE": str(tmp_path / "wh")}
    ok = subprocess.run([sys.executable, "-m", "pipeline.cli", "ingest", "conversions",
                         str(analyst_wh.ga4_file)], env=env, capture_output=True, text=True,
                        timeout=120, cwd=tmp_path)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert f"{LAST}: 3 rows -> 3 staged" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "pipeline.cli", "ingest", "conversions",
                          str(tmp_path / "missing.csv")], env=env, capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "file not found" in bad.stderr
