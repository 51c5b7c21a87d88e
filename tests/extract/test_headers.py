"""The one header rule of every file drop: tolerant header keys, loose matching, header rows."""

from __future__ import annotations

from pathlib import Path

from pipeline.extract.headers import (
    decode,
    find_header,
    header_key,
    loose_key,
    match_headers,
    read_csv_text,
)


def test_header_key_folds_case_spaces_underscores_punctuation_bom_and_newlines() -> None:
    for h in ("Ad ID", "ad_id", "AD-ID", "Ad\nID", "\ufeffAd Id", " ad  id ", "Ａｄ ＩＤ"):
        assert header_key(h) == "adid", h
    assert header_key("Impr.") == "impr" and header_key("Conv. value") == "convvalue"
    assert header_key(None) == "" and header_key("---") == ""
    assert loose_key("Followers\n(IG)") == "followers"
    assert loose_key("Amount spent (EUR)") == "amountspent"


def test_match_headers_exact_first_then_without_notes_leftmost_wins() -> None:
    aliases = {"spend": ("Amount spent",), "clicks": ("Link clicks", "Clicks"), "x": ("Nope",)}
    header = ["Clicks (all)", "LINK_CLICKS", "link clicks", "Amount spent (EUR)"]
    assert match_headers(header, aliases) == {"clicks": 1, "spend": 3}
    # no exact match: the column without its note, used once
    assert match_headers(["Clicks (all)", "Clicks (unique)"], aliases) == {"clicks": 0}


def test_find_header_skips_title_lines() -> None:
    rows = [["Campaign report"], ["March 1, 2026 - March 2, 2026"], ["Day", "Campaign", "Cost"]]
    aliases = {"campaign_id": ("Campaign",), "spend": ("Cost",), "day": ("Day",)}
    assert find_header(rows, aliases, ("campaign_id",)) == (
        2,
        {"campaign_id": 1, "spend": 2, "day": 0},
    )
    assert find_header(rows[:2], aliases, ("campaign_id",)) is None


def test_decode_and_read_csv_text(tmp_path: Path) -> None:
    assert decode("\ufeffa,b".encode("utf-8")) == "a,b"
    assert decode("a;b".encode("utf-16")) == "a;b"  # Excel "Unicode text": a BOM
    assert decode("Café".encode("cp1252")) == "Café"
    f = tmp_path / "x.csv"
    f.write_bytes('\ufeffName;"Engagement\nRate";Followers\nAnna;"4,5 %";12.345\n'.encode())
    assert read_csv_text(f) == [
        ["Name", "Engagement\nRate", "Followers"],
        ["Anna", "4,5 %", "12.345"],
    ]
