"""The compiled suite rules inside staging's own query (pipeline.staging.engine.stage_rows): raw text
rows in, typed rows and quarantined rows with their reasons out."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
from rulecheck import RUN_TS

from pipeline.contracts import LINEAGE_FIELDS, SOURCE_TABLES
from pipeline.staging.engine import connect, stage_rows
from pipeline.staging.rules import schema_rules
from pipeline.staging.suites import quarantine_records, set_parameters, suite_rules


def load_raw(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """``raw_rows`` as staging reads them: every field as text, plus lineage and position."""
    fields = [f.name for f in SOURCE_TABLES[table].schema]
    data: dict[str, list[Any]] = {n: ["run-1"] * len(rows) for n in LINEAGE_FIELDS}
    data["_extracted_at"] = ["2026-03-02T00:00:00Z"] * len(rows)
    data["_page"] = [0] * len(rows)
    data["_file"] = ["f.jsonl"] * len(rows)
    data["_pos"] = list(range(1, len(rows) + 1))
    for n in fields:
        data[f"r_{n}"] = [None if r.get(n) is None else str(r[n]) for r in rows]
    con.register("raw_arrow", pa.table(data))
    con.execute("create or replace temp table raw_rows as select * from raw_arrow")


def reasons(quarantined: pa.Table, column: str) -> list[tuple[str, str]]:
    """(value of ``column``, ``_reasons``) of each quarantined row, sorted."""
    pairs = zip(quarantined[column].to_pylist(), quarantined["_reasons"].to_pylist(), strict=True)
    return sorted(pairs)


def share(dimension: str, bucket: str, value: Any, account: str = "a") -> dict[str, Any]:
    return {
        "platform": "instagram", "account_id": account, "dimension": dimension,
        "bucket": bucket, "share": value,
    }  # fmt: skip


def test_audience_rows_are_quarantined_with_suite_reasons() -> None:
    con = connect()
    set_parameters(con, RUN_TS)
    load_raw(
        con,
        "audience",
        [
            share("gender", "female", 0.6),
            share("gender", "male", 0.4),
            share("gender", "male", 0.4),  # the same bucket again (a repeated page)
            share("age", "18-24", 0.6),
            share("age", "25-34", 0.6),  # age sums to 1.2
            share("zodiac", "leo", 1.0),
            share("gender", "female", "abc", account="b"),
            share("gender", "male", 1.0, account="b"),
        ],
    )
    rules = schema_rules(SOURCE_TABLES["audience"]) + suite_rules("audience")
    staged, quarantined, duplicates = stage_rows(con, SOURCE_TABLES["audience"], rules)
    sum_rule = "expect_column_values_to_be_between:share_sum_of_dimension"
    assert reasons(quarantined, "bucket") == [
        ("18-24", sum_rule),
        ("25-34", sum_rule),
        ("female", "type:share"),
        ("leo", "expect_column_values_to_be_in_set:dimension"),
    ]
    assert (staged.num_rows, duplicates) == (3, 1)

    con.register("quarantined_rows", quarantined)
    records = {
        r.expectation: r
        for r in quarantine_records(
            con, "quarantined_rows", "audience", RUN_TS.date(), "run-1", rules, element_count=8
        )
    }
    assert records[sum_rule].unexpected_count == 2
    assert records[sum_rule].element_count == 8
    assert records["expect_column_values_to_be_in_set:platform"].success


def test_post_reasons_name_every_failed_expectation() -> None:
    con = connect()
    set_parameters(con, RUN_TS)
    post = {"platform": "tiktok", "post_id": "p1", "account_id": "a", "media_type": "video"}
    load_raw(
        con,
        "posts",
        [
            {**post, "published_at": "2026-03-01T10:00:00Z", "likes": 5},
            {**post, "post_id": "p2", "published_at": "2026-03-09T10:00:00Z", "likes": -5},
            {**post, "post_id": "p3", "published_at": "2026-03-01T10:00:00Z", "likes": "many"},
        ],
    )
    rules = schema_rules(SOURCE_TABLES["posts"]) + suite_rules("posts")
    staged, quarantined, _ = stage_rows(con, SOURCE_TABLES["posts"], rules)
    assert staged["post_id"].to_pylist() == ["p1"]
    assert reasons(quarantined, "post_id") == [
        (
            "p2",
            "expect_column_values_to_be_between:likes;"
            "expect_column_values_to_be_between:published_at",
        ),
        ("p3", "type:likes"),
    ]
