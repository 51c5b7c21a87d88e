"""SIGKILL a nightly run at named failpoints (during extraction, inside a raw partition swap,
before and right after a Delta commit, during the marts, while publishing the catalog): readers
never see a half partition (a Delta table stays at its last commit, whose recorded counts match
its rows), nothing is duplicated, no killed run marks the day complete, and the rerun gives the
same rows.

The kills are deterministic: ``CLOUT_FAILPOINT=name[:n]`` makes the run SIGKILL itself the n-th
time it reaches ``failpoint("name")`` (``pipeline.warehouse.storage.failpoint``), no timing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from s3kit import S3Server

from pipeline.contracts import MARTS, SOURCE_TABLES
from pipeline.flows.runlog import day_complete
from pipeline.simulator.server import SimulatorThread
from pipeline.warehouse.catalog import register_views
from pipeline.warehouse.storage import Partition, Warehouse, sha256_file

DAY = "2026-05-01"
pytestmark = pytest.mark.slow

#: Kills in this order on one warehouse, each run starting over what the previous ones left.
#: A run lands 15 raw partitions (5 tables x 3 platforms, 4 streams at a time), then per table a
#: quarantine and a staging partition, then the marts in ``MARTS`` order, then the catalog.
KILLS = [
    "extract.page:6",  # during extraction: pages fetched into work folders, none swapped in yet
    "swap.raw:8",  # inside a raw partition swap, 7 raw partitions in place
    "swap.staging:2",  # a staged table-day's rows ready, not committed
    "manifest.staging:3",  # right after a staging commit, before the next table's
    "swap.marts:2",  # a mart's rows ready, not committed
    "mart.fraud_flags",  # during the marts: influencer_daily built, fraud_flags not yet
    "catalog",  # while publishing: the new catalog built, not yet swapped in
]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorThread]:
    with SimulatorThread(accounts=30, seed=4) as s:
        yield s


def _env(sim: SimulatorThread, root: Path | str) -> dict[str, str]:
    return dict(CLOUT_WAREHOUSE=str(root), CLOUT_API_URL=sim.url, CLOUT_API_TOKEN=sim.token,
                CLOUT_PII_KEY="k", CLOUT_PAGE_SIZE="100")  # fmt: skip


def _start(
    sim: SimulatorThread, root: Path | str, failpoint: str = "", **extra: str
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUT_")}
    env.update(_env(sim, root), CLOUT_FAILPOINT=failpoint, **extra)
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", "--date", DAY],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _kill_at(sim: SimulatorThread, root: Path | str, point: str, **extra: str) -> None:
    """A run that SIGKILLs itself at the failpoint ``point`` (``name[:n]``), and did."""
    proc = _start(sim, root, point, **extra)
    _, err = proc.communicate(timeout=600)
    name, _, nth = point.partition(":")
    assert proc.returncode == -signal.SIGKILL, (point, err.decode()[-1500:])
    assert f"clout: failpoint {name}:{nth or 1} reached" in err.decode(), point


def _run(sim: SimulatorThread, root: Path) -> None:
    proc = _start(sim, root)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()[-2000:]


def _content(wh: Warehouse) -> dict[str, str]:
    return wh.content_digest([date.fromisoformat(DAY)])


def _assert_readers_see_whole_partitions(wh: Warehouse) -> None:
    for part_dir in wh.root.glob("raw/*/dt=*"):
        for p in part_dir.glob("platform=*"):
            assert [f.name for f in p.iterdir()] == ["part-0.jsonl"], p
    for layer in ("staging", "quarantine", "marts"):
        for table in wh.delta_tables(layer):
            for m in wh.manifests(layer, table, DAY):  # each partition of the day's last commit
                part = Partition.of(layer, table, DAY, **{k: v for k, v in
                                    m["partition"].items() if k != "dt"})  # fmt: skip
                wh.check_partition(part)  # its rows are the rows its commit recorded
    con = duckdb.connect()
    register_views(con, wh)
    for name in [t.staging for t in SOURCE_TABLES.values()] + list(MARTS):
        con.execute(f"select count(*) from {name}").fetchall()


def _assert_manifests_match_partitions(wh: Warehouse) -> None:
    manifests = sorted((wh.root / "_manifests" / "raw").rglob("*.json"))
    assert manifests
    for manifest in manifests:
        part = wh.root / manifest.relative_to(wh.root / "_manifests").with_suffix("")
        files = {f["name"]: f["sha256"] for f in json.loads(manifest.read_text())["files"]}
        assert files == {f.name: sha256_file(f) for f in part.iterdir()}, part
    for layer in ("staging", "quarantine", "marts"):
        assert wh.delta_tables(layer), layer
        for table in wh.delta_tables(layer):
            assert wh.manifests(layer, table, DAY), (layer, table)


def test_kills_never_leave_half_partitions_and_rerun_is_identical(
    sim: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.config import reload_settings
    from pipeline.flows.influencer_daily import run_day

    reference = Warehouse(tmp_path / "reference")  # an uninterrupted run, in this process
    for k, v in _env(sim, reference.root).items():
        monkeypatch.setenv(k, v)
    reload_settings()
    run_day(date.fromisoformat(DAY))
    monkeypatch.undo()
    reload_settings()
    crashed = Warehouse(tmp_path / "crashed")

    for point in KILLS:
        _kill_at(sim, crashed.root, point)
        _assert_readers_see_whole_partitions(crashed)
        assert not day_complete(crashed, "influencer_daily", date.fromisoformat(DAY)), point

    _run(sim, crashed.root)
    _assert_readers_see_whole_partitions(crashed)
    _assert_manifests_match_partitions(crashed)
    assert day_complete(crashed, "influencer_daily", date.fromisoformat(DAY))
    assert _content(crashed) == _content(reference)


#: Kills of a run into an object store: inside raw publishes (files uploaded, manifest not PUT;
#: manifest PUT, stale attempts not removed) and before a Delta commit. The rerun after kills is
#: proven on the local path above; an S3 run's rows are compared with a local run's in
#: tests/dags/test_end_to_end.py.
S3_KILLS = ["swap.raw:8", "swapped.raw:3", "swap.staging:1"]


def _assert_store_partitions_whole(wh: Warehouse) -> None:
    """Every raw manifest names files that exist with its checksums; every Delta partition of
    the day holds the rows its commit recorded."""
    import hashlib

    import pyarrow.fs as pafs

    sel = pafs.FileSelector(f"{wh.base}/_manifests/raw", recursive=True, allow_not_found=True)
    manifests = [i.path for i in wh.fs.get_file_info(sel) if i.path.endswith(".json")]
    assert manifests
    for key in manifests:
        with wh.fs.open_input_stream(key) as f:
            m = json.loads(f.read())
        part = Partition.of("raw", m["table"], DAY, **{k: v for k, v in m["partition"].items()
                                                      if k != "dt"})  # fmt: skip
        for f, want in zip(wh.partition_files(part), m["files"], strict=True):
            with wh.fs.open_input_stream(str(f)) as data:
                assert hashlib.sha256(data.read()).hexdigest() == want["sha256"], f
    for layer in ("staging", "quarantine"):
        for table in wh.delta_tables(layer):
            if wh.manifests(layer, table, DAY):  # written by a commit of the killed runs
                wh.check_partition(Partition.of(layer, table, DAY))


@pytest.mark.objectstore
def test_kills_on_an_object_store_never_leave_half_partitions(
    sim: SimulatorThread, s3_server: S3Server, tmp_path: Path
) -> None:
    root = s3_server.bucket()
    local = str(tmp_path / "local")
    wh = Warehouse(root, local_dir=local)
    for point in S3_KILLS:
        _kill_at(sim, root, point, CLOUT_LOCAL_DIR=local)
        _assert_store_partitions_whole(wh)
        assert not day_complete(wh, "influencer_daily", date.fromisoformat(DAY)), point
