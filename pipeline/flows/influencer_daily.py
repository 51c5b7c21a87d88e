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

from pipeline.config import ConfigError, Settings, get_settings
from pipeline.contracts import MARTS, PLATFORMS, ROSTER, SOURCE_TABLES
from pipeline.extract.platform_api import ApiConfig, Landed, extract_platform
from pipeline.extract.roster import INVALID_PLATFORM, RosterEntry, for_platform, load_roster
from pipeline.extract.sources import make_source
from pipeline.extract.sources.base import (
    SourceConfigError,
    land_extracted,
    land_roster,
    parse_sources,
)
from pipeline.flows.marts import build_day
from pipeline.flows.runlog import alert_failure, mark_day_complete, tracked
from pipeline.memory import release_memory
from pipeline.staging.gx import render_data_docs
from pipeline.staging.pages import raw_files, stage_table, validate_staged
from pipeline.warehouse.catalog import NO_CATALOG, refresh_catalog
from pipeline.warehouse.storage import Partition, Warehouse

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


PIPELINE = "influencer_daily"


def platform_sources(settings: Settings | None = None) -> dict[str, str]:
    """Platform -> the source it is read from (``CLOUT_SOURCES``); platforms absent are off."""
    try:
        return parse_sources((settings or get_settings()).sources)
    except SourceConfigError as e:
        raise ConfigError(str(e)) from None


def roster(dt: date, settings: Settings | None = None) -> list[RosterEntry]:
    """The day's roster (``CLOUT_ROSTER`` and ``stg_influencer_lists``)."""
    s = settings or get_settings()
    return load_roster(s.roster, s.warehouse, dt)


def extract(dt: date, platform: str, run_id: str) -> list[dict[str, Any]]:
    """Land every entity of one platform for the day, from the platform's configured source
    (nothing for a platform ``CLOUT_SOURCES`` leaves out)."""
    s = get_settings()
    name = platform_sources(s).get(platform)
    if name is None:
        log.info("extract %s %s: skipped (not in CLOUT_SOURCES=%s)", platform, dt, s.sources)
        return []
    wh = warehouse(s)
    with (
        wh.day_lock(f"extract-{platform}", dt),
        tracked(wh, run_id, dt, f"extract:{platform}") as n,
    ):
        entries = for_platform(roster(dt, s), platform)
        landed: list[Landed]
        if name == "clout":
            cfg = api_config(s)
            landed = extract_platform(
                cfg, wh, dt, platform, run_id, s.require_pii_key(), concurrency=s.concurrency
            )
            stale = wh.exists(Partition.of("raw", ROSTER.name, dt, platform=platform))
            if entries or stale:  # an emptied roster replaces the day's earlier lookups
                land_roster(wh, dt, platform, entries, run_id, cfg.base_url)
        else:
            if not entries:
                raise ConfigError(
                    f"{platform} is read from its own API (CLOUT_SOURCES={s.sources}) but the "
                    f"roster lists no {platform} account: add them to CLOUT_ROSTER"
                )
            extracted = make_source(name, s).extract(dt, entries)
            landed = land_extracted(wh, extracted, dt, run_id)
        n["rows_out"] = sum(x.rows for x in landed)
    release_memory()  # the pages' buffers, where the next step runs in this process
    return [asdict(x) for x in landed]


def platform_calls(landed: list[dict[str, Any]]) -> list[str]:
    """One line per platform read from its own API: its calls and quota units that day."""
    seen: dict[str, str] = {}
    for x in landed:
        if x.get("platform_calls") is not None and x["platform"] not in seen:
            units = x.get("platform_quota_units")
            seen[x["platform"]] = f"{x['platform']}: {x['platform_calls']} API calls" + (
                f", {units} quota units" if units is not None else ""
            )
    return list(seen.values())


def stage_roster(dt: date, run_id: str) -> dict[str, Any] | None:
    """Stage the day's roster lookups as ``stg_roster`` (accounts not found, and invalid roster
    rows, go to ``quarantine_roster`` with their reason); None when no roster landed."""
    s = get_settings()
    wh = warehouse(s)
    invalid = [e for e in roster(dt, s) if e.status == "invalid"]
    if invalid or raw_files(wh, ROSTER, dt):
        origin = str(s.roster) if s.roster else "roster"
        land_roster(wh, dt, INVALID_PLATFORM, invalid, run_id, origin)
    if not raw_files(wh, ROSTER, dt):
        return None
    return stage(dt, ROSTER.name, run_id)


