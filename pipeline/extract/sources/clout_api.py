"""The clout API contract (DESIGN section 11) as a platform source: today's client
(:mod:`pipeline.extract.platform_api`), unchanged. It serves every tracked account of a
platform itself, so the roster is not asked for; roster entries of such a platform land as
``unchecked``."""

from __future__ import annotations

from datetime import date

from pipeline.extract.platform_api import ApiConfig, Landed, extract_platform
from pipeline.warehouse.storage import Warehouse


def extract_clout(
    cfg: ApiConfig,
    wh: Warehouse,
    dt: date,
    platform: str,
    run_id: str,
    pii_key: bytes,
    concurrency: int = 4,
) -> list[Landed]:
    """Land every entity of one platform and day from the clout API."""
    return extract_platform(cfg, wh, dt, platform, run_id, pii_key, concurrency=concurrency)
