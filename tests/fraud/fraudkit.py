"""Helpers for the fraud mart tests: tiny staged tables in a temporary warehouse."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa

from pipeline.contracts import MARTS, SOURCE_TABLES
from pipeline.warehouse.storage import Partition, Warehouse

D = date(2026, 3, 20)


def _table(schema: pa.Schema, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    rows = list(rows)
    return pa.table(
        {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema},
        schema=schema,
    )


def stage(wh: Warehouse, table: str, dt: date, rows: Iterable[Mapping[str, Any]]) -> None:
    """Write rows (dicts; missing columns null) as the staged partition of a source table."""
    t = SOURCE_TABLES[table]
    wh.write_table(Partition.of("staging", t.staging, dt), _table(t.schema, rows), "test")


def mart(wh: Warehouse, name: str, dt: date, rows: Iterable[Mapping[str, Any]]) -> None:
    """Write rows as a mart partition (e.g. influencer_daily) directly."""
    wh.write_table(Partition.of("marts", name, dt), _table(MARTS[name].schema, rows), "test")


def ts(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def account_history(
    wh: Warehouse, followers_by_day: Mapping[date, int], platform: str = "instagram",
    account_id: str = "a1",
) -> None:  # fmt: skip
    for day, followers in followers_by_day.items():
        stage(wh, "accounts", day, [{"platform": platform, "account_id": account_id,
                                     "followers": followers, "following": 300}])  # fmt: skip


def days_before(dt: date, n: int) -> list[date]:
    return [dt - timedelta(days=i) for i in range(n, -1, -1)]
