"""The tracked accounts: their static attributes and the ``accounts`` entity.

:func:`make_accounts` draws everything about an account that does not change from day to day
(identity, size and growth, engagement rates, fraud groups, event schedule, audience mix) from
one stream, in one fixed order: the order of the draws is part of the data. The daily numbers
(followers, following, media count) come from the follower trajectories (``trajectories``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import PLATFORMS

from ._arrays import (
    Array,
    b64_strings,
    hash64,
    int_strings,
    iso_utc,
    join_strings,
    permute_bits,
    take_strings,
)
from ._columns import Columns
from ._keys import REF_ORDINAL, S_IDS
from .audience import make_audience_base
from .trajectories import EventSchedule, make_event_schedule
from .vocab import (
    CATEGORIES,
    CATEGORY_WEIGHTS,
    COUNTRY_CODES,
    COUNTRY_LANGUAGES,
    COUNTRY_WEIGHTS,
    IG,
    TT,
    YT,
)

if TYPE_CHECKING:
    from .world import World

__all__ = ["Accounts", "account_columns", "make_accounts"]

_FIRST = (
    "anna", "mia", "lena", "sofia", "emma", "lucas", "noah", "leo", "maya", "zoe", "chloe",
    "liam", "ella", "nina", "sara", "tom", "max", "julia", "kai", "ava", "olivia", "ethan",
    "isla", "jack", "luna", "aria", "omar", "ravi", "priya", "yuki", "hana", "diego", "lucia",
    "marco", "paula", "felix", "ines", "jade", "ben", "amir", "lea", "nora", "ivy", "theo",
    "zara", "eli", "rosa", "sam", "alex", "kim",
)  # fmt: skip
_LAST = (
    "smith", "jones", "garcia", "muller", "rossi", "silva", "kim", "tanaka", "martin",
    "lopez", "brown", "wilson", "nguyen", "patel", "khan", "novak", "schmidt", "dubois",
    "moreau", "costa", "santos", "lee", "park", "sato", "cruz", "ward", "hughes", "fischer",
)  # fmt: skip
# handle nouns: five per category, so a handle hints at the account's category
_NOUNS: dict[str, tuple[str, ...]] = {
    "fashion": ("style", "closet", "looks", "wears", "chic"),
    "beauty": ("glow", "beauty", "makeup", "skin", "lashes"),
    "fitness": ("fit", "lifts", "runs", "strong", "gains"),
    "food": ("eats", "kitchen", "bakes", "cooks", "foodie"),
    "travel": ("travels", "wanders", "abroad", "trips", "roams"),
    "gaming": ("plays", "gg", "gamer", "live", "clutch"),
    "tech": ("tech", "codes", "gadgets", "reviews", "bytes"),
    "parenting": ("mama", "family", "kids", "parent", "home"),
    "finance": ("money", "invests", "finance", "wealth", "saves"),
    "music": ("music", "beats", "sings", "sound", "vibes"),
    "lifestyle": ("daily", "life", "journal", "world", "moments"),
    "sports": ("sports", "goals", "ball", "athlete", "play"),
    "comedy": ("laughs", "jokes", "funny", "lol", "skits"),
    "pets": ("paws", "pup", "cats", "pets", "woof"),
}
_NOUN_VOCAB: tuple[str, ...] = tuple(w for c in CATEGORIES for w in _NOUNS[c])
_SEPS = ("", ".", "_")


@dataclass
class Accounts:
    """Static per-account attributes (arrays of length n)."""

    n: int
    plat: Array
    account_id: pa.Array
    handle: pa.Array
    display_name: pa.Array
    category: Array
    country: Array
    created_at: pa.Array
    log_f0: Array
    g: Array
    d: Array
    week_amp: Array
    following0: Array
    following_drift: Array
    media_base: Array
    lam: Array
    is_verified: Array
    is_private: Array
    bio_len: Array
    # engagement
    er: Array
    view_rate: Array
    like_rate: Array
    comment_ratio: Array
    # fraud
    bought: Array
    fake_group: Array
    fake_share: Array
    pod: Array
    pod_days: Array
    like_buyer: Array
    # viral growth, bought followers and purges
    events: EventSchedule
    # audience base mix (n, 21) and bucket codes into the audience vocabulary
    aud_share: Array
    aud_code: Array


def make_accounts(rng: np.random.Generator, seed: int, n: int) -> Accounts:
    """Draw the static attributes of ``n`` accounts from ``rng`` (the world's static stream)."""
    idx = np.arange(n, dtype=np.uint64)
    plat = rng.choice(len(PLATFORMS), size=n, p=[0.5, 0.3, 0.2]).astype(np.int8)

    # ids: instagram 1784140xxxxxxxxxx, tiktok 19 digits, youtube UC + 22 chars
    scrambled = permute_bits(idx ^ np.uint64(seed * 7919 % (1 << 40)), 40)
    ig_id = int_strings(np.uint64(17841400000000000) + scrambled)
    tt_id = int_strings(np.uint64(6_790_000_000_000_000_000) + scrambled * np.uint64(2_000_003))
    yt_id = join_strings(
        "UC",
        b64_strings(hash64(scrambled, seed, S_IDS), 11),
        b64_strings(hash64(scrambled, seed, S_IDS + 1), 11),
    )
    account_id = pc.if_else(
        pa.array(plat == IG), ig_id, pc.if_else(pa.array(plat == TT), tt_id, yt_id)
    )

    category = rng.choice(len(CATEGORIES), size=n, p=CATEGORY_WEIGHTS / CATEGORY_WEIGHTS.sum())
    country = rng.choice(len(COUNTRY_CODES), size=n, p=COUNTRY_WEIGHTS / COUNTRY_WEIGHTS.sum())

    first = rng.integers(0, len(_FIRST), n)
    last = rng.integers(0, len(_LAST), n)
    noun = category * 5 + rng.integers(0, 5, n)
    sep = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    has_num = rng.random(n) < 0.3
    num = rng.integers(1, 100, n)
    suffix = pc.if_else(pa.array(has_num), int_strings(num), pa.scalar("", pa.string()))
    handle = join_strings(
        take_strings(_FIRST, first),
        take_strings(_SEPS, sep),
        take_strings(_NOUN_VOCAB, noun),
        suffix,
    )
    first_cap = pc.utf8_capitalize(take_strings(_FIRST, first))
    display_name = join_strings(first_cap, " ", pc.utf8_capitalize(take_strings(_LAST, last)))

    # followers: heavy-tailed (lognormal body, most 1k-100k, a few millions)
    plat_scale = np.array([1.0, 1.3, 0.9])[plat]
    log_f0 = rng.normal(np.log(16_000), 1.5, n) + np.log(plat_scale)
    log_f0 = np.clip(log_f0, np.log(150), np.log(400e6))
    g = np.clip(rng.normal(0.0007, 0.0011, n), -0.002, 0.004)
    d = np.maximum(np.abs(g), 0.0006)
    week_amp = rng.uniform(0.5, 1.5, n)

    following0 = np.clip(np.exp(rng.normal(np.log(420), 0.95, n)), 0, 7500)
    following_drift = rng.normal(0.0, 0.0002, n)
    lam_median = np.array([0.28, 0.45, 0.12])[plat]
    lam = np.clip(lam_median * np.exp(rng.normal(0, 0.6, n)), 0.02, 4.0)
    media_base = np.exp(rng.normal(np.log(300), 0.9, n)).astype(np.int64) + 5

    f_k = np.exp(log_f0) / 1000.0
    p_ver = 0.02 + 0.9 / (1 + np.exp(-2.2 * (np.log10(np.exp(log_f0)) - 5.7)))
    is_verified = rng.random(n) < p_ver
    is_private = rng.random(n) < 0.005
    bio_len = np.where(
        rng.random(n) < 0.04,
        0,
        np.where(plat == YT, rng.integers(30, 600, n), rng.integers(12, 151, n)),
    )
    max_age = np.array([5200, 3300, 7000])[plat]
    age_days = (rng.random(n) * (max_age - 150) + 150).astype(np.int64)
    created_at = iso_utc(REF_ORDINAL - age_days, rng.integers(0, 86400, n))

    # engagement: instagram ~6% at 1k followers falling to <1% at mega
    er = np.clip(0.06 * f_k**-0.3 * np.exp(rng.normal(0, 0.3, n)), 0.001, 0.2)
    view_rate = np.select(
        [plat == IG, plat == TT],
        [0.9 * f_k**-0.15, 1.3 * f_k**-0.2],
        0.35 * f_k**-0.12,
    ) * np.exp(rng.normal(0, 0.45, n))
    like_rate = np.select([plat == TT, plat == YT], [0.07, 0.035], 0.0) * np.exp(
        rng.normal(0, 0.25, n)
    )
    comment_ratio = np.select([plat == IG, plat == TT], [0.02, 0.012], 0.04) * np.exp(
        rng.normal(0, 0.45, n)
    )

    # fraud groups (independent draws: some accounts carry several kinds)
    bought = rng.random(n) < 0.08
    fake_group = rng.random(n) < 0.10
    pod = rng.random(n) < 0.03
    like_buyer = rng.random(n) < 0.04
    base_fake = rng.uniform(0.01, 0.08, n)
    fake_share = np.where(
        fake_group,
        rng.uniform(0.2, 0.7, n),
        np.where(bought, rng.uniform(0.1, 0.35, n), base_fake),
    )
    # pods engage on a fixed set of 2-3 weekdays, encoded as a 7-bit mask
    pod_day_keys = rng.random((n, 7))
    n_pod_days = rng.integers(2, 4, n)
    ranks = np.argsort(np.argsort(pod_day_keys, axis=1), axis=1)
    pod_days = ranks < n_pod_days[:, None]

    events = make_event_schedule(rng, bought, d)
    aud_share, aud_code = make_audience_base(rng, plat, category, country, fake_share)

    return Accounts(
        n=n, plat=plat, account_id=account_id, handle=handle, display_name=display_name,
        category=category, country=country, created_at=created_at, log_f0=log_f0, g=g, d=d,
        week_amp=week_amp, following0=following0, following_drift=following_drift,
        media_base=media_base, lam=lam, is_verified=is_verified, is_private=is_private,
        bio_len=bio_len, er=er, view_rate=view_rate, like_rate=like_rate,
        comment_ratio=comment_ratio, bought=bought, fake_group=fake_group,
        fake_share=fake_share, pod=pod, pod_days=pod_days, like_buyer=like_buyer,
        events=events, aud_share=aud_share, aud_code=aud_code,
    )  # fmt: skip


def account_columns(world: World, t: int) -> Columns:
    """The ``accounts`` rows of day ``t``: one per tracked account."""
    a = world.acc
    s = world.state(t)
    cols: dict[str, Any] = {
        "platform": take_strings(PLATFORMS, a.plat),
        "account_id": a.account_id,
        "handle": a.handle,
        "display_name": a.display_name,
        "category": take_strings(CATEGORIES, a.category),
        "country": take_strings(COUNTRY_CODES, a.country),
        "language": take_strings(COUNTRY_LANGUAGES, a.country),
        "followers": s.followers,
        "following": s.following,
        "media_count": s.media_count,
        "is_verified": a.is_verified,
        "is_private": a.is_private,
        "biography_length": a.bio_len.astype(np.int64),
        "created_at": a.created_at,
    }
    return cols, a.plat
