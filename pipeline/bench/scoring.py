"""Scoring benchmark: N synthetic accounts (21 audience rows each) against B briefs.

The inputs are written to a temporary warehouse as the day's ``stg_accounts``, ``stg_audience``,
``influencer_daily`` and ``audience_quality`` partitions (not timed); the figure is the time of
the mart runner's compute (reading Parquet, the SQL) plus writing the mart partition.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.contracts import MARTS, PLATFORMS, SOURCE_TABLES
from pipeline.scoring.briefs import Brief, parse_brief
from pipeline.warehouse.storage import Partition, Warehouse

DAY = date(2026, 3, 1)
CATEGORIES = ("fashion", "beauty", "fitness", "food", "travel", "gaming", "tech", "music")
AGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")
GENDERS = ("female", "male", "other")
COUNTRIES = ("US", "GB", "DE", "FR", "BR", "other")
INTERESTS = ("fashion", "beauty", "fitness", "gaming", "tech", "other")


def _mix(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.dirichlet(np.ones(k), size=n)


def synthetic_warehouse(wh: Warehouse, accounts: int, seed: int = 1) -> None:
    """Write a day of synthetic scoring inputs for ``accounts`` accounts."""
    rng = np.random.default_rng(seed)
    n = accounts
    ids = np.array([f"a{i}" for i in range(n)], dtype=object)
    plat = np.array(PLATFORMS, dtype=object)[rng.integers(0, len(PLATFORMS), n)]
    followers = np.exp(rng.uniform(np.log(1_000), np.log(5_000_000), n)).astype(np.int64)
    cat = np.array(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n)]

    def put(layer: str, name: str, cols: dict[str, pa.Array], schema: pa.Schema) -> None:
        t = pa.table({f.name: cols.get(f.name, pa.nulls(len(next(iter(cols.values()))), f.type))
                      for f in schema}, schema=schema)  # fmt: skip
        wh.write_table(Partition.of(layer, name, DAY), t, "bench")

    put("staging", "stg_accounts", {"platform": pa.array(plat, pa.string()),
        "account_id": pa.array(ids, pa.string()), "followers": pa.array(followers),
        "category": pa.array(cat, pa.string())}, SOURCE_TABLES["accounts"].schema)  # fmt: skip
    dims, buckets, shares = [], [], []
    for dim, vocab in (("age", AGES), ("gender", GENDERS), ("country", COUNTRIES),
                       ("interest", INTERESTS)):  # fmt: skip
        k = len(vocab)
        dims.append(np.full(n * k, dim, dtype=object))
        buckets.append(np.tile(np.array(vocab, dtype=object), n))
        shares.append(_mix(rng, n, k).ravel())
    k_all = sum(len(v) for v in (AGES, GENDERS, COUNTRIES, INTERESTS))
    order = np.argsort(np.concatenate([np.repeat(np.arange(n), len(v))
                                       for v in (AGES, GENDERS, COUNTRIES, INTERESTS)]),
                       kind="stable")  # fmt: skip
    put("staging", "stg_audience", {
        "platform": pa.array(np.repeat(plat, k_all), pa.string()),
        "account_id": pa.array(np.repeat(ids, k_all), pa.string()),
        "dimension": pa.array(np.concatenate(dims)[order], pa.string()),
        "bucket": pa.array(np.concatenate(buckets)[order], pa.string()),
        "share": pa.array(np.concatenate(shares)[order]),
    }, SOURCE_TABLES["audience"].schema)  # fmt: skip
    put("marts", "influencer_daily", {
        "platform": pa.array(plat, pa.string()), "account_id": pa.array(ids, pa.string()),
        "followers": pa.array(followers), "posts_published": pa.array(np.zeros(n, np.int64)),
        "posts_measured": pa.array(np.full(n, 12, np.int64)),
        "engagement_rate": pa.array(rng.lognormal(np.log(0.03), 0.6, n)),
    }, MARTS["influencer_daily"].schema)  # fmt: skip
    put("marts", "audience_quality", {
        "platform": pa.array(plat, pa.string()), "account_id": pa.array(ids, pa.string()),
        "authenticity_pct": pa.array(rng.uniform(30, 100, n)),
        "reachability_pct": pa.array(rng.uniform(40, 100, n)),
        "growth_health": pa.array(rng.choice([100.0, 75.0, 50.0], n)),
        "engagement_score": pa.array(rng.uniform(0, 100, n)),
    }, MARTS["audience_quality"].schema)  # fmt: skip


def synthetic_briefs(count: int, seed: int = 2) -> list[Brief]:
    """``count`` varied briefs over the synthetic vocabularies."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        target = {
            dim: dict(
                zip(vocab, (float(x) for x in rng.dirichlet(np.ones(len(vocab)))), strict=True)
            )
            for dim, vocab in (
                ("age", AGES),
                ("gender", GENDERS),
                ("country", COUNTRIES),
                ("interest", INTERESTS),
            )  # fmt: skip
        }
        out.append(parse_brief({
            "brief_id": f"b{i}", "platforms": list(PLATFORMS)[: 1 + i % 3],
            "followers": {"min": 1_000 * (1 + i % 5)},
            "niches": list(rng.choice(CATEGORIES, 2, replace=False)),
            "target": target, "budget": 100_000, "goal": ("awareness", "conversions")[i % 2],
        }))  # fmt: skip
    return out


def bench_scoring(accounts: int = 100_000, briefs: int = 10, root: Path | None = None) -> float:
    """Seconds to score ``accounts`` accounts against ``briefs`` briefs and write the mart."""
    from pipeline.flows.marts import compute_mart
    from pipeline.scoring.prepare import NAME, prepare

    work = Path(tempfile.mkdtemp(prefix="clout-scoring-", dir=root))
    try:
        wh = Warehouse(work / "warehouse")
        synthetic_warehouse(wh, accounts)
        bs = synthetic_briefs(briefs)
        t0 = time.perf_counter()
        table = compute_mart(wh, NAME, DAY, prepare=partial(prepare, briefs=bs))
        wh.write_table(Partition.of("marts", NAME, DAY), table, "bench")
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    print(f"bench: scoring_s={bench_scoring():.2f}")
