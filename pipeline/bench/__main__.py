"""``make bench``: one simulated day at scale, timed per stage against the I/O floor.

The simulator runs in its own process (``clout simulate serve``) so that the extractor is
measured as it runs against a real API. The floor is measured in the same run on the same
files: pyarrow reading the landed raw pages and writing the same rows as Parquet. The last line
is machine-readable (``bench: key=value ...``). It also times the platform sources' mapping of
each platform's answer shape into the contract (``pipeline.bench.adapters``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

T = TypeVar("T")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """The process's resident set sampled every ``interval`` s in a thread: the peak seen while
    each phase (``phase = "..."``) ran. ``peak_rss_mib`` stays ``getrusage``'s true peak; this
    only says which phase reached it (a spike shorter than the interval can be missed)."""

    def __init__(self, interval: float = 0.02) -> None:
        self.phase = "start"
        self.interval = interval
        self.peaks: dict[str, float] = {}
        self._page = os.sysconf("SC_PAGE_SIZE") / (1 << 20)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _rss_mib(self) -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        try:
            rss = self._rss_mib()
        except OSError:  # no /proc (not Linux): per-phase peaks unknown
            return
        phase = self.phase
        self.peaks[phase] = max(self.peaks.get(phase, 0.0), rss)

    def enter(self, phase: str) -> None:
        self.sample()
        self.phase = phase
        self.sample()

    def stop(self) -> dict[str, float]:
        self.sample()
        self._stop.set()
        self._thread.join()
        return self.peaks


def _timed(label: str, fn: Callable[[], T], rows: int | None = None) -> tuple[T, float]:
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    n = rows if rows is not None else (out if isinstance(out, int) else None)
    rate = f"  {n / dt:>12,.0f} rows/s" if n else ""
    print(f"  {label:<28} {dt:>8.2f} s{rate}", flush=True)
    return out, dt


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_simulator(accounts: int, seed: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "simulate",
            "serve",
            "--port",
            str(port),
            "--accounts",
            str(accounts),
            "--seed",
            str(seed),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("the simulator exited during start-up")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the simulator did not answer /health within 60 s")


def io_floor(raw_files: list[Path], out_dir: Path) -> int:
    """pyarrow: read the landed raw pages and write the same rows as Parquet; rows written."""
    rows = 0
    for i, f in enumerate(raw_files):
        t = pj.read_json(f, read_options=pj.ReadOptions(block_size=1 << 26))
        data = pc.list_flatten(t.column("page").combine_chunks().field("data"))
        flat = pa.Table.from_struct_array(data) if len(data) else pa.table({})
        pq.write_table(flat, out_dir / f"floor-{i}.parquet", compression="zstd")
        rows += flat.num_rows
    return rows


def bench_backfill(days: int, work: Path, seed: int, accounts: int = 300) -> tuple[float, float]:
    """Seconds for ``days`` sequential ``clout run`` processes and for one ``clout backfill
    --workers 2`` of the same days, at the demo size, against a simulator process."""
    proc, url = _start_simulator(accounts, seed)
    first = date(2026, 4, 1)
    env = {**os.environ, "CLOUT_API_URL": url}
    cli = [sys.executable, "-m", "pipeline.cli"]
    try:
        t0 = time.perf_counter()
        for i in range(days):
            day = (first + timedelta(days=i)).isoformat()
            subprocess.run([*cli, "run", "--date", day], check=True, stdout=subprocess.DEVNULL,
                           env={**env, "CLOUT_WAREHOUSE": str(work / "sequential")})  # fmt: skip
        sequential = time.perf_counter() - t0
        last = (first + timedelta(days=days - 1)).isoformat()
        t0 = time.perf_counter()
        subprocess.run([*cli, "backfill", "--start", first.isoformat(), "--end", last,
                        "--workers", "2"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env={**env, "CLOUT_WAREHOUSE": str(work / "backfill")})  # fmt: skip
        return sequential, time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--date", default="2026-03-01")
    ap.add_argument("--keep", action="store_true", help="keep the benchmark warehouse")
    ap.add_argument("--backfill-days", type=int, default=30, help="0 skips the backfill bench")
    ap.add_argument(
        "--adapter-accounts",
        type=int,
        default=20_000,
        help="world size whose answers the platform-source mapping bench maps",
    )
    ap.add_argument(
        "--nightly-only", action="store_true",
        help="only the nightly day (skip the ROAS, scoring, classifier and mapping benches)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    day = date.fromisoformat(args.date)

    work = Path(tempfile.mkdtemp(prefix="clout-bench-"))
    os.environ.update(
        {
            "CLOUT_WAREHOUSE": str(work / "warehouse"),
            "CLOUT_API_TOKEN": "demo-token",
            "CLOUT_PII_KEY": "bench-key",
        }
    )
    print(f"bench: {args.accounts:,} accounts, day {day}, work dir {work}", flush=True)
    proc, url = _start_simulator(args.accounts, args.seed)
    os.environ["CLOUT_API_URL"] = url
    rss = RssSampler()
    try:
        from pipeline.config import reload_settings
        from pipeline.contracts import PLATFORMS, SOURCE_TABLES
        from pipeline.flows import influencer_daily as run

        reload_settings()
        rss.enter("warm-up")
        # the simulator builds each (entity, platform, day) on first request: warm it up so
        # the extraction figure measures the client, not the world generator
        _timed(
            "simulator warm-up",
            lambda: [
                httpx.get(
                    f"{url}/v1/{t.endpoint}",
                    params={"date": str(day), "limit": 1, "platform": p},
                    headers={"Authorization": "Bearer demo-token"},
                    timeout=600,
                ).raise_for_status()
                for t in SOURCE_TABLES.values()
                for p in PLATFORMS
            ],
        )
        run_id = run.new_run_id(day)
        print("stages:")
        rss.enter("extract")
        landed, t_extract = _timed(
            "extract (HTTP, 3 platforms)",
            lambda: [x for p in PLATFORMS for x in run.extract(day, p, run_id)],
        )
        raw_rows = sum(x["rows"] for x in landed)
        post_rows = sum(x["rows"] for x in landed if x["table"] == "posts")
        print(
            f"    {raw_rows:,} raw rows ({post_rows:,} post snapshots), "
            f"{raw_rows / t_extract:,.0f} rows/s",
            flush=True,
        )

        staged = {}
        for t in SOURCE_TABLES:
            rss.enter(f"stage:{t}")
            staged[t] = run.stage(day, t, run_id)
        t_stage = sum(r["stage_s"] for r in staged.values())
        t_gx = sum(r["gx_s"] for r in staged.values())
        print(
            f"  {'stage (validate, cast, dedup)':<28} {t_stage:>8.2f} s  "
            f"{raw_rows / t_stage:>12,.0f} rows/s",
            flush=True,
        )
        for t, r in staged.items():
            print(
                f"    {t:<26} {r['stage_s']:>8.2f} s  {r['raw_rows'] / r['stage_s']:>12,.0f} rows/s"
                f"  (+ GX {r['gx_s']:.2f} s)"
            )
        print(
            f"  {'GX suites on staged data':<28} {t_gx:>8.2f} s  {raw_rows / t_gx:>12,.0f} rows/s",
            flush=True,
        )
        validate_rps = staged["posts"]["raw_rows"] / staged["posts"]["stage_s"]
        rss.enter("marts")
        _, t_marts = _timed("marts", lambda: sum(run.marts(day, run_id).values()))
        rss.enter("publish")
        _, t_publish = _timed("publish (DuckDB catalog)", lambda: run.publish(day, run_id))
        e2e = t_stage + t_marts + t_publish  # GX overhead reported on its own (gx_s)
        peak = _peak_rss_mib()
        rss.enter("after")
        phases = rss.stop()
        stage_peak = max(v for k, v in phases.items() if k.startswith("stage:"))
        print("  peak RSS (sampled) per phase: " + ", ".join(
            f"{k} {v:,.0f}" for k, v in phases.items() if k not in ("start", "after")
        ) + f" MiB; process peak {peak:,.0f} MiB", flush=True)  # fmt: skip

        wh = run.warehouse()
        raw_files = sorted(wh.root.glob("raw/*/dt=*/platform=*/*.jsonl"))
        floor_dir = work / "floor"
        floor_dir.mkdir()
        floor_rows, t_floor = _timed("I/O floor (pyarrow)", lambda: io_floor(raw_files, floor_dir))
        assert floor_rows == raw_rows, (floor_rows, raw_rows)

        roas_s = scoring_s = classify_s = float("nan")
        mapping_key = ""
        if not args.nightly_only:
            from pipeline.bench.roas import bench_roas
            from pipeline.bench.scoring import bench_scoring
            from pipeline.fraud.classify import bench_classify

            roas = bench_roas(1_000_000, 500_000, root=work)
            roas_s = float(roas["total_s"])
            print(f"  {'ROAS: 1M orders + 500k delivery':<28} {roas_s:>8.2f} s  ({roas})")
            scoring_s = bench_scoring(100_000, 10)
            print(f"  {'score 100k accounts x 10 briefs':<28} {scoring_s:>8.2f} s")
            classify_s = bench_classify(1_000_000)
            print(f"  {'classify 1M profiles':<28} {classify_s:>8.2f} s")
            from pipeline.bench.adapters import bench_adapters

            mapping = bench_adapters(args.adapter_accounts)
            for platform, rps in mapping.items():
                label = f"map {platform} shape -> contract"
                print(f"  {label:<28} {'':>10}  {rps:>12,.0f} rows/s")
            mapping_key = "".join(f" map_{p}_rows_per_s={r:.0f}" for p, r in mapping.items())
        backfill_key = ""
        if args.backfill_days:
            n = args.backfill_days
            seq_s, bf_s = bench_backfill(n, work, args.seed)
            print(f"  {f'{n} sequential clout run':<28} {seq_s:>8.2f} s  ({seq_s / n:.2f} s a day)")
            print(f"  {f'clout backfill of {n} days':<28} {bf_s:>8.2f} s  ({bf_s / n:.2f} s a day, "
                  f"--workers 2): {bf_s / seq_s:.2f}x")  # fmt: skip
            backfill_key = f" backfill_ratio={bf_s / seq_s:.2f}"
        ratio = e2e / t_floor
        nightly = e2e + t_gx
        print(
            f"landed raw -> published marts: {e2e:.2f} s = {ratio:.2f}x the I/O floor "
            f"({t_floor:.2f} s); peak RSS {peak:,.0f} MiB; nightly (with GX) {nightly:.2f} s = "
            f"{nightly / t_floor:.2f}x"
        )
        print(
            f"bench: accounts={args.accounts} post_rows={post_rows} e2e_s={e2e:.2f} "
            f"floor_s={t_floor:.2f} ratio={ratio:.2f} nightly_s={nightly:.2f} "
            f"nightly_ratio={nightly / t_floor:.2f} peak_rss_mib={peak:.0f} "
            f"extract_rows_per_s={raw_rows / t_extract:.0f} classify_1m_s={classify_s:.2f} "
            f"validate_rows_per_s={validate_rps:.0f} gx_s={t_gx:.2f} roas_s={roas_s:.2f} "
            f"scoring_s={scoring_s:.2f} rss_extract_mib={phases.get('extract', 0):.0f} "
            f"rss_stage_mib={stage_peak:.0f} rss_marts_mib={phases.get('marts', 0):.0f} "
            f"stage_s={t_stage:.2f} marts_s={t_marts:.2f} publish_s={t_publish:.2f}"
            f"{backfill_key}{mapping_key}"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
