"""Warehouse paths, atomic partition swap, manifests and locks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.warehouse import storage
from pipeline.warehouse.storage import DayLocked, Partition, Warehouse, sha256_file


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
    path = tmp_path / "staging/stg_t/dt=2026-03-01/part-0.parquet"
    assert pq.read_table(path).equals(t)
    assert m["rows"] == 3 and m["run_id"] == "run-1" and m["note"] == "x"
    assert m["files"][0]["sha256"] == sha256_file(path)
    assert json.loads(wh.manifest_path(part).read_text()) == m
    assert wh.manifests("staging", "stg_t", "2026-03-01") == [m]


def test_large_table_is_written_as_ordered_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "ROWS_PER_FILE", 10)
    wh = Warehouse(tmp_path)
    part = Partition.of("staging", "stg_t", "2026-03-01")
    t = pa.table({"a": list(range(35)), "b": [str(i) for i in range(35)]})
    m = wh.write_table(part, t, "run-1")
    names = [f["name"] for f in m["files"]]
    assert names == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]  # 35 // 10
    assert pq.read_table(wh.path(part)).equals(t)  # in order
    assert [pq.read_metadata(wh.path(part) / n).num_rows for n in names] == [12, 12, 11]
    before = [f["sha256"] for f in m["files"]]
    assert [f["sha256"] for f in wh.write_table(part, t, "run-2")["files"]] == before
    monkeypatch.setattr(storage, "ROWS_PER_FILE", 1)
    assert len(wh.write_table(part, t, "run-3")["files"]) == storage.MAX_FILES


def test_rewrite_replaces_only_that_day(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    d1, d2 = (Partition.of("marts", "m", d) for d in ("2026-03-01", "2026-03-02"))
    wh.write_table(d1, pa.table({"a": [1]}), "r1")
    wh.write_table(d2, pa.table({"a": [2]}), "r1")
    wh.write_table(d1, pa.table({"a": [10, 11]}), "r2")
    assert pq.read_table(wh.path(d1)).column("a").to_pylist() == [10, 11]
    assert pq.read_table(wh.path(d2)).column("a").to_pylist() == [2]
    assert [p.name for p in wh.path(d1).iterdir()] == ["part-0.parquet"]
    assert not any((tmp_path / "_tmp").iterdir()), "work folders are cleaned up"


def test_swap_never_exposes_a_missing_or_mixed_partition(tmp_path: Path) -> None:
    """RENAME_EXCHANGE: the live folder exists at every instant and holds one version."""
    wh = Warehouse(tmp_path)
    part = Partition.of("marts", "m", "2026-03-01")
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


def test_second_writer_of_a_day_gets_a_clear_error(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    with wh.day_lock("influencer_daily", "2026-03-01"):
        with pytest.raises(DayLocked, match="influencer_daily 2026-03-01 is being written"):
            with wh.day_lock("influencer_daily", "2026-03-01"):
                pass
        with wh.day_lock("influencer_daily", "2026-03-02"):
            pass  # another day is independent
