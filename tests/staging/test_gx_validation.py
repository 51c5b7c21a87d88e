"""The real GX suites on small staged tables: records, counts, empty days, Data Docs."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from rulecheck import RUN_TS, flagged

from pipeline.contracts import SOURCE_TABLES
from pipeline.staging.compile import suite_rules
from pipeline.staging.gx import validate_with_gx
from pipeline.staging.results import (
    VALIDATION_RESULTS_SCHEMA,
    ValidationRecord,
    contract_failures,
    records_to_table,
)
from pipeline.staging.suites import expectation_name, load_suite

DT = date(2026, 3, 1)
BETWEEN = "expect_column_values_to_be_between:"


def post(i: int, **over: Any) -> dict[str, Any]:
    row = {
        "platform": "instagram", "post_id": f"p{i}", "account_id": "a1",
        "published_at": RUN_TS - timedelta(days=1), "media_type": "reel", "is_sponsored": False,
        "campaign_id": None, "promo_code": None, "likes": 10 * i, "comments": i, "shares": None,
        "saves": 0, "views": 1000,
    }  # fmt: skip
    row.update(over)
    return row


def staged(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SOURCE_TABLES[table].schema)


def by_name(records: list[ValidationRecord]) -> dict[str, ValidationRecord]:
    return {r.expectation: r for r in records}


def failed(records: list[ValidationRecord]) -> dict[str, int | None]:
    return {r.expectation: r.unexpected_count for r in records if not r.success}


def test_clean_posts_pass_every_expectation() -> None:
    records = validate_with_gx(
        "posts", staged("posts", [post(i) for i in range(5)]), DT, "run-1", run_ts=RUN_TS
    )
    suite = load_suite("posts")
    assert [r.expectation for r in records] == [expectation_name(e) for e in suite["expectations"]]
    assert failed(records) == {}
    assert {(r.run_id, r.table, r.dt, r.element_count, r.source) for r in records} == {
        ("run-1", "posts", DT, 5, "gx")
    }
    assert by_name(records)["expect_column_values_to_be_of_type:likes"].unexpected_count is None
    assert by_name(records)[BETWEEN + "likes"].severity == "row"
    assert (
        by_name(records)["expect_compound_columns_to_be_unique:platform,post_id"].severity
        == "contract"
    )


def test_bad_posts_report_the_right_counts() -> None:
    rows = [
        post(0),
        post(1, likes=-1, comments=-2),
        post(2, likes=-3, platform="myspace"),
        post(3, published_at=RUN_TS + timedelta(minutes=5), media_type="hologram"),
        post(3),  # the same key again: staging would never let this through
    ]
    records = validate_with_gx("posts", staged("posts", rows), DT, "run-1", run_ts=RUN_TS)
    assert failed(records) == {
        "expect_column_values_to_be_in_set:platform": 1,
        "expect_column_values_to_be_in_set:media_type": 1,
        BETWEEN + "likes": 2,
        BETWEEN + "comments": 1,
        BETWEEN + "published_at": 1,
        "expect_compound_columns_to_be_unique:platform,post_id": 2,
    }
    assert [r.expectation for r in contract_failures(records)] == [
        "expect_compound_columns_to_be_unique:platform,post_id"
    ]


def test_gx_and_the_compiled_rules_agree() -> None:
    """The same typed rows: GX's unexpected count of each row expectation equals the number of
    rows its compiled quarantine rule flags."""
    rows = [
        {"platform": "tiktok", "account_id": "a", "dimension": "age", "bucket": "18-24", "share": 0.7},
        {"platform": "tiktok", "account_id": "a", "dimension": "age", "bucket": "25-34", "share": 0.7},
        {"platform": "tiktok", "account_id": "a", "dimension": "gender", "bucket": "f", "share": 1.0},
        {"platform": "bebo", "account_id": "b", "dimension": "zodiac", "bucket": "leo", "share": 1.5},
        {"platform": "youtube", "account_id": "c", "dimension": "interest", "bucket": "x", "share": -0.2},
    ]  # fmt: skip
    data = staged("audience", rows)
    gx = by_name(validate_with_gx("audience", data, DT, "run-1", run_ts=RUN_TS))
    with_id = data.add_column(0, "id", pa.array(range(data.num_rows), pa.int64()))
    counts = {r.name: len(flagged(r, with_id)) for r in suite_rules("audience")}
    assert counts == {name: gx[name].unexpected_count for name in counts}
    assert counts == {
        "expect_column_values_to_be_in_set:platform": 1,
        "expect_column_values_to_be_in_set:dimension": 1,
        BETWEEN + "share": 2,
        BETWEEN + "share_sum_of_dimension": 4,
    }


@pytest.mark.parametrize("table", list(SOURCE_TABLES))
def test_an_empty_day_passes(table: str) -> None:
    records = validate_with_gx(table, staged(table, []), DT, "run-1", run_ts=RUN_TS)
    assert len(records) == len(load_suite(table)["expectations"])
    assert failed(records) == {}
    assert {r.element_count for r in records} == {0}


def test_a_missing_column_breaks_the_contract() -> None:
    data = staged("posts", [post(1)]).drop_columns(["views"])
    records = validate_with_gx("posts", data, DT, "run-1", run_ts=RUN_TS)
    assert "expect_column_values_to_be_of_type:views" in [
        r.expectation for r in contract_failures(records)
    ]


def test_run_ts_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        validate_with_gx(
            "posts", staged("posts", []), DT, "run-1", run_ts=RUN_TS.replace(tzinfo=None)
        )


def test_data_docs_are_written(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    validate_with_gx("posts", staged("posts", [post(1)]), DT, "run-7", docs, run_ts=RUN_TS)
    validate_with_gx("accounts", staged("accounts", []), DT, "run-7", docs, run_ts=RUN_TS)
    index = (docs / "index.html").read_text()
    pages = sorted(p.relative_to(docs).as_posix() for p in (docs / "validations").rglob("*.html"))
    assert [p.split("/")[:3] for p in pages] == [
        ["validations", "accounts", "run-7"],
        ["validations", "posts", "run-7"],
    ]
    assert all(p in index for p in pages)  # the index lists the runs of both tables
    assert (docs / "expectations" / "audience.html").exists()


def test_data_docs_render_only_the_new_result(tmp_path: Path) -> None:
    """A later validation adds its own page and leaves earlier pages as they were written."""
    docs = tmp_path / "docs"
    validate_with_gx("posts", staged("posts", [post(1)]), DT, "run-1", docs, run_ts=RUN_TS)
    [first] = (docs / "validations").rglob("*.html")
    first.write_text("kept as written")  # a re-render would overwrite it
    validate_with_gx("posts", staged("posts", [post(2)]), DT, "run-2", docs, run_ts=RUN_TS)
    pages = sorted((docs / "validations").rglob("*.html"))
    assert len(pages) == 2 and first.read_text() == "kept as written"
    index = (docs / "index.html").read_text()
    assert all(p.relative_to(docs).as_posix() in index for p in pages)


def test_suite_pages_are_rendered_again_only_when_their_suite_changes(tmp_path: Path) -> None:
    """Each suite's page is rendered once per Data Docs site, and again after its suite changed
    (or the page went missing), not on every validation."""
    import json
    import shutil

    from pipeline.staging.suites import suite_path

    suites = tmp_path / "suites"
    suites.mkdir()
    for name in SOURCE_TABLES:
        shutil.copy(suite_path(name), suites / suite_path(name).name)
    docs = tmp_path / "docs"

    def validate(run: str) -> None:
        rows = staged("posts", [post(1)])
        validate_with_gx("posts", rows, DT, run, docs, run_ts=RUN_TS, directory=suites)

    validate("run-1")
    pages = {n: docs / "expectations" / f"{n}.html" for n in SOURCE_TABLES}
    assert all(p.exists() for p in pages.values())
    for p in pages.values():
        p.write_text("kept as written")
    validate("run-2")
    assert all(p.read_text() == "kept as written" for p in pages.values())

    changed = json.loads((suites / "accounts.json").read_text())
    changed["notes"] = "a new note"
    (suites / "accounts.json").write_text(json.dumps(changed))
    pages["audience"].unlink()
    validate("run-3")
    again = {n for n, p in pages.items() if p.read_text() != "kept as written"}
    assert again == {"accounts", "audience"}
    assert "a new note" in pages["accounts"].read_text()


def test_stored_results_wait_for_render_data_docs(tmp_path: Path) -> None:
    """The nightly run stores each table's result and renders the site once, at publish: every
    result without a page gets one, and a second render has nothing to do."""
    from pipeline.staging.gx import render_data_docs

    docs = tmp_path / "docs"
    for n, table in enumerate(["posts", "accounts"]):
        rows = staged(table, [post(1)] if table == "posts" else [])
        validate_with_gx(table, rows, DT, f"run-{n}", docs, run_ts=RUN_TS, render_docs=False)
    assert not (docs / "validations").exists() and not (docs / "index.html").exists()
    assert render_data_docs(docs) == 2
    pages = sorted(p.relative_to(docs).as_posix() for p in (docs / "validations").rglob("*.html"))
    assert [p.split("/")[:3] for p in pages] == [
        ["validations", "accounts", "run-1"],
        ["validations", "posts", "run-0"],
    ]
    index = (docs / "index.html").read_text()
    assert all(p in index for p in pages)
    assert render_data_docs(docs) == 0
    # a retry of a run replaces its stored result: its page is rendered again
    (docs / pages[1]).write_text("the first attempt")
    rows = staged("posts", [post(2)])
    validate_with_gx("posts", rows, DT, "run-0", docs, run_ts=RUN_TS, render_docs=False)
    assert render_data_docs(docs) == 1
    assert (docs / pages[1]).read_text() != "the first attempt"


def test_records_to_table() -> None:
    records = validate_with_gx("posts", staged("posts", [post(1)]), DT, "run-1", run_ts=RUN_TS)
    table = records_to_table(records)
    assert table.schema == VALIDATION_RESULTS_SCHEMA
    assert table.num_rows == len(records)
    row = table.filter(pc.equal(table["expectation"], BETWEEN + "likes")).to_pylist()[0]
    assert row == {
        "run_id": "run-1", "table": "posts", "dt": DT, "expectation": BETWEEN + "likes",
        "severity": "row", "success": True, "unexpected_count": 0, "element_count": 1,
        "source": "gx",
    }  # fmt: skip
    assert records_to_table([]).schema == VALIDATION_RESULTS_SCHEMA


def test_the_validated_frame_is_freed_when_the_run_returns(tmp_path: Path) -> None:
    """GX keeps its last context (with the frame in its batch cache) globally: the frame of one
    table must not stay in memory while the next one is validated."""
    import gc

    import pandas as pd

    rows = 1_234
    validate_with_gx(
        "posts", staged("posts", [post(i) for i in range(rows)]), DT, "run-1", tmp_path,
        run_ts=RUN_TS,
    )  # fmt: skip
    alive = [o for o in gc.get_objects() if type(o) is pd.DataFrame and len(o) == rows]
    assert alive == []
