"""Warehouse paths, raw partition swaps, Delta commits and their manifests, locks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.warehouse import storage
from pipeline.warehouse.storage import DayLocked, Partition, Warehouse


def test_partition_path_is_hive_style(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    part = Partition.of("raw", "posts", date(2026, 3, 1), platform="tiktok")
    assert wh.path(part) == tmp_path / "raw/posts/dt=2026-03-01/platform=tiktok"
    assert (
        wh.manifest_path(part)
        == tmp_path / "_manifests/raw/posts/dt=2026-03-01/platform=tiktok.json"
    )


def test_unknown_layer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown warehouse layer"):
        Partition.of("gold", "x", "2026-03-01")


def test_write_read_back_with_manifest(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    part = Partition.of("staging", "stg_t", "2026-03-01")
    t = pa.table({"a": [1, 2, 3]})
    m = wh.write_table(part, t, "run-1", extra={"note": "x"})
    assert (tmp_path / "staging/stg_t/_delta_log").is_dir()  # a Delta table
    assert wh.read_partition(part).equals(t)
    assert m["rows"] == 3 and m["run_id"] == "run-1" and m["note"] == "x"
    back = wh.read_manifest(part)  # from the commit's metadata
    assert back is not None and back["rows"] == 3 and back["note"] == "x"
    assert back["run_id"] == "run-1" and back["version"] == 1  # 0 created the table
    assert [f["name"] for f in back["files"]] == [p.name for p in wh.partition_files(part)]
    assert wh.manifests("staging", "stg_t", "2026-03-01") == [back]
    assert wh.check_partition(part) == 3


def test_large_raw_table_is_written_as_ordered_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "ROWS_PER_FILE", 10)
    wh = Warehouse(tmp_path)
    part = Partition.of("raw", "t", "2026-03-01")
    t = pa.table({"a": list(range(35)), "b": [str(i) for i in range(35)]})
    m = wh.write_table(part, t, "run-1")
    names = [f["name"] for f in m["files"]]
    assert names == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]  # 35 // 10
    assert wh.read_partition(part).equals(t)  # in order
    assert [pq.read_metadata(wh.path(part) / n).num_rows for n in names] == [12, 12, 11]
    before = [f["sha256"] for f in m["files"]]
    assert [f["sha256"] for f in wh.write_table(part, t, "run-2")["files"]] == before
    assert json.loads(wh.manifest_path(part).read_text())["run_id"] == "run-2"
    monkeypatch.setattr(storage, "ROWS_PER_FILE", 1)
    assert len(wh.write_table(part, t, "run-3")["files"]) == storage.MAX_FILES


def test_rewrite_replaces_only_that_day_and_keeps_the_old_version(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    d1, d2 = (Partition.of("marts", "m", d) for d in ("2026-03-01", "2026-03-02"))
    wh.write_table(d1, pa.table({"a": [1]}), "r1")
    wh.write_table(d2, pa.table({"a": [2]}), "r1")
    wh.write_table(d1, pa.table({"a": [10, 11]}), "r2")
    assert wh.read_partition(d1).column("a").to_pylist() == [10, 11]
    assert wh.read_partition(d2).column("a").to_pylist() == [2]
    assert len(wh.partition_files(d1)) == 1
    assert wh.read_manifest(d1)["run_id"] == "r2"  # type: ignore[index]
    old = wh.dataset("marts", "m", version=2)  # time travel
    assert old is not None and sorted(old.to_table()["a"].to_pylist()) == [1, 2]
    wh.write_table(d1, pa.table({"a": pa.array([], pa.int64())}), "r3")  # an empty day
    assert wh.read_partition(d1).num_rows == 0 and wh.exists(d1)
    assert wh.check_partition(d1) == 0


def test_a_day_range_is_one_commit(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    for d, v in (("2026-03-01", 1), ("2026-03-02", 2), ("2026-03-03", 3)):
        wh.write_table(Partition.of("marts", "m", d), pa.table({"a": [v]}), "r1")
    days = pa.array([date(2026, 3, 1), date(2026, 3, 1)], pa.date32())
    m = wh.write_days(
        "marts", "m", pa.table({"a": [10, 11], "dt": days}), date(2026, 3, 1),
        date(2026, 3, 2), "r2",
    )  # fmt: skip
    assert [p["rows"] for p in m["partitions"]] == [2, 0]
    dt = wh.delta_table("marts", "m")
    assert dt is not None and dt.version() == 4  # created, three day writes, one commit
    read = {d: wh.read_partition(Partition.of("marts", "m", d))["a"].to_pylist()
            for d in ("2026-03-01", "2026-03-02", "2026-03-03")}  # fmt: skip
    assert read == {"2026-03-01": [10, 11], "2026-03-02": [], "2026-03-03": [3]}
    assert wh.check_partition(Partition.of("marts", "m", "2026-03-02")) == 0


def test_log_style_slices_replace_only_their_own_rows(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    part = Partition.of("meta", "pipeline_runs", "2026-03-01")
    wh.write_file(part, "a.parquet", pa.table({"run_id": ["r1"]}))
    wh.write_file(part, "b.parquet", pa.table({"run_id": ["r2"]}))
    wh.write_file(part, "a.parquet", pa.table({"run_id": ["r3"]}))
    assert sorted(wh.read_partition(part)["run_id"].to_pylist()) == ["r2", "r3"]


def test_types_delta_cannot_store_are_cast(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    part = Partition.of("staging", "stg_t", "2026-03-01")
    naive = pa.array([datetime(2026, 3, 1, 12)], pa.timestamp("ns"))
    wh.write_table(part, pa.table({"ts": naive, "n": pa.array([7], pa.uint32())}), "r1")
    back = wh.read_partition(part)
    assert back.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert back.schema.field("n").type == pa.int64()
    assert back.to_pylist() == [{"ts": datetime(2026, 3, 1, 12, tzinfo=UTC), "n": 7}]


def test_a_commit_without_its_manifest_is_caught(tmp_path: Path) -> None:
    """Rows added behind the warehouse's back no longer match the counts of its commit."""
    from deltalake import write_deltalake

    wh = Warehouse(tmp_path)
    part = Partition.of("staging", "stg_t", "2026-03-01")
    wh.write_table(part, pa.table({"a": [1, 2]}), "r1")
    extra = pa.table({"a": [3], "dt": pa.array([date(2026, 3, 1)], pa.date32())})
    write_deltalake(wh.table_uri("staging", "stg_t"), extra, mode="append")
    with pytest.raises(storage.ManifestMismatch, match="holds 3 rows, its commit .* recorded 2"):
        wh.check_partition(part)


