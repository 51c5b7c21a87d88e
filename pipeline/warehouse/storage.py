"""The one class that owns warehouse paths, partitions, atomic swaps and manifests.

Layout under the root::

    <layer>/<table>/dt=YYYY-MM-DD[/platform=P]/part-*.{parquet,jsonl}
    _manifests/<layer>/<table>/dt=YYYY-MM-DD[/platform=P].json
    _tmp/            work folders, same filesystem, swapped in by rename
    _locks/          one lock file per day being written

A partition is written into ``_tmp/`` and then exchanged with the live folder in one
``renameat2(RENAME_EXCHANGE)`` call, so a reader sees the old or the new partition, never a half
(where the kernel lacks it, a two-step rename leaves at most a moment with no partition).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.contracts import SCHEMA_VERSION

LAYERS = ("raw", "staging", "quarantine", "marts", "meta")

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_libc: Any = None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths; False where the kernel/libc cannot."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        fn = _libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, f"renameat2 exchange {a} <-> {b}: {os.strerror(err)}")


def failpoint(name: str) -> None:
    """Crash-test hook: SIGKILL this process at a named point when ``CLOUT_FAILPOINT`` says so.

    ``CLOUT_FAILPOINT=point[:N]`` kills the process the N-th time (default 1) it reaches a
    failpoint named ``point`` or one below it in dotted names: ``swap`` counts every
    ``swap.raw``, ``swap.staging``, ... while ``swap.marts`` counts only the marts' swaps. Hits are
    counted per process, across its threads; one line on stderr names the point before the kill.
    Inert when the variable is unset or names another point.
    """
    spec = os.environ.get("CLOUT_FAILPOINT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if name != point and not name.startswith(point + "."):
        return
    try:
        target = int(nth or 1)
    except ValueError:
        raise ValueError(f"CLOUT_FAILPOINT={spec!r}: expected NAME or NAME:N (N >= 1)") from None
    with _FAILPOINT_LOCK:
        _FAILPOINT_HITS[point] = hits = _FAILPOINT_HITS.get(point, 0) + 1
        if hits == target:
            os.write(2, f"clout: failpoint {point}:{hits} reached at {name}: SIGKILL\n".encode())
            os.kill(os.getpid(), signal.SIGKILL)


_FAILPOINT_HITS: dict[str, int] = {}
_FAILPOINT_LOCK = threading.Lock()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class Partition:
    """Address of one partition: layer, table and ordered hive keys (``dt`` first)."""

    layer: str
    table: str
    keys: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, layer: str, table: str, dt: date | str, /, **extra: str) -> Partition:
        if layer not in LAYERS:
            raise ValueError(f"unknown warehouse layer {layer!r}; expected one of {LAYERS}")
        day = dt.isoformat() if isinstance(dt, date) else date.fromisoformat(dt).isoformat()
        return cls(layer, table, (("dt", day), *sorted(extra.items())))

    @property
    def dt(self) -> str:
        return self.keys[0][1]

    @property
    def rel(self) -> Path:
        return Path(self.layer, self.table, *(f"{k}={v}" for k, v in self.keys))

    def __str__(self) -> str:
        return "/".join(self.rel.parts)


#: A table is split into slices of at least this many rows, at most ``MAX_FILES`` of them.
ROWS_PER_FILE = 400_000
MAX_FILES = 4


def write_parquet_parts(table: pa.Table, folder: Path) -> list[Path]:
    """Write ``table`` as ``part-<i>.parquet`` files of consecutive slices, encoded in parallel
    threads (the Parquet writer releases the GIL). The split depends only on the row count, so
    the same rows always give the same files."""
    n = max(1, min(MAX_FILES, table.num_rows // ROWS_PER_FILE))
    size = -(-table.num_rows // n)
    paths = [folder / f"part-{i}.parquet" for i in range(n)]

    def write(i: int) -> None:
        pq.write_table(table.slice(i * size, size), paths[i], compression="zstd")

    with ThreadPoolExecutor(min(n, os.cpu_count() or 1)) as pool:
        list(pool.map(write, range(n)))
    return paths


class Warehouse:
    """Paths, atomic partition writes, manifests and locks of one warehouse root."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    # ---------------------------------------------------------------- paths
    def path(self, part: Partition) -> Path:
        return self.root / part.rel

    def manifest_path(self, part: Partition) -> Path:
        rel = part.rel
        return self.root / "_manifests" / rel.parent / f"{rel.name}.json"

    def table_glob(self, layer: str, table: str, depth: int = 1, ext: str = "parquet") -> str:
        """Glob of every file of a table (``depth`` = number of hive levels)."""
        levels = ["dt=*"] + ["*=*"] * (depth - 1)
        return str(self.root.joinpath(layer, table, *levels, f"*.{ext}"))

    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    def docs_dir(self) -> Path:
        """Great Expectations Data Docs site (``index.html``)."""
        return self.root / "docs"

    # ---------------------------------------------------------------- writes
    @contextlib.contextmanager
    def staging_dir(self) -> Iterator[Path]:
        """A fresh work folder on the warehouse's filesystem, removed afterwards if unused."""
        tmp = self.root / "_tmp" / uuid.uuid4().hex
        tmp.mkdir(parents=True)
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def swap_in(self, part: Partition, new_dir: Path) -> None:
        """Make ``new_dir`` the partition, atomically replacing what was there."""
        live = self.path(part)
        live.parent.mkdir(parents=True, exist_ok=True)
        _fsync_dir(new_dir)
        failpoint(f"swap.{part.layer}")  # the new partition complete, not yet in place
        if live.exists():
            if not _exchange(new_dir, live):
                old = new_dir.with_name(new_dir.name + ".old")
                os.rename(live, old)
                os.rename(new_dir, live)
                new_dir = old
            failpoint(f"swapped.{part.layer}")  # in place; the old one not yet removed
            shutil.rmtree(new_dir, ignore_errors=True)  # now holds the old partition
        else:
            os.rename(new_dir, live)
        _fsync_dir(live.parent)

    def write_table(
        self,
        part: Partition,
        table: pa.Table,
        run_id: str,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write an Arrow table as the partition and its manifest: ``part-0.parquet``, or, for
        a large table, consecutive slices ``part-0``, ``part-1``, ... written in parallel
        (:func:`write_parquet_parts`); read in name order they give the table's rows in order."""
        with self.staging_dir() as tmp:
            work = tmp / "p"
            work.mkdir()
            write_parquet_parts(table, work)
            return self.publish_dir(part, work, run_id, rows=table.num_rows, extra=extra)

    def publish_dir(
        self,
        part: Partition,
        work: Path,
        run_id: str,
        rows: int,
        extra: Mapping[str, Any] | None = None,
        checksums: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Swap a finished work folder in as the partition, then write its manifest."""
        files = []
        for f in sorted(work.iterdir()):
            digest = (checksums or {}).get(f.name) or sha256_file(f)
            files.append({"name": f.name, "bytes": f.stat().st_size, "sha256": digest})
        manifest: dict[str, Any] = {
            "layer": part.layer,
            "table": part.table,
            "partition": dict(part.keys),
            "run_id": run_id,
            "rows": rows,
            "files": files,
            "schema_version": SCHEMA_VERSION,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **(extra or {}),
        }
        self.swap_in(part, work)
        failpoint(f"manifest.{part.layer}")
        self.write_manifest(part, manifest)
        return manifest

    def write_file(self, part: Partition, name: str, table: pa.Table) -> Path:
        """Add (or replace) one Parquet file inside a partition, atomically (log-style tables
        such as ``pipeline_runs``, where a partition gathers files of many runs)."""
        live = self.path(part)
        live.mkdir(parents=True, exist_ok=True)
        tmp = self.root / "_tmp" / f"{uuid.uuid4().hex}.parquet"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp)
        os.replace(tmp, live / name)
        return live / name

    def write_manifest(self, part: Partition, manifest: Mapping[str, Any]) -> None:
        path = self.manifest_path(part)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(tmp, path)

    def read_manifest(self, part: Partition) -> dict[str, Any] | None:
        path = self.manifest_path(part)
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def manifests(self, layer: str, table: str, dt: date | str) -> list[dict[str, Any]]:
        """Every manifest of a table's day (several where the day has sub-partitions)."""
        day = dt.isoformat() if isinstance(dt, date) else dt
        base = self.root / "_manifests" / layer / table
        found = [base / f"dt={day}.json"] + sorted((base / f"dt={day}").glob("*.json"))
        return [json.loads(p.read_text()) for p in found if p.exists()]

    def partition_files(self, part: Partition) -> list[Path]:
        live = self.path(part)
        return sorted(live.iterdir()) if live.exists() else []

    def content_digest(
        self, days: list[date], layers: tuple[str, ...] = ("staging", "quarantine", "marts")
    ) -> dict[str, str]:
        """SHA-256 of every partition of ``days`` in ``layers``, by ``layer/table/dt=day``: two
        warehouses built from the same data (nightly runs, backfills, reruns) compare equal."""
        out: dict[str, str] = {}
        for layer in layers:
            for table_dir in sorted((self.root / layer).glob("*")):
                for d in days:
                    part = Partition.of(layer, table_dir.name, d)
                    files = self.partition_files(part)
                    digest = hashlib.sha256()
                    for f in files:
                        digest.update(f.name.encode() + b"\0" + f.read_bytes())
                    out[str(part)] = digest.hexdigest()
        return out

    # ---------------------------------------------------------------- locks
    @contextlib.contextmanager
    def day_lock(self, name: str, dt: date | str, wait: bool = False) -> Iterator[None]:
        """Exclusive lock for writing one day of one pipeline; raises DayLocked if held."""
        day = dt.isoformat() if isinstance(dt, date) else dt
        lock_dir = self.root / "_locks"
        lock_dir.mkdir(parents=True, exist_ok=True)
        path = lock_dir / f"{name}-{day}.lock"
        with path.open("a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                raise DayLocked(
                    f"{name} {day} is being written by {holder}; wait for it to finish "
                    "(two runs of the same day cannot run at once)"
                ) from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


class DayLocked(RuntimeError):
    """Another run holds the day's lock."""


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
