"""``clout backfill``: many days without a scheduler, the same warehouse as nightly runs.

Days are extracted and staged in parallel worker processes; marts then run day by day in date
order (a day's marts read the days before it: follower deltas, trailing baselines), and the
catalog is published once. Days whose run completed are skipped unless ``force``.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pipeline.flows import influencer_daily as run
from pipeline.flows.runlog import day_complete, mark_day_complete
from pipeline.warehouse.catalog import refresh_catalog


@dataclass
class DayOutcome:
    """What happened to one day."""

    dt: date
    status: str  #: ran, skipped or failed
    seconds: float = 0.0
    rows: int = 0
    error: str = ""


@dataclass
class BackfillReport:
    """Every day's outcome, oldest first."""

    days: list[DayOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(d.status == status for d in self.days)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0


def day_range(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive."""
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _ingest(dt: date, run_id: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    result = run.ingest_day(dt, run_id)
    return sum(s["staged_rows"] for s in result["staged"]), time.perf_counter() - t0


def backfill(
    start: date,
    end: date,
    workers: int = 2,
    force: bool = False,
    on_progress: Callable[[DayOutcome], None] | None = None,
) -> BackfillReport:
    """Run ``influencer_daily`` for every day of [start, end]; see the module docstring."""
    days = day_range(start, end)
    wh = run.warehouse()
    outcomes = {d: DayOutcome(d, "skipped") for d in days}
    todo = [d for d in days if force or not day_complete(wh, run.PIPELINE, d)]
    for d in days:
        if d not in todo and on_progress:
            on_progress(outcomes[d])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    run_ids = {d: f"backfill__{d.isoformat()}__{stamp}" for d in todo}
    ingested: list[date] = []
    ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx) as pool:
        futures = {pool.submit(_ingest, d, run_ids[d]): d for d in todo}
        for fut in as_completed(futures):
            d = futures[fut]
            try:
                rows, seconds = fut.result()
            except Exception as e:  # one day failing does not stop the others
                outcomes[d] = DayOutcome(d, "failed", error=_first_line(e))
                if on_progress:
                    on_progress(outcomes[d])
                continue
            outcomes[d] = DayOutcome(d, "ran", seconds, rows)
            ingested.append(d)
    # marts in date order; a day after a failed one would be built without its predecessor
    # (follower deltas, baselines), so it waits for the next backfill instead
    failed = sorted(d for d, o in outcomes.items() if o.status == "failed")
    for d in sorted(ingested):
        t0 = time.perf_counter()
        if failed and failed[0] < d:
            outcomes[d] = DayOutcome(
                d, "failed", error=f"not finished: {failed[0]} failed before it; rerun the backfill"
            )
            if on_progress:
                on_progress(outcomes[d])
            continue
        try:
            run.marts(d, run_ids[d])
            mark_day_complete(wh, run.PIPELINE, d, run_ids[d])
        except Exception as e:
            outcomes[d] = DayOutcome(d, "failed", error=_first_line(e))
            failed.append(d)
        else:
            outcomes[d].seconds += time.perf_counter() - t0
        if on_progress:
            on_progress(outcomes[d])
    if ingested:
        refresh_catalog(wh)
    return BackfillReport([outcomes[d] for d in days])


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__
