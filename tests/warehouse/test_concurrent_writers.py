"""Several processes writing one Delta table at once: writers of different days all commit; of
writers of the same day one wins, the others get a clear WriteConflict and their retry succeeds;
the day holds exactly one writer's rows, never a mix, and no other day loses rows."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.warehouse.storage import Partition, Warehouse, WriteConflict

ROWS = 100_000
#: three writers of one day, one of another
JOBS = [("2026-03-01", 1), ("2026-03-01", 2), ("2026-03-01", 3), ("2026-03-02", 4)]


def _write(root: str, day: str, writer: int, barrier: Any) -> tuple[str, int, str]:
    """One writer process: wait for the others, write its rows, retry on a conflict."""
    wh = Warehouse(root)
    table = pa.table({"writer": pa.array([writer] * ROWS, pa.int64()), "i": pa.array(range(ROWS))})
    part = Partition.of("staging", "stg_t", day)
    barrier.wait()
    errors: list[str] = []
    for _ in range(len(JOBS)):  # each conflict means another writer committed: at most N - 1
        try:
            wh.write_table(part, table, f"run-{writer}")
            return day, writer, "; ".join(errors) or "ok"
        except WriteConflict as e:
            errors.append(str(e))
    raise AssertionError(f"writer {writer} never committed: {errors}")


def test_same_day_writers_one_wins_the_others_retry(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    ctx = multiprocessing.get_context("spawn")  # delta-rs must not run in a forked child
    jobs = JOBS
    conflicts: list[str] = []
    with ctx.Manager() as manager, ProcessPoolExecutor(len(jobs), mp_context=ctx) as pool:
        for _ in range(20):  # timing decides who collides; rounds until one did (usually the first)
            barrier = manager.Barrier(len(jobs))
            results = list(pool.map(_write, *zip(*[(str(tmp_path), d, w, barrier)
                                                   for d, w in jobs], strict=True)))  # fmt: skip
            conflicts += [r for d, _, r in results if r != "ok" and d == "2026-03-01"]
            assert all(r == "ok" for d, _, r in results if d == "2026-03-02"), results
            for day in ("2026-03-01", "2026-03-02"):
                rows = wh.read_partition(Partition.of("staging", "stg_t", day))
                writers = pc.unique(rows["writer"]).to_pylist()
                assert len(writers) == 1 and rows.num_rows == ROWS, (day, writers)  # no mix
                m = wh.read_manifest(Partition.of("staging", "stg_t", day))
                assert m is not None and m["run_id"] == f"run-{writers[0]}"
                assert wh.check_partition(Partition.of("staging", "stg_t", day)) == ROWS
            if conflicts:
                break
    assert conflicts, "no two writers of a day ever overlapped"
    assert "committed by another writer while this run wrote it; rerun" in conflicts[0]
    assert wh.content_digest([date(2026, 3, 1)], ("staging",))  # the table reads whole


def test_writers_of_different_days_of_a_new_table_all_commit(tmp_path: Path) -> None:
    """The first writers of a table each find no table and create it: delta-rs commits the
    second create as the table's next version, whose metadata change failed the writers that
    started from the first (a backfill's first night lost a day to it). No rows moved, so the
    write is tried again, and every writer of its own day commits."""
    import threading

    for n in range(20):  # 20 new tables, each raced for by four writers of four days
        barrier = threading.Barrier(4)
        errors: list[str] = []

        def write(
            day: int, n: int = n, barrier: threading.Barrier = barrier, errors: list[str] = errors
        ) -> None:
            wh = Warehouse(tmp_path)  # each writer its own handles, as separate hosts have
            rows = pa.table({"writer": pa.array([day], pa.int64())})
            barrier.wait()
            try:
                wh.write_table(Partition.of("staging", f"t{n}", date(2026, 3, day)), rows, "r")
            except WriteConflict as e:
                errors.append(str(e))

        threads = [threading.Thread(target=write, args=(d,)) for d in range(1, 5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        ds = Warehouse(tmp_path).dataset("staging", f"t{n}")
        assert ds is not None and sorted(ds.to_table()["writer"].to_pylist()) == [1, 2, 3, 4]
