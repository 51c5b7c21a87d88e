"""The warehouse on an S3-compatible object store (moto's server on loopback): Delta commits
through delta-rs, the raw zone's attempt folders and manifests, two writers of one day."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from s3kit import S3Server

from pipeline.warehouse import storage
from pipeline.warehouse.storage import ATTEMPT_PREFIX, Partition, Warehouse, WriteConflict

DAY = "2026-03-01"
pytestmark = pytest.mark.objectstore


@pytest.fixture
def wh(s3_server: S3Server, tmp_path: Path) -> Warehouse:
    return Warehouse(s3_server.bucket(), local_dir=tmp_path / "local")


def _land(wh: Warehouse, part: Partition, text: str) -> dict[str, Any]:
    with wh.staging_dir() as tmp:
        work = tmp / "p"
        work.mkdir()
        (work / "part-0.jsonl").write_text(text)
        return wh.publish_dir(part, work, "r", rows=text.count("\n"))


def test_settings_keep_an_s3_root_a_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pipeline.config import Settings

    monkeypatch.setenv("CLOUT_WAREHOUSE", "s3://my-bucket/a/b/")
    monkeypatch.setenv("CLOUT_LOCAL_DIR", str(tmp_path))
    s = Settings()
    assert s.warehouse == "s3://my-bucket/a/b"
    wh = Warehouse(s.warehouse, s.local_dir)
    assert wh.remote and wh.uri == "s3://my-bucket/a/b"
    assert wh.root == tmp_path / "my-bucket/a/b"  # locks, work folders, catalog, Data Docs
    assert wh.table_uri("marts", "m") == "s3://my-bucket/a/b/marts/m"
    monkeypatch.setenv("CLOUT_WAREHOUSE", "gs://b/x")
    with pytest.raises(ValueError, match="object stores are named s3://bucket/prefix"):
        Settings()
    monkeypatch.setenv("CLOUT_WAREHOUSE", "s3://ab/x")
    with pytest.raises(ValueError, match="at least 3 characters"):
        Settings()
    monkeypatch.setenv("CLOUT_WAREHOUSE", "warehouse")
    assert Settings().warehouse == Path("warehouse")  # a local path stays a Path


def test_a_day_written_read_overwritten_and_checked(wh: Warehouse) -> None:
    part = Partition.of("staging", "stg_t", DAY)
    other = Partition.of("staging", "stg_t", "2026-03-02")
    wh.write_table(part, pa.table({"a": [1, 2, 3]}), "r1", extra={"note": "x"})
    wh.write_table(other, pa.table({"a": [9]}), "r1")
    wh.write_table(part, pa.table({"a": [4, 5]}), "r2")  # one commit replaces the day
    assert wh.read_partition(part)["a"].to_pylist() == [4, 5]
    assert wh.read_partition(other)["a"].to_pylist() == [9]
    assert wh.delta_tables("staging") == ["stg_t"]
    m = wh.read_manifest(part)
    assert m is not None and m["rows"] == 2 and m["run_id"] == "r2" and m["version"] == 3
    files = wh.partition_files(part)
    assert [f["name"] for f in m["files"]] == [f.name for f in files]
    assert all(f["bytes"] > 0 for f in m["files"])
    assert str(files[0]).startswith(wh.base + "/staging/stg_t/dt=2026-03-01/")
    assert wh.check_partition(part) == 2
    assert wh.dataset("staging", "stg_t", version=1).count_rows() == 3  # time travel  # type: ignore[union-attr]
    assert not (wh.root / "staging").exists()  # nothing of the table on the local disk


def test_rows_added_behind_the_warehouse_are_caught(wh: Warehouse) -> None:
    from datetime import date

    from deltalake import write_deltalake

    part = Partition.of("staging", "stg_t", DAY)
    wh.write_table(part, pa.table({"a": [1, 2]}), "r1")
    extra = pa.table({"a": [3], "dt": pa.array([date(2026, 3, 1)], pa.date32())})
    uri = wh.table_uri("staging", "stg_t")
    write_deltalake(uri, extra, mode="append", storage_options=wh.storage_options())
    with pytest.raises(storage.ManifestMismatch, match="holds 3 rows, its commit .* recorded 2"):
        wh.check_partition(part)


def test_maintenance_on_the_store(wh: Warehouse) -> None:
    part = Partition.of("marts", "m", DAY)
    for run in range(3):
        wh.write_table(part, pa.table({"a": [run]}), f"r{run}")
    report = {t["table"]: t for t in wh.maintain(retention_hours=0)}
    assert report["marts/m"]["rows"] == 1 and report["marts/m"]["vacuumed"] == 2
    assert wh.check_partition(part) == 1


def test_raw_partition_goes_live_with_its_manifest(wh: Warehouse) -> None:
    part = Partition.of("raw", "posts", DAY, platform="tiktok")
    assert not wh.exists(part) and wh.partition_files(part) == []
    m = _land(wh, part, '{"a": 1}\n{"a": 2}\n')
    assert m["attempt"].startswith(ATTEMPT_PREFIX) and m["rows"] == 2
    files = wh.partition_files(part)
    assert files == [
        PurePosixPath(
            wh.base, "raw/posts/dt=2026-03-01/platform=tiktok", m["attempt"], "part-0.jsonl"
        )
    ]
    assert wh.manifests("raw", "posts", DAY) == [m]
    with wh.local_copies(files) as local:
        assert local[0].read_text() == '{"a": 1}\n{"a": 2}\n'
        copies = local[0]
    assert not copies.exists()  # copies are removed afterwards
    table = Partition.of("raw", "orders", DAY)  # a Parquet raw partition, read back
    wh.write_table(table, pa.table({"o": [1, 2]}), "r")
    assert wh.read_partition(table).equals(pa.table({"o": [1, 2]}))


def test_raw_partition_replaced_under_a_reader(wh: Warehouse) -> None:
    """A reader holding the old manifest still reads the old partition whole after one
    replacement; uploads no manifest names (a killed run's, or another host's in progress) stay
    until they are older than the grace period; then the next publish removes them and the
    attempt before the previous one."""
    import pyarrow.fs as pafs

    part = Partition.of("raw", "posts", DAY, platform="tiktok")
    folder = f"{wh.base}/raw/posts/dt={DAY}/platform=tiktok"
    first = _land(wh, part, '{"v": 1}\n')
    held = wh.partition_files(part)  # a reader read the manifest ...
    with wh.fs.open_output_stream(f"{folder}/{ATTEMPT_PREFIX}other/part-0.jsonl") as out:
        out.write(b'{"v": 0}\n')  # an upload without its manifest
    second = _land(wh, part, '{"v": 2}\n{"v": 2}\n')  # ... a writer replaces the partition
    with wh.local_copies(held) as local:  # ... the reader still gets the old one, whole
        assert local[0].read_text() == '{"v": 1}\n'
    with wh.local_copies(wh.partition_files(part)) as local:
        assert local[0].read_text() == '{"v": 2}\n{"v": 2}\n'

    def attempts() -> set[str]:
        return {i.base_name for i in wh.fs.get_file_info(pafs.FileSelector(folder))}

    assert attempts() == {first["attempt"], f"{ATTEMPT_PREFIX}other", second["attempt"]}
    wh.attempt_grace_s = 0  # every upload is old now
    third = _land(wh, part, '{"v": 3}\n')
    assert attempts() == {second["attempt"], third["attempt"]}
    with pytest.raises(FileNotFoundError), wh.local_copies(held):
        pass  # replaced twice: the old files are gone, never a mix


def _write(root: str, local: str, writer: int, barrier: Any) -> str:
    wh = Warehouse(root, local_dir=local)
    table = pa.table({"writer": pa.array([writer] * 1000, pa.int64())})
    barrier.wait()
    try:
        wh.write_table(Partition.of("staging", "stg_t", DAY), table, f"run-{writer}")
        return "ok"
    except WriteConflict as e:
        wh.write_table(Partition.of("staging", "stg_t", DAY), table, f"run-{writer}")  # retry
        return str(e)


def test_two_writers_of_a_day_one_conflicts_and_its_retry_wins(
    wh: Warehouse, s3_server: S3Server
) -> None:
    """The store's conditional PUT (no lock table): of two writers of a day that overlap, one
    commits, the other gets WriteConflict; its retry commits; the day holds one writer's rows."""
    ctx = multiprocessing.get_context("spawn")
    wh.write_table(Partition.of("staging", "stg_t", DAY), pa.table({"writer": [0]}), "run-0")
    conflicts: list[str] = []
    with ctx.Manager() as manager, ProcessPoolExecutor(2, mp_context=ctx) as pool:
        for _ in range(10):  # timing decides whether they overlap; usually the first round
            barrier = manager.Barrier(2)
            args = [(wh.uri, str(wh.root), w, barrier) for w in (1, 2)]
            conflicts += [r for r in pool.map(_write, *zip(*args, strict=True)) if r != "ok"]
            rows = wh.read_partition(Partition.of("staging", "stg_t", DAY))
            writers = pc.unique(rows["writer"]).to_pylist()
            assert len(writers) == 1 and rows.num_rows == 1000, writers  # never a mix
            if conflicts:
                break
    assert conflicts, "the two writers never overlapped"
    assert "committed by another writer while this run wrote it; rerun" in conflicts[0]
    assert wh.check_partition(Partition.of("staging", "stg_t", DAY)) == 1000
