"""Each compiled quarantine rule flags exactly the rows GX would call unexpected."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from rulecheck import RUN_TS, flagged, rule, typed_table

from pipeline.contracts import SOURCE_TABLES
from pipeline.staging.rules import Rule
from pipeline.staging.suites import (
    SuiteError,
    compile_expectation,
    load_suite,
    quarantine_records,
    suite_rules,
)

BETWEEN = "expect_column_values_to_be_between:"
HOUR = timedelta(hours=1)


# -- the rules of the real suites ------------------------------------------------------------


def test_negative_counts() -> None:
    data = typed_table("posts", [{"likes": 3}, {"likes": -1}, {"likes": 0}, {"likes": None}])
    assert flagged(rule("posts", BETWEEN + "likes"), data) == [1]


def test_negative_spend() -> None:
    data = typed_table("delivery", [{"spend": 0.0}, {"spend": -0.01}, {"spend": 12.5}])
    assert flagged(rule("delivery", BETWEEN + "spend"), data) == [1]


@pytest.mark.parametrize("table", list(SOURCE_TABLES))
def test_unknown_platform(table: str) -> None:
    data = typed_table(
        table, [{"platform": "tiktok"}, {"platform": "myspace"}, {"platform": "TikTok"}]
    )
    assert flagged(rule(table, "expect_column_values_to_be_in_set:platform"), data) == [1, 2]


def test_unknown_media_type() -> None:
    data = typed_table("posts", [{"media_type": "reel"}, {"media_type": "hologram"}, {}])
    assert flagged(rule("posts", "expect_column_values_to_be_in_set:media_type"), data) == [1]


def test_unknown_audience_dimension() -> None:
    data = typed_table("audience", [{"dimension": "age"}, {"dimension": "zodiac"}])
    assert flagged(rule("audience", "expect_column_values_to_be_in_set:dimension"), data) == [1]


def test_share_outside_0_1() -> None:
    rows = [{"share": s} for s in (0.0, 1.0, 0.4, -0.1, 1.2)]
    assert flagged(rule("audience", BETWEEN + "share"), typed_table("audience", rows)) == [3, 4]


def test_shares_not_summing_to_1_fail_the_whole_group() -> None:
    def share(account: str, dimension: str, bucket: str, s: float, platform: str = "instagram"):
        return {
            "platform": platform, "account_id": account, "dimension": dimension,
            "bucket": bucket, "share": s,
        }  # fmt: skip

    rows = [
        share("a", "gender", "female", 0.5),  # 0: sums to 1
        share("a", "gender", "male", 0.5),  # 1
        share("a", "age", "18-24", 0.6),  # 2: 0.6 + 0.6 = 1.2
        share("a", "age", "25-34", 0.6),  # 3
        share("b", "gender", "female", 0.995),  # 4: within 0.01 of 1
        share("b", "age", "18-24", 0.97),  # 5: 0.97 is not
        share("a", "gender", "female", 0.5, platform="tiktok"),  # 6: another account's group
    ]
    assert flagged(
        rule("audience", BETWEEN + "share_sum_of_dimension"), typed_table("audience", rows)
    ) == [2, 3, 5, 6]


def test_a_bucket_served_twice_counts_once() -> None:
    """Staging checks rows before deduplicating them: a repeated page must not break the sum."""
    rows = [
        {"platform": "youtube", "account_id": "a", "dimension": "gender", "bucket": b, "share": s}
        for b, s in (("female", 0.7), ("male", 0.3), ("male", 0.3))
    ]
    name = BETWEEN + "share_sum_of_dimension"
    assert flagged(rule("audience", name), typed_table("audience", rows)) == []


@pytest.mark.parametrize(
    ("table", "column"), [("posts", "published_at"), ("accounts", "created_at")]
)
def test_timestamp_in_the_future_of_the_run(table: str, column: str) -> None:
    rows = [{column: RUN_TS - HOUR}, {column: RUN_TS + HOUR}, {column: RUN_TS}, {column: None}]
    assert flagged(rule(table, BETWEEN + column), typed_table(table, rows)) == [1]


def test_run_ts_follows_the_run() -> None:
    data = typed_table("posts", [{"published_at": RUN_TS + HOUR}])
    assert flagged(rule("posts", BETWEEN + "published_at"), data, run_ts=RUN_TS + 2 * HOUR) == []


def test_unset_run_ts_is_an_error_not_a_pass() -> None:
    data = typed_table("posts", [{"published_at": RUN_TS}])
    with pytest.raises(duckdb.Error, match="run_ts is not set"):
        flagged(rule("posts", BETWEEN + "published_at"), data, run_ts=None)


def test_follower_id_must_be_a_keyed_hash() -> None:
    rows = [
        {"follower_id": "0123456789abcdef0123456789abcdef"},
        {"follower_id": "jane.doe.1987"},  # a raw id: personal data must not reach the warehouse
        {"follower_id": "0123456789ABCDEF0123456789ABCDEF"},
        {"follower_id": "0123456789abcdef0123456789abcdef00"},
    ]
    got = flagged(
        rule("follower_samples", "expect_column_values_to_match_regex:follower_id"),
        typed_table("follower_samples", rows),
    )
    assert got == [1, 2, 3]


def test_username_digits_cannot_exceed_its_length() -> None:
    pairs = [(8, 3), (3, 3), (2, 5), (None, 5), (4, None)]
    rows = [{"username_length": a, "username_digit_count": b} for a, b in pairs]
    name = "expect_column_pair_values_a_to_be_greater_than_b:username_length,username_digit_count"
    assert flagged(rule("follower_samples", name), typed_table("follower_samples", rows)) == [2]


def test_reach_cannot_exceed_impressions() -> None:
    pairs = [(100, 80), (100, 100), (100, 120), (None, 5), (0, 0)]
    rows = [{"impressions": a, "reach": b} for a, b in pairs]
    name = "expect_column_pair_values_a_to_be_greater_than_b:impressions,reach"
    assert flagged(rule("delivery", name), typed_table("delivery", rows)) == [2]


def test_currency_is_an_iso_code() -> None:
    rows = [{"currency": c} for c in ("EUR", "eur", "EURO", None, "€")]
    got = flagged(
        rule("delivery", "expect_column_values_to_match_regex:currency"),
        typed_table("delivery", rows),
    )
    assert got == [1, 2, 4]


# -- the compiler on its own -----------------------------------------------------------------


def exp(typ: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": typ, "kwargs": kwargs, "meta": {"severity": "row"}}


def on_ints(r: Rule, values: list[int | None]) -> list[int]:
    return flagged(r, pa.table({"id": range(len(values)), "x": pa.array(values, pa.int64())}))


def on_strings(r: Rule, values: list[str | None]) -> list[int]:
    return flagged(r, pa.table({"id": range(len(values)), "x": pa.array(values, pa.string())}))


def test_not_null_and_null() -> None:
    assert on_ints(
        compile_expectation(exp("expect_column_values_to_not_be_null", column="x")), [1, None]
    ) == [1]
    assert on_ints(
        compile_expectation(exp("expect_column_values_to_be_null", column="x")), [1, None]
    ) == [0]


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"min_value": 1, "max_value": 3}, [0, 4]),
        ({"min_value": 1, "max_value": 3, "strict_min": True}, [0, 1, 4]),
        ({"min_value": 1, "max_value": 3, "strict_max": True}, [0, 3, 4]),
        ({"max_value": 2}, [3, 4]),
        ({"min_value": 2}, [0, 1]),
    ],
)
def test_between(kwargs: dict[str, Any], bad: list[int]) -> None:
    r = compile_expectation(exp("expect_column_values_to_be_between", column="x", **kwargs))
    assert on_ints(r, [0, 1, 2, 3, 4, None]) == bad
    assert r.name == "expect_column_values_to_be_between:x"


def test_sets() -> None:
    values = ["a", "b", "it's", None]
    in_set = exp("expect_column_values_to_be_in_set", column="x", value_set=["a", "it's"])
    assert on_strings(compile_expectation(in_set), values) == [1]
    not_in = exp("expect_column_values_to_not_be_in_set", column="x", value_set=["a"])
    assert on_strings(compile_expectation(not_in), values) == [0]
    empty = exp("expect_column_values_to_be_in_set", column="x", value_set=[])
    assert on_strings(compile_expectation(empty), values) == [0, 1, 2]


def test_regexes_search_like_gx() -> None:
    """GX's pandas engine searches (``str.contains``): an unanchored regex matches anywhere."""
    values = ["abc1", "xyz", None]
    match = exp("expect_column_values_to_match_regex", column="x", regex="[0-9]")
    assert on_strings(compile_expectation(match), values) == [1]
    no_match = exp("expect_column_values_to_not_match_regex", column="x", regex="^a")
    assert on_strings(compile_expectation(no_match), values) == [0]


