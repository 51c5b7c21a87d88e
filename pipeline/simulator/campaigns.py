"""Campaigns: the brand side of the world, and the calendar the ``delivery`` entity serves.

``n_campaigns`` campaign slots repeat on a ``CAMPAIGN_CYCLE``-day cycle, their offsets spread so
that every date has an active campaign; each cycle of a slot is a new campaign instance
(:class:`Campaign`) with 2-6 influencer ads and 1-2 paid ads. An influencer ad goes live on one
day of the campaign's first week: that day the influencer publishes the sponsored post
(``posts``) carrying the campaign id and promo code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import PLATFORMS

from ._arrays import Array, int_strings, permute_bits
from ._keys import REF_ORDINAL, S_CAMP_INST, as_ordinal

if TYPE_CHECKING:
    from .world import World

__all__ = [
    "CAMPAIGN_CYCLE",
    "Campaign",
    "active_campaigns",
    "campaigns_frame",
    "live_influencers",
    "make_campaign",
    "make_campaign_slots",
]

CAMPAIGN_CYCLE = 42  #: days between two instances of a campaign slot

_BRANDS: tuple[tuple[str, str], ...] = (
    ("acme", "Spring drop"), ("lumina", "Glow launch"), ("peakfit", "New year shape"),
    ("nomad", "Summer escape"), ("byteware", "Back to school"), ("verde", "Green kitchen"),
    ("kiddo", "Playtime"), ("coinly", "Smart saver"), ("sonic", "Headphones launch"),
    ("aurora", "Holiday gifting"), ("fjord", "Outdoor week"), ("mochi", "Snack attack"),
)  # fmt: skip
_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")

_CAMPAIGN_COLUMNS = [
    "campaign_id",
    "brand",
    "name",
    "currency",
    "start_date",
    "end_date",
    "budget",
    "platform",
    "account_id",
    "ad_id",
    "fee",
    "promo_code",
    "utm_content",
    "live_date",
]


@dataclass
class Campaign:
    """One campaign instance (one cycle of one campaign slot)."""

    campaign_id: str
    slot: int
    brand: str
    name: str
    currency: str
    start: int
    end: int
    budget: float
    # ads (influencer ads first, then paid ads)
    ad_id: list[str]
    acc: Array  # -1 for paid ads
    plat: Array
    ad_start: Array
    fee: Array
    promo_code: list[str | None]
    utm_content: list[str | None]
    reach_rate: Array
    daily_budget: Array
    cpm: Array
    ctr: Array
    cvr: Array
    vvr: Array
    freq: Array


def make_campaign_slots(rng: np.random.Generator, n_campaigns: int) -> dict[str, Array]:
    """The static part of each campaign slot: calendar offset, window, currency, base rates."""
    c = n_campaigns
    # windows at least as long as the spacing of the offsets: every date has a campaign
    lo = min(max(14, -(-CAMPAIGN_CYCLE // max(c, 1))), CAMPAIGN_CYCLE)
    window = rng.integers(lo, max(lo, 35) + 1, c)
    return {
        "offset": (np.arange(c) * CAMPAIGN_CYCLE) // max(c, 1),
        "window": window,
        "currency": rng.integers(0, len(_CURRENCIES), c),
        "ctr": rng.uniform(0.006, 0.02, c),
        "cvr": rng.uniform(0.01, 0.04, c),
        "cpm": rng.uniform(5.0, 15.0, c),
    }


def make_campaign(world: World, slot: int, cycle: int) -> Campaign:
    """Campaign instance ``cycle`` of ``slot``; not cached (``World.campaign`` caches it)."""
    cs = world.campaign_slots
    a = world.acc
    start = REF_ORDINAL + int(cs["offset"][slot]) + cycle * CAMPAIGN_CYCLE
    end = start + int(cs["window"][slot]) - 1
    rng = world.rng(S_CAMP_INST, slot, start)
    brand, title = _BRANDS[slot % len(_BRANDS)]
    if slot >= len(_BRANDS):
        brand = f"{brand}{slot // len(_BRANDS) + 1}"
    start_s = dt.date.fromordinal(start)
    cid = f"{brand}-{start_s:%Y%m%d}"
    currency = _CURRENCIES[int(cs["currency"][slot])]
    n_inf = min(int(rng.integers(2, 7)), a.n)
    n_paid = int(rng.integers(1, 3))
    inf = np.sort(rng.choice(a.n, size=n_inf, replace=False))
    paid_plat = rng.integers(0, len(PLATFORMS), n_paid)
    window = end - start + 1
    live = start + rng.integers(0, max(1, min(7, window)), n_inf)
    n_ads = n_inf + n_paid
    ad_num = permute_bits(
        np.uint64(start) * np.uint64(64)
        + np.uint64(slot) * np.uint64(8)
        + np.arange(n_ads, dtype=np.uint64),
        46,
    )
    ad_id = int_strings(np.uint64(23_850_000_000_000_000) + ad_num).to_pylist()
    handles = pc.take(a.handle, pa.array(inf)).to_pylist()
    promo = [f"{brand.upper()}-{h.replace('.', '').replace('_', '')[:8].upper()}" for h in handles]
    followers = world.state(start).followers[inf].astype(float)
    fee = np.round(followers * rng.uniform(0.006, 0.02, n_inf) + 100, 2)
    daily_budget = np.concatenate(
        [
            np.where(rng.random(n_inf) < 0.5, 0.0, rng.uniform(20, 300, n_inf)),
            rng.uniform(200, 2000, n_paid),
        ]
    )
    plat = np.concatenate([a.plat[inf], paid_plat]).astype(np.int8)
    vvr_lo = np.array([0.15, 0.4, 0.3])[plat]
    return Campaign(
        campaign_id=cid,
        slot=slot,
        brand=brand,
        name=f"{title} {start_s:%b %Y}",
        currency=currency,
        start=start,
        end=end,
        budget=float(np.round(fee.sum() + daily_budget.sum() * window, -2)),
        ad_id=ad_id,
        acc=np.concatenate([inf, np.full(n_paid, -1)]).astype(np.int64),
        plat=plat,
        ad_start=np.concatenate([live, np.full(n_paid, start)]).astype(np.int64),
        fee=np.concatenate([fee, np.zeros(n_paid)]),
        promo_code=[*promo, *([None] * n_paid)],
        utm_content=[*[h.replace(".", "_") for h in handles], *([None] * n_paid)],
        reach_rate=np.concatenate([rng.uniform(0.15, 0.5, n_inf), np.zeros(n_paid)]),
        daily_budget=daily_budget,
        cpm=cs["cpm"][slot] * np.exp(rng.normal(0, 0.2, n_ads)),
        ctr=cs["ctr"][slot] * np.exp(rng.normal(0, 0.25, n_ads)),
        cvr=cs["cvr"][slot] * np.exp(rng.normal(0, 0.2, n_ads)),
        vvr=vvr_lo + rng.uniform(0, 0.3, n_ads),
        freq=rng.uniform(1.1, 2.0, n_ads),
    )


def active_campaigns(world: World, t: int) -> list[Campaign]:
    """The campaign instances running on day ``t``, in slot order."""
    out: list[Campaign] = []
    cs = world.campaign_slots
    for slot in range(world.n_campaigns):  # campaigns, not rows
        rel = t - REF_ORDINAL - int(cs["offset"][slot])
        cycle = rel // CAMPAIGN_CYCLE
        if rel - cycle * CAMPAIGN_CYCLE < int(cs["window"][slot]):
            out.append(world.campaign(slot, cycle))
    return out


def live_influencers(world: World, p: int) -> tuple[Array, list[str], list[str | None]]:
    """Accounts whose campaign post goes live on day ``p``: (account idx, campaign ids, promo
    codes); an account in two campaigns that day posts for the first one."""
    accs: list[int] = []
    cids: list[str] = []
    promos: list[str | None] = []
    for c in active_campaigns(world, p):  # campaigns and their few ads, not rows
        for i in np.flatnonzero((c.acc >= 0) & (c.ad_start == p)):
            acc = int(c.acc[i])
            if acc not in accs:
                accs.append(acc)
                cids.append(c.campaign_id)
                promos.append(c.promo_code[i])
    return np.array(accs, dtype=np.int64), cids, promos


def campaigns_frame(world: World, start: dt.date | str, end: dt.date | str) -> pd.DataFrame:
    """Campaign instances active in [start, end], one row per ad (see ``World.campaigns``)."""
    t0, t1 = as_ordinal(start), as_ordinal(end)
    cs = world.campaign_slots
    seen: dict[str, Campaign] = {}
    for slot in range(world.n_campaigns):
        off = REF_ORDINAL + int(cs["offset"][slot])
        first = (t0 - off - int(cs["window"][slot]) + 1) // CAMPAIGN_CYCLE
        last = (t1 - off) // CAMPAIGN_CYCLE
        for cycle in range(first, last + 1):
            c = world.campaign(slot, cycle)
            if c.end >= t0 and c.start <= t1:
                seen[c.campaign_id] = c
    parts = []
    for c in sorted(seen.values(), key=lambda c: (c.start, c.slot)):
        ids = pc.take(world.acc.account_id, pa.array(c.acc, mask=c.acc < 0)).to_pylist()
        parts.append(
            pd.DataFrame(
                {
                    "campaign_id": c.campaign_id,
                    "brand": c.brand,
                    "name": c.name,
                    "currency": c.currency,
                    "start_date": dt.date.fromordinal(c.start),
                    "end_date": dt.date.fromordinal(c.end),
                    "budget": c.budget,
                    "platform": [PLATFORMS[int(p)] for p in c.plat],
                    "account_id": ids,
                    "ad_id": c.ad_id,
                    "fee": c.fee,
                    "promo_code": c.promo_code,
                    "utm_content": c.utm_content,
                    "live_date": [dt.date.fromordinal(int(s)) for s in c.ad_start],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=_CAMPAIGN_COLUMNS)
    return pd.concat(parts, ignore_index=True)
