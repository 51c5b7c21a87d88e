"""clout backfill: parallel days give the nightly warehouse; complete days are skipped; a day
held by another run fails alone with a clear message; every stage lands in pipeline_runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import reload_settings
from pipeline.simulator.server import SimulatorThread
from pipeline.warehouse.storage import Warehouse

DAYS = [date(2026, 4, 1), date(2026, 4, 2), date(2026, 4, 3)]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorThread]:
    with SimulatorThread(accounts=60, seed=21) as s:
        yield s


@pytest.fixture()
def env(sim: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CLOUT_API_URL", sim.url)
    monkeypatch.setenv("CLOUT_API_TOKEN", sim.token)
    monkeypatch.setenv("CLOUT_PII_KEY", "k")
    yield tmp_path
    reload_settings()


def _use(root: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    monkeypatch.setenv("CLOUT_WAREHOUSE", str(root))
    reload_settings()
    return Warehouse(root)


def content(wh: Warehouse) -> dict[str, str]:
    """Digest of every staging, quarantine and mart partition of DAYS."""
    return wh.content_digest(DAYS)


def test_backfill_equals_nightly_runs_and_skips_complete_days(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.flows.backfill import backfill
    from pipeline.flows.influencer_daily import run_day
    from pipeline.warehouse.catalog import query

    nightly = _use(env / "nightly", monkeypatch)
    for d in DAYS:
        run_day(d)

    filled = _use(env / "backfill", monkeypatch)
    seen: list[str] = []
    report = backfill(DAYS[0], DAYS[-1], workers=2, on_progress=lambda o: seen.append(o.status))
    assert [d.status for d in report.days] == ["ran"] * 3 and sorted(seen) == ["ran"] * 3
    assert content(filled) == content(nightly)

    again = backfill(DAYS[0], DAYS[-1], workers=2)
    assert [d.status for d in again.days] == ["skipped"] * 3
    forced = backfill(DAYS[1], DAYS[1], workers=1, force=True)
    assert [d.status for d in forced.days] == ["ran"]
    assert content(filled) == content(nightly)

    runs = query(
        filled, "select stage, status, count(*) as n from pipeline_runs group by all"
    ).to_pylist()
    stages = {r["stage"] for r in runs}
    assert {"extract:instagram", "stage:posts", "validate:posts", "mart:influencer_daily"} <= stages
    assert all(r["status"] == "success" for r in runs)


def test_a_day_held_by_another_run_fails_alone(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.flows.backfill import backfill

    wh = _use(env / "locked", monkeypatch)
    with wh.day_lock("extract-tiktok", DAYS[1]):
        report = backfill(DAYS[0], DAYS[-1], workers=2)
    assert [d.status for d in report.days] == ["ran", "failed", "failed"]
    assert "extract-tiktok 2026-04-02 is being written by" in report.days[1].error
    assert "2026-04-02 failed before it" in report.days[2].error
    retry = backfill(DAYS[0], DAYS[-1], workers=2)
    assert [d.status for d in retry.days] == ["skipped", "ran", "ran"]


def test_cli_backfill_prints_a_table(env: Path) -> None:
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "backfill", "--start", "2026-04-01", "--end",
         "2026-04-02", "--workers", "2"],
        env={**os.environ, "CLOUT_WAREHOUSE": str(env / "cli")}, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2026-04-01" in proc.stdout and "ran 2, skipped 0, failed 0" in proc.stdout


def test_cli_run_one_day(env: Path) -> None:
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", "--date", "2026-04-01"],
        env={**os.environ, "CLOUT_WAREHOUSE": str(env / "one")}, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2026-04-01: landed" in proc.stdout and "data docs:" in proc.stdout
    second = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "query",
         "select count(*) as n from pipeline_runs where status = 'success'"],
        env={**os.environ, "CLOUT_WAREHOUSE": str(env / "one")}, capture_output=True, text=True,
    )  # fmt: skip
    assert second.returncode == 0 and int(second.stdout.split()[-1]) >= 15
