"""The nightly run's steps. Each Airflow task and each CLI command is one call in here.

Steps take the day and a run id, read settings themselves and return small JSON-able dicts
(partition keys, counts): tasks pass those between each other, never data.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from pipeline.config import Settings, get_settings
from pipeline.marts import build_mart
from pipeline.schemas import MARTS, PLATFORMS, SOURCE_TABLES
from pipeline.sources.platform_api import ApiConfig, extract_platform
from pipeline.stage import stage_table, validate_staged
from pipeline.warehouse.catalog import refresh_catalog
from pipeline.warehouse.storage import Warehouse

log = logging.getLogger(__name__)


class RunFailed(RuntimeError):
    """A DAG run or a step ended in failure; the message says which."""


def new_run_id(dt: date) -> str:
    """A run id for ad-hoc runs (Airflow passes its own)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"manual__{dt.isoformat()}__{stamp}__{uuid.uuid4().hex[:6]}"


def warehouse(settings: Settings | None = None) -> Warehouse:
    """The configured warehouse."""
    return Warehouse((settings or get_settings()).warehouse)


def api_config(settings: Settings | None = None) -> ApiConfig:
    """Client settings from the configuration (raises ConfigError when incomplete)."""
    s = settings or get_settings()
    url, token = s.require_api()
    return ApiConfig(
        base_url=url,
        token=token,
        page_size=s.page_size,
        timeout_s=s.http_timeout_s,
        max_retries=s.max_retries,
        backoff_max_s=s.backoff_max_s,
    )


def extract(dt: date, platform: str, run_id: str) -> list[dict[str, Any]]:
    """Land every entity of one platform for the day."""
    s = get_settings()
    landed = extract_platform(
        api_config(s),
        warehouse(s),
        dt,
        platform,
        run_id,
        s.require_pii_key(),
        concurrency=s.concurrency,
    )
    return [asdict(x) for x in landed]


def stage(dt: date, table: str, run_id: str) -> dict[str, Any]:
    """Validate and stage one table for the day, then run its GX suite on the staged data."""
    wh = warehouse()
    started = time.perf_counter()
    result = asdict(stage_table(wh, table, dt, run_id))
    result["stage_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    records = validate_staged(wh, table, dt, run_id)
    result["gx_s"] = round(time.perf_counter() - started, 3)
    result["gx_failed"] = sum(not r.success for r in records)
    return result


def marts(dt: date, run_id: str) -> dict[str, int]:
    """Build every mart for the day."""
    wh = warehouse()
    return {name: build_mart(wh, name, dt, run_id) for name in MARTS}


def publish(dt: date, run_id: str) -> dict[str, str]:
    """Refresh the DuckDB catalog; returns where the catalog and the Data Docs are."""
    wh = warehouse()
    return {"catalog": str(refresh_catalog(wh)), "data_docs": str(wh.docs_dir() / "index.html")}


def run_day(dt: date, run_id: str | None = None) -> dict[str, Any]:
    """One whole nightly run for a day, without a scheduler (``clout run``)."""
    run_id = run_id or new_run_id(dt)
    wh = warehouse()
    with wh.day_lock("influencer_daily", dt):
        landed = [x for p in PLATFORMS for x in extract(dt, p, run_id)]
        staged = [stage(dt, t, run_id) for t in SOURCE_TABLES]
        built = marts(dt, run_id)
        catalog = publish(dt, run_id)
    return {
        "run_id": run_id,
        "landed": landed,
        "staged": staged,
        "marts": built,
        "catalog": catalog,
    }
