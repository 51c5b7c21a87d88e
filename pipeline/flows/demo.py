"""``clout demo`` / ``make run``: the simulator, the real DAG for recent days, a summary."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from pipeline.config import reload_settings
from pipeline.flows.influencer_daily import RunFailed
from pipeline.warehouse.catalog import NO_CATALOG, query
from pipeline.warehouse.storage import Warehouse

Echo = Callable[[str], object]


def _count(wh: Warehouse, name: str, first: str, last: str) -> int:
    """Rows of a table (or, for a ``quarantine_`` prefix, of all quarantine tables) in a range."""
    from pipeline.contracts import SOURCE_TABLES

    names = [name + t for t in SOURCE_TABLES] if name == "quarantine_" else [name]
    sql = " + ".join(
        f"(select count(*) from {n} where dt between '{first}' and '{last}')" for n in names
    )
    return int(query(wh, f"select {sql} as n").column("n")[0].as_py())


def summary(wh: Warehouse, days: list[date]) -> list[str]:
    """Lines describing what the warehouse holds for ``days``."""
    first, last = days[0].isoformat(), days[-1].isoformat()
    catalog = NO_CATALOG if wh.remote else wh.duckdb_path()
    lines = [
        f"warehouse:  {wh.uri}",
        f'catalog:    {catalog}  (clout query "select ...", or duckdb)',
        f"data docs:  {wh.docs_dir() / 'index.html'}",
        "",
    ]
    lines.append(f"rows per table, {first} .. {last}:")
    from pipeline.contracts import TABLES

    for name in (n for n, t in TABLES.items() if t.layer in ("staging", "marts")):
        lines.append(f"  {name:<22} {_count(wh, name, first, last):>10,}")
    lines.append(f"  {'quarantined rows':<22} {_count(wh, 'quarantine_', first, last):>10,}")
    top = query(
        wh,
        f"""
        select platform, handle, category, followers, round(100 * engagement_rate, 2) as er_pct,
               follower_delta
        from influencer_daily
        where dt = '{last}' and followers >= 10000 and engagement_rate is not null
        order by engagement_rate desc limit 10
        """,
    ).to_pandas()
    lines += ["", f"top accounts by engagement rate on {last} (10k+ followers):"]
    lines += ["  " + row for row in top.to_string(index=False).splitlines()]
    lines += ["", "campaigns:"] + ["  " + row for row in campaign_summary_lines(wh, len(days))]
    return lines


def run_demo(days: list[date], accounts: int = 300, seed: int = 7, echo: Echo = print) -> Warehouse:
    """Serve the simulator and a demo shop, run ``influencer_daily`` then ``campaign_roas``
    through ``dag.test()`` for each day, print a summary."""
    from pipeline.airflow_local import load_dag, prepare_airflow_home, run_dag_for_day
    from pipeline.simulator.server import SimulatorThread

    settings = reload_settings()
    wh = Warehouse(settings.warehouse)
    shop_dir = wh.root.parent / ".demo"
    home = Path(os.environ.get("AIRFLOW_HOME", ".airflow"))
    echo(f"preparing Airflow metadata DB in {home} ...")
    prepare_airflow_home(home)
    with SimulatorThread(seed=seed, accounts=accounts) as sim:
        from pipeline.simulator.brand import write_demo_shop

        # the brand side: campaigns file and shop orders DB (SQLite) of the same world
        campaigns, orders_url = write_demo_shop(sim.world, shop_dir, days[0], days[-1])
        os.environ.setdefault("CLOUT_CAMPAIGNS", str(campaigns))
        os.environ.setdefault("CLOUT_ORDERS_URL", orders_url)
        from pipeline.simulator.briefs import write_demo_briefs

        os.environ.setdefault("CLOUT_BRIEFS", str(write_demo_briefs(shop_dir / "briefs")))
        os.environ["CLOUT_API_URL"] = sim.url
        os.environ["CLOUT_API_TOKEN"] = sim.token
        reload_settings()
        echo(f"simulated platform API at {sim.url} ({accounts} accounts, seed {seed})")
        echo(f"demo shop: {orders_url}, campaigns {campaigns}")
        dags = [load_dag("influencer_daily"), load_dag("campaign_roas")]
        for i, day in enumerate(days, 1):
            for dag in dags:
                started = time.monotonic()
                state = run_dag_for_day(dag, day)
                echo(f"[{i}/{len(days)}] {dag.dag_id} {day}: {state} "
                     f"({time.monotonic() - started:.1f} s)")  # fmt: skip
                if "success" not in state:
                    raise RunFailed(f"{dag.dag_id} {day} ended {state}; see the task log above")
    echo("")
    for line in summary(wh, days):
        echo(line)
    return wh


def _fmt(v: float | None, pct: bool = False, digits: int = 2) -> str:
    if v is None:
        return "-"
    return f"{100 * v:.{digits}f}%" if pct else f"{v:,.{digits}f}"


def campaign_summary_lines(wh: Warehouse, days: int) -> list[str]:
    """A campaign table for the demo: spend, revenue, ROAS, CTR, CVR, and ROAS lift of the last
    ``days`` days against the ``days`` before, as of the latest ``campaign_daily`` day."""
    from pipeline.campaigns.attribution import prepare_summary
    from pipeline.flows.marts import compute_mart

    last = query(wh, "select max(dt) as last from campaign_daily").column("last")[0].as_py()
    if last is None:
        return ["campaigns: no campaign_daily rows yet"]
    period = partial(prepare_summary, period_days=max(days, 1))
    t = compute_mart(wh, "campaign_summary", last, prepare=period).to_pylist()
    head = (
        f"  {'campaign':<22} {'cur':<3} {'spend':>12} {'revenue':>12} {'ROAS':>6} "
        f"{'CTR':>7} {'CVR':>7} {'ROAS lift':>9}"
    )
    lines = [f"campaigns to {last} (lift: last {days} days vs the {days} before):", head]
    for r in t:
        lift = r["roas_lift_pct"]
        lines.append(
            f"  {r['campaign_id'][:22]:<22} {r['currency']:<3} {_fmt(r['ad_spend']):>12} "
            f"{_fmt(r['revenue']):>12} {_fmt(r['roas']):>6} {_fmt(r['ctr'], True):>7} "
            f"{_fmt(r['cvr'], True):>7} {('-' if lift is None else f'{lift:+.1f}%'):>9}"
        )
    return lines
