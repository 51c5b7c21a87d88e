"""The ``delivery`` entity (``ads/delivery``): each day's metrics of every live ad.

Influencer ads reach a decaying share of the influencer's followers plus what their daily
budget buys; paid ads deliver their budget at the campaign's CPM. Injected here: click fraud
(invalid clicks far above the campaign's click rate, sometimes more than the impressions).
Genuine look-alike: view-through conversions, which on some ad-days exceed the clicks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import PLATFORMS

from ._arrays import Array, take_strings
from ._columns import Columns
from ._keys import S_DELIV, weekday
from .campaigns import active_campaigns

if TYPE_CHECKING:
    from .world import World

__all__ = ["delivery_arrays", "delivery_columns"]

# weekly seasonality of delivery, Monday first
_DELIV_DOW = np.array([1.0, 1.03, 1.04, 1.01, 0.98, 0.95, 0.99])


def delivery_arrays(world: World, t: int) -> dict[str, Any]:
    """Every ad delivering on day ``t`` (ads live by then, of the active campaigns) and its
    metrics, with ``invalid`` (the injected invalid clicks, included in ``clicks``)."""
    camps = active_campaigns(world, t)
    ids: list[str] = []
    cids: list[str] = []
    curr: list[str] = []
    keep_parts: list[Array] = []
    for c in camps:  # campaigns, not rows
        keep = c.ad_start <= t
        keep_parts.append(keep)
        ids.extend(i for i, k in zip(c.ad_id, keep, strict=True) if k)
        cids.extend([c.campaign_id] * int(keep.sum()))
        curr.extend([c.currency] * int(keep.sum()))

    def cat(attr: str) -> Array:
        if not camps:
            return np.zeros(0)
        return np.concatenate([getattr(c, attr)[k] for c, k in zip(camps, keep_parts, strict=True)])

    acc = cat("acc").astype(np.int64)
    plat = cat("plat").astype(np.int8)
    m = acc.size
    rng = world.rng(S_DELIV, t)
    dowf = _DELIV_DOW[weekday(t)]
    followers = world.state(t).followers.astype(float)
    is_inf = acc >= 0
    since = t - cat("ad_start")
    cpm = cat("cpm")
    budget = cat("daily_budget")
    organic = np.where(
        is_inf,
        followers[np.maximum(acc, 0)]
        * cat("reach_rate")
        * np.exp(-since / 5.0)
        * np.exp(rng.normal(0, 0.15, m)),
        0.0,
    )
    paid_imps = budget / np.maximum(cpm, 0.5) * 1000.0 * np.exp(rng.normal(0, 0.1, m))
    impressions = np.floor((organic + paid_imps) * dowf).astype(np.int64)
    reach = np.minimum(
        np.floor(impressions / (cat("freq") * np.exp(rng.normal(0, 0.05, m)))).astype(np.int64),
        impressions,
    )
    ctr = np.clip(cat("ctr") * np.exp(rng.normal(0, 0.15, m)), 0, 0.5)
    clicks = rng.binomial(impressions, ctr)
    video_views = rng.binomial(impressions, np.clip(cat("vvr"), 0, 1))
    spend = np.round(np.floor(paid_imps * dowf) * cpm / 1000.0, 2)
    # platform-reported conversions: from clicks, plus view-through (seen, not clicked);
    # on some ad-days (e.g. a promo code read out in a video) view-through exceeds clicks
    view_through = rng.poisson(impressions * rng.uniform(2e-5, 2e-4, m))
    vt_day = rng.random(m) < 0.03
    view_through = np.where(
        vt_day, view_through + np.ceil(clicks * rng.uniform(1.1, 2.0, m)) + 1, view_through
    )
    conversions = rng.binomial(clicks, np.clip(cat("cvr"), 0, 1)) + view_through.astype(np.int64)
    # click fraud: invalid clicks far above the campaign's CTR, sometimes > impressions
    u = rng.random(m)
    fraud = u < 0.05
    over = u < 0.008
    invalid = np.where(
        fraud,
        np.where(
            over,
            np.ceil(impressions * rng.uniform(1.02, 1.4, m)) - clicks + 1,
            np.rint(clicks * rng.uniform(3, 15, m)) + rng.poisson(30, m),
        ),
        0,
    ).astype(np.int64)
    return {
        "acc": acc,
        "plat": plat,
        "ad_id": ids,
        "campaign_id": cids,
        "currency": curr,
        "impressions": impressions,
        "reach": reach,
        "clicks": clicks + invalid,
        "invalid": invalid,
        "video_views": video_views,
        "spend": spend,
        "conversions": conversions,
    }


def delivery_columns(world: World, t: int) -> Columns:
    """The ``delivery`` rows of day ``t``: one per ad delivering that day."""
    d = delivery_arrays(world, t)
    acc = d["acc"]
    cols: dict[str, Any] = {
        "campaign_id": pa.array(d["campaign_id"], type=pa.string()),
        "platform": take_strings(PLATFORMS, d["plat"]),
        "account_id": pc.take(world.acc.account_id, pa.array(np.maximum(acc, 0), mask=acc < 0)),
        "ad_id": pa.array(d["ad_id"], type=pa.string()),
        "impressions": d["impressions"],
        "reach": d["reach"],
        "clicks": d["clicks"],
        "video_views": d["video_views"],
        "spend": d["spend"].astype(np.float64),
        "currency": pa.array(d["currency"], type=pa.string()),
        "conversions": d["conversions"].astype(np.int64),
    }
    return cols, d["plat"]
