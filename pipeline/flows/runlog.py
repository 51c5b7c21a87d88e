"""``pipeline_runs``: one row per run and stage (rows in/out, duration, status, error), day
completion markers, and failure alerts (one log line, optionally a webhook)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from pipeline.contracts import PIPELINE_RUNS
from pipeline.warehouse.storage import DayLocked, Partition, Warehouse

log = logging.getLogger(__name__)

PIPELINE_RUNS_SCHEMA = PIPELINE_RUNS.schema


@contextlib.contextmanager
def tracked(wh: Warehouse, run_id: str, dt: date, stage: str) -> Iterator[dict[str, Any]]:
    """Time a stage and record it in ``pipeline_runs`` whatever happens.

    The caller fills ``rows_in`` / ``rows_out`` of the yielded dict. A retry of the same run and
    stage replaces its row (one row per run and stage).
    """
    counts: dict[str, Any] = {"rows_in": None, "rows_out": None}
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    status, error = "success", None
    try:
        yield counts
    except BaseException as e:
        status, error = "failed", (f"{type(e).__name__}: {e}".splitlines() or [""])[0][:500]
        raise
    finally:
        row = {
            "run_id": run_id, "stage": stage, "rows_in": counts["rows_in"],
            "rows_out": counts["rows_out"], "started_at": started,
            "duration_s": round(time.perf_counter() - t0, 3), "status": status, "error": error,
        }  # fmt: skip
        with contextlib.suppress(
            OSError, DayLocked
        ):  # bookkeeping never hides the stage's own outcome
            name = hashlib.sha1(f"{run_id}|{stage}".encode()).hexdigest()[:16]
            wh.write_file(
                Partition.of("meta", "pipeline_runs", dt),
                f"{stage.replace(':', '_')}-{name}.parquet",
                pa.Table.from_pylist([row], schema=PIPELINE_RUNS_SCHEMA),
            )


def mark_day_complete(wh: Warehouse, pipeline: str, dt: date, run_id: str) -> None:
    """Record that every stage of ``pipeline`` finished for ``dt`` (backfill skips such days)."""
    wh.write_manifest(
        Partition.of("meta", "runs", dt, pipeline=pipeline),
        {"pipeline": pipeline, "dt": dt.isoformat(), "run_id": run_id, "status": "complete",
         "completed_at": datetime.now(UTC).isoformat(timespec="seconds")},
    )  # fmt: skip


def day_complete(wh: Warehouse, pipeline: str, dt: date) -> bool:
    """Whether a run of ``pipeline`` completed ``dt``."""
    m = wh.read_manifest(Partition.of("meta", "runs", dt, pipeline=pipeline))
    return bool(m and m.get("status") == "complete")


def alert_failure(what: str, dt: object, run_id: str, error: object, webhook: str | None) -> None:
    """One clear log line for a failed task; a JSON POST to ``webhook`` if one is set."""
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    log.error("clout: %s failed for %s (run %s): %s", what, dt, run_id, first)
    if not webhook:
        return
    import httpx

    payload = {"text": f"clout: {what} failed for {dt}: {first}", "task": what, "dt": str(dt),
               "run_id": run_id, "error": first}  # fmt: skip
    try:
        httpx.post(webhook, content=json.dumps(payload), timeout=5,
                   headers={"Content-Type": "application/json"})  # fmt: skip
    except httpx.HTTPError as e:
        log.error("clout: could not post the failure to the webhook: %s", e)
