"""clout backfill: parallel days give the nightly warehouse; complete days are skipped; a day
held by another run fails alone with a clear message, and the retry completes the warehouse;
every stage lands in pipeline_runs.

Built once for the module: the nightly warehouse (the first day by ``clout run``, the others by
``run_day``) and the backfilled one (a backfill while another run holds a day, then its retry).
Tests that change a warehouse work on a copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from s3kit import S3Server

from pipeline.config import reload_settings
from pipeline.flows.backfill import BackfillReport
from pipeline.simulator.server import SimulatorThread
from pipeline.warehouse.storage import Warehouse

DAYS = [date(2026, 4, 1), date(2026, 4, 2), date(2026, 4, 3)]
pytestmark = pytest.mark.slow


@dataclass
class Built:
    nightly: Warehouse
    filled: Warehouse
    run_stdout: str  #: what ``clout run`` printed for the first nightly day
    locked: BackfillReport  #: the backfill while another run held DAYS[1]'s tiktok extraction
    progress: list[str]  #: what ``on_progress`` reported during that backfill
    retry: BackfillReport  #: the same backfill again, once the lock was released


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorThread]:
    with SimulatorThread(accounts=30, seed=21) as s:
        yield s


def _clout_env(sim: SimulatorThread, root: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLOUT_")}
    return {**base, "CLOUT_WAREHOUSE": str(root), "CLOUT_API_URL": sim.url,
            "CLOUT_API_TOKEN": sim.token, "CLOUT_PII_KEY": "k"}  # fmt: skip


def clout(sim: SimulatorThread, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=_clout_env(sim, root), capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def built(sim: SimulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from pipeline.flows.backfill import backfill
    from pipeline.flows.influencer_daily import run_day

    base = tmp_path_factory.mktemp("backfill")
    mp = pytest.MonkeyPatch()
    for k, v in _clout_env(sim, base).items():
        if k.startswith("CLOUT_"):
            mp.setenv(k, v)

    nightly = Warehouse(base / "nightly")
    first = clout(sim, nightly.root, "run", "--date", DAYS[0].isoformat())
    assert first.returncode == 0, first.stderr[-2000:]
    mp.setenv("CLOUT_WAREHOUSE", str(nightly.root))
    reload_settings()
    for d in DAYS[1:]:
        run_day(d)

    filled = Warehouse(base / "filled")
    mp.setenv("CLOUT_WAREHOUSE", str(filled.root))
    reload_settings()
    seen: list[str] = []
    with filled.day_lock("extract-tiktok", DAYS[1]):
        locked = backfill(DAYS[0], DAYS[-1], workers=2, on_progress=lambda o: seen.append(o.status))
    retry = backfill(DAYS[0], DAYS[-1], workers=2)
    yield Built(nightly, filled, first.stdout, locked, seen, retry)
    mp.undo()
    reload_settings()


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
    built: Built, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.flows.backfill import backfill
    from pipeline.warehouse.catalog import query

    assert [d.status for d in built.retry.days] == ["skipped", "ran", "ran"]
    assert content(built.filled) == content(built.nightly)

    _use(built.filled.root, monkeypatch)
    again = backfill(DAYS[0], DAYS[-1], workers=2)  # writes nothing: every day is skipped
    assert [d.status for d in again.days] == ["skipped"] * 3

    runs = query(
        built.filled, "select stage, status, count(*) as n from pipeline_runs group by all"
    ).to_pylist()
    stages = {r["stage"] for r in runs}
    assert {"extract:instagram", "stage:posts", "validate:posts", "mart:influencer_daily"} <= stages
    assert all(r["status"] == "success" for r in runs)  # a held day fails before it starts


def test_a_day_held_by_another_run_fails_alone(built: Built) -> None:
    report = built.locked
    assert [d.status for d in report.days] == ["ran", "failed", "failed"]
    assert sorted(built.progress) == ["failed", "failed", "ran"]
    assert "extract-tiktok 2026-04-02 is being written by" in report.days[1].error
    assert "2026-04-02 failed before it" in report.days[2].error
    assert [d.status for d in built.retry.days] == ["skipped", "ran", "ran"]


def test_cli_backfill_prints_a_table(built: Built, sim: SimulatorThread, tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "cli")  # a copy of the backfilled warehouse, one day forced again
    shutil.copytree(built.filled.root, wh.root, symlinks=True)
    proc = clout(sim, wh.root, "backfill", "--start", "2026-04-02", "--end", "2026-04-02",
                 "--force", "--workers", "2")  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2026-04-02" in proc.stdout and "ran 1, skipped 0, failed 0" in proc.stdout, proc.stdout
    assert content(wh) == content(built.nightly)


def test_cli_run_one_day(built: Built, sim: SimulatorThread) -> None:
    """``clout run`` built the first nightly day (in the ``built`` fixture)."""
    assert "2026-04-01: landed" in built.run_stdout and "data docs:" in built.run_stdout
    second = clout(sim, built.nightly.root, "query",
                   "select count(*) as n from pipeline_runs where status = 'success' "
                   "and dt = '2026-04-01'")  # fmt: skip
    assert second.returncode == 0 and int(second.stdout.split()[-1]) >= 15, second.stderr


@pytest.mark.objectstore
def test_backfill_on_an_object_store_equals_the_nightly_run(
    built: Built, env: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first day backfilled (a spawned worker) into an S3 warehouse (moto on loopback) holds
    the nightly local run's rows; its completion marker lives on the store: a second backfill
    skips it. One day only: the parallel days are proven on the local path above."""
    from pipeline.flows.backfill import backfill

    root = s3_server.bucket()
    monkeypatch.setenv("CLOUT_WAREHOUSE", root)
    monkeypatch.setenv("CLOUT_LOCAL_DIR", str(env / "local"))
    reload_settings()
    report = backfill(DAYS[0], DAYS[0], workers=1)
    assert [d.status for d in report.days] == ["ran"], report
    wh = Warehouse(root, local_dir=env / "local")
    assert wh.content_digest(DAYS[:1]) == built.nightly.content_digest(DAYS[:1])
    assert [d.status for d in backfill(DAYS[0], DAYS[0]).days] == ["skipped"]
