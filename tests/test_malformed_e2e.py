"""With the simulator's malformed-row switch on, a whole run succeeds, the quarantine holds
exactly the bad rows (with reasons) and staging equals the clean run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import reload_settings
from pipeline.contracts import SOURCE_TABLES
from pipeline.simulator.malformed import TAG_COLUMNS, malformed_truth
from pipeline.simulator.server import Faults, SimulatorThread
from pipeline.warehouse.storage import Partition, Warehouse

DAY = date(2026, 3, 1)
RATE = 0.05
ACCOUNTS = 80  # bad rows in every table but audience (whose rows are never corrupted)
pytestmark = pytest.mark.slow


def _run(url: str, token: str, root: Path, mp: pytest.MonkeyPatch) -> Warehouse:
    from pipeline.flows.influencer_daily import run_day

    mp.setenv("CLOUT_WAREHOUSE", str(root))
    mp.setenv("CLOUT_API_URL", url)
    mp.setenv("CLOUT_API_TOKEN", token)
    mp.setenv("CLOUT_PII_KEY", "k")
    mp.setenv("CLOUT_PAGE_SIZE", "700")
    reload_settings()
    run_day(DAY)
    return Warehouse(root)


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Warehouse, Warehouse, SimulatorThread]]:
    mp = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("malformed")
    with SimulatorThread(accounts=ACCOUNTS, seed=5) as clean_sim:
        clean = _run(clean_sim.url, clean_sim.token, base / "clean", mp)
    faults = Faults(malformed_rate=RATE, seed=9)
    with SimulatorThread(accounts=ACCOUNTS, seed=5, faults=faults) as bad_sim:
        dirty = _run(bad_sim.url, bad_sim.token, base / "dirty", mp)
        yield clean, dirty, bad_sim
    mp.undo()
    reload_settings()


@pytest.mark.parametrize("table", list(SOURCE_TABLES))
def test_staging_equals_the_clean_run(runs, table: str) -> None:  # type: ignore[no-untyped-def]
    clean, dirty, _ = runs
    part = Partition.of("staging", SOURCE_TABLES[table].staging, DAY)
    assert dirty.read_partition(part).equals(clean.read_partition(part))


@pytest.mark.parametrize("table", list(SOURCE_TABLES))
def test_quarantine_holds_exactly_the_bad_rows(runs, table: str) -> None:  # type: ignore[no-untyped-def]
    _, dirty, sim = runs
    t = SOURCE_TABLES[table]
    truth = malformed_truth(sim.world, t.endpoint, DAY, rate=RATE, seed=9)
    quarantined = dirty.read_partition(Partition.of("quarantine", table, DAY))
    assert quarantined.num_rows == len(truth)
    assert all(quarantined.column("_reasons").to_pylist())
    if table in TAG_COLUMNS:  # audience rows are never corrupted (one bad share breaks a group)
        tag = TAG_COLUMNS[table]
        served = sorted(v for v in truth[tag].tolist() if v is not None)
        assert sorted(v for v in quarantined.column(tag).to_pylist() if v is not None) == served
    m = dirty.manifests("staging", t.staging, DAY)[0]
    assert m["raw_rows"] == m["staged_rows"] + m["quarantined_rows"] + m["duplicate_rows"]
    assert m["quarantined_rows"] == len(truth)


def test_validation_results_count_the_quarantined_rows(runs) -> None:  # type: ignore[no-untyped-def]
    from pipeline.warehouse.catalog import query

    _, dirty, _ = runs
    per_table = query(
        dirty,
        'select "table", sum(unexpected_count) as n from validation_results '
        "where source = 'quarantine' group by all",
    ).to_pylist()
    counts = {r["table"]: r["n"] for r in per_table}
    for table in SOURCE_TABLES:
        quarantined = dirty.read_partition(Partition.of("quarantine", table, DAY)).num_rows
        # every quarantined row failed at least one rule; each defect is exactly one
        assert counts.get(table, 0) == quarantined, table
    assert (dirty.docs_dir() / "index.html").exists()
