"""Helpers for the scoring tests: hand-made day inputs scored in memory or in a warehouse."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pyarrow as pa

from pipeline.contracts import MARTS, SOURCE_TABLES
from pipeline.scoring.briefs import Brief, parse_brief
from pipeline.scoring.prepare import score_on
from pipeline.warehouse.catalog import connect
from pipeline.warehouse.storage import Partition, Warehouse

D = date(2026, 3, 20)
TARGET = {"age": {"18-24": 0.5, "25-34": 0.5}, "gender": {"female": 0.7, "male": 0.3}}

_TABLES = {
    "stg_accounts": SOURCE_TABLES["accounts"].schema,
    "stg_audience": SOURCE_TABLES["audience"].schema,
    "influencer_daily": MARTS["influencer_daily"].schema,
    "audience_quality": MARTS["audience_quality"].schema,
    "fraud_flags": MARTS["fraud_flags"].schema,
}


def table(schema: pa.Schema, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    rows = list(rows)
    return pa.table(
        {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}, schema=schema
    )


def brief(**over: Any) -> Brief:
    doc = {"brief_id": "b1", "platforms": ["instagram"], "followers": {"min": 1_000},
           "target": TARGET, "budget": 10_000, "goal": "conversions", **over}  # fmt: skip
    return parse_brief(doc)


def account(account_id: str, followers: int = 50_000, platform: str = "instagram",
            category: str | None = "fashion") -> dict[str, Any]:  # fmt: skip
    return {"platform": platform, "account_id": account_id, "followers": followers,
            "category": category}  # fmt: skip


def audience(account_id: str, mix: Mapping[str, Mapping[str, float]],
             platform: str = "instagram") -> list[dict[str, Any]]:  # fmt: skip
    return [
        {"platform": platform, "account_id": account_id, "dimension": d, "bucket": b, "share": s}
        for d, buckets in mix.items()
        for b, s in buckets.items()
    ]


def quality(account_id: str, authenticity: float = 100.0, platform: str = "instagram",
            **over: Any) -> dict[str, Any]:  # fmt: skip
    return {"platform": platform, "account_id": account_id, "authenticity_pct": authenticity,
            "suspicious_pct": 100.0 - authenticity, "reachability_pct": 90.0,
            "growth_health": 100.0, "engagement_score": 50.0, **over}  # fmt: skip


def inputs(**rows: Iterable[Mapping[str, Any]]) -> dict[str, pa.Table]:
    """Day-``D`` tables by name (``stg_accounts=[...]``, ...); missing ones empty."""
    return {name: table(schema, rows.get(name, [])) for name, schema in _TABLES.items()}


def score(briefs: Iterable[Brief], **rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Score hand-made day-``D`` inputs in memory; rows of influencer_scores."""
    con = connect()
    try:
        for name, t in inputs(**rows).items():
            con.register(f"{name}_in", t)
            con.execute(f"create view {name} as select *, date '{D}' as dt from {name}_in")
        return score_on(con, list(briefs), D).to_pylist()
    finally:
        con.close()


def write(wh: Warehouse, **rows: Iterable[Mapping[str, Any]]) -> None:
    """Write hand-made day-``D`` inputs into a warehouse."""
    for name, t in inputs(**rows).items():
        layer = "staging" if name.startswith("stg_") else "marts"
        wh.write_table(Partition.of(layer, name, D), t, "test")


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r for r in rows}
