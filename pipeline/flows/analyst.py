"""The analysts' nightly step: publish the marts a run built to PostgreSQL for BI tools, when
``CLOUT_PUBLISH_URL`` is set (a no-op otherwise). One call per Airflow task."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pipeline.config import get_settings
from pipeline.contracts import CAMPAIGN_MARTS, MARTS
from pipeline.warehouse.storage import Warehouse


def publish_sql(dt: date, run_id: str, marts: str = "influencer") -> dict[str, Any]:
    """Copy the ``marts`` group to ``CLOUT_PUBLISH_URL`` (schema ``CLOUT_PUBLISH_SCHEMA``), one
    transaction per day: ``influencer`` marts of ``dt``, or the ``campaign`` marts of every day
    the campaign run rebuilt (late orders change them). Returns rows per table and day, or
    ``{"skipped": reason}`` when no URL is set."""
    from pipeline.analyst.publish import publish_marts
    from pipeline.campaigns.attribution import REBUILD_DAYS

    s = get_settings()
    if not s.publish_url:
        return {"skipped": "CLOUT_PUBLISH_URL is not set"}
    if marts not in ("influencer", "campaign"):
        raise ValueError(f"marts must be 'influencer' or 'campaign', not {marts!r}")
    names = list(MARTS) if marts == "influencer" else list(CAMPAIGN_MARTS)
    first = dt if marts == "influencer" else dt - timedelta(days=REBUILD_DAYS - 1)
    report = publish_marts(Warehouse(s.warehouse), s.publish_url, first, dt,
                           schema=s.publish_schema, marts=names)  # fmt: skip
    return {"run_id": run_id, "url": report.url, "schema": report.schema, "rows": report.rows}
