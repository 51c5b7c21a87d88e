"""The ``posts`` entity: each day's new posts and the 30-day metrics snapshot the API serves.

A post's identity and final (saturated) metrics are fixed on its publication day
(:func:`make_post_batch`); ``posts`` for day ``t`` is the snapshot, at the end of ``t``, of every
post published in the ``POST_WINDOW`` days up to and including ``t``, each metric grown along a
saturating curve by post age. Engagement is driven by the account's engaged audience
(``FollowerState.real``), so bought followers and bots add no likes. Injected here: viral posts
(the event schedule's VIRAL days), engagement pods (comments and likes on the pod's weekdays)
and bought likes (likes without matching views or comments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import MEDIA_TYPES, PLATFORMS

from ._arrays import (
    EPOCH_ORDINAL,
    Array,
    b64_strings,
    group_rank,
    int_strings,
    iso_utc,
    log_uniform,
    permute_bits,
    take_strings,
)
from ._columns import Columns, NullableInt
from ._keys import S_POSTS, weekday
from .campaigns import live_influencers
from .trajectories import VIRAL
from .vocab import IG, TT, YT

if TYPE_CHECKING:
    from .world import World

__all__ = ["POST_WINDOW", "PostBatch", "make_post_batch", "post_columns", "post_snapshot"]

POST_WINDOW = 30  #: days of posts in one ``posts`` snapshot

# media types by platform: probabilities over MEDIA_TYPES (image, carousel, video, reel, short, story)
_MEDIA_P = {
    "instagram": {"image": 0.32, "carousel": 0.24, "video": 0.03, "reel": 0.36, "story": 0.05},
    "tiktok": {"video": 0.96, "carousel": 0.04},
    "youtube": {"video": 0.45, "short": 0.55},
}
_MEDIA_CUM = np.array(
    [np.cumsum([_MEDIA_P[p].get(m, 0.0) for m in MEDIA_TYPES]) for p in PLATFORMS]
)
_M = {m: i for i, m in enumerate(MEDIA_TYPES)}

# weekly seasonality of posting and of engagement, Monday first
_POST_DOW = np.array([1.06, 1.05, 1.04, 1.0, 0.96, 0.9, 0.99])
_ENG_DOW = np.array([1.03, 1.06, 1.05, 1.02, 0.95, 0.9, 0.99])
_POST_DOW = _POST_DOW / _POST_DOW.mean()
_ENG_DOW = _ENG_DOW / _ENG_DOW.mean()


@dataclass
class PostBatch:
    """Posts published on one day: identity and final (saturated) metrics."""

    day: int
    acc: Array
    sec: Array
    media: Array
    post_id: pa.Array
    likes: Array
    comments: Array
    shares: Array
    saves: Array
    views: Array
    has_views: Array
    has_saves: Array
    tau: Array
    sponsored: Array
    campaign_id: pa.Array
    promo_code: pa.Array
    viral: Array
    viral_mult: Array
    inflated: Array
    pod: Array

    @property
    def size(self) -> int:
        """Number of posts."""
        return int(self.acc.size)


def make_post_batch(world: World, p: int) -> PostBatch:
    """The posts published on day ``p`` (ordinal); not cached (``World.post_batch`` caches it)."""
    a = world.acc
    n = a.n
    rng = world.rng(S_POSTS, p)
    dow = weekday(p)
    st = world.state(p)
    counts = rng.poisson(a.lam * _POST_DOW[dow])
    viral_today = st.kind_today == VIRAL
    live_acc, live_cid, live_promo = live_influencers(world, p)
    # a viral day needs the viral post, a campaign's go-live day the sponsored post
    forced = viral_today.copy()
    forced[live_acc] = True
    counts = np.where(forced, np.maximum(counts, 1), counts)
    acc = np.repeat(np.arange(n), counts)
    m = acc.size
    first = group_rank(acc) == 0
    plat = a.plat[acc]

    hour_mix = rng.random(m) < 0.6
    sec = np.where(
        hour_mix, rng.normal(19 * 3600, 2.5 * 3600, m), rng.normal(12 * 3600, 3 * 3600, m)
    )
    sec = np.mod(np.rint(sec), 86400).astype(np.int64)
    media = (rng.random(m)[:, None] >= _MEDIA_CUM[plat]).sum(axis=1).astype(np.int8)
    media = np.minimum(media, len(MEDIA_TYPES) - 1)

    factor = np.exp(rng.normal(0.0, 0.5, m)) * _ENG_DOW[dow]
    viral = first & viral_today[acc]
    media = np.where(viral & (media == _M["story"]), _M["reel"], media).astype(np.int8)
    vmult = np.where(viral, st.viral_mult_today[acc], 1.0)
    aud = st.real[acc]

    ig, tt, yt = plat == IG, plat == TT, plat == YT
    is_story = media == _M["story"]
    ig_views = ig & ((media == _M["reel"]) | (media == _M["video"]) | is_story)
    # final (saturated) metrics
    n1, n2, n3, n4 = (np.exp(rng.normal(0, s, m)) for s in (0.2, 0.3, 0.45, 0.4))
    ig_media_like = np.select(
        [media == _M["carousel"], media == _M["reel"], media == _M["video"]],
        [1.15, 1.1, 0.9],
        1.0,
    )
    ig_likes = aud * a.er[acc] * ig_media_like * factor * vmult
    ig_view_scale = np.where(media == _M["video"], 0.6, 1.0)
    ig_view = aud * a.view_rate[acc] * ig_view_scale * factor * vmult**1.05
    story_views = aud * 0.07 * factor
    views = np.select(
        [ig_views & ~is_story, is_story, tt, yt],
        [
            ig_view,
            story_views,
            aud * a.view_rate[acc] * factor * vmult,
            aud * a.view_rate[acc] * np.where(media == _M["short"], 2.5, 1.0) * factor * vmult,
        ],
        0.0,
    )
    likes = np.select(
        [ig & is_story, ig, tt, yt],
        [
            story_views * 0.02 * n1,
            np.where(ig_views, np.minimum(ig_likes, 0.5 * ig_view), ig_likes),
            views * a.like_rate[acc] * n1,
            views * a.like_rate[acc] * np.where(media == _M["short"], 1.3, 1.0) * n1,
        ],
    )
    comments = np.where(is_story, story_views * 0.002, likes * a.comment_ratio[acc] * n2)
    share_ratio = np.select(
        [ig & (media == _M["reel"]), ig & is_story, ig, tt], [0.12, 0.15, 0.035, 0.06], 0.05
    )
    shares = likes * share_ratio * n3
    save_ratio = np.select(
        [ig & (media == _M["carousel"]), ig & is_story, ig, tt], [0.09, 0.0, 0.045, 0.09], 0.0
    )
    saves = likes * save_ratio * n4

    # engagement pods: comments and likes inflated on the pod's weekdays, arriving fast
    pod = a.pod[acc] & a.pod_days[acc, dow] & ~is_story
    comments = np.where(pod, comments * rng.uniform(4, 8, m) + rng.poisson(15, m), comments)
    likes = np.where(pod, likes * rng.uniform(1.3, 2.0, m), likes)
    # inflated likes: bought likes without matching views / comments
    u_inf = rng.random(m)
    inflated = ((a.like_buyer[acc] & (u_inf < 0.35)) | (u_inf < 0.002)) & ~viral & ~is_story
    likes = np.where(inflated, likes * log_uniform(rng, 4, 15, m) + 50, likes)

    base_tau = np.select([ig, tt], [0.6, 1.5], 3.0) * np.exp(rng.normal(0, 0.3, m))
    tau = np.where(pod | inflated, base_tau / 4, np.where(viral, base_tau * 2, base_tau))

    # sponsored posts: a live campaign influencer's first post that day carries the tag
    spons_cid = np.full(n, -1, dtype=np.int64)
    spons_cid[live_acc] = np.arange(live_acc.size)
    tag = np.where(first, spons_cid[acc], -1)
    organic_spons = rng.random(m) < 0.05
    sponsored = (tag >= 0) | organic_spons
    campaign_id = take_strings(pa.array(live_cid, type=pa.string()), tag)
    promo_code = take_strings(pa.array(live_promo, type=pa.string()), tag)

    # post ids: unique per publish day and position; platform-style formats
    key = np.uint64(p - EPOCH_ORDINAL) * np.uint64(1 << 22) + np.arange(m, dtype=np.uint64)
    scr = permute_bits(key ^ np.uint64(world.seed & 0xFFFF), 56)
    num_id = int_strings(np.uint64(3_000_000_000_000_000_000) + scr * np.uint64(17))
    yt_id = b64_strings(scr << np.uint64(8), 11)
    post_id = pc.if_else(pa.array(yt), yt_id, num_id)

    return PostBatch(
        day=p,
        acc=acc.astype(np.int64),
        sec=sec,
        media=media,
        post_id=post_id,
        likes=likes,
        comments=comments,
        shares=shares,
        saves=saves,
        views=views,
        has_views=(ig_views | tt | yt),
        has_saves=~yt,
        tau=tau,
        sponsored=sponsored,
        campaign_id=campaign_id,
        promo_code=promo_code,
        viral=viral,
        viral_mult=vmult,
        inflated=inflated,
        pod=pod,
    )


def post_snapshot(world: World, t: int) -> tuple[list[PostBatch], dict[str, Array]]:
    """The batches of the posts window ending on day ``t`` and their metrics at the end of
    ``t`` (saturating growth by post age), plus publish day and second."""
    batches = [world.post_batch(p) for p in range(t - POST_WINDOW + 1, t + 1)]
    day = np.concatenate([np.full(b.size, b.day, dtype=np.int64) for b in batches])
    sec = np.concatenate([b.sec for b in batches])
    tau = np.concatenate([b.tau for b in batches])
    age = (t - day) + (86400 - sec) / 86400.0
    frac = 1.0 - 0.8 * np.exp(-age / tau) - 0.2 * np.exp(-age / (6 * tau))
    metrics = {
        k: np.floor(np.concatenate([getattr(b, k) for b in batches]) * frac).astype(np.int64)
        for k in ("likes", "comments", "shares", "saves", "views")
    }
    metrics["day"] = day
    metrics["sec"] = sec
    return batches, metrics


def post_columns(world: World, t: int) -> Columns:
    """The ``posts`` rows of day ``t``: every post of the 30 days up to ``t``, as of ``t``."""
    a = world.acc
    batches, m = post_snapshot(world, t)
    acc = np.concatenate([b.acc for b in batches])

    def cat(attr: str) -> Array:
        return np.concatenate([getattr(b, attr) for b in batches])

    def cat_pa(attr: str) -> pa.Array:
        return pa.concat_arrays([getattr(b, attr) for b in batches])

    plat = a.plat[acc]
    cols: dict[str, Any] = {
        "platform": take_strings(PLATFORMS, plat),
        "post_id": cat_pa("post_id"),
        "account_id": pc.take(a.account_id, pa.array(acc)),
        "published_at": iso_utc(m["day"], m["sec"]),
        "media_type": take_strings(MEDIA_TYPES, cat("media")),
        "is_sponsored": cat("sponsored"),
        "campaign_id": cat_pa("campaign_id"),
        "promo_code": cat_pa("promo_code"),
        "likes": m["likes"],
        "comments": m["comments"],
        "shares": m["shares"],
        "saves": NullableInt(m["saves"], ~cat("has_saves")),
        "views": NullableInt(m["views"], ~cat("has_views")),
    }
    return cols, plat
