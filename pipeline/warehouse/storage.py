"""The one class that owns warehouse paths, partitions, table formats, commits and manifests.

Layout under the root::

    raw/<table>/dt=YYYY-MM-DD[/platform=P]/part-*.{parquet,jsonl}     landed files
    _manifests/raw/<table>/dt=YYYY-MM-DD[/platform=P].json             their manifests
    {staging,quarantine,marts,meta}/<table>/                           Delta Lake tables
        _delta_log/                 the commits (each carries its manifest, see below)
        dt=YYYY-MM-DD[/k=v]/part-*.parquet
    _manifests/meta/runs/...        "day complete" markers of the nightly pipelines
    _tmp/            work folders of raw partitions, same filesystem, swapped in by rename
    _locks/          one lock file per day being written

Raw partitions are written into ``_tmp/`` and exchanged with the live folder in one
``renameat2(RENAME_EXCHANGE)`` call, so a reader sees the old or the new partition, never a half.

Every other layer is a Delta Lake table per contract table (``deltalake``, delta-rs), partitioned
by the table's hive keys. Writing a partition is one Delta commit that overwrites exactly the rows
matching the partition's predicate (``dt = 'D' [and k = 'v']``; a day range for the attribution
window): a reader sees the table at its last commit, a killed run leaves it there, and two writers
of the same partition cannot both win (the loser gets :class:`WriteConflict`, its retry
succeeds). The commit's ``clout.manifest`` metadata holds what the manifest files held (run id,
rows per partition, reconciled counts), and :meth:`Warehouse.check_partition` compares it with the
rows the table holds.

The root may be an S3-compatible object store (``s3://bucket/prefix``, :mod:`objectstore`): the
Delta tables are the same, through delta-rs's ``storage_options`` (a commit is a conditional
PUT). A store has no rename, so a raw partition's files are uploaded under a new
``_attempt-<id>/`` folder of the partition and its manifest (one PUT) names the attempt: readers
follow manifests (:meth:`Warehouse.partition_files`), never listings. ``_locks/``, ``_tmp/``, the
DuckDB catalog and the Data Docs stay on the local disk (``CLOUT_LOCAL_DIR``): day locks are per
host there, and across hosts the Delta commit conflicts decide.

Delta-rs (and pyarrow's S3 filesystem) must not be used across ``fork()``: worker processes are
spawned (``backfill``), and no table handle is created before a fork.
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
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.contracts import SCHEMA_VERSION
from pipeline.warehouse import objectstore

if TYPE_CHECKING:
    import pyarrow.dataset as pads
    import pyarrow.fs as pafs
    from deltalake import DeltaTable

LAYERS = ("raw", "staging", "quarantine", "marts", "meta")
#: Layers stored as Delta Lake tables (``raw`` stays landed files).
DELTA_LAYERS = ("staging", "quarantine", "marts", "meta")
#: Partition column of log-style tables (one file per run/stage, see :meth:`Warehouse.write_file`).
FILE_KEY = "_slice"
#: Meta tables written slice by slice with :meth:`Warehouse.write_file` (partitioned by ``_slice``).
LOG_TABLES = ("pipeline_runs", "validation_results")
#: Commit metadata key holding the manifest of a Delta commit.
MANIFEST_KEY = "clout.manifest"
#: Folder name prefix of one upload of a raw partition on an object store (its manifest names it).
ATTEMPT_PREFIX = "_attempt-"

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


#: Delta table handles of object-store tables, by URI (never inherited by a forked child: a
#: process that forks has not opened a table, see the module docstring).
_STORE_HANDLES: dict[str, DeltaTable] = {}


class Warehouse:
    """Paths, partition writes (raw files or Delta commits), manifests and locks of one root."""

    #: On an object store, a raw partition's uploads that no manifest names are removed by a
    #: later publish once they are this old (younger ones may be another host's upload that
    #: is about to get its manifest).
    attempt_grace_s: float = 3600.0

    def __init__(self, root: Path | str, local_dir: Path | str | None = None) -> None:
        """``root``: a local folder, or ``s3://bucket/prefix`` (see :mod:`objectstore`). For an
        object store, :attr:`root` is the local work folder of the warehouse (``local_dir``,
        default the ``CLOUT_LOCAL_DIR`` setting, then ``<bucket>/<prefix>``): locks, work
        folders, the DuckDB catalog and the Data Docs stay on this host."""
        self.remote = objectstore.is_remote(root)
        if self.remote:
            bucket, prefix = objectstore.split_uri(str(root))
            #: the store's path of the root (``bucket/prefix``), for ``pyarrow.fs``
            self.base = f"{bucket}/{prefix}".rstrip("/")
            self.uri = f"s3://{self.base}"
            if local_dir is None:
                from pipeline.config import get_settings

                local_dir = get_settings().local_dir
            self.root = Path(local_dir).resolve() / self.base
        else:
            self.root = Path(root).resolve()
            self.base = self.uri = str(self.root)
        #: open tables at their last commit; shared by the warehouses of an object store in this
        #: process (reopening a table reads its log, a GET per commit since its checkpoint)
        self._handles: dict[str, DeltaTable] = _STORE_HANDLES if self.remote else {}
        self._fs: pafs.FileSystem | None = None

    def __getstate__(self) -> dict[str, Any]:
        # table handles and store clients never cross processes
        return {**self.__dict__, "_handles": {}, "_fs": None}

    @property
    def fs(self) -> pafs.FileSystem:
        """The object store of a remote root (``pyarrow.fs``, paths ``bucket/prefix/...``)."""
        if self._fs is None:
            self._fs = objectstore.filesystem()
        return self._fs

    def location(self, part: Partition) -> str:
        """Where a partition lives, for messages (a local path or an ``s3://`` URL)."""
        return f"{self.uri}/{'/'.join(part.rel.parts)}"

    def _key(self, *rel: str) -> str:
        """The object store path of ``rel`` under the root."""
        return "/".join([self.base, *rel])

    # ---------------------------------------------------------------- paths
    def path(self, part: Partition) -> Path:
        """The partition's folder (a Delta table's folder holds old versions' files too: read
        Delta partitions with :meth:`read_partition`); a local root only (see :meth:`location`)."""
        self._local_only("path")
        return self.root / part.rel

    def manifest_path(self, part: Partition) -> Path:
        self._local_only("manifest_path")
        return self.root.joinpath(*_manifest_rel(part))

    def table_glob(self, layer: str, table: str, depth: int = 1, ext: str = "parquet") -> str:
        """Glob of every file of a raw table (``depth`` = number of hive levels)."""
        levels = ["dt=*"] + ["*=*"] * (depth - 1)
        return str(self.root.joinpath(layer, table, *levels, f"*.{ext}"))

    def table_uri(self, layer: str, table: str) -> str:
        """Location of a Delta table."""
        if self.remote:
            return f"{self.uri}/{layer}/{table}"
        return str(self.root / layer / table)

    def storage_options(self) -> dict[str, str]:
        """Options delta-rs needs for the root's store (none for a local path; endpoint,
        credentials and the commit protocol of an object store, from the AWS_* variables)."""
        return objectstore.storage_options() if self.remote else {}

    def _local_only(self, what: str) -> None:
        if self.remote:
            raise ValueError(f"{what}: {self.uri} is an object store, not a local folder")

    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    def docs_dir(self) -> Path:
        """Great Expectations Data Docs site (``index.html``)."""
        return self.root / "docs"

    # ---------------------------------------------------------------- Delta tables
    def delta_table(
        self, layer: str, table: str, version: int | str | datetime | None = None
    ) -> DeltaTable | None:
        """The Delta table (at ``version``: a number, or a timestamp), None where none exists.
        The handle at the last commit is kept and brought up to date on the next call: callers
        must not move it to another version (pass ``version`` instead)."""
        from deltalake import DeltaTable

        uri = self.table_uri(layer, table)
        if version is None and uri in self._handles:  # reading the new commits only
            handle = self._handles[uri]
            handle.update_incremental()
            return handle
        from deltalake.exceptions import TableNotFoundError

        try:  # one listing of the log (``is_deltatable`` first would be a second)
            dt = DeltaTable(uri, storage_options=self.storage_options())
        except TableNotFoundError:
            return None
        if version is not None:
            dt.load_as_version(version)
        else:
            self._handles[uri] = dt
        return dt

    def table_version(self, layer: str, table: str) -> int | None:
        """A Delta table's last commit number (None where there is no table)."""
        dt = self.delta_table(layer, table)
        return None if dt is None else dt.version()

    def delta_tables(self, layer: str) -> list[str]:
        """Names of the Delta tables of a layer."""
        if self.remote:
            return self._remote_delta_tables(layer)
        base = self.root / layer
        return sorted(p.parent.name for p in base.glob("*/_delta_log")) if base.exists() else []

    def dataset(
        self, layer: str, table: str, version: int | str | datetime | None = None
    ) -> pads.Dataset | None:
        """An Arrow dataset over a table's rows at its last (or a given) commit: its columns and
        its partition keys (``dt`` a date; hidden keys such as ``_slice`` dropped by readers)."""
        dt = self.delta_table(layer, table, version)
        return None if dt is None else dt.to_pyarrow_dataset()

    def read_partition(self, part: Partition, columns: list[str] | None = None) -> pa.Table:
        """A partition's rows (its columns, without the partition keys; no rows where it is
        empty or was never written); FileNotFoundError where the table does not exist."""
        if part.layer not in DELTA_LAYERS:
            if self.remote:
                files = [str(f) for f in self.partition_files(part)]
                return pq.read_table(files, columns=columns, filesystem=self.fs, partitioning=None)
            return pq.read_table(self.path(part), columns=columns)
        dt = self.delta_table(part.layer, part.table)
        if dt is None:
            raise FileNotFoundError(f"{part}: no table {self.table_uri(part.layer, part.table)}")
        keys = [k for k, _ in part.keys]
        hidden = [*keys, FILE_KEY]
        ds = dt.to_pyarrow_dataset(file_pruning_predicate=_filters(part))
        names = columns or [n for n in ds.schema.names if n not in hidden]
        return ds.to_table(columns=names)

    def exists(self, part: Partition, dt: DeltaTable | None = None) -> bool:
        """Whether the partition was written (a Delta partition: has live files, or a commit
        wrote it, e.g. empty)."""
        if part.layer not in DELTA_LAYERS:
            return bool(self.partition_files(part)) if self.remote else self.path(part).exists()
        dt = dt or self.delta_table(part.layer, part.table)
        if dt is None:
            return False
        if dt.file_uris(file_pruning_predicate=_filters(part)):
            return True
        return self._commit_manifest(part) is not None

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
        """Make ``new_dir`` the (raw) partition, atomically replacing what was there."""
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
        """Write an Arrow table as the partition, in one commit that replaces the partition's
        rows (Delta layers), or as raw files and their manifest (``part-0.parquet``, or for a
        large table consecutive slices ``part-0``, ``part-1``, ... read in name order)."""
        if part.layer in DELTA_LAYERS:
            log_style = part.layer == "meta" and part.table in LOG_TABLES
            data = _with_keys(table, (*part.keys, *([(FILE_KEY, "part-0")] if log_style else [])))
            return self._commit(
                part.layer, part.table, data, part.keys[1:], _predicate(part.keys), run_id,
                {part: table.num_rows}, extra, file_key=log_style,
            )  # fmt: skip
        with self.staging_dir() as tmp:
            work = tmp / "p"
            work.mkdir()
            write_parquet_parts(table, work)
            return self.publish_dir(part, work, run_id, rows=table.num_rows, extra=extra)

    def write_days(
        self,
        layer: str,
        table: str,
        data: pa.Table,
        first: date,
        last: date,
        run_id: str,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Replace every day of [first, last] of a ``dt``-partitioned Delta table with ``data``
        (which has a ``dt`` date column) in ONE commit (the attribution window's rebuild): a day
        of the range without rows ends up empty."""
        import pyarrow.compute as pc

        if layer not in DELTA_LAYERS:
            raise ValueError(f"write_days: {layer} is not a Delta layer")
        dts = data.column("dt").cast(pa.date32())
        data = data.set_column(data.schema.get_field_index("dt"), "dt", dts)
        rows: dict[Partition, int] = {}
        day = first
        while day <= last:
            part = Partition.of(layer, table, day)
            rows[part] = int(pc.sum(pc.equal(dts, pa.scalar(day, pa.date32()))).as_py() or 0)
            day = date.fromordinal(day.toordinal() + 1)
        predicate = f"\"dt\" >= '{first.isoformat()}' and \"dt\" <= '{last.isoformat()}'"
        return self._commit(layer, table, data, (), predicate, run_id, rows, extra)

    def _commit(
        self,
        layer: str,
        table: str,
        data: pa.Table,
        sub_keys: tuple[tuple[str, str], ...],
        predicate: str,
        run_id: str,
        rows: Mapping[Partition, int],
        extra: Mapping[str, Any] | None,
        file_key: bool = False,
    ) -> dict[str, Any]:
        from deltalake import CommitProperties, write_deltalake
        from deltalake.exceptions import CommitFailedError

        manifest: dict[str, Any] = {
            "layer": layer,
            "table": table,
            "run_id": run_id,
            "rows": sum(rows.values()),
            "partitions": [{"partition": dict(p.keys), "rows": n} for p, n in rows.items()],
            "predicate": predicate,
            "schema_version": SCHEMA_VERSION,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **(extra or {}),
        }
        keys = ["dt", *(k for k, _ in sub_keys), *([FILE_KEY] if file_key else [])]
        data = _delta_compatible(data)
        uri = self.table_uri(layer, table)
        self._ensure_table(uri, data.schema, keys)
        failpoint(f"swap.{layer}")  # the rows ready, nothing committed
        for attempt in range(3):
            # the open handle brought up to date (its new commits only): on an object store,
            # opening the table anew reads its whole log, a GET per commit since the last checkpoint
            handle = self.delta_table(layer, table)
            read = None if handle is None else handle.version()  # this write starts from it
            target = (handle or uri) if self.remote else uri
            try:
                write_deltalake(
                    target, data, mode="overwrite", predicate=predicate,
                    partition_by=keys, schema_mode="merge", storage_options=self.storage_options(),
                    commit_properties=CommitProperties(
                        custom_metadata={MANIFEST_KEY: json.dumps(manifest, sort_keys=True)}
                    ),
                )  # fmt: skip
                break
            except CommitFailedError as e:
                if attempt < 2 and self._metadata_only_conflict(uri, read, predicate, e):
                    continue  # another writer changed only the metadata: no rows of ours moved
                raise WriteConflict(
                    f"{layer}/{table} ({predicate}) was committed by another writer while this "
                    f"run wrote it; rerun this day ({str(e).splitlines()[0]})"
                ) from e
        failpoint(f"manifest.{layer}")  # committed: the commit carries its manifest
        return manifest

    def _metadata_only_conflict(
        self, uri: str, version: int | None, predicate: str, error: Exception
    ) -> bool:
        """Whether a failed commit lost only to another writer's metadata change, not to a
        write of its own partition: two first writers that both found no table each create it
        (delta-rs commits the second create as the next version, a metadata change that fails
        the writers holding the first), and a write of other partitions (or a schema merge)
        does not touch this one's rows, so writing again is safe. A commit since ``version``
        that wrote ``predicate`` (or a commit without a clout manifest) is a real conflict."""
        from deltalake import DeltaTable

        if "Metadata changed" not in str(error):
            return False
        history = DeltaTable(uri, storage_options=self.storage_options()).history()
        since = [c for c in history if int(c.get("version", -1)) > (version or 0)]
        return not any(_commit_predicate(c) in (predicate, None) for c in since
                       if c.get("operation") != "CREATE TABLE")  # fmt: skip

    def _ensure_table(self, uri: str, schema: pa.Schema, keys: list[str]) -> None:
        """Create the (empty) table before its first write: writers that each created it would
        all commit, as appends; writers of an existing table conflict as they should."""
        from deltalake import DeltaTable

        opts = self.storage_options()
        if DeltaTable.is_deltatable(uri, opts):
            return
        try:
            DeltaTable.create(uri, schema, partition_by=keys, mode="ignore", storage_options=opts)
        except Exception:  # another writer created it at the same moment
            if not DeltaTable.is_deltatable(uri, opts):
                raise

    def publish_dir(
        self,
        part: Partition,
        work: Path,
        run_id: str,
        rows: int,
        extra: Mapping[str, Any] | None = None,
        checksums: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Swap a finished work folder in as the (raw) partition, then write its manifest."""
        if part.layer in DELTA_LAYERS:
            raise ValueError(f"{part}: publish_dir writes raw partitions; use write_table")
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
        if self.remote:
            self._publish_remote(part, work, manifest)
            return manifest
        self.swap_in(part, work)
        failpoint(f"manifest.{part.layer}")
        self.write_manifest(part, manifest)
        return manifest

    def _publish_remote(self, part: Partition, work: Path, manifest: dict[str, Any]) -> None:
        """Upload the files under a new attempt folder of the partition, then PUT the manifest
        that names them (the one step that makes them live: readers follow manifests), then
        remove the attempts that neither this manifest nor the one it replaced names and that
        are older than :attr:`attempt_grace_s` (a reader that read the old manifest can still
        read its files; another host's upload in progress is left alone)."""
        import pyarrow.fs as pafs

        attempt = f"{ATTEMPT_PREFIX}{uuid.uuid4().hex}"
        rel = "/".join(part.rel.parts)
        folder = self._key(rel, attempt)
        names = [f["name"] for f in manifest["files"]]
        pairs = [(str(work / n), f"{folder}/{n}") for n in names]
        _copy_all(pairs, pafs.LocalFileSystem(), self.fs)
        old = self.read_manifest(part)
        failpoint(f"swap.{part.layer}")  # the new files uploaded, not live
        manifest["attempt"] = attempt
        self.write_manifest(part, manifest)
        failpoint(f"swapped.{part.layer}")  # live; stale attempts not yet removed
        keep = {attempt, (old or {}).get("attempt")}
        sel = pafs.FileSelector(self._key(rel), recursive=True, allow_not_found=True)
        newest: dict[str, float] = {}  # attempt folder -> its newest file's time
        for info in self.fs.get_file_info(sel):
            name = info.path[len(self._key(rel)) + 1 :].split("/", 1)[0]
            if info.type == pafs.FileType.File and name.startswith(ATTEMPT_PREFIX):
                when = info.mtime.timestamp() if info.mtime else 0.0
                newest[name] = max(newest.get(name, 0.0), when)
        cutoff = datetime.now(UTC).timestamp() - self.attempt_grace_s
        for name, when in newest.items():
            if name not in keep and when <= cutoff:
                self.fs.delete_dir(self._key(rel, name))
        failpoint(f"manifest.{part.layer}")

    def write_file(self, part: Partition, name: str, table: pa.Table) -> None:
        """Add (or replace) one named slice of a partition in one commit (log-style tables such
        as ``pipeline_runs``, where a partition gathers the rows of many runs; the name is the
        hidden partition key ``_slice``)."""
        keys = (*part.keys, (FILE_KEY, name))
        self._commit(
            part.layer, part.table, _with_keys(table, keys), part.keys[1:], _predicate(keys),
            "", {part: table.num_rows}, {"file": name}, file_key=True,
        )  # fmt: skip

    def write_manifest(self, part: Partition, manifest: Mapping[str, Any]) -> None:
        """Replace the partition's manifest file atomically (a rename, or one PUT)."""
        if self.remote:
            with self.fs.open_output_stream(self._manifest_key(part)) as out:
                out.write(json.dumps(manifest, indent=2, sort_keys=True).encode())
            return
        path = self.manifest_path(part)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(tmp, path)

    def read_manifest(self, part: Partition) -> dict[str, Any] | None:
        """The manifest of a partition: a raw partition's file, or the ``clout.manifest`` of
        the last Delta commit that wrote the partition (with its rows and live files)."""
        if part.layer in DELTA_LAYERS and self._is_delta(part.layer, part.table):
            return self._commit_manifest(part)
        if self.remote:
            return self._read_json(self._manifest_key(part))
        path = self.manifest_path(part)
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def _commit_manifest(self, part: Partition) -> dict[str, Any] | None:
        found = self._commit_manifests(part.layer, part.table, part.dt, dict(part.keys))
        return found[0] if found else None

    def _commit_manifests(
        self, layer: str, table: str, day: str, want: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """The manifest of the last commit that wrote each partition of ``day`` (only the
        partition ``want`` when given), newest commit first in the log."""
        dt = self.delta_table(layer, table)
        if dt is None:
            return []
        seen: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
        for commit in dt.history():
            raw = commit.get(MANIFEST_KEY)
            if not raw:
                continue  # compaction, vacuum, or a writer other than clout
            m = json.loads(raw)
            for p in m.get("partitions", []):
                got = {k: v for k, v in p["partition"].items() if k != FILE_KEY}
                key = tuple(sorted(got.items()))
                if got.get("dt") != day or (want is not None and got != want) or key in seen:
                    continue
                part = Partition.of(
                    layer, table, day, **{k: v for k, v in got.items() if k != "dt"}
                )
                files = dt.file_uris(file_pruning_predicate=_filters(part))
                seen[key] = {
                    **{k: v for k, v in m.items() if k not in ("partitions", "rows")},
                    "partition": got, "rows": p["rows"], "version": commit["version"],
                    "files": [{"name": Path(f).name, "bytes": n}
                              for f, n in zip(files, self._sizes(files), strict=True)],
                }  # fmt: skip
            if want is not None and seen:
                break
        return [seen[k] for k in sorted(seen)]

    def manifests(self, layer: str, table: str, dt: date | str) -> list[dict[str, Any]]:
        """Every manifest of a table's day (several where the day has sub-partitions)."""
        day = dt.isoformat() if isinstance(dt, date) else dt
        if layer in DELTA_LAYERS and self._is_delta(layer, table):
            return self._commit_manifests(layer, table, day)
        if self.remote:
            import pyarrow.fs as pafs

            base_key = self._key("_manifests", layer, table)
            sel = pafs.FileSelector(f"{base_key}/dt={day}", allow_not_found=True)
            keys = [f"{base_key}/dt={day}.json"] + sorted(
                i.path for i in self.fs.get_file_info(sel) if i.path.endswith(".json")
            )
            return [m for m in map(self._read_json, keys) if m is not None]
        base = self.root / "_manifests" / layer / table
        found = [base / f"dt={day}.json"] + sorted((base / f"dt={day}").glob("*.json"))
        return [json.loads(p.read_text()) for p in found if p.exists()]

    def check_partition(self, part: Partition) -> int:
        """The partition's row count, checked against its commit's manifest; raises
        :class:`ManifestMismatch` when they differ (or no commit recorded the partition)."""
        m = self.read_manifest(part)
        if m is None:
            raise ManifestMismatch(f"{part}: no commit of this warehouse recorded it")
        dt = self.delta_table(part.layer, part.table)
        assert dt is not None
        n = dt.to_pyarrow_dataset(file_pruning_predicate=_filters(part)).count_rows()
        if n != m["rows"]:
            raise ManifestMismatch(
                f"{part}: holds {n} rows, its commit (version {m['version']}, run "
                f"{m['run_id']}) recorded {m['rows']}"
            )
        return n

    def partition_files(self, part: Partition) -> list[PurePath]:
        """The partition's live files (raw: its folder, or on an object store the files its
        manifest names; Delta: the files of the last commit). Object store files are paths
        ``bucket/prefix/...`` of :attr:`fs`."""
        if part.layer in DELTA_LAYERS:
            dt = self.delta_table(part.layer, part.table)
            if dt is None:
                return []
            uris = dt.file_uris(file_pruning_predicate=_filters(part))
            if self.remote:
                return sorted(PurePosixPath(u.split("://", 1)[1]) for u in uris)
            return sorted(Path(f) for f in uris)
        if self.remote:
            m = self.read_manifest(part)
            if not m or "attempt" not in m:
                return []
            folder = self._key(*part.rel.parts, m["attempt"])
            return [PurePosixPath(folder, f["name"]) for f in m["files"]]
        live = self.path(part)
        return sorted(live.iterdir()) if live.exists() else []

    def content_digest(
        self, days: list[date], layers: tuple[str, ...] = ("staging", "quarantine", "marts")
    ) -> dict[str, str]:
        """SHA-256 of the rows of every partition of ``days`` in ``layers`` (sorted, so the
        files' layout does not matter), by ``layer/table/dt=day``: two warehouses built from the
        same data (nightly runs, backfills, reruns) compare equal."""
        import pyarrow.compute as pc

        out: dict[str, str] = {}
        for layer in layers:
            for name in self.delta_tables(layer):
                ds = self.dataset(layer, name)
                assert ds is not None
                for d in days:
                    rows = ds.to_table(filter=pc.field("dt") == pa.scalar(d, pa.date32()))
                    out[f"{layer}/{name}/dt={d.isoformat()}"] = table_digest(rows)
        return out

    # ---------------------------------------------------------------- maintenance
    def maintain(self, retention_hours: float = 7 * 24) -> list[dict[str, Any]]:
        """Compact every Delta table's small files (``optimize.compact()``, one commit per
        table) and vacuum the files no version of the last ``retention_hours`` reads; each
        table's row count is checked before and after (:class:`ManifestMismatch` if it moved).
        Time travel reaches back ``retention_hours`` afterwards. Returns one report per table."""
        out: list[dict[str, Any]] = []
        for layer in DELTA_LAYERS:
            for name in self.delta_tables(layer):
                dt = self.delta_table(layer, name)
                assert dt is not None
                before = dt.to_pyarrow_dataset().count_rows()
                files_before = len(dt.file_uris())
                metrics = dt.optimize.compact()
                removed = dt.vacuum(
                    retention_hours=max(0, round(retention_hours)), dry_run=False,
                    enforce_retention_duration=False,
                )  # fmt: skip
                after_dt = self.delta_table(layer, name)
                assert after_dt is not None
                after = after_dt.to_pyarrow_dataset().count_rows()
                if after != before:
                    raise ManifestMismatch(
                        f"{layer}/{name}: {before} rows before maintenance, {after} after"
                    )
                out.append({
                    "table": f"{layer}/{name}", "rows": after, "files_before": files_before,
                    "files_after": len(after_dt.file_uris()), "version": after_dt.version(),
                    "compacted": int(metrics.get("numFilesRemoved", 0)),
                    "vacuumed": len(removed),
                })  # fmt: skip
        return out

    # ---------------------------------------------------------------- object store
    def _manifest_key(self, part: Partition) -> str:
        return self._key(*_manifest_rel(part))

    def _read_json(self, key: str) -> dict[str, Any] | None:
        try:
            with self.fs.open_input_stream(key) as f:
                data: dict[str, Any] = json.loads(f.read())
        except FileNotFoundError:
            return None
        return data

    def _is_delta(self, layer: str, table: str) -> bool:
        if not self.remote:
            return table in self.delta_tables(layer)
        from deltalake import DeltaTable

        uri = self.table_uri(layer, table)
        return uri in self._handles or DeltaTable.is_deltatable(uri, self.storage_options())

    def _remote_delta_tables(self, layer: str) -> list[str]:
        import pyarrow.fs as pafs

        sel = pafs.FileSelector(self._key(layer), allow_not_found=True)
        names = [
            i.base_name for i in self.fs.get_file_info(sel) if i.type == pafs.FileType.Directory
        ]
        return sorted(n for n in names if self._is_delta(layer, n))

    def _sizes(self, uris: list[str]) -> list[int]:
        if not self.remote:
            return [_size(u) for u in uris]
        infos = self.fs.get_file_info([u.split("://", 1)[1] for u in uris])
        return [i.size if i.size is not None else -1 for i in infos]

    @contextlib.contextmanager
    def local_copies(self, files: list[PurePath]) -> Iterator[list[Path]]:
        """Local paths of ``files`` (from :meth:`partition_files`): the files themselves for a
        local root; for an object store, copies in a work folder (same layout under it), removed
        afterwards. FileNotFoundError names a partition replaced twice while being read."""
        if not self.remote:
            yield [Path(f) for f in files]
            return
        import pyarrow.fs as pafs

        with self.staging_dir() as tmp:
            out = [tmp / str(f)[len(self.base) + 1 :] for f in files]
            for o in out:
                o.parent.mkdir(parents=True, exist_ok=True)
            _copy_all(list(zip(map(str, files), map(str, out), strict=True)), self.fs,
                      pafs.LocalFileSystem())  # fmt: skip
            yield out

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


class WriteConflict(DayLocked):
    """Another writer committed the same partition first: rerun (its retry succeeds)."""


class ManifestMismatch(RuntimeError):
    """A partition's rows differ from what its commit recorded."""


def _manifest_rel(part: Partition) -> tuple[str, ...]:
    """A partition's manifest under the root: ``_manifests/<partition path>.json``."""
    rel = part.rel
    return ("_manifests", *rel.parent.parts, f"{rel.name}.json")


def _copy_all(pairs: list[tuple[str, str]], src: pafs.FileSystem, dst: pafs.FileSystem) -> None:
    """Copy each (source, destination) file between two filesystems, a few at a time."""
    import pyarrow.fs as pafs

    def copy(pair: tuple[str, str]) -> None:
        pafs.copy_files(pair[0], pair[1], src, dst)

    with ThreadPoolExecutor(min(8, max(1, len(pairs)))) as pool:
        list(pool.map(copy, pairs))


def _commit_predicate(commit: Mapping[str, Any]) -> str | None:
    """The predicate a clout commit wrote (from its manifest); None for another writer's."""
    raw = commit.get(MANIFEST_KEY)
    return str(json.loads(raw).get("predicate")) if raw else None


def _filters(part: Partition) -> list[tuple[str, str, str]]:
    return [(k, "=", v) for k, v in part.keys]


def _predicate(keys: tuple[tuple[str, str], ...]) -> str:
    return " and ".join(f"\"{k}\" = '{v.replace(chr(39), chr(39) * 2)}'" for k, v in keys)


def _with_keys(table: pa.Table, keys: tuple[tuple[str, str], ...]) -> pa.Table:
    """``table`` with its partition keys as columns (``dt`` a date, the others strings)."""
    for k, v in keys:
        if k in table.column_names:
            table = table.drop_columns([k])
        typ = pa.date32() if k == "dt" else pa.string()
        value = date.fromisoformat(v) if k == "dt" else v
        table = table.append_column(pa.field(k, typ), pa.array([value] * table.num_rows, typ))
    return table


def _delta_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz="UTC")  # naive timestamps are UTC here
    if pa.types.is_unsigned_integer(t):
        return pa.int64()
    if pa.types.is_dictionary(t):
        return _delta_type(t.value_type)
    if pa.types.is_null(t):
        return pa.string()
    return t


def _delta_compatible(table: pa.Table) -> pa.Table:
    """Types delta-rs stores as they are: UTC microsecond timestamps (naive ones are UTC),
    signed integers, plain (not dictionary) columns. A non-null field stays non-null: the
    table then refuses nulls in it."""
    schema = pa.schema(
        [pa.field(f.name, _delta_type(f.type), nullable=f.nullable) for f in table.schema]
    )
    return table.cast(schema) if schema != table.schema else table


def table_digest(rows: pa.Table) -> str:
    """SHA-256 of a table's rows in a canonical order (columns by name, rows sorted)."""
    rows = rows.select(sorted(c for c in rows.column_names if c != FILE_KEY))
    if rows.num_rows:
        rows = rows.sort_by([(c, "ascending") for c in rows.column_names])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows.combine_chunks())
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _size(uri: str) -> int:
    try:
        return os.stat(uri).st_size
    except OSError:
        return -1


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