def test_raw_swap_never_exposes_a_missing_or_mixed_partition(tmp_path: Path) -> None:
    """RENAME_EXCHANGE: the live folder exists at every instant and holds one version."""
    wh = Warehouse(tmp_path)
    part = Partition.of("raw", "m", "2026-03-01")
    wh.write_table(part, pa.table({"a": [0]}), "r0")
    live = wh.path(part)
    inode_before = live.stat().st_ino
    with wh.staging_dir() as tmp:
        new = tmp / "p"
        new.mkdir()
        pq.write_table(pa.table({"a": [1]}), new / "part-0.parquet")
        wh.swap_in(part, new)
    assert live.exists() and live.stat().st_ino != inode_before
    assert pq.read_table(live).column("a").to_pylist() == [1]
    assert not any((tmp_path / "_tmp").iterdir()), "work folders are cleaned up"


def test_second_writer_of_a_day_gets_a_clear_error(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    with wh.day_lock("influencer_daily", "2026-03-01"):
        with pytest.raises(DayLocked, match="influencer_daily 2026-03-01 is being written"):
            with wh.day_lock("influencer_daily", "2026-03-01"):
                pass
        with wh.day_lock("influencer_daily", "2026-03-02"):
            pass  # another day is independent


def test_maintenance_compacts_vacuums_and_keeps_the_rows(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    part = Partition.of("marts", "m", "2026-03-01")
    for run in range(4):  # four versions of the day, and three small files of another
        wh.write_table(part, pa.table({"a": [run, run + 1]}), f"r{run}")
    for name in ("x", "y", "z"):
        wh.write_file(
            Partition.of("meta", "pipeline_runs", "2026-03-01"), name, pa.table({"a": [1]})
        )
    files_before = {p for p in tmp_path.rglob("*.parquet")}
    report = {t["table"]: t for t in wh.maintain(retention_hours=0)}
    assert report["marts/m"]["rows"] == 2 and report["marts/m"]["vacuumed"] == 3
    assert report["meta/pipeline_runs"]["rows"] == 3
    assert wh.read_partition(part)["a"].to_pylist() == [3, 4]
    assert len({p for p in tmp_path.rglob("*.parquet")}) < len(files_before)
    assert wh.check_partition(part) == 2  # the counts still match the day's commit


def test_clout_maintain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.app import app
    from pipeline.config import reload_settings

    wh = Warehouse(tmp_path)
    part = Partition.of("marts", "m", "2026-03-01")
    for run in range(3):
        wh.write_table(part, pa.table({"a": [run]}), f"r{run}")
    monkeypatch.setenv("CLOUT_WAREHOUSE", str(tmp_path))
    reload_settings()
    try:
        out = CliRunner().invoke(app, ["maintain", "--retention-days", "0"])
    finally:
        monkeypatch.delenv("CLOUT_WAREHOUSE")
        reload_settings()
    assert out.exit_code == 0, out.output
    assert "marts/m: 1 rows, files 1 -> 1, 2 old files removed" in out.output
    assert wh.read_partition(part)["a"].to_pylist() == [2]
