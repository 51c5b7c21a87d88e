"""SIGKILL a nightly run at many points (during extraction, inside a partition swap, between a
swap and its manifest, while publishing): readers never see a half partition, nothing is
duplicated, and the rerun gives the identical warehouse."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipeline.contracts import MARTS, SOURCE_TABLES
from pipeline.simulator.server import Faults, SimulatorThread
from pipeline.warehouse.catalog import register_views
from pipeline.warehouse.storage import Warehouse

DAY = "2026-05-01"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorThread]:
    # slow pages stretch the extraction so that timed kills land inside it
    with SimulatorThread(accounts=80, seed=4, faults=Faults(slow_ms=40)) as s:
        yield s


def _start(sim: SimulatorThread, root: Path, failpoint: str = "") -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUT_")}
    env.update(CLOUT_WAREHOUSE=str(root), CLOUT_API_URL=sim.url, CLOUT_API_TOKEN=sim.token,
               CLOUT_PII_KEY="k", CLOUT_PAGE_SIZE="200", CLOUT_FAILPOINT=failpoint)  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", "--date", DAY],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _run(sim: SimulatorThread, root: Path) -> None:
    proc = _start(sim, root)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()[-2000:]


def _content(wh: Warehouse) -> dict[str, str]:
    out = {}
    for layer in ("staging", "quarantine", "marts"):
        for f in sorted(wh.root.glob(f"{layer}/*/dt=*/*")):
            out[str(f.relative_to(wh.root))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def _assert_readers_see_whole_partitions(wh: Warehouse) -> None:
    for part_dir in wh.root.glob("*/*/dt=*"):
        if part_dir.parts[-3] in ("_manifests", "_tmp", "_locks"):
            continue
        layer = part_dir.parts[-3]
        if layer == "raw":
            for p in part_dir.glob("platform=*"):
                assert [f.name for f in p.iterdir()] == ["part-0.jsonl"], p
            continue
        if layer == "meta":
            continue
        files = [f.name for f in part_dir.iterdir()]
        assert files == ["part-0.parquet"], (part_dir, files)  # nothing half, nothing twice
        pq.read_table(part_dir / "part-0.parquet")  # a complete file
    con = duckdb.connect()
    register_views(con, wh)
    for name in [t.staging for t in SOURCE_TABLES.values()] + list(MARTS):
        con.execute(f"select count(*) from {name}").fetchall()


def test_kills_never_leave_half_partitions_and_rerun_is_identical(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    reference = Warehouse(tmp_path / "reference")
    _run(sim, reference.root)
    crashed = Warehouse(tmp_path / "crashed")

    # named points inside the storage layer, then kills at times spread over the run
    for point in ("swap:3", "manifest:5", "swap:9", "manifest:14", "swap:20", "catalog:1"):
        proc = _start(sim, crashed.root, point)
        proc.wait(timeout=600)
        assert proc.returncode == -signal.SIGKILL, (
            point,
            proc.stderr.read().decode()[-1500:] if proc.stderr else "",
        )
        _assert_readers_see_whole_partitions(crashed)
    for delay in (0.8, 1.6, 2.4, 3.5):
        proc = _start(sim, crashed.root)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        _assert_readers_see_whole_partitions(crashed)

    _run(sim, crashed.root)
    _assert_readers_see_whole_partitions(crashed)
    assert _content(crashed) == _content(reference)
