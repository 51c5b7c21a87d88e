"""The real DAG through dag.test() against the simulator over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from s3kit import S3Server

from pipeline.contracts import MARTS, PLATFORMS, SOURCE_TABLES
from pipeline.simulator.server import SimulatorThread
from pipeline.warehouse.storage import Partition, Warehouse, table_digest

DAYS = [date(2026, 3, 1), date(2026, 3, 2)]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorThread]:
    with SimulatorThread(accounts=40, seed=11) as s:
        yield s


@pytest.fixture(scope="module")
def dag_run(airflow_home: Path, sim: SimulatorThread, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Two consecutive days run by dag.test(); yields the warehouse."""
    from pipeline.airflow_local import load_dag, run_dag_for_day
    from pipeline.config import reload_settings

    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("e2e") / "warehouse"
    mp.setenv("CLOUT_WAREHOUSE", str(root))
    mp.setenv("CLOUT_API_URL", sim.url)
    mp.setenv("CLOUT_API_TOKEN", sim.token)
    mp.setenv("CLOUT_PII_KEY", "e2e-key")
    from pipeline.simulator.briefs import write_demo_briefs

    mp.setenv("CLOUT_BRIEFS", str(write_demo_briefs(root.parent / "briefs")))
    reload_settings()
    dag = load_dag("influencer_daily")
    states = [run_dag_for_day(dag, d) for d in DAYS]
    yield Warehouse(root), dag, states
    mp.undo()
    reload_settings()


def _content(wh: Warehouse, layer: str, table: str, day: date) -> str:
    return table_digest(wh.read_partition(Partition.of(layer, table, day)))


def test_runs_succeed(dag_run) -> None:  # type: ignore[no-untyped-def]
    _, _, states = dag_run
    assert all("success" in s for s in states), states


def test_row_counts_match_what_the_simulator_served(dag_run, sim: SimulatorThread) -> None:  # type: ignore[no-untyped-def]
    wh, _, _ = dag_run
    for day in DAYS:
        for t in SOURCE_TABLES.values():
            served = sum(len(sim.world.frame(t.endpoint, day, p)) for p in PLATFORMS)
            landed = sum(m["rows"] for m in wh.manifests("raw", t.name, day))
            staged = wh.read_partition(Partition.of("staging", t.staging, day)).num_rows
            assert landed == served, (t.name, day)
            assert staged == served, (t.name, day)  # clean simulator data: nothing rejected
        accounts = sum(len(sim.world.frame("accounts", day, p)) for p in PLATFORMS)
        mart = wh.read_partition(Partition.of("marts", "influencer_daily", day))
        assert mart.num_rows == accounts


def test_duckdb_views_answer(dag_run) -> None:  # type: ignore[no-untyped-def]
    wh, _, _ = dag_run
    con = duckdb.connect(str(wh.duckdb_path()), read_only=True)
    for name in [t.staging for t in SOURCE_TABLES.values()] + list(MARTS):
        days = con.execute(f"select count(distinct dt) from {name}").fetchone()
        assert days == (2,), name
    delta = con.execute(
        "select count(*) from influencer_daily where dt = '2026-03-02' and follower_delta is not null"
    ).fetchone()
    assert delta is not None and delta[0] > 0  # day 2 sees day 1's followers
    first = con.execute(
        "select count(*) from influencer_daily where dt = '2026-03-01' and follower_delta is not null"
    ).fetchone()
    assert first == (0,)


def test_follower_ids_are_pseudonymised(dag_run, sim: SimulatorThread) -> None:  # type: ignore[no-untyped-def]
    wh, _, _ = dag_run
    served = set(sim.world.frame("follower_samples", DAYS[0])["follower_id"].astype(str))
    raw = b"".join(
        f.read_bytes() for f in wh.root.glob("raw/follower_samples/dt=*/*/*.jsonl")
    ).decode()
    staged = set(
        wh.read_partition(Partition.of("staging", "stg_follower_samples", DAYS[0]))
        .column("follower_id")
        .to_pylist()
    )
    assert served and not (served & staged)
    assert not any(
        f'"follower_id":"{i}"' in raw or f'"follower_id":{i}' in raw for i in list(served)[:200]
    )


def test_rerun_of_a_day_is_idempotent(dag_run) -> None:  # type: ignore[no-untyped-def]
    from pipeline.airflow_local import run_dag_for_day

    wh, dag, _ = dag_run
    tables = [("staging", t.staging) for t in SOURCE_TABLES.values()] + [
        ("marts", m) for m in MARTS
    ]
    before = {t: _content(wh, *t, DAYS[0]) for t in tables}
    other_day = {t: _content(wh, *t, DAYS[1]) for t in tables}
    assert "success" in run_dag_for_day(dag, DAYS[0])
    assert {t: _content(wh, *t, DAYS[0]) for t in tables} == before
    assert {t: _content(wh, *t, DAYS[1]) for t in tables} == other_day


def test_manifests_record_lineage(dag_run) -> None:  # type: ignore[no-untyped-def]
    wh, _, _ = dag_run
    m = wh.manifests("staging", "stg_posts", DAYS[1])[0]
    assert m["raw_rows"] == m["staged_rows"] + m["quarantined_rows"] + m["duplicate_rows"]
    assert m["run_id"] and m["files"][0]["bytes"] > 0 and m["version"] >= 1
    line = (
        next(iter(wh.root.glob("raw/posts/dt=2026-03-02/platform=tiktok/*.jsonl")))
        .open()
        .readline()
    )
    lineage = json.loads(line)
    assert {"_run_id", "_extracted_at", "_source", "_page", "page"} <= lineage.keys()


@pytest.mark.objectstore
def test_the_dag_on_an_object_store_gives_the_local_rows(  # type: ignore[no-untyped-def]
    dag_run, sim: SimulatorThread, s3_server: S3Server, tmp_path: Path
) -> None:
    """The first day again, by dag.test(), into an S3 warehouse (moto on loopback): the same
    rows as the local warehouse, the raw pages and every table on the store, only local state
    (locks, work folders, Data Docs) on this host."""
    from pipeline.airflow_local import run_dag_for_day
    from pipeline.config import reload_settings

    local, dag, _ = dag_run
    root = s3_server.bucket()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLOUT_WAREHOUSE", root)
        mp.setenv("CLOUT_LOCAL_DIR", str(tmp_path))
        reload_settings()
        try:
            assert "success" in run_dag_for_day(dag, DAYS[0])
        finally:
            mp.undo()
            reload_settings()
    wh = Warehouse(root, local_dir=tmp_path)
    assert wh.content_digest([DAYS[0]]) == local.content_digest([DAYS[0]])
    for t in SOURCE_TABLES.values():
        served = sum(len(sim.world.frame(t.endpoint, DAYS[0], p)) for p in PLATFORMS)
        assert sum(m["rows"] for m in wh.manifests("raw", t.name, DAYS[0])) == served, t.name
    assert wh.check_partition(Partition.of("marts", "influencer_daily", DAYS[0]))
    assert (wh.root / "docs" / "index.html").exists() and not wh.duckdb_path().exists()
    assert not list(wh.root.glob("raw")) and not list(wh.root.glob("*/*/_delta_log"))
