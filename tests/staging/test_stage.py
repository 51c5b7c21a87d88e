"""Staging on small hand-written raw pages: casts, quarantine, dedup, reconciliation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.extract.platform_api import wrap_page
from pipeline.staging.engine import ContractBreak, StageError
from pipeline.staging.pages import stage_table
from pipeline.warehouse.storage import Partition, Warehouse

DT = date(2026, 3, 1)


def land(wh: Warehouse, table: str, pages: list[Any], platform: str = "instagram") -> None:
    """Write raw pages as the extractor does (bodies given as JSON values or raw bytes)."""
    part = Partition.of("raw", table, DT, platform=platform)
    rows = 0
    with wh.staging_dir() as tmp:
        work = tmp / "p"
        work.mkdir()
        with (work / "part-0.jsonl").open("wb") as fh:
            for i, page in enumerate(pages):
                body = page if isinstance(page, bytes) else json.dumps(page).encode()
                rows += len(json.loads(body)["data"])
                fh.write(wrap_page(body, "run-1", f"2026-03-02T00:00:0{i}Z", "test", i))
        wh.publish_dir(part, work, "run-1", rows=rows)


def account(i: int, **over: Any) -> dict[str, Any]:
    row = {
        "platform": "instagram",
        "account_id": str(i),
        "handle": f"h{i}",
        "display_name": "N",
        "category": "food",
        "country": "US",
        "language": "en",
        "followers": 1000 + i,
        "following": 10,
        "media_count": 5,
        "is_verified": False,
        "is_private": False,
        "biography_length": 3,
        "created_at": "2020-01-01T00:00:00Z",
    }
    row.update(over)
    return row


def staged(wh: Warehouse, table: str) -> list[dict[str, Any]]:
    return wh.read_partition(Partition.of("staging", f"stg_{table}", DT)).to_pylist()


def quarantined(wh: Warehouse, table: str) -> list[dict[str, Any]]:
    return wh.read_partition(Partition.of("quarantine", table, DT)).to_pylist()


def test_clean_rows_are_typed(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    land(wh, "accounts", [{"data": [account(1), account(2)], "next_cursor": None}])
    r = stage_table(wh, "accounts", DT, "run-1")
    assert (r.raw_rows, r.staged_rows, r.quarantined_rows, r.duplicate_rows) == (2, 2, 0, 0)
    rows = staged(wh, "accounts")
    assert rows[0]["followers"] == 1001 and rows[0]["is_private"] is False
    assert rows[0]["created_at"].isoformat() == "2020-01-01T00:00:00+00:00"


def test_bad_values_are_quarantined_with_reasons(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    rows = [
        account(1, followers="12k"),
        account(2, followers=99999999999999999999999),
        account(3, created_at="2020-01-01T00:00:00"),  # no time zone
        account(4, account_id=""),
        account(5, is_private="maybe"),
        account(6, handle="🦄 ünïcödé"),
    ]
    land(wh, "accounts", [{"data": rows, "next_cursor": None}])
    r = stage_table(wh, "accounts", DT, "run-1")
    assert (r.staged_rows, r.quarantined_rows) == (1, 5)
    assert staged(wh, "accounts")[0]["handle"] == "🦄 ünïcödé"
    reasons = {q["handle"]: q["_reasons"] for q in quarantined(wh, "accounts")}
    assert reasons == {
        "h1": "type:followers",
        "h2": "type:followers",
        "h3": "type:created_at",
        "h4": "required:account_id",
        "h5": "type:is_private",
    }
    q = quarantined(wh, "accounts")[0]
    assert q["followers"] == "12k" and q["_page"] == 0 and q["_pos"] == 1


def test_duplicates_within_and_across_pages_keep_the_latest(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    land(
        wh,
        "accounts",
        [
            {"data": [account(1, followers=1), account(1, followers=2)], "next_cursor": "c"},
            {"data": [account(1, followers=3), account(2)], "next_cursor": None},
        ],
    )
    r = stage_table(wh, "accounts", DT, "run-1")
    assert (r.raw_rows, r.staged_rows, r.duplicate_rows) == (4, 2, 2)
    assert staged(wh, "accounts")[0]["followers"] == 3


def test_survivors_keep_the_served_order(tmp_path: Path) -> None:
    # dedup and the row rules only mark rows: the staged file lists the kept rows as served
    wh = Warehouse(tmp_path)
    land(
        wh,
        "accounts",
        [
            {"data": [account(3), account(1, followers=1), account(5)], "next_cursor": "c"},
            {"data": [account(2), account(4, followers=-1), account(1, followers=9)]},
        ],
    )
    r = stage_table(wh, "accounts", DT, "run-1")
    assert (r.staged_rows, r.quarantined_rows, r.duplicate_rows) == (4, 1, 1)
    assert [(a["account_id"], a["followers"]) for a in staged(wh, "accounts")] == [
        ("3", 1003), ("5", 1005), ("2", 1002), ("1", 9)
    ]  # fmt: skip


def test_empty_day_is_valid(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    land(wh, "accounts", [{"data": [], "next_cursor": None}])
    r = stage_table(wh, "accounts", DT, "run-1")
    assert r.raw_rows == r.staged_rows == 0
    assert staged(wh, "accounts") == []


def test_missing_required_column_fails_naming_it(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    rows = [{k: v for k, v in account(i).items() if k != "followers"} for i in range(3)]
    land(wh, "accounts", [{"data": rows, "next_cursor": None}])
    with pytest.raises(ContractBreak, match="accounts 2026-03-01: required column.*followers"):
        stage_table(wh, "accounts", DT, "run-1")


def test_no_raw_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StageError, match="no raw data landed"):
        stage_table(Warehouse(tmp_path), "accounts", DT, "run-1")


def test_restaging_gives_identical_rows(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    land(wh, "accounts", [{"data": [account(2), account(1), account(1)], "next_cursor": None}])
    stage_table(wh, "accounts", DT, "run-1")
    first = wh.read_partition(Partition.of("staging", "stg_accounts", DT))
    stage_table(wh, "accounts", DT, "run-2")
    second = wh.read_partition(Partition.of("staging", "stg_accounts", DT))
    assert first.equals(second) and first.num_rows == 2


def test_a_page_above_the_read_buffer_is_staged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page longer than ``PAGE_BYTES`` (DuckDB's JSON buffer) fails the first read; the day is
    read again with ``MAX_PAGE_BYTES`` and staged whole."""
    from pipeline.staging import pages

    monkeypatch.setattr(pages, "PAGE_BYTES", 1 << 20)  # DuckDB reads at least 16 MiB at once
    reads: list[int | None] = []
    load = pages.load_pages

    def spy(
        con: Any, table: Any, files: Any, origin: Any = None, max_page: int | None = None
    ) -> None:
        reads.append(max_page)
        load(con, table, files, origin, max_page)

    monkeypatch.setattr(pages, "load_pages", spy)
    wh = Warehouse(tmp_path)
    rows = [account(i, display_name="N" * 800) for i in range(40_000)]
    land(wh, "accounts", [{"data": rows[:10], "next_cursor": "a"}, {"data": rows[10:]}])
    assert (wh.path(Partition.of("raw", "accounts", DT)) / "platform=instagram" / "part-0.jsonl"
            ).stat().st_size > 33 << 20  # fmt: skip
    result = stage_table(wh, "accounts", DT, "run-1")
    assert result.staged_rows == 40_000 and result.quarantined_rows == 0
    assert [r["account_id"] for r in staged(wh, "accounts")[-2:]] == ["39998", "39999"]
    assert reads == [None, pages.MAX_PAGE_BYTES]  # the default buffer failed, the larger one read
