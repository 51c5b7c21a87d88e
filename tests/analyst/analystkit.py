"""Analyst test helpers (imported by tests/analyst): a real warehouse for the analyst tests: the simulator served over HTTP, three nightly runs
(influencer and campaign steps, no scheduler), then a GA4 export ingested and the campaign
marts rebuilt, as an analyst would. Built once per test run and copied by each xdist worker."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(3)]
LAST = DAYS[-1]


@dataclass
class AnalystWarehouse:
    root: Path  #: the warehouse root (CLOUT_WAREHOUSE)
    env: dict[str, str]  #: the settings the runs used
    ga4_file: Path
    ga4_rows: list[dict[str, Any]]  #: the deliverables the GA4 export names, with its numbers


def _ga4_export(wh_root: Path, folder: Path) -> tuple[Path, list[dict[str, Any]]]:
    """A GA4 CSV naming two live deliverables of the last day (utm_content upper-cased, as
    links often are) and one row of organic traffic."""
    from pipeline.warehouse.catalog import query
    from pipeline.warehouse.storage import Warehouse

    picked = query(
        Warehouse(wh_root),
        f"""select campaign_id, platform, account_id, utm_content, currency
        from stg_campaigns where dt = '{LAST}' and account_id is not null
            and utm_content is not null and live_date <= '{LAST}'
        qualify count(*) over (partition by lower(utm_content)) = 1
        order by campaign_id, account_id limit 2""",
    ).to_pylist()
    assert len(picked) == 2, picked
    for p, (sessions, conv, revenue) in zip(
        picked, [(1204, 31, 1250.5), (88, 2, 40.0)], strict=True
    ):
        p.update(sessions=sessions, conversions=conv, revenue=revenue)
    lines = [
        "# ----------------------------------------",
        "# Traffic acquisition: Session manual ad content",
        "# ----------------------------------------",
        "Date,Session source,Session medium,Session campaign,Session manual ad content,"
        "Sessions,Key events,Total revenue",
    ]
    for p in picked:
        lines.append(
            f"{LAST:%Y%m%d},{p['platform']},social,{p['campaign_id']},{p['utm_content'].upper()},"
            f'"{p["sessions"]:,}",{p["conversions"]},"{p["revenue"]:,.2f}"'
        )
    lines += [f"{LAST:%Y%m%d},google,organic,(not set),(not set),5000,120,8000", "",
              "Date,Sessions", f"{LAST:%Y%m%d},99999"]  # fmt: skip
    path = folder / "ga4.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, picked


def build_analyst_warehouse(base: Path) -> AnalystWarehouse:
    """Build the warehouse, its shop, briefs and GA4 export under ``base``."""
    from pipeline.analyst.ga4 import ingest_conversions
    from pipeline.config import reload_settings
    from pipeline.flows import campaign_roas, influencer_daily
    from pipeline.flows.marts import build_campaign_marts
    from pipeline.simulator.brand import write_demo_shop
    from pipeline.simulator.briefs import write_demo_briefs
    from pipeline.simulator.server import SimulatorThread
    from pipeline.warehouse.storage import Warehouse

    root = base / "warehouse"
    mp = pytest.MonkeyPatch()
    with SimulatorThread(accounts=40, seed=7) as sim:
        campaigns, orders_url = write_demo_shop(sim.world, base / "shop", DAYS[0], LAST)
        env = {
            "CLOUT_WAREHOUSE": str(root), "CLOUT_API_URL": sim.url,
            "CLOUT_API_TOKEN": sim.token, "CLOUT_PII_KEY": "analyst-key",
            "CLOUT_CAMPAIGNS": str(campaigns), "CLOUT_ORDERS_URL": orders_url,
            "CLOUT_BRIEFS": str(write_demo_briefs(base / "briefs")),
        }  # fmt: skip
        # the settings only while building: a session-wide CLOUT_BRIEFS or CLOUT_CAMPAIGNS would
        # leak into every later test of the session (tests pass ``env`` on explicitly)
        try:
            for k, v in env.items():
                mp.setenv(k, v)
            reload_settings()
            for d in DAYS:
                influencer_daily.run_day(d)
                campaign_roas.run_day(d, f"analyst-{d}")
        finally:
            mp.undo()
            reload_settings()
    ga4_file, rows = _ga4_export(root, base)
    ingest_conversions(Warehouse(root), ga4_file, "analyst-ga4", currency="USD")
    build_campaign_marts(Warehouse(root), LAST, "analyst-rebuild")
    return AnalystWarehouse(root, {k: v for k, v in env.items() if k != "CLOUT_API_URL"},
                            ga4_file, rows)  # fmt: skip


def analyst_warehouse_from(template: Path, base: Path) -> AnalystWarehouse:
    """A copy under ``base`` of the warehouse built once under ``template`` (a test run builds
    it once for all xdist workers; each worker writes to its own copy)."""
    meta = template / "built.json"
    if not meta.exists():
        shutil.rmtree(template, ignore_errors=True)
        template.mkdir(parents=True)
        built = build_analyst_warehouse(template)
        meta.write_text(json.dumps({"env": built.env, "ga4_rows": built.ga4_rows}))
    saved = json.loads(meta.read_text())
    shutil.copytree(template, base, dirs_exist_ok=True)
    env = {k: v.replace(str(template), str(base)) for k, v in saved["env"].items()}
    return AnalystWarehouse(base / "warehouse", env, base / "ga4.csv", saved["ga4_rows"])
