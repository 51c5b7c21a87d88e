"""The command line as users run it: subprocesses, exit codes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pacsv
import pytest


def clout(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUT_", "AIRFLOW"))}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.mark.slow
def test_demo_runs_the_dag_and_prints_a_summary(
    tmp_path: Path, make_airflow_home: Callable[[Path], Path]
) -> None:
    # the demo's default Airflow home (./.airflow), its DB already migrated: no second migration
    make_airflow_home(tmp_path / ".airflow")
    proc = clout("demo", "--days", "2", "--accounts", "40", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert out.count(": success") == 4  # influencer_daily and campaign_roas, two days each
    for name in ("stg_posts", "influencer_daily", "quarantined rows", "top accounts by engagement",
                 "campaigns", "ROAS"):  # fmt: skip
        assert name in out
    assert (tmp_path / "warehouse" / "warehouse.duckdb").exists()
    assert (tmp_path / "warehouse" / "docs" / "index.html").exists()
    q = clout("query", "select count(distinct dt) as days from influencer_daily", cwd=tmp_path)
    assert q.returncode == 0 and q.stdout.split() == ["days", "2"], q.stdout + q.stderr


def test_query_error_is_one_line(tmp_path: Path) -> None:
    proc = clout("query", "select * from no_such_table", cwd=tmp_path)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "no_such_table" in proc.stderr


def test_fraud_classify_labels_a_csv(tmp_path: Path) -> None:
    src = tmp_path / "profiles.csv"
    src.write_text(
        "follower_count,following_count,media_count,has_profile_pic,username_length,username_digit_count,account_age_days\n"
        "350,280,120,true,9,0,2400\n"
        "2,4100,0,false,14,9,12\n"
        "12000,300,800,true,8,0,3000\n"
    )
    out = tmp_path / "labelled.parquet"
    proc = clout("fraud", "classify", str(src), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    import pyarrow.parquet as pq

    labelled = pq.read_table(out)
    assert labelled.column("category").to_pylist() == ["real", "suspicious", "influencer"]
    assert all(0 <= p <= 1 for p in labelled.column("p_suspicious").to_pylist())
    assert pacsv.read_csv(src).num_rows == labelled.num_rows


def test_fraud_classify_missing_column_is_one_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("follower_count\n10\n")
    proc = clout("fraud", "classify", str(src), "-o", str(tmp_path / "o.csv"), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "following_count" in proc.stderr


def test_bad_date_is_rejected(tmp_path: Path) -> None:
    proc = clout("run", "--date", "2026-13-01", cwd=tmp_path)
    assert proc.returncode != 0 and "not a date" in proc.stderr


def test_simulate_labels_writes_ground_truth_apart(tmp_path: Path) -> None:
    out = tmp_path / "labels"
    proc = clout("simulate", "labels", "--start", "2026-03-01", "--end", "2026-03-03",
                 "--accounts", "50", "-o", str(out), cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    import pyarrow.parquet as pq

    spikes = pq.read_table(out / "follower_spikes.parquet")
    assert {"platform", "account_id", "dt"} <= set(spikes.column_names)
    assert (out / "fake_followers.parquet").exists()
