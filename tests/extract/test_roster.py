"""The roster file (CSV, YAML), the accounts of stg_influencer_lists, and CLOUT_SOURCES."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.contracts import STG_INFLUENCER_LISTS
from pipeline.extract.roster import (
    LISTS_ORIGIN,
    RosterError,
    for_platform,
    load_roster,
    read_influencer_lists,
    read_roster,
    roster_from_lists,
)
from pipeline.extract.sources.base import SourceConfigError, parse_sources
from pipeline.warehouse.storage import Partition, Warehouse

DAY = date(2026, 3, 1)


def test_csv_roster_rows_by_id_handle_and_invalid(tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text(
        "\ufeffplatform,account_id,handle,category\n"
        "youtube,UCabc,,tech\n"
        "Instagram,,@anna.style,fashion\n"
        "tiktok,,,\n"
        "myspace,42,,\n"
    )
    rows = read_roster(f)
    assert [(r.platform, r.ref, r.account_id, r.handle, r.category, r.status) for r in rows] == [
        ("youtube", "UCabc", "UCabc", None, "tech", "unchecked"),
        ("instagram", "@anna.style", None, "anna.style", "fashion", "unchecked"),
        ("tiktok", "(none)", None, None, None, "invalid"),
        ("myspace", "42", "42", None, None, "invalid"),
    ]
    assert rows[2].reason == "the row names neither an account_id nor a handle"
    assert rows[3].reason and "'myspace' is not one of" in rows[3].reason
    assert [r.ref for r in for_platform(rows, "tiktok")] == []  # invalid rows are never asked


def test_yaml_roster(tmp_path: Path) -> None:
    f = tmp_path / "roster.yaml"
    f.write_text(
        "accounts:\n"
        "  - {platform: tiktok, handle: chef.lina, category: food}\n"
        "  - {platform: youtube, account_id: UCxyz}\n"
    )
    rows = read_roster(f)
    assert [(r.platform, r.ref, r.origin) for r in rows] == [
        ("tiktok", "@chef.lina", str(f)), ("youtube", "UCxyz", str(f))]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [("r.csv", "account_id,handle\n1,a\n", "no 'platform' column"),
     ("r.yaml", "just: text\n", "expected a list of accounts"),
     ("r.yaml", "[unclosed\n", "not valid YAML"),
     ("r.txt", "x", "expected a .csv, .yaml or .yml file")],
)  # fmt: skip
def test_unreadable_rosters_say_why(tmp_path: Path, name: str, text: str, message: str) -> None:
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(RosterError, match=message):
        read_roster(f)
    with pytest.raises(RosterError, match="cannot read it"):
        read_roster(tmp_path / "missing.csv")


def test_influencer_lists_join_the_roster(tmp_path: Path) -> None:
    """stg_influencer_lists (written by `clout ingest influencers`) as of the run day."""
    assert read_influencer_lists(tmp_path, DAY) == []  # no such table: nothing
    wh = Warehouse(tmp_path)
    schema = STG_INFLUENCER_LISTS.schema
    for day, handle in (("2026-02-27", "old.one"), ("2026-02-28", "lina"), ("2026-03-02", "x")):
        row = {"platform": "tiktok", "handle": handle, "category": "food", "followers": 10,
               "source_file": "vendor.csv", "source_row": 2,
               "ingested_at": datetime(2026, 3, 2, tzinfo=UTC)}  # fmt: skip
        part = Partition.of("staging", STG_INFLUENCER_LISTS.name, day, source="vendor")
        wh.write_table(part, pa.Table.from_pylist([row], schema=schema), "run-1")
    lists = read_influencer_lists(tmp_path, DAY)
    assert lists == [{"platform": "tiktok", "handle": "lina", "account_id": None,
                      "category": "food"}]  # fmt: skip
    entries = roster_from_lists(lists)
    assert [(e.ref, e.origin) for e in entries] == [("@lina", LISTS_ORIGIN)]
    f = tmp_path / "roster.csv"
    f.write_text("platform,handle\ntiktok,lina\nyoutube,@chan\n")
    # the file first; an account in both once
    assert [(e.platform, e.ref, e.origin) for e in load_roster(f, tmp_path, DAY)] == [
        ("tiktok", "@lina", str(f)), ("youtube", "@chan", str(f))]  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("clout", {"instagram": "clout", "tiktok": "clout", "youtube": "clout"}),
     ("youtube", {"youtube": "youtube"}),
     ("youtube, clout", {"instagram": "clout", "tiktok": "clout", "youtube": "youtube"}),
     ("instagram=instagram_graph,tiktok=clout",
      {"instagram": "instagram_graph", "tiktok": "clout"}),
     ("instagram_graph,tiktok,youtube",
      {"instagram": "instagram_graph", "tiktok": "tiktok", "youtube": "youtube"})],
)  # fmt: skip
def test_sources_setting(spec: str, expected: dict[str, str]) -> None:
    assert parse_sources(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [("", "empty"), ("vk", "unknown source 'vk'"), ("snapchat=clout", "unknown platform"),
     ("youtube=tiktok", "reads tiktok, not youtube")],
)  # fmt: skip
def test_bad_sources_setting(spec: str, message: str) -> None:
    with pytest.raises(SourceConfigError, match=message):
        parse_sources(spec)
