"""Weekly warehouse maintenance: compact small files and vacuum old versions of every table."""

from __future__ import annotations

import logging
from typing import Any

from pipeline.config import Settings, get_settings
from pipeline.warehouse.storage import Warehouse

log = logging.getLogger(__name__)


def maintain(settings: Settings | None = None) -> dict[str, Any]:
    """Compact and vacuum every Delta table of ``CLOUT_WAREHOUSE``, keeping
    ``CLOUT_VACUUM_RETENTION_DAYS`` of versions; row counts are checked before and after.
    Returns the per-table report."""
    s = settings or get_settings()
    wh = Warehouse(s.warehouse)
    tables = wh.maintain(retention_hours=s.vacuum_retention_days * 24)
    for t in tables:
        log.info(
            "maintained %s: %d rows, files %d -> %d, %d vacuumed",
            t["table"], t["rows"], t["files_before"], t["files_after"], t["vacuumed"],
        )  # fmt: skip
    return {"retention_days": s.vacuum_retention_days, "tables": tables}
