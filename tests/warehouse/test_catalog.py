"""The DuckDB views over the Delta tables: at the last commit, as of a version or a time
(``clout query --as-of``), and the ``warehouse.duckdb`` file analysts open."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.config import reload_settings
from pipeline.contracts import STG_CAMPAIGNS
from pipeline.warehouse.catalog import query, refresh_catalog
from pipeline.warehouse.storage import Partition, Warehouse

DAY = date(2026, 3, 1)


FILL = {"string": "x", "int64": 1, "float64": 1.0, "bool": False, "date": DAY,
        "timestamp": datetime(2026, 3, 1, tzinfo=UTC)}  # fmt: skip


def _campaigns(ids: list[str]) -> pa.Table:
    row = {c.name: FILL[c.type] for c in STG_CAMPAIGNS.columns}
    rows = [row | {"campaign_id": i} for i in ids]
    return pa.Table.from_pylist(rows, schema=STG_CAMPAIGNS.schema)


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    wh = Warehouse(tmp_path)
    part = Partition.of("staging", "stg_campaigns", DAY)
    wh.write_table(part, _campaigns(["a"]), "r1")  # version 1 (0 created the table)
    time.sleep(0.05)
    wh.write_table(part, _campaigns(["a", "b"]), "r2")  # version 2
    return wh


def test_views_read_the_last_commit_or_an_earlier_one(wh: Warehouse) -> None:
    sql = "select count(*) as n from stg_campaigns"
    assert query(wh, sql)["n"].to_pylist() == [2]
    assert query(wh, sql, as_of=1)["n"].to_pylist() == [1]
    assert query(wh, sql, as_of=99)["n"].to_pylist() == [2]  # past the last: the last
    first = datetime.fromtimestamp(wh.delta_table("staging", "stg_campaigns").history()[-2]  # type: ignore[union-attr]
                                   ["timestamp"] / 1000, UTC)  # fmt: skip
    assert query(wh, sql, as_of=first)["n"].to_pylist() == [1]
    assert query(wh, sql, as_of=datetime(2000, 1, 1, tzinfo=UTC))["n"].to_pylist() == [0]
    assert query(wh, "select count(*) as n from influencer_daily")["n"].to_pylist() == [0]


def test_the_catalog_file_keeps_views_analysts_open(wh: Warehouse) -> None:
    path = refresh_catalog(wh)
    con = duckdb.connect(str(path), read_only=True)
    try:
        got = con.execute("select campaign_id, dt from stg_campaigns order by 1").fetchall()
    finally:
        con.close()
    assert got == [("a", DAY), ("b", DAY)]  # the last commit's files only


def test_clout_query_as_of(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUT_WAREHOUSE", str(wh.root))
    reload_settings()
    runner = CliRunner()
    sql = "select count(*) as n from stg_campaigns"
    out = runner.invoke(app, ["query", sql, "--as-of", "1", "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == ['"n"', "1"]
    out = runner.invoke(app, ["query", sql, "--as-of", "yesterday"])
    assert out.exit_code != 0 and "expected a version number" in out.output
    monkeypatch.delenv("CLOUT_WAREHOUSE")
    reload_settings()