def test_strict_pair() -> None:
    e = exp(
        "expect_column_pair_values_a_to_be_greater_than_b",
        column_A="a", column_B="b", ignore_row_if="either_value_is_missing",
    )  # fmt: skip
    data = pa.table({"id": [0, 1, 2], "a": [2, 2, 1], "b": [1, 2, 2]})
    assert flagged(compile_expectation(e), data) == [1, 2]


def test_derived_column_is_inlined() -> None:
    e = exp("expect_column_values_to_be_between", column="total", max_value=10)
    r = compile_expectation(e, {"total": 'sum("x") over (partition by "g")'})
    data = pa.table({"id": [0, 1, 2], "g": ["a", "a", "b"], "x": [6, 6, 6]})
    assert flagged(r, data) == [0, 1]


@pytest.mark.parametrize(
    ("e", "message"),
    [
        (exp("expect_column_values_to_be_unique", column="x"), "cannot be compiled"),
        (exp("expect_column_kl_divergence_to_be_less_than", column="x"), "cannot be compiled"),
        (exp("expect_column_values_to_be_between", column="x"), "cannot both be null"),
        (exp("expect_column_values_to_be_in_set", column="x", value_set="a"), "must be a list"),
        (
            exp("expect_column_values_to_be_between", column="x", max_value={"$PARAMETER": "now"}),
            "unknown suite parameter 'now'",
        ),
        (
            exp("expect_column_pair_values_a_to_be_greater_than_b", column_A="a", column_B="b"),
            "either_value_is_missing",
        ),
        (exp("expect_column_values_to_be_in_set", value_set=["a"]), "missing kwarg 'column'"),
    ],
)
def test_unsupported_is_a_clear_error(e: dict[str, Any], message: str) -> None:
    with pytest.raises(SuiteError, match=message):
        compile_expectation(e)


