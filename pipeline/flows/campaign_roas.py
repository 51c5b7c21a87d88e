"""The campaign_roas run's steps: one call per Airflow task / CLI command.

Each takes the day and a run id, reads settings itself and returns a small JSON-able dict.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from pipeline.config import ConfigError, Settings, get_settings
from pipeline.warehouse.storage import Partition, Warehouse


def _wh(s: Settings) -> Warehouse:
    return Warehouse(s.warehouse)


def campaigns(dt: date, run_id: str) -> dict[str, Any]:
    """Validate ``CLOUT_CAMPAIGNS`` and store it as the ``stg_campaigns`` snapshot of ``dt``."""
    from pipeline.campaigns.campaigns import load_campaigns

    s = get_settings()
    if s.campaigns is None:
        raise ConfigError("CLOUT_CAMPAIGNS is not set: point it at the campaigns YAML/CSV file")
    table = load_campaigns(s.campaigns)
    _wh(s).write_table(Partition.of("staging", "stg_campaigns", dt), table, run_id)
    return {"dt": dt.isoformat(), "rows": table.num_rows, "file": str(s.campaigns)}


def orders(dt: date, run_id: str) -> dict[str, Any]:
    """Extract the orders updated since the stored watermark and stage them. Without
    ``CLOUT_ORDERS_URL`` there is no shop to read: skipped (campaign marts then count no
    revenue), and the result says so."""
    from pipeline.campaigns.orders import extract_orders, read_watermark, source_label, stage_orders

    s = get_settings()
    if not s.orders_url:
        return {"dt": dt.isoformat(), "skipped": "CLOUT_ORDERS_URL is not set (no shop orders)"}
    wh = _wh(s)
    source = source_label(s.orders_url, s.orders_table)
    since = read_watermark(wh, source, dt)
    raw = extract_orders(s.orders_url, s.orders_table, since, s.require_pii_key())
    return asdict(stage_orders(wh, raw, dt, run_id, source, previous=since))


def campaign_marts(dt: date, run_id: str) -> dict[str, Any]:
    """Rebuild campaign_daily and campaign_summary over the attribution window ending ``dt``."""
    from pipeline.flows.marts import build_campaign_marts

    return build_campaign_marts(_wh(get_settings()), dt, run_id)


def run_day(dt: date, run_id: str) -> dict[str, Any]:
    """All brand steps for one day (the DAG's tasks in order)."""
    return {
        "campaigns": campaigns(dt, run_id),
        "orders": orders(dt, run_id),
        "marts": campaign_marts(dt, run_id),
    }
