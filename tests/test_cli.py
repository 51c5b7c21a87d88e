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


@pytest.mark.slow
def test_run_builds_the_campaign_marts_of_a_hand_built_campaign(tmp_path: Path) -> None:
    """A brand without Airflow: its own campaigns file and shop database, `clout run --date D`
    gives campaign_daily and campaign_summary (the influencer run first, then the campaign run)."""
    from datetime import datetime

    import sqlalchemy as sa

    from pipeline.simulator.brand import orders_table
    from pipeline.simulator.server import SimulatorThread
    from pipeline.simulator.world import World

    day = "2026-03-05"
    shop = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    md = sa.MetaData()
    table = orders_table(md, "orders")
    engine = sa.create_engine(shop)
    md.create_all(engine)
    placed = datetime(2026, 3, 5, 14, 30)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{
            "order_id": "A-1", "created_at": placed, "updated_at": placed, "status": "paid",
            "currency": "EUR", "gross_amount": 120.0, "discount_amount": 20.0,
            "net_amount": 100.0, "refunded_amount": 0.0, "cogs_amount": 40.0,
            "promo_code": "ANNA10", "utm_source": None, "utm_campaign": None,
            "utm_content": None, "customer_id": "c-17",
        }])  # fmt: skip
    engine.dispose()
    with SimulatorThread(world=World(seed=5, n_accounts=40)) as sim:
        account = sim.world.frame("accounts", day, "instagram")["account_id"].iloc[0]
        campaigns = tmp_path / "campaigns.yaml"
        campaigns.write_text(
            "campaigns:\n"
            "  - {campaign_id: spring-drop, brand: Acme, currency: EUR, start_date: 2026-03-01,\n"
            "     end_date: 2026-03-31, budget: 5000, influencers: [{platform: instagram,\n"
            f'     account_id: "{account}", fee: 400, promo_code: ANNA10, live_date: {day}}}]}}\n'
        )
        env = {"CLOUT_API_URL": sim.url, "CLOUT_API_TOKEN": sim.token, "CLOUT_PII_KEY": "k",
               "CLOUT_CAMPAIGNS": str(campaigns), "CLOUT_ORDERS_URL": shop}  # fmt: skip
        proc = clout("run", "--date", day, cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "campaign_daily" in proc.stdout and "1 staged" in proc.stdout, proc.stdout
    q = clout(
        "query", "--format", "csv",
        "select campaign_id, account_id, revenue, ad_spend, cogs, roas, net_roas from "
        f"campaign_daily where dt = '{day}' and account_id is not null",
        cwd=tmp_path, env={"CLOUT_PII_KEY": "k"},
    )  # fmt: skip
    assert q.returncode == 0, q.stderr
    import csv
    import io

    (row,) = list(csv.DictReader(io.StringIO(q.stdout)))
    assert (row["campaign_id"], row["account_id"]) == ("spring-drop", account)
    # fee on its live day, the promo-code order's net revenue and its cost of goods
    assert [float(row[c]) for c in ("revenue", "ad_spend", "cogs", "roas", "net_roas")] == [
        100.0, 400.0, 40.0, 0.25, 0.15,
    ]  # fmt: skip
    s = clout("query", f"select count(*) as n from campaign_summary where dt = '{day}'",
              cwd=tmp_path)  # fmt: skip
    assert s.stdout.split() == ["n", "1"], s.stdout + s.stderr