# -- suite_rules on edited suites --------------------------------------------------------------


def edited_suite(tmp_path: Path, table: str, *extra: dict[str, Any]) -> Path:
    suite = load_suite(table)
    suite["expectations"].extend(extra)
    (tmp_path / f"{table}.json").write_text(json.dumps(suite))
    return tmp_path


def test_only_row_severity_becomes_a_rule(tmp_path: Path) -> None:
    flag = exp("expect_column_values_to_be_between", column="likes", max_value=10**9)
    flag["meta"]["severity"] = "flag"
    contract = exp("expect_column_values_to_not_be_null", column="views")
    contract["meta"]["severity"] = "contract"
    row = exp("expect_column_values_to_not_be_null", column="media_type")
    names = [
        r.name for r in suite_rules("posts", edited_suite(tmp_path, "posts", flag, contract, row))
    ]
    assert names == [r.name for r in suite_rules("posts")] + [
        "expect_column_values_to_not_be_null:media_type"
    ]


def test_severity_defaults_to_row(tmp_path: Path) -> None:
    e = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "views"}}
    names = [r.name for r in suite_rules("posts", edited_suite(tmp_path, "posts", e))]
    assert names[-1] == "expect_column_values_to_not_be_null:views"


@pytest.mark.parametrize(
    ("e", "message"),
    [
        (
            exp("expect_compound_columns_to_be_unique", column_list=["platform", "post_id"]),
            "contract",
        ),
        (exp("expect_column_values_to_be_of_type", column="likes", type_="int64"), "contract"),
        (exp("expect_column_values_to_not_be_null", column="likez"), "unknown column"),
        (
            {
                **exp("expect_column_values_to_not_be_null", column="views"),
                "meta": {"severity": "fatal"},
            },
            "severity",
        ),
        (exp("expect_column_values_to_be_between", column="likes", min_value=0), "not unique"),
    ],
)
def test_bad_suites_are_clear_errors(tmp_path: Path, e: dict[str, Any], message: str) -> None:
    with pytest.raises(SuiteError, match=message):
        suite_rules("posts", edited_suite(tmp_path, "posts", e))


def test_missing_suite_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="no expectation suite for table 'posts'"):
        suite_rules("posts", tmp_path)


# -- counting quarantine reasons ---------------------------------------------------------------


def test_quarantine_records_count_rows_per_reason() -> None:
    con = duckdb.connect()
    con.execute(
        "create table checked as select * from (values ('a;b'), (''), ('b'), ('ab')) t(_reasons)"
    )
    records = quarantine_records(
        con, "checked", "posts", date(2026, 3, 1), "run-1", [Rule("a", "x"), Rule("b", "y")]
    )
    assert [(r.expectation, r.unexpected_count, r.element_count, r.success) for r in records] == [
        ("a", 1, 4, False),
        ("b", 2, 4, False),
    ]
    assert {(r.source, r.severity) for r in records} == {("quarantine", "row")}
