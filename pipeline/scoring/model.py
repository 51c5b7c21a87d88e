"""Scoring assumptions: price rates per platform and score weights, in one overridable place.

The defaults are round market rules of thumb (2025/26 public rate cards), not measurements:

* a sponsored post costs about ``usd_per_1k_followers`` USD per 1,000 followers (Instagram ~10,
  TikTok ~7, YouTube ~20 per 1,000 subscribers), never less than ``min_price``;
* an engagement rate above the platform's typical ``er_ref`` raises the price by
  ``(er / er_ref) ^ er_elasticity``, clamped to ``er_mult_min .. er_mult_max``;
* one post reaches ``reach_rate`` of the followers when the account's average views are unknown
  (Instagram ~25 %, TikTok ~40 %, YouTube ~15 %); only the authentic share of that reach counts.

Override for a run by passing another :class:`ScoringConfig` to
:func:`pipeline.scoring.prepare.prepare` (``functools.partial(prepare, config=...)`` as
:func:`pipeline.flows.marts.compute_mart`'s ``prepare``), or globally by replacing ``DEFAULT_CONFIG``
(e.g. ``dataclasses.replace(DEFAULT_CONFIG, rates={...})``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class PlatformRates:
    """Price and reach assumptions for one platform (USD)."""

    usd_per_1k_followers: float
    reach_rate: float
    er_ref: float
    min_price: float = 50.0
    er_elasticity: float = 0.5
    er_mult_min: float = 0.5
    er_mult_max: float = 2.0


@dataclass(frozen=True)
class GoalWeights:
    """Weights of the score components for one brief goal."""

    quality: float
    audience: float
    niche: float


RATES: dict[str, PlatformRates] = {
    "instagram": PlatformRates(usd_per_1k_followers=10.0, reach_rate=0.25, er_ref=0.02),
    "tiktok": PlatformRates(usd_per_1k_followers=7.0, reach_rate=0.40, er_ref=0.05),
    "youtube": PlatformRates(usd_per_1k_followers=20.0, reach_rate=0.15, er_ref=0.04),
}

GOALS: dict[str, GoalWeights] = {
    "awareness": GoalWeights(quality=0.35, audience=0.45, niche=0.20),
    "conversions": GoalWeights(quality=0.40, audience=0.35, niche=0.25),
}


@dataclass(frozen=True)
class ScoringConfig:
    """Every tunable number of the score (see ``sql/influencer_scores.sql``)."""

    rates: Mapping[str, PlatformRates] = field(default_factory=lambda: dict(RATES))
    goals: Mapping[str, GoalWeights] = field(default_factory=lambda: dict(GOALS))
    #: weights of the audience_quality components in quality_score
    w_authenticity: float = 0.45
    w_reachability: float = 0.15
    w_growth: float = 0.15
    w_engagement: float = 0.25
    #: quality_score of an account without an audience_quality row (no evidence either way)
    missing_quality: float = 50.0
    #: authenticity % assumed for reach when the follower sample is missing
    missing_authenticity: float = 75.0

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Register ``platform_rates``, ``goal_weights`` and the ``sc_*`` variables on ``con``."""
        con.register("platform_rates", self.rates_table())
        con.register("goal_weights", self.goals_table())
        for name in ("w_authenticity", "w_reachability", "w_growth", "w_engagement",
                     "missing_quality", "missing_authenticity"):  # fmt: skip
            con.execute(f"set variable sc_{name} = {float(getattr(self, name))!r}::double")

    def rates_table(self) -> pa.Table:
        rows = [{"platform": p, **r.__dict__} for p, r in self.rates.items()]
        return pa.Table.from_pylist(rows)

    def goals_table(self) -> pa.Table:
        rows = [
            {"goal": g, "w_quality": w.quality, "w_audience": w.audience, "w_niche": w.niche}
            for g, w in self.goals.items()
        ]
        return pa.Table.from_pylist(rows)


DEFAULT_CONFIG = ScoringConfig()
