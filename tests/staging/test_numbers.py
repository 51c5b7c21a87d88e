"""The one number rule of file drops, read in DuckDB: suffixes, percentages, locales."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from pipeline.staging.numbers import number_sql

CASES: list[tuple[str | None, float | None, int | None]] = [
    # text, as a double, as an integer (counts)
    ("1.2k", 1200.0, 1200),
    ("3.4M", 3_400_000.0, 3_400_000),
    ("1,1 Mio", 1_100_000.0, 1_100_000),
    ("8,2 Tsd.", 8200.0, 8200),
    ("1.1b", 1_100_000_000.0, 1_100_000_000),
    ("10k+", 10_000.0, 10_000),
    ("4.5%", 0.045, None),  # a percentage is no count
    ("4,5 %", 0.045, None),
    ("12,345", 12345.0, 12345),  # the ambiguous single separator + 3 digits: thousands
    ("12.345", 12345.0, 12345),
    ("1.500", 1500.0, 1500),
    ("12 345", 12345.0, 12345),
    ("12\u00a0345", 12345.0, 12345),
    ("12'345", 12345.0, 12345),
    ("1,234,567", 1_234_567.0, 1_234_567),
    ("1.234.567", 1_234_567.0, 1_234_567),
    ("1.234.567,89", 1_234_567.89, None),  # both marks: the last is the decimal mark
    ("1,234.5", 1234.5, None),
    ("0.345", 0.345, None),  # a lone 0 before the mark: a decimal
    ("12,34", 12.34, None),  # not 3 digits after: a decimal
    ("1,2k", 1200.0, 1200),  # a suffix: a decimal
    ("$1,234.50", 1234.5, None),
    ("€ 12,5", 12.5, None),
    ("-3", -3.0, -3),
    ("1.25k", 1250.0, 1250),
    ("1.2345k", 1234.5, 1235),  # approximate: rounded
    ("12.5", 12.5, None),  # 12.5 followers: no count
    ("abc", None, None),
    ("1e3", None, None),
    (None, None, None),
]


@pytest.fixture(scope="module")
def parsed() -> list[tuple[str | None, float | None, int | None]]:
    con = duckdb.connect()
    con.register("t", pa.table({"c": pa.array([c[0] for c in CASES], pa.string())}))
    rows = con.sql(f"select c, {number_sql('c')}, {number_sql('c', integer=True)} from t")
    return [(r[0], r[1], r[2]) for r in rows.fetchall()]


def test_number_rule(parsed: list[tuple[str | None, float | None, int | None]]) -> None:
    assert [(c, f, i) for c, f, i in parsed] == [
        (c, pytest.approx(f) if f else f, i) for c, f, i in CASES
    ]


def test_rounding_and_scale() -> None:
    con = duckdb.connect()
    con.register("t", pa.table({"c": ["18.50", "12.5", "3"]}))
    rounded = con.sql(f"select {number_sql('c', integer=True, rounding=True)} from t").fetchall()
    assert [r[0] for r in rounded] == [19, 13, 3]
    scaled = con.sql(f"select {number_sql('c', integer=True, scale=1000.0)} from t").fetchall()
    assert [r[0] for r in scaled] == [18500, 12500, 3000]