def stage(dt: date, table: str, run_id: str) -> dict[str, Any]:
    """Validate and stage one table for the day, then run its GX suite on the staged data."""
    wh = warehouse()
    # one lock over both: another run must not restage the table between staging and its check
    with wh.day_lock(f"stage-{table}", dt):
        with tracked(wh, run_id, dt, f"stage:{table}") as n:
            started = time.perf_counter()
            result = asdict(stage_table(wh, table, dt, run_id))
            release_memory()  # DuckDB's and Arrow's free memory, before GX's pandas frame
            result["stage_s"] = round(time.perf_counter() - started, 3)
            n["rows_in"], n["rows_out"] = result["raw_rows"], result["staged_rows"]
        with tracked(wh, run_id, dt, f"validate:{table}") as n:
            started = time.perf_counter()
            records = validate_staged(wh, table, dt, run_id)
            release_memory()
            result["gx_s"] = round(time.perf_counter() - started, 3)
            result["gx_failed"] = sum(not r.success for r in records)
            n["rows_in"] = result["staged_rows"]
    return result


def marts(dt: date, run_id: str) -> dict[str, int]:
    """Build every mart for the day (in the order of ``MARTS``: later ones may read earlier)."""
    wh = warehouse()
    built: dict[str, int] = {}
    with wh.day_lock("marts", dt):
        for name in MARTS:
            with tracked(wh, run_id, dt, f"mart:{name}") as n:
                built[name] = n["rows_out"] = build_day(wh, name, dt, run_id)
            release_memory()
    return built


def publish(dt: date, run_id: str) -> dict[str, str]:
    """Render the day's Data Docs pages, refresh the DuckDB catalog and mark the day complete;
    says where catalog and docs are."""
    wh = warehouse()
    with tracked(wh, run_id, dt, "publish"):
        render_data_docs(wh.docs_dir())
        catalog = refresh_catalog(wh)
        mark_day_complete(wh, PIPELINE, dt, run_id)
    return {"catalog": str(catalog or NO_CATALOG), "data_docs": str(wh.docs_dir() / "index.html")}


def publish_catalog(settings: Settings | None = None) -> dict[str, str]:
    """Refresh the DuckDB catalog (a table whose first files arrived since shows them)."""
    wh = warehouse(settings)
    catalog = refresh_catalog(wh) or NO_CATALOG
    return {"catalog": str(catalog), "data_docs": str(wh.docs_dir() / "index.html")}


def ingest_day(dt: date, run_id: str) -> dict[str, Any]:
    """Extract and stage every table of a day (the part of a run that days can do in parallel)."""
    landed = [x for p in PLATFORMS for x in extract(dt, p, run_id)]
    staged = [stage(dt, t, run_id) for t in SOURCE_TABLES]
    staged_roster = stage_roster(dt, run_id)
    return {"landed": landed, "staged": staged + ([staged_roster] if staged_roster else [])}


def run_day(dt: date, run_id: str | None = None) -> dict[str, Any]:
    """One whole nightly run for a day, without a scheduler (``clout run``)."""
    run_id = run_id or new_run_id(dt)
    wh = warehouse()
    with wh.day_lock(PIPELINE, dt):
        ingested = ingest_day(dt, run_id)
        built = marts(dt, run_id)
        published = publish(dt, run_id)
    return {"run_id": run_id, **ingested, "marts": built, **published}


def task_failed(context: dict[str, Any]) -> None:
    """Airflow ``on_failure_callback``: one clear log line, and the webhook if configured."""
    ti = context.get("task_instance")
    what = f"{getattr(ti, 'dag_id', '?')}.{getattr(ti, 'task_id', '?')}"
    start = context.get("data_interval_start")
    alert_failure(
        what, start.date() if start is not None else None, str(context.get("run_id")),
        context.get("exception"), get_settings().alert_webhook,
    )  # fmt: skip
