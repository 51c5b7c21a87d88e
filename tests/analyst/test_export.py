"""clout query: readable tables and streamed exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from pipeline.analyst.export import (
    ExportError,
    export,
    format_value,
    open_query,
    render_table,
    table_text,
)
from pipeline.warehouse.storage import Warehouse


def clout(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUT_", "AIRFLOW"))}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd,
                          env={**base, **env}, capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "NULL"), (float("nan"), "NULL"), (10810, "10,810"), (10810.456, "10,810.46"),
        (1.081e4, "10,810.00"), (0.051891, "0.05189"), (0.00001234, "0.00001234"),
        (1e-12, "0.0000000000"), (-2500000.5, "-2,500,000.50"), (Decimal("123456"), "123,456"),
        (True, "true"), (date(2026, 3, 1), "2026-03-01"), ("acme", "acme"), (0.0, "0.00"),
    ],
)  # fmt: skip
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text
    assert "e+" not in format_value(value) and "e-" not in format_value(value)


def test_render_table_aligns_numbers_right_and_shows_null() -> None:
    t = pa.table({"campaign": ["a", "bb"], "revenue": [10810.5, None], "n": [3, 1200]})
    out = render_table(t.schema, t.to_pylist()).splitlines()
    assert out == [
        "campaign    revenue      n",
        "a         10,810.50      3",
        "bb             NULL  1,200",
    ]


def test_table_text_keeps_only_the_rows_it_prints() -> None:
    t = pa.table({"x": list(range(120))})
    text = table_text(t.to_batches(max_chunksize=7), t.schema, max_rows=5)
    assert text.splitlines()[-1] == "... 115 more rows"
    assert len(text.splitlines()) == 1 + 5 + 1


def test_parquet_needs_a_file(tmp_path: Path) -> None:
    with open_query(Warehouse(tmp_path / "wh"), "select 1 as x") as reader:
        with pytest.raises(ExportError, match="-o FILE"):
            export(reader, "parquet", None)


def test_large_result_streams_to_every_format(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    sql = "select i, i * 0.5 as half, case when i % 7 = 0 then null else 'r' || i end as s " \
          "from range(300000) t(i)"  # fmt: skip
    written = {}
    for fmt in ("csv", "json", "parquet"):
        with open_query(wh, sql) as reader:
            out = tmp_path / f"out.{fmt}"
            written[fmt] = (export(reader, fmt, out), out)  # type: ignore[arg-type]
    assert {n for n, _ in written.values()} == {300_000}
    csv = pacsv.read_csv(
        written["csv"][1], convert_options=pacsv.ConvertOptions(strings_can_be_null=True)
    )
    assert csv.num_rows == 300_000 and csv.column("s").null_count == len(range(0, 300000, 7))
    rows = json.loads(written["json"][1].read_text())
    assert len(rows) == 300_000 and rows[7] == {"i": 7, "half": 3.5, "s": None}
    par = pq.read_table(written["parquet"][1])
    assert par.num_rows == 300_000 and pq.ParquetFile(written["parquet"][1]).num_row_groups > 1


def test_cli_query_formats_over_a_real_warehouse(analyst_wh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = analyst_wh.env
    sql = "select campaign_id, sum(impressions) as impressions, sum(revenue) as revenue, " \
          "avg(cpa) as cpa from campaign_daily group by all order by campaign_id"  # fmt: skip
    table = clout("query", sql, env=env, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["campaign_id", "impressions", "revenue", "cpa"]
    assert "e+" not in table.stdout and "NaN" not in table.stdout
    assert any("," in ln.split()[1] for ln in lines[1:])  # impressions have thousands separators
    out = tmp_path / "c.parquet"
    par = clout("query", sql, "--format", "parquet", "-o", str(out), env=env, cwd=tmp_path)
    assert par.returncode == 0, par.stderr
    assert pq.read_table(out).num_rows == len(lines) - 1
    js = clout("query", sql, "-f", "json", env=env, cwd=tmp_path)
    assert [r["campaign_id"] for r in json.loads(js.stdout)] == [ln.split()[0] for ln in lines[1:]]
    bad = clout("query", "select 1", "--format", "xlsx", env=env, cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0 and "xlsx" in bad.stderr
