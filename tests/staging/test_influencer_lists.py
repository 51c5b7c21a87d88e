"""clout ingest influencers: agency and vendor lists (files under tests/data/exports) staged as
stg_influencer_lists, bad rows quarantined with file/row/field, counts reconciled."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline.extract.influencer_lists import InfluencerListError
from pipeline.extract.pii import pseudonymise
from pipeline.staging.influencer_lists import InfluencerListResult, ingest_influencer_list
from pipeline.warehouse.catalog import query
from pipeline.warehouse.storage import Warehouse

EXPORTS = Path(__file__).parents[1] / "data" / "exports"
D = dt.date(2026, 3, 1)
KEY = b"test-pii-key-0123456789"


def _ingest(tmp_path: Path, name: str, **kw: Any) -> tuple[InfluencerListResult, list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    wh = Warehouse(tmp_path / "wh")
    r = ingest_influencer_list(wh, EXPORTS / name, D, "r1", KEY, **kw)
    assert r.rows == r.staged_rows + r.quarantined_rows + r.duplicate_rows
    assert r.records == r.rows + r.blank_rows
    staged = query(wh, "select * from stg_influencer_lists order by source_row").to_pylist()
    bad = query(wh, "select * from quarantine_influencer_lists order by _pos").to_pylist()
    return r, staged, bad


def _pick(rows: list[dict[str, Any]], *cols: str) -> list[tuple[Any, ...]]:
    return [tuple(r[c] for c in cols) for r in rows]


def test_bom_title_line_and_unknown_columns(tmp_path: Path) -> None:
    assert (EXPORTS / "influencers_bom_title.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    r, staged, bad = _ingest(tmp_path, "influencers_bom_title.csv")
    assert (r.rows, r.staged_rows, bad) == (3, 3, [])
    assert _pick(staged, "platform", "handle", "display_name", "category", "country") == [
        ("instagram", "anna.berg", "Anna Berg", "fashion", "DE"),  # platform: "Instagram Handle"
        ("instagram", "benortiz", "Ben Ortiz", "fitness", "US"),  # first of "Fitness, Food"
        ("instagram", "cleopark", "Cleo Park", "beauty", "GB"),  # handle from a profile URL
    ]
    assert _pick(staged, "followers", "engagement_rate") == [
        (12_400, 0.031), (8_200, 0.024), (1_100_000, 0.012)
    ]  # fmt: skip
    # e-mails: only keyed hashes of the trimmed, lower-cased address reach the warehouse
    assert [s["email"] for s in staged] == [
        *pseudonymise(["anna@example.com", "ben@example.com"], KEY), None
    ]  # fmt: skip
    assert [json.loads(s["extra"]) if s["extra"] else None for s in staged] == [
        {"Notes": "shot in Berlin"}, None, {"Notes": "agency: Nova"}
    ]  # fmt: skip
    assert [s["source_row"] for s in staged] == [4, 5, 6]  # the spreadsheet's row numbers
    assert {(s["source"], s["source_file"], s["dt"]) for s in staged} == {
        ("influencers_bom_title", str(EXPORTS / "influencers_bom_title.csv"), D)
    }


def test_k_m_b_suffixes(tmp_path: Path) -> None:
    _, staged, bad = _ingest(tmp_path, "influencers_suffixes.csv")
    assert bad == []
    assert _pick(staged, "platform", "handle", "followers", "following", "avg_likes", "avg_views") == [
        ("instagram", "lena.moves", 48_700, 612, 1_900.0, None),
        ("tiktok", "kofi.cooks", 3_400_000, 210, 215_000.0, 1_200_000.0),
        ("youtube", "cocomelonclips", 1_100_000_000, 0, None, 98_500_000.0),
        ("instagram", "travelwithtom", 920, 1_100, 41.0, None),  # platform "IG"
    ]  # fmt: skip


def test_percent_strings(tmp_path: Path) -> None:
    _, staged, bad = _ingest(tmp_path, "influencers_percent.csv")
    assert bad == []
    assert _pick(staged, "handle", "engagement_rate") == [
        ("mira.styles", 0.045), ("jonas.fit", 0.045), ("pia.eats", 0.008), ("sam.games", 0.12)
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["influencers_er_points.csv", "influencers_er_fractions.csv"])
def test_engagement_rate_points_or_fractions(tmp_path: Path, name: str) -> None:
    # "ER (%)" holding 4.5 and 0.8 is percentage points; a plain column of 0.045 are fractions
    _, staged, _ = _ingest(tmp_path, name)
    assert _pick(staged, "handle", "engagement_rate") == [
        ("mira.styles", 0.045),
        ("jonas.fit", 0.008),
    ]


def test_locale_thousands_separators_and_decimal_commas(tmp_path: Path) -> None:
    # semicolons, German headers, 12.345 / 12 345 / 12'345 / 1.234.567, "1,1 Mio", "4,5 %"
    _, staged, bad = _ingest(tmp_path, "influencers_de_locale.csv")
    assert bad == []
    assert _pick(staged, "handle", "platform", "followers", "engagement_rate", "country") == [
        ("julia.kocht", "instagram", 12_345, 0.045, "DE"),
        ("max.reist", "youtube", 1_100_000, 0.021, "AT"),
        ("lea.liest", "instagram", 12_345, 0.03, "DE"),
        ("nico.zh", "tiktok", 12_345, 0.0125, "CH"),
        ("ole.fit", "instagram", 1_234_567, 0.009, "DE"),
        ("ana.mode", "instagram", 8_200, 0.05, "AT"),
    ]


def test_missing_markers_are_null(tmp_path: Path) -> None:
    _, staged, bad = _ingest(tmp_path, "influencers_missing.csv")
    assert bad == []
    assert _pick(staged, "handle", "following", "engagement_rate", "avg_likes", "country") == [
        ("nadia.art", None, 0.022, None, None),  # N/A, n/a, -
        ("omar.runs", None, None, 310.0, "FR"),  # -, an em dash
        ("pau.plays", None, None, None, "ES"),  # empty, N/A, an em dash
    ]
    assert [s["email"] is None for s in staged] == [False, True, True]


def test_multi_line_quoted_headers(tmp_path: Path) -> None:
    assert '"Engagement\nRate (%)"' in (EXPORTS / "influencers_multiline_header.csv").read_text()
    _, staged, bad = _ingest(tmp_path, "influencers_multiline_header.csv")
    assert bad == []
    assert _pick(staged, "handle", "followers", "engagement_rate", "avg_likes", "avg_views") == [
        ("rosa.vidal", 64_200, 0.034, 2_180.0, 18_900.0),
        ("theo.lang", 9_750, 0.061, 590.0, 4_020.0),
    ]
    assert json.loads(staged[0]["extra"]) == {"Rate card (EUR)": "1,200"}


def test_mislabelled_columns_are_quarantined_and_reported(tmp_path: Path) -> None:
    # "Followers" holds percentages and "Engagement Rate" holds counts: nothing loads silently
    r, staged, bad = _ingest(tmp_path, "influencers_mislabelled.csv")
    assert (r.staged_rows, r.quarantined_rows, staged) == (0, 4, [])
    assert {b["_reasons"] for b in bad} == {"type:followers;range:engagement_rate"}
    assert [b["followers"] for b in bad] == ["3.2%", "4.8%", "2.1%", "1.9%"]  # the raw text
    assert len(r.warnings) == 2
    assert "'Followers' read as followers: 4 of 4 values" in r.warnings[0]
    assert "percentages" in r.warnings[0] and "--mapping" in r.warnings[0]
    assert "'Engagement Rate' read as engagement_rate: 4 of 4" in r.warnings[1]
    assert (
        r.problems[0] == "influencers_mislabelled.csv row 2: type:followers;range:engagement_rate"
    )
    # the counts of each rule are in validation_results too
    results = query(
        Warehouse(tmp_path / "wh"),
        "select expectation, unexpected_count, element_count from validation_results "
        "where \"table\" = 'influencer_lists' and not success order by expectation",
    ).to_pylist()
    assert results == [
        {"expectation": "range:engagement_rate", "unexpected_count": 4, "element_count": 4},
        {"expectation": "type:followers", "unexpected_count": 4, "element_count": 4},
    ]


def test_mapping_file_overrides_the_guess(tmp_path: Path) -> None:
    # the same file with a mapping saying which column holds what
    (tmp_path / "m.yaml").write_text(
        "columns:\n  followers: Engagement Rate\n  engagement_rate: Followers\n"
    )
    r, staged, _ = _ingest(tmp_path, "influencers_mislabelled.csv", mapping=tmp_path / "m.yaml")
    assert (r.staged_rows, r.warnings) == (4, [])
    assert _pick(staged, "handle", "followers", "engagement_rate")[0] == (
        "ivy.cooks",
        12_400,
        0.032,
    )
    (tmp_path / "bad.yaml").write_text("columns: {followers: Fans}\n")
    with pytest.raises(InfluencerListError, match="mapping names 'Fans' for followers"):
        _ingest(tmp_path, "influencers_mislabelled.csv", mapping=tmp_path / "bad.yaml")
    (tmp_path / "unknown.yaml").write_text("columns: {likes: Likes}\n")
    with pytest.raises(InfluencerListError, match="unknown column"):
        _ingest(tmp_path, "influencers_mislabelled.csv", mapping=tmp_path / "unknown.yaml")


def test_profile_urls_give_platform_and_handle(tmp_path: Path) -> None:
    r, staged, bad = _ingest(tmp_path, "influencers_profile_urls.csv")
    assert _pick(staged, "platform", "handle", "account_id", "display_name") == [
        ("instagram", "anna.lind", None, "Anna Lind"),
        ("tiktok", "xavi.dances", None, "Xavi"),
        ("youtube", None, "UCabcdefghijklmnopqrstuv", "Kanal Eins"),  # a /channel/ URL
    ]
    assert {b["source_row"]: b["_reasons"] for b in bad} == {
        "4": "format:email",  # mo@example: no address, its text never stored
        "6": "required:handle_or_account_id;format:profile_url",  # a post link
        "7": "required:platform;required:handle_or_account_id;format:profile_url",  # "jo smith"
        "8": "required:platform;required:handle_or_account_id",  # nothing to know it by
    }
    assert bad[0]["email"] == "#invalid-email" and bad[0]["_file"] == str(
        EXPORTS / "influencers_profile_urls.csv"
    )
    assert r.problems[0] == "influencers_profile_urls.csv row 4: format:email"
    assert [b["_pos"] for b in bad] == [4, 6, 7, 8]  # the quarantine's _pos: the row in the file


def test_handles_with_at_urls_and_mismatches(tmp_path: Path) -> None:
    f = tmp_path / "l.csv"
    f.write_text(
        "Handle,Platform,Followers\n"
        "https://www.tiktok.com/@Kofi.Cooks,TikTok,10k\n"  # URL in the handle column, any case
        "@youtube_guy,YouTube,5k\n"
        "https://youtube.com/@MoTech,instagram,5k\n"  # the platform column contradicts the URL
        "anna smith,instagram,5k\n"  # no handle
        "lena.moves,myspace,5k\n"  # no platform we know
        "lena.moves,instagram,5k\n"
        "lena.moves,instagram,6k\n"  # the same influencer again: the last row wins
    )
    r = ingest_influencer_list(Warehouse(tmp_path / "wh"), f, D, "r1", KEY, platform="instagram")
    assert (r.rows, r.staged_rows, r.quarantined_rows, r.duplicate_rows) == (7, 3, 3, 1)
    wh = Warehouse(tmp_path / "wh")
    assert query(
        wh, "select platform, handle, followers from stg_influencer_lists order by 1, 2"
    ).to_pylist() == [  # fmt: skip
        {"platform": "instagram", "handle": "lena.moves", "followers": 6000},
        {"platform": "tiktok", "handle": "kofi.cooks", "followers": 10000},
        {"platform": "youtube", "handle": "youtube_guy", "followers": 5000},
    ]
    reasons = query(wh, "select handle, _reasons from quarantine_influencer_lists order by _pos")
    assert reasons.to_pylist() == [
        {"handle": "https://youtube.com/@MoTech", "_reasons": "platform:url_mismatch"},
        {"handle": "anna smith", "_reasons": "format:handle"},
        {"handle": "lena.moves", "_reasons": "in_set:platform"},
    ]


def test_shifted_rows_and_lists_without_platform(tmp_path: Path) -> None:
    f = tmp_path / "l.csv"
    f.write_text("Handle,Followers,Category\nanna,12k,Fitness, Food\nben,8k,Food\n")
    wh = Warehouse(tmp_path / "wh")
    r = ingest_influencer_list(wh, f, D, "r1", KEY)
    assert (r.staged_rows, r.quarantined_rows) == (0, 2)
    assert r.warnings == [
        "no row names its platform (no platform column, profile URL or platform in a header): "
        "give --platform instagram|tiktok|youtube"
    ]
    r = ingest_influencer_list(wh, f, D, "r2", KEY, platform="instagram")  # replaces the list
    assert (r.staged_rows, r.quarantined_rows, r.warnings) == (1, 1, [])
    bad = query(wh, "select handle, extra, _reasons, _pos from quarantine_influencer_lists")
    assert bad.to_pylist() == [{"handle": "anna", "extra": '{"_beyond_header":"Food"}',
                                "_reasons": "columns:beyond_header", "_pos": 2}]  # fmt: skip


def test_excel_mangled_account_ids(tmp_path: Path) -> None:
    _, staged, bad = _ingest(tmp_path, "influencers_profile_urls_ids.csv")
    assert _pick(staged, "account_id", "handle") == [
        ("17841400000000001", "nora.bakes"),
        ("17841400000000002", None),  # "...002.0": Excel's float, the digits intact
    ]
    assert _pick(bad, "account_id", "_reasons") == [("1.23457E+15", "format:account_id")]


def test_rerun_replaces_the_list_and_errors_name_the_file(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    for run in ("r1", "r2"):
        ingest_influencer_list(wh, EXPORTS / "influencers_suffixes.csv", D, run, KEY)
    assert query(wh, "select count(*) as n from stg_influencer_lists").to_pylist() == [{"n": 4}]
    with pytest.raises(InfluencerListError, match="missing.csv: file not found"):
        ingest_influencer_list(wh, tmp_path / "missing.csv", D, "r", KEY)
    (tmp_path / "l.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(InfluencerListError, match="save the sheet as CSV"):
        ingest_influencer_list(wh, tmp_path / "l.xlsx", D, "r", KEY)
    (tmp_path / "n.csv").write_text("Name,Notes\nAnna,hi\n")
    with pytest.raises(InfluencerListError, match="no header with a handle"):
        ingest_influencer_list(wh, tmp_path / "n.csv", D, "r", KEY)


def test_cli_ingest_influencers_then_query(tmp_path: Path) -> None:
    src = tmp_path / "agency list.csv"
    shutil.copy(EXPORTS / "influencers_de_locale.csv", src)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUT_", "AIRFLOW"))}
    env = {**base, "CLOUT_WAREHOUSE": str(tmp_path / "wh"), "CLOUT_PII_KEY": "k" * 32}

    def clout(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], env={**env, **extra},
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)  # fmt: skip

    ok = clout("ingest", "influencers", str(src), "--date", "2026-03-01")
    assert ok.returncode == 0, ok.stderr
    assert "6 rows -> 6 staged, 0 quarantined" in ok.stdout
    assert "stg_influencer_lists dt=2026-03-01 source=agency_list" in ok.stdout
    q = clout("query", "select handle, followers from stg_influencer_lists "
              "where dt = date '2026-03-01' order by followers desc limit 2", "--format", "json")  # fmt: skip
    assert q.returncode == 0, q.stderr
    assert json.loads(q.stdout) == [
        {"handle": "ole.fit", "followers": 1234567}, {"handle": "max.reist", "followers": 1100000}
    ]  # fmt: skip
    mis = clout("ingest", "influencers", str(EXPORTS / "influencers_mislabelled.csv"))
    assert mis.returncode == 0 and "0 staged, 4 quarantined" in mis.stdout
    assert "warning: column 'Followers' read as followers" in mis.stderr
    assert "quarantined: influencers_mislabelled.csv row 2: type:followers" in mis.stderr
    bad = clout("ingest", "influencers", str(tmp_path / "nope.csv"))
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "nope.csv: file not found" in bad.stderr
    nokey = clout("ingest", "influencers", str(src), CLOUT_PII_KEY="")
    assert nokey.returncode == 1 and "CLOUT_PII_KEY is not set" in nokey.stderr
