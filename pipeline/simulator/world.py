"""A deterministic, seeded synthetic social-media world (the simulator's data model).

Everything the platform API serves is a closed-form function of ``(seed, n_accounts, entity,
day)``: follower trajectories are ``f0 * exp(g * tau(t) + weekly(t)) * exp(events before t)``
where events (viral growth, bought followers, purges) sit on a per-account repeating schedule,
so any historical day is computed directly, never by replaying earlier days. Per-day randomness
comes from ``numpy.random.default_rng([seed, n_accounts, stream, day])`` and per-entity identity
(a follower's profile, a post's identity) from counter-based hashing, so generation is
vectorised over whole arrays with no Python loop over rows or accounts.

Fraud is injected with ground truth that never reaches the API: :meth:`World.labels` and
:func:`write_labels` return / write it separately.

Design notes (what a reviewer needs to know):

* ``accounts``: one row per tracked account per day.
* ``posts``: the metrics snapshot, at the end of ``day``, of every post published in the 30
  days up to and including ``day``. A post's identity and final metrics are fixed on its
  publication day; the snapshot applies a saturating growth curve by post age.
* ``audience``: age (6 buckets), gender (3), country (top 5 + ``other``), interest (top 5 +
  ``other``); shares are rounded to 4 decimals and sum to exactly 1 per dimension.
* ``follower_samples``: ``followers_sampled`` stratified samples of the account's follower
  list that day (no duplicates). A follower's profile depends only on (account, follower
  position), so a follower sampled twice looks the same.
* ``delivery``: ``n_campaigns`` campaigns on a 42-day cycle (every date has active ones), each
  cycle a new campaign instance with 2-6 influencer ads and 1-2 paid ads.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.schemas import AUDIENCE_DIMENSIONS, MEDIA_TYPES, PLATFORMS, SOURCE_TABLES
from pipeline.simulator.bots import bot_profiles

from ._arrays import (
    EPOCH_ORDINAL,
    Array,
    HashDraws,
    b64_strings,
    group_rank,
    hash64,
    int_strings,
    iso_utc,
    join_strings,
    log_uniform,
    permute_bits,
    rng_for,
    take_strings,
)

__all__ = [
    "AGE_BUCKETS",
    "CATEGORIES",
    "ENTITIES",
    "GENDER_BUCKETS",
    "INTERESTS",
    "LABEL_TABLES",
    "World",
    "resolve_entity",
    "write_labels",
]

# --------------------------------------------------------------------------------------------
# vocabularies

ENTITIES: tuple[str, ...] = tuple(SOURCE_TABLES)  # accounts, posts, audience, ...
_ALIASES: dict[str, str] = {t.endpoint: t.name for t in SOURCE_TABLES.values()}

CATEGORIES: tuple[str, ...] = (
    "fashion", "beauty", "fitness", "food", "travel", "gaming", "tech", "parenting",
    "finance", "music", "lifestyle", "sports", "comedy", "pets",
)  # fmt: skip
_CAT_P = np.array([13, 11, 9, 9, 8, 8, 6, 5, 4, 6, 10, 4, 4, 3], dtype=float)
#: female share of the audience by category
_CAT_FEMALE = np.array(
    [0.78, 0.86, 0.55, 0.6, 0.6, 0.25, 0.27, 0.86, 0.35, 0.5, 0.7, 0.3, 0.48, 0.7]
)

INTERESTS: tuple[str, ...] = (
    "fashion", "beauty", "fitness", "food", "travel", "gaming", "tech", "parenting",
    "finance", "music", "home", "sports", "entertainment", "pets", "cars", "education",
)  # fmt: skip
_CAT_INTEREST = np.array([INTERESTS.index(c) if c in INTERESTS else -1 for c in CATEGORIES])
_CAT_INTEREST[CATEGORIES.index("lifestyle")] = INTERESTS.index("home")
_CAT_INTEREST[CATEGORIES.index("comedy")] = INTERESTS.index("entertainment")

AGE_BUCKETS: tuple[str, ...] = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")
GENDER_BUCKETS: tuple[str, ...] = ("female", "male", "other")

_COUNTRIES: tuple[tuple[str, float, str], ...] = (
    ("US", 28, "en"), ("GB", 7, "en"), ("CA", 3, "en"), ("AU", 3, "en"), ("DE", 6, "de"),
    ("FR", 5, "fr"), ("ES", 4, "es"), ("IT", 4, "it"), ("NL", 2, "nl"), ("BR", 7, "pt"),
    ("MX", 5, "es"), ("IN", 7, "en"), ("ID", 4, "id"), ("JP", 3, "ja"), ("KR", 2, "ko"),
    ("PH", 3, "en"), ("TR", 2, "tr"), ("PL", 2, "pl"), ("SE", 1, "sv"), ("NG", 2, "en"),
    ("ZA", 1, "en"),
)  # fmt: skip
COUNTRY_CODES: tuple[str, ...] = tuple(c for c, _, _ in _COUNTRIES)
_COUNTRY_P = np.array([w for _, w, _ in _COUNTRIES], dtype=float)
_COUNTRY_LANG: tuple[str, ...] = tuple(lang for _, _, lang in _COUNTRIES)

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

_BRANDS: tuple[tuple[str, str], ...] = (
    ("acme", "Spring drop"), ("lumina", "Glow launch"), ("peakfit", "New year shape"),
    ("nomad", "Summer escape"), ("byteware", "Back to school"), ("verde", "Green kitchen"),
    ("kiddo", "Playtime"), ("coinly", "Smart saver"), ("sonic", "Headphones launch"),
    ("aurora", "Holiday gifting"), ("fjord", "Outdoor week"), ("mochi", "Snack attack"),
)  # fmt: skip
_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")

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
_IG, _TT, _YT = (PLATFORMS.index(p) for p in ("instagram", "tiktok", "youtube"))

# weekly seasonality, Monday first
_POST_DOW = np.array([1.06, 1.05, 1.04, 1.0, 0.96, 0.9, 0.99])
_ENG_DOW = np.array([1.03, 1.06, 1.05, 1.02, 0.95, 0.9, 0.99])
_FOLLOW_DOW = np.array([0.92, 0.88, 0.9, 0.96, 1.04, 1.16, 1.14])
_DELIV_DOW = np.array([1.0, 1.03, 1.04, 1.01, 0.98, 0.95, 0.99])
_POST_DOW = _POST_DOW / _POST_DOW.mean()
_ENG_DOW = _ENG_DOW / _ENG_DOW.mean()
_FOLLOW_DOW = _FOLLOW_DOW / _FOLLOW_DOW.mean()

#: reference day of the follower trajectories; growth saturates ~2 years either side
REF_ORDINAL = dt.date(2026, 1, 1).toordinal()
_HORIZON = 730.0
# sampled followers who are people: shares of mass followers (following 1,500-7,500) and
# influencers, and the (median, sigma) of the lognormal following count of the others
_PEOPLE_MASS_RATE = 0.07
_PEOPLE_CELEB_RATE = 0.02
_CELEB_FOLLOWING = (500.0, 0.6)
_PERSON_FOLLOWING = (380.0, 0.85)
_MIN_ORDINAL = dt.date(1971, 1, 1).toordinal()
_POST_WINDOW = 30
_L = 8  # event slots per schedule cycle
_NONE, _VIRAL, _BOUGHT, _PURGE = 0, 1, 2, 3
_CAMPAIGN_CYCLE = 42

# seed streams
_S_STATIC, _S_NOISE, _S_FOLLOWING, _S_POSTS, _S_AUD, _S_FOLLOWERS = 1, 2, 3, 4, 5, 6
_S_CAMP, _S_CAMP_INST, _S_DELIV, _S_IDS = 7, 8, 9, 10

LABEL_TABLES: tuple[str, ...] = (
    "follower_spikes", "fake_audience", "fake_followers", "pods", "inflated_likes",
    "click_fraud", "purges", "viral_posts",
)  # fmt: skip

T = TypeVar("T")


@dataclass
class _NullableInt:
    values: Array
    null: Array


class _LRU:
    """A tiny thread-safe LRU cache (per World instance); a value is computed once per key
    even when several threads ask for it at the same time."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._d: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[Any, threading.Lock] = {}

    def get(self, key: Any, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]  # type: ignore[no-any-return]
            key_lock = self._inflight.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._d:
                    return self._d[key]  # type: ignore[no-any-return]
            value = make()
            with self._lock:
                self._d[key] = value
                self._d.move_to_end(key)
                while len(self._d) > self.maxsize:
                    self._d.popitem(last=False)
                self._inflight.pop(key, None)
        return value


def resolve_entity(entity: str) -> str:
    """The table name of an API entity (``ads/delivery`` and ``delivery`` both give ``delivery``)."""
    e = entity.strip("/")
    if e in SOURCE_TABLES:
        return e
    if e in _ALIASES:
        return _ALIASES[e]
    raise KeyError(
        f"unknown entity {entity!r}; expected one of {sorted(set(ENTITIES) | set(_ALIASES))}"
    )


def _as_ordinal(day: dt.date | str) -> int:
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    if isinstance(d, dt.datetime):
        d = d.date()
    o = d.toordinal()
    if o < _MIN_ORDINAL:
        raise ValueError(
            f"date {d.isoformat()} is before 1971-01-01, which the simulator does not serve"
        )
    return o


def _weekday(ordinal: int) -> int:
    return (ordinal - 1) % 7  # date.fromordinal(1) is a Monday


@dataclass
class _Accounts:
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
    # event schedule
    period: Array
    offset: Array
    jitter: Array
    kind: Array
    r: Array
    viral_mult: Array
    pref_all: Array
    pref_bought: Array
    # audience base mix (n, 21) and bucket codes into _AUD_VOCAB
    aud_share: Array
    aud_code: Array


_AUD_VOCAB: tuple[str, ...] = AGE_BUCKETS + GENDER_BUCKETS + COUNTRY_CODES + ("other",) + INTERESTS
_AUD_OTHER = len(AGE_BUCKETS) + len(GENDER_BUCKETS) + len(COUNTRY_CODES)
_AUD_SIZES = (len(AGE_BUCKETS), len(GENDER_BUCKETS), 6, 6)
_AUD_DIM = np.repeat(np.arange(4), _AUD_SIZES)
_AUD_BOUNDS = np.r_[0, np.cumsum(_AUD_SIZES)]
assert len(AUDIENCE_DIMENSIONS) == 4


@dataclass
class _PostBatch:
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
        return int(self.acc.size)


@dataclass
class _Campaign:
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


def _people_reachable() -> float:
    """Share of follower profiles of people (not bots) that follow at most 1,500 accounts: by
    DESIGN section 5 they are the real people and influencers, the others mass followers."""
    from math import erf, log, sqrt

    def below(median: float, sigma: float) -> float:  # P(lognormal < 1,501), counts floored
        return 0.5 * (1.0 + erf((log(1501.0) - log(median)) / (sigma * sqrt(2.0))))

    celeb = _PEOPLE_CELEB_RATE * below(*_CELEB_FOLLOWING)
    other = (1.0 - _PEOPLE_CELEB_RATE) * below(*_PERSON_FOLLOWING)
    return (1.0 - _PEOPLE_MASS_RATE) * (celeb + other)


class World:
    """A deterministic synthetic world of influencer accounts, posts, audiences and ads.

    ``World(seed, n_accounts)`` always produces the same data for the same day, for any day
    from 1971 on, computed directly (no replay of earlier days).
    """

    def __init__(
        self,
        seed: int = 7,
        n_accounts: int = 300,
        followers_sampled: int = 20,
        n_campaigns: int = 8,
    ) -> None:
        if seed < 0:
            raise ValueError("seed must be >= 0")
        if n_accounts < 1:
            raise ValueError("n_accounts must be >= 1")
        if followers_sampled < 0:
            raise ValueError("followers_sampled must be >= 0")
        if n_campaigns < 0:
            raise ValueError("n_campaigns must be >= 0")
        self.seed = int(seed)
        self.n_accounts = int(n_accounts)
        self.followers_sampled = int(followers_sampled)
        self.n_campaigns = int(n_campaigns)
        self._key = (self.seed, self.n_accounts)
        self.acc = self._make_accounts()
        self._camp_static = self._make_campaign_slots()
        self._batches = _LRU(_POST_WINDOW + 4)
        self._campaign_cache = _LRU(256)
        self._states = _LRU(_POST_WINDOW + 6)
        self._columns = _LRU(1)

    def __repr__(self) -> str:
        return (
            f"World(seed={self.seed}, n_accounts={self.n_accounts}, "
            f"followers_sampled={self.followers_sampled}, n_campaigns={self.n_campaigns})"
        )

    # ----------------------------------------------------------------------------------------
    # static accounts

    def _rng(self, stream: int, *key: int) -> np.random.Generator:
        return rng_for(self.seed, self.n_accounts, stream, *key)

    def _make_accounts(self) -> _Accounts:
        n = self.n_accounts
        rng = self._rng(_S_STATIC)
        idx = np.arange(n, dtype=np.uint64)
        plat = rng.choice(len(PLATFORMS), size=n, p=[0.5, 0.3, 0.2]).astype(np.int8)

        # ids: instagram 1784140xxxxxxxxxx, tiktok 19 digits, youtube UC + 22 chars
        scrambled = permute_bits(idx ^ np.uint64(self.seed * 7919 % (1 << 40)), 40)
        ig_id = int_strings(np.uint64(17841400000000000) + scrambled)
        tt_id = int_strings(np.uint64(6_790_000_000_000_000_000) + scrambled * np.uint64(2_000_003))
        yt_id = join_strings(
            "UC",
            b64_strings(hash64(scrambled, self.seed, _S_IDS), 11),
            b64_strings(hash64(scrambled, self.seed, _S_IDS + 1), 11),
        )
        account_id = pc.if_else(
            pa.array(plat == _IG), ig_id, pc.if_else(pa.array(plat == _TT), tt_id, yt_id)
        )

        category = rng.choice(len(CATEGORIES), size=n, p=_CAT_P / _CAT_P.sum())
        country = rng.choice(len(COUNTRY_CODES), size=n, p=_COUNTRY_P / _COUNTRY_P.sum())

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
            np.where(plat == _YT, rng.integers(30, 600, n), rng.integers(12, 151, n)),
        )
        max_age = np.array([5200, 3300, 7000])[plat]
        age_days = (rng.random(n) * (max_age - 150) + 150).astype(np.int64)
        created_at = iso_utc(REF_ORDINAL - age_days, rng.integers(0, 86400, n))

        # engagement: instagram ~6% at 1k followers falling to <1% at mega
        er = np.clip(0.06 * f_k**-0.3 * np.exp(rng.normal(0, 0.3, n)), 0.001, 0.2)
        view_rate = np.select(
            [plat == _IG, plat == _TT],
            [0.9 * f_k**-0.15, 1.3 * f_k**-0.2],
            0.35 * f_k**-0.12,
        ) * np.exp(rng.normal(0, 0.45, n))
        like_rate = np.select([plat == _TT, plat == _YT], [0.07, 0.035], 0.0) * np.exp(
            rng.normal(0, 0.25, n)
        )
        comment_ratio = np.select([plat == _IG, plat == _TT], [0.02, 0.012], 0.04) * np.exp(
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

        # event schedule: slot k of account a happens on offset + k*period + jitter[k % L]
        period = np.where(bought, rng.integers(10, 25, n), rng.integers(18, 61, n)).astype(np.int64)
        offset = (rng.random(n) * period).astype(np.int64)
        jitter = (rng.random((n, _L)) * (period[:, None] // 3)).astype(np.int64)
        u = rng.random((n, _L))
        kind_normal = np.where(u < 0.16, _VIRAL, np.where(u < 0.20, _PURGE, _NONE))
        kind_bought = np.where(
            u < 0.45, _BOUGHT, np.where(u < 0.55, _VIRAL, np.where(u < 0.68, _PURGE, _NONE))
        )
        kind = np.where(bought[:, None], kind_bought, kind_normal).astype(np.int8)
        no_bought = bought & ~(kind == _BOUGHT).any(axis=1)
        kind[no_bought, 0] = _BOUGHT
        viral_mult = log_uniform(rng, 10, 100, (n, _L))
        spike_mult = log_uniform(rng, 5, 50, (n, _L))
        purge_mult = log_uniform(rng, 8, 40, (n, _L))
        r = np.select(
            [kind == _BOUGHT, kind == _VIRAL, kind == _PURGE],
            [
                spike_mult * d[:, None],
                0.6 * viral_mult * d[:, None],
                -np.minimum(purge_mult * d[:, None], 0.06),
            ],
            0.0,
        )
        pref_all = np.concatenate([np.zeros((n, 1)), np.cumsum(r, axis=1)], axis=1)
        pref_bought = np.concatenate(
            [np.zeros((n, 1)), np.cumsum(np.where(kind == _BOUGHT, r, 0.0), axis=1)], axis=1
        )

        aud_share, aud_code = self._make_audience_base(rng, plat, category, country, fake_share)

        return _Accounts(
            n=n, plat=plat, account_id=account_id, handle=handle, display_name=display_name,
            category=category, country=country, created_at=created_at, log_f0=log_f0, g=g, d=d,
            week_amp=week_amp, following0=following0, following_drift=following_drift,
            media_base=media_base, lam=lam, is_verified=is_verified, is_private=is_private,
            bio_len=bio_len, er=er, view_rate=view_rate, like_rate=like_rate,
            comment_ratio=comment_ratio, bought=bought, fake_group=fake_group,
            fake_share=fake_share, pod=pod, pod_days=pod_days, like_buyer=like_buyer,
            period=period, offset=offset, jitter=jitter, kind=kind, r=r, viral_mult=viral_mult,
            pref_all=pref_all, pref_bought=pref_bought, aud_share=aud_share, aud_code=aud_code,
        )  # fmt: skip

    @staticmethod
    def _make_audience_base(
        rng: np.random.Generator, plat: Array, category: Array, country: Array, fake: Array
    ) -> tuple[Array, Array]:
        n = plat.size
        # age
        age_alpha = np.array(
            [
                [0.06, 0.30, 0.33, 0.17, 0.08, 0.06],
                [0.18, 0.36, 0.24, 0.12, 0.06, 0.04],
                [0.08, 0.24, 0.28, 0.20, 0.11, 0.09],
            ]
        )[plat]
        shift = np.ones((n, 6))
        shift[category == CATEGORIES.index("gaming")] *= [1.8, 1.4, 0.9, 0.6, 0.4, 0.3]
        shift[category == CATEGORIES.index("parenting")] *= [0.2, 0.6, 1.5, 1.5, 0.8, 0.6]
        shift[category == CATEGORIES.index("finance")] *= [0.2, 0.8, 1.3, 1.3, 1.2, 1.1]
        age = rng.gamma(age_alpha * shift * 40.0)
        age /= age.sum(axis=1, keepdims=True)
        bot_age = np.array([0.02, 0.45, 0.35, 0.10, 0.05, 0.03])
        age = (1 - fake)[:, None] * age + fake[:, None] * bot_age

        # gender
        fem = np.clip(_CAT_FEMALE[category] + rng.normal(0, 0.08, n), 0.03, 0.97)
        other = rng.uniform(0.003, 0.03, n)
        gender = np.stack([fem * (1 - other), (1 - fem) * (1 - other), other], axis=1)
        gender = (1 - fake)[:, None] * gender + fake[:, None] * np.array([0.35, 0.6, 0.05])

        # country: home first, four more (Gumbel top-k weighted by population), "other"
        c = len(COUNTRY_CODES)
        keys = np.log(_COUNTRY_P)[None, :] + rng.gumbel(size=(n, c))
        keys[np.arange(n), country] = np.inf
        top = np.argsort(-keys, axis=1)[:, :5]
        home = np.where(
            country == COUNTRY_CODES.index("US"),
            rng.uniform(0.45, 0.85, n),
            rng.uniform(0.3, 0.75, n),
        )
        rest = rng.dirichlet(np.full(4, 2.0), n)
        other_c = rng.uniform(0.05, 0.2, n)
        ctry = np.concatenate(
            [
                home[:, None],
                rest * np.clip(1 - home - other_c, 0.0, None)[:, None],
                other_c[:, None],
            ],
            axis=1,
        )
        ctry /= ctry.sum(axis=1, keepdims=True)
        bot_ctry = np.array([0.05, 0.05, 0.05, 0.05, 0.05, 0.75])
        ctry = (1 - fake)[:, None] * ctry + fake[:, None] * bot_ctry

        # interest: the category's interest first, four more, "other"
        ni = len(INTERESTS)
        ikeys = rng.gumbel(size=(n, ni))
        main = _CAT_INTEREST[category]
        ikeys[np.arange(n), main] = np.inf
        itop = np.argsort(-ikeys, axis=1)[:, :5]
        first = rng.uniform(0.25, 0.5, n)
        other_i = rng.uniform(0.1, 0.25, n)
        irest = rng.dirichlet(np.full(4, 1.5), n) * (1 - first - other_i)[:, None]
        interest = np.concatenate([first[:, None], irest, other_i[:, None]], axis=1)

        share = np.concatenate([age, gender, ctry, interest], axis=1)
        i0 = len(AGE_BUCKETS) + len(GENDER_BUCKETS)
        code = np.concatenate(
            [
                np.broadcast_to(np.arange(6), (n, 6)),
                np.broadcast_to(np.arange(6, 9), (n, 3)),
                i0 + top,
                np.full((n, 1), _AUD_OTHER),
                _AUD_OTHER + 1 + itop,
                np.full((n, 1), _AUD_OTHER),
            ],
            axis=1,
        )
        return share, code.astype(np.int16)

    # ----------------------------------------------------------------------------------------
    # follower trajectories (closed form)

    def _state(self, t: int) -> dict[str, Array]:
        """Follower state of every account at the end of day ``t`` (ordinal)."""
        return self._states.get(t, lambda: self._compute_state(t))

    def _compute_state(self, t: int) -> dict[str, Array]:
        a = self.acc
        n = a.n
        rows = np.arange(n)
        x = t - REF_ORDINAL
        tau = _HORIZON * np.tanh(x / _HORIZON)
        # weekly factor: W(t) = sum over days REF..t of (c_dow - 1); periodic (a week sums to 0),
        # so the day-over-day growth on day t is g * (1 + amp * (c_dow(t) - 1))
        dows = (_weekday(REF_ORDINAL) + np.arange(7)) % 7
        wprefix = np.cumsum(_FOLLOW_DOW[dows] - 1.0)
        week = a.week_amp * wprefix[x % 7]
        log_org = a.log_f0 + a.g * (tau + week)

        rel = x - a.offset
        q = np.floor_divide(rel, a.period)
        slot = np.mod(q, _L)
        js = a.jitter[rows, slot]
        event_day = q * a.period + js  # relative to offset
        today = event_day == rel
        kmax = np.where(event_day <= rel, q, q - 1)
        c1 = kmax + 1
        full = np.floor_divide(c1, _L)
        rem = np.mod(c1, _L)
        s_all = full * a.pref_all[:, _L] + a.pref_all[rows, rem]
        s_bought = full * a.pref_bought[:, _L] + a.pref_bought[rows, rem]
        kind_today = np.where(today, a.kind[rows, slot], _NONE).astype(np.int8)
        r_today = np.where(today, a.r[rows, slot], 0.0)
        vmult_today = np.where(kind_today == _VIRAL, a.viral_mult[rows, slot], 1.0)

        noise = self._rng(_S_NOISE, t).normal(0.0, 1.0, n) * 0.35 * a.d
        log_f = log_org + s_all + noise
        followers = np.maximum(np.rint(np.exp(log_f)), 1).astype(np.int64)
        # engaged (real) audience: bought followers and bots do not engage
        real = np.exp(log_org + s_all - s_bought) * (1.0 - 0.9 * a.fake_share)

        frng = self._rng(_S_FOLLOWING, t)
        following = np.rint(
            a.following0 * np.exp(a.following_drift * tau + frng.normal(0, 0.003, n))
        ).astype(np.int64)
        media = a.media_base + np.floor(a.lam * (tau + _HORIZON)).astype(np.int64)
        return {
            "followers": followers,
            "real": real,
            "following": following,
            "media_count": media,
            "kind_today": kind_today,
            "r_today": r_today,
            "viral_mult_today": vmult_today,
        }

    # ----------------------------------------------------------------------------------------
    # public API

    def frame(self, entity: str, day: dt.date | str, platform: str | None = None) -> pd.DataFrame:
        """The API rows of ``entity`` for ``day``, optionally one platform only.

        Columns are exactly the fields of ``SOURCE_TABLES[entity].schema`` in that order;
        timestamps are ISO 8601 UTC strings, nullable counts use pandas ``Int64``.
        """
        name = resolve_entity(entity)
        t = _as_ordinal(day)
        code = self._platform_code(platform)
        builder: dict[str, Callable[[int], tuple[dict[str, Any], Array]]] = {
            "accounts": self._accounts_cols,
            "posts": self._posts_cols,
            "audience": self._audience_cols,
            "follower_samples": lambda d: self._follower_cols(d)[:2],
            "delivery": self._delivery_cols,
        }
        # the unfiltered columns of the last (entity, day) are kept, so that asking for
        # each platform in turn (as the extractor does) generates the day only once
        cols, plat = self._columns.get((name, t), lambda: builder[name](t))
        return _to_frame(name, cols, plat, code)

    def frames(self, day: dt.date | str, platform: str | None = None) -> dict[str, pd.DataFrame]:
        """All five entities for one day."""
        return {name: self.frame(name, day, platform) for name in ENTITIES}

    @staticmethod
    def _platform_code(platform: str | None) -> int | None:
        if platform is None:
            return None
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; expected one of {list(PLATFORMS)}")
        return PLATFORMS.index(platform)

    # ----------------------------------------------------------------------------------------
    # accounts

    def _accounts_cols(self, t: int) -> tuple[dict[str, Any], Array]:
        a = self.acc
        s = self._state(t)
        cols: dict[str, Any] = {
            "platform": take_strings(PLATFORMS, a.plat),
            "account_id": a.account_id,
            "handle": a.handle,
            "display_name": a.display_name,
            "category": take_strings(CATEGORIES, a.category),
            "country": take_strings(COUNTRY_CODES, a.country),
            "language": take_strings(_COUNTRY_LANG, a.country),
            "followers": s["followers"],
            "following": s["following"],
            "media_count": s["media_count"],
            "is_verified": a.is_verified,
            "is_private": a.is_private,
            "biography_length": a.bio_len.astype(np.int64),
            "created_at": a.created_at,
        }
        return cols, a.plat

    # ----------------------------------------------------------------------------------------
    # posts

    def _batch(self, p: int) -> _PostBatch:
        return self._batches.get(p, lambda: self._make_batch(p))

    def _make_batch(self, p: int) -> _PostBatch:
        a = self.acc
        n = a.n
        rng = self._rng(_S_POSTS, p)
        dow = _weekday(p)
        st = self._state(p)
        counts = rng.poisson(a.lam * _POST_DOW[dow])
        viral_today = st["kind_today"] == _VIRAL
        live_acc, live_cid, live_promo = self._live_influencers(p)
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
        vmult = np.where(viral, st["viral_mult_today"][acc], 1.0)
        aud = st["real"][acc]

        ig, tt, yt = plat == _IG, plat == _TT, plat == _YT
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
        scr = permute_bits(key ^ np.uint64(self.seed & 0xFFFF), 56)
        num_id = int_strings(np.uint64(3_000_000_000_000_000_000) + scr * np.uint64(17))
        yt_id = b64_strings(scr << np.uint64(8), 11)
        post_id = pc.if_else(pa.array(yt), yt_id, num_id)

        return _PostBatch(
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

    def _post_snapshot(self, t: int) -> tuple[list[_PostBatch], dict[str, Array]]:
        batches = [self._batch(p) for p in range(t - _POST_WINDOW + 1, t + 1)]
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

    def _posts_cols(self, t: int) -> tuple[dict[str, Any], Array]:
        a = self.acc
        batches, m = self._post_snapshot(t)
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
            "saves": _NullableInt(m["saves"], ~cat("has_saves")),
            "views": _NullableInt(m["views"], ~cat("has_views")),
        }
        return cols, plat

    # ----------------------------------------------------------------------------------------
    # audience

    def _audience_cols(self, t: int) -> tuple[dict[str, Any], Array]:
        a = self.acc
        n = a.n
        k = a.aud_share.shape[1]
        noise = np.exp(self._rng(_S_AUD, t).normal(0.0, 0.04, (n, k)))
        raw = a.aud_share * noise
        units = np.empty((n, k), dtype=np.int64)
        for i in range(4):  # four dimensions, not rows
            lo, hi = _AUD_BOUNDS[i], _AUD_BOUNDS[i + 1]
            block = raw[:, lo:hi]
            block = block / block.sum(axis=1, keepdims=True)
            u = np.rint(block * 10_000).astype(np.int64)
            big = np.argmax(block, axis=1)
            u[np.arange(n), big] += 10_000 - u.sum(axis=1)
            units[:, lo:hi] = u
        share = (units / 10_000.0).reshape(-1)
        acc = np.repeat(np.arange(n), k)
        cols: dict[str, Any] = {
            "platform": take_strings(PLATFORMS, a.plat[acc]),
            "account_id": pc.take(a.account_id, pa.array(acc)),
            "dimension": take_strings(AUDIENCE_DIMENSIONS, np.tile(_AUD_DIM, n)),
            "bucket": take_strings(_AUD_VOCAB, a.aud_code.reshape(-1)),
            "share": share,
        }
        return cols, a.plat[acc]

    # ----------------------------------------------------------------------------------------
    # follower samples

    def _follower_cols(self, t: int) -> tuple[dict[str, Any], Array, Array]:
        a = self.acc
        n, k = a.n, self.followers_sampled
        followers = self._state(t)["followers"]
        rng = self._rng(_S_FOLLOWERS, t)
        j = np.arange(k)
        u = rng.random((n, k))
        pos = np.floor((j[None, :] + u) * (followers[:, None] / max(k, 1))).astype(np.int64)
        valid = (j[None, :] < followers[:, None]).reshape(-1)
        acc = np.repeat(np.arange(n), k)[valid]
        pos = pos.reshape(-1)[valid]
        g = (acc.astype(np.uint64) << np.uint64(32)) | pos.astype(np.uint64)
        seed = self.seed
        draws = HashDraws(g, seed, 100)  # a follower's profile depends only on (account, position)
        hu, hn = draws.uniform, draws.normal

        fake = hu(0) < a.fake_share[acc]
        bot = bot_profiles(draws, first_slot=40)  # published bot population (simulator.bots)
        mass = hu(2) < _PEOPLE_MASS_RATE  # among people: mass followers
        celeb = hu(3) < _PEOPLE_CELEB_RATE  # among people: influencers

        def lognormal(median: float, sigma: float, stream: int) -> Array:
            return np.exp(np.log(median) + sigma * hn(stream))

        def pick(
            real: Callable[[], Array], bot: Callable[[], Array], lo: float, hi: float
        ) -> Array:
            # one field at a time, so the intermediates of the other fields are already freed
            value = np.where(fake, bot(), real())
            return np.clip(np.floor(value), lo, hi).astype(np.int64)

        # real people vs. bots (bots from the published distributions of simulator.bots)
        follower_count = pick(
            lambda: np.where(celeb, lognormal(12_000, 1.0, 4), lognormal(280, 1.4, 5)),
            lambda: bot["follower_count"],
            0,
            50_000_000,
        )
        following_count = pick(
            lambda: np.where(
                mass,
                1500 + hu(6) * 6000,
                np.where(celeb, lognormal(*_CELEB_FOLLOWING, 6), lognormal(*_PERSON_FOLLOWING, 7)),
            ),
            lambda: bot["following_count"],
            0,
            7500,
        )
        media_count = pick(
            lambda: np.where(hu(7) < 0.10, 0, lognormal(70, 1.2, 10)),
            lambda: bot["media_count"],
            0,
            20_000,
        )
        has_pic = np.where(fake, bot["has_profile_pic"], hu(8) < 0.92)
        is_private = np.where(fake, bot["is_private"], hu(9) < 0.38)
        bio = pick(
            lambda: np.where(hu(10) < 0.4, 0, 5 + hu(11) * 145),
            lambda: bot["biography_length"],
            0,
            150,
        )
        age_days = pick(
            lambda: lognormal(1600, 0.7, 11),
            lambda: bot["account_age_days"],
            1,
            6000,
        )
        dig_u, dig_v = hu(16), hu(17)
        digits = pick(
            lambda: np.select(
                [dig_u < 0.55, dig_u < 0.80, dig_u < 0.95],
                [0, 1 + dig_v * 2, 3 + dig_v * 2],
                5 + dig_v * 4,
            ),
            lambda: bot["username_digit_count"],
            0,
            12,
        )
        ulen = pick(lambda: 12 + 3 * hn(37), lambda: bot["username_length"], 3, 30)
        ulen = np.maximum(ulen, digits + 2)

        plat = a.plat[acc]
        fid_num = permute_bits(g ^ np.uint64(seed & 0xFFFFFF), 53)
        base = np.array(
            [1_000_000_000, 6_600_000_000_000_000_000, 100_000_000_000], dtype=np.uint64
        )
        follower_id = int_strings(base[plat] + fid_num)
        cols: dict[str, Any] = {
            "platform": take_strings(PLATFORMS, plat),
            "account_id": pc.take(a.account_id, pa.array(acc)),
            "follower_id": follower_id,
            "follower_count": follower_count,
            "following_count": following_count,
            "media_count": media_count,
            "has_profile_pic": has_pic,
            "is_private": is_private,
            "biography_length": bio,
            "username_length": ulen,
            "username_digit_count": digits,
            "account_age_days": age_days,
        }
        return cols, plat, fake

    # ----------------------------------------------------------------------------------------
    # campaigns and delivery

    def _make_campaign_slots(self) -> dict[str, Array]:
        c = self.n_campaigns
        rng = self._rng(_S_CAMP)
        # windows at least as long as the spacing of the offsets: every date has a campaign
        lo = min(max(14, -(-_CAMPAIGN_CYCLE // max(c, 1))), _CAMPAIGN_CYCLE)
        window = rng.integers(lo, max(lo, 35) + 1, c)
        return {
            "offset": (np.arange(c) * _CAMPAIGN_CYCLE) // max(c, 1),
            "window": window,
            "currency": rng.integers(0, len(_CURRENCIES), c),
            "ctr": rng.uniform(0.006, 0.02, c),
            "cvr": rng.uniform(0.01, 0.04, c),
            "cpm": rng.uniform(5.0, 15.0, c),
        }

    def _campaign(self, slot: int, cycle: int) -> _Campaign:
        return self._campaign_cache.get((slot, cycle), lambda: self._make_campaign(slot, cycle))

    def _make_campaign(self, slot: int, cycle: int) -> _Campaign:
        cs = self._camp_static
        a = self.acc
        start = REF_ORDINAL + int(cs["offset"][slot]) + cycle * _CAMPAIGN_CYCLE
        end = start + int(cs["window"][slot]) - 1
        rng = self._rng(_S_CAMP_INST, slot, start)
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
        promo = [
            f"{brand.upper()}-{h.replace('.', '').replace('_', '')[:8].upper()}" for h in handles
        ]
        followers = self._state(start)["followers"][inf].astype(float)
        fee = np.round(followers * rng.uniform(0.006, 0.02, n_inf) + 100, 2)
        daily_budget = np.concatenate(
            [
                np.where(rng.random(n_inf) < 0.5, 0.0, rng.uniform(20, 300, n_inf)),
                rng.uniform(200, 2000, n_paid),
            ]
        )
        plat = np.concatenate([a.plat[inf], paid_plat]).astype(np.int8)
        vvr_lo = np.array([0.15, 0.4, 0.3])[plat]
        return _Campaign(
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

    def _active_campaigns(self, t: int) -> list[_Campaign]:
        out: list[_Campaign] = []
        cs = self._camp_static
        for slot in range(self.n_campaigns):  # campaigns, not rows
            rel = t - REF_ORDINAL - int(cs["offset"][slot])
            cycle = rel // _CAMPAIGN_CYCLE
            if rel - cycle * _CAMPAIGN_CYCLE < int(cs["window"][slot]):
                out.append(self._campaign(slot, cycle))
        return out

    def _live_influencers(self, p: int) -> tuple[Array, list[str], list[str | None]]:
        """Accounts whose campaign post goes live on day ``p``: (account idx, campaign ids, promo codes)."""
        accs: list[int] = []
        cids: list[str] = []
        promos: list[str | None] = []
        for c in self._active_campaigns(p):
            for i in np.flatnonzero((c.acc >= 0) & (c.ad_start == p)):
                acc = int(c.acc[i])
                if acc not in accs:
                    accs.append(acc)
                    cids.append(c.campaign_id)
                    promos.append(c.promo_code[i])
        return np.array(accs, dtype=np.int64), cids, promos

    def campaigns(self, start: dt.date | str, end: dt.date | str) -> pd.DataFrame:
        """Campaign instances active in [start, end], one row per ad (the brand side's view).

        Columns: campaign_id, brand, name, currency, start_date, end_date, budget, platform,
        account_id (null for paid ads), ad_id, fee, promo_code, utm_content, live_date.
        """
        t0, t1 = _as_ordinal(start), _as_ordinal(end)
        seen: dict[str, _Campaign] = {}
        for slot in range(self.n_campaigns):
            off = REF_ORDINAL + int(self._camp_static["offset"][slot])
            first = (t0 - off - int(self._camp_static["window"][slot]) + 1) // _CAMPAIGN_CYCLE
            last = (t1 - off) // _CAMPAIGN_CYCLE
            for cycle in range(first, last + 1):
                c = self._campaign(slot, cycle)
                if c.end >= t0 and c.start <= t1:
                    seen[c.campaign_id] = c
        parts = []
        for c in sorted(seen.values(), key=lambda c: (c.start, c.slot)):
            ids = pc.take(self.acc.account_id, pa.array(c.acc, mask=c.acc < 0)).to_pylist()
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
            return pd.DataFrame(
                columns=[
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
            )
        return pd.concat(parts, ignore_index=True)

    def _delivery_arrays(self, t: int) -> dict[str, Any]:
        camps = [c for c in self._active_campaigns(t)]
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
            return np.concatenate(
                [getattr(c, attr)[k] for c, k in zip(camps, keep_parts, strict=True)]
            )

        acc = cat("acc").astype(np.int64)
        plat = cat("plat").astype(np.int8)
        m = acc.size
        rng = self._rng(_S_DELIV, t)
        dowf = _DELIV_DOW[_weekday(t)]
        followers = self._state(t)["followers"].astype(float)
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
        conversions = rng.binomial(clicks, np.clip(cat("cvr"), 0, 1)) + view_through.astype(
            np.int64
        )
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

    def _delivery_cols(self, t: int) -> tuple[dict[str, Any], Array]:
        d = self._delivery_arrays(t)
        acc = d["acc"]
        cols: dict[str, Any] = {
            "campaign_id": pa.array(d["campaign_id"], type=pa.string()),
            "platform": take_strings(PLATFORMS, d["plat"]),
            "account_id": pc.take(self.acc.account_id, pa.array(np.maximum(acc, 0), mask=acc < 0)),
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

    # ----------------------------------------------------------------------------------------
    # ground truth

    def labels(self, start: dt.date | str, end: dt.date | str) -> dict[str, pd.DataFrame]:
        """Ground truth of the injected fraud and the genuine look-alikes for days [start, end].

        Never served by the API. Tables (``LABEL_TABLES``), ``dt`` is a ``datetime.date``:

        * ``follower_spikes``: platform, account_id, dt, bought_followers (+ followers_before,
          followers_after) -- bought followers; never on a day with a viral post.
        * ``fake_audience``: platform, account_id, fake_share (true share of bot followers,
          every account), authentic_share (true share of followers who are real people or
          influencers as DESIGN section 5 counts them: people following at most 1,500
          accounts), injected (account in the fake-audience or bought-followers group).
        * ``fake_followers``: platform, account_id, follower_id, dt, is_fake -- one row per
          follower sampled by ``follower_samples`` on each day.
        * ``pods``: platform, account_id, pod_weekdays (0 = Monday; the pod's schedule).
        * ``inflated_likes``: platform, account_id, post_id, dt, published_dt -- one row per
          day the post is served in the ``posts`` snapshot.
        * ``click_fraud``: campaign_id, platform, ad_id, dt, invalid_clicks (+ clicks and
          impressions as served).
        * ``purges``: platform, account_id, dt, removed_followers (+ before / after): genuine.
        * ``viral_posts``: platform, account_id, post_id, dt (publish day), multiplier,
          follower_delta: genuine viral growth.
        """
        t0, t1 = _as_ordinal(start), _as_ordinal(end)
        if t1 < t0:
            raise ValueError("end is before start")
        a = self.acc
        plat_s = np.array(PLATFORMS, dtype=object)
        acc_ids = np.array(a.account_id.to_pylist(), dtype=object)
        days = range(t0, t1 + 1)

        spikes: list[pd.DataFrame] = []
        purges: list[pd.DataFrame] = []
        fake_f: list[pd.DataFrame] = []
        clicks: list[pd.DataFrame] = []
        for t in days:  # days, not rows
            s, prev = self._state(t), self._state(t - 1)
            kind = s["kind_today"]
            change = np.rint(s["followers"] * (1.0 - np.exp(-s["r_today"]))).astype(np.int64)
            for want, out, col in (
                (_BOUGHT, spikes, "bought_followers"),
                (_PURGE, purges, "removed_followers"),
            ):
                i = np.flatnonzero(kind == want)
                out.append(
                    pd.DataFrame(
                        {
                            "platform": plat_s[a.plat[i]],
                            "account_id": acc_ids[i],
                            "dt": dt.date.fromordinal(t),
                            col: np.abs(change[i]),
                            "followers_before": prev["followers"][i],
                            "followers_after": s["followers"][i],
                        }
                    )
                )
            cols, plat, fake = self._follower_cols(t)
            fake_f.append(
                pd.DataFrame(
                    {
                        "platform": plat_s[plat],
                        "account_id": cols["account_id"].to_numpy(zero_copy_only=False),
                        "follower_id": cols["follower_id"].to_numpy(zero_copy_only=False),
                        "dt": dt.date.fromordinal(t),
                        "is_fake": fake,
                    }
                )
            )
            dv = self._delivery_arrays(t)
            i = np.flatnonzero(dv["invalid"] > 0)
            clicks.append(
                pd.DataFrame(
                    {
                        "campaign_id": np.array(dv["campaign_id"], dtype=object)[i],
                        "platform": plat_s[dv["plat"][i]],
                        "ad_id": np.array(dv["ad_id"], dtype=object)[i],
                        "dt": dt.date.fromordinal(t),
                        "invalid_clicks": dv["invalid"][i],
                        "clicks": dv["clicks"][i],
                        "impressions": dv["impressions"][i],
                    }
                )
            )

        # posts: inflated likes per served snapshot day; viral posts on their publish day
        inflated: list[pd.DataFrame] = []
        viral: list[pd.DataFrame] = []
        for p in range(t0 - _POST_WINDOW + 1, t1 + 1):  # publish days, not rows
            b = self._batch(p)
            if t0 <= p <= t1:
                i = np.flatnonzero(b.viral)
                gained = self._state(p)["followers"] - self._state(p - 1)["followers"]
                viral.append(
                    pd.DataFrame(
                        {
                            "platform": plat_s[a.plat[b.acc[i]]],
                            "account_id": acc_ids[b.acc[i]],
                            "post_id": np.array(b.post_id.to_pylist(), dtype=object)[i],
                            "dt": dt.date.fromordinal(p),
                            "multiplier": np.round(b.viral_mult[i], 2),
                            "follower_delta": gained[b.acc[i]],
                        }
                    )
                )
            i = np.flatnonzero(b.inflated)
            if i.size == 0:
                continue
            served = [t for t in range(max(p, t0), min(p + _POST_WINDOW - 1, t1) + 1)]
            if not served:
                continue
            pid = np.array(b.post_id.to_pylist(), dtype=object)[i]
            inflated.append(
                pd.DataFrame(
                    {
                        "platform": np.tile(plat_s[a.plat[b.acc[i]]], len(served)),
                        "account_id": np.tile(acc_ids[b.acc[i]], len(served)),
                        "post_id": np.tile(pid, len(served)),
                        "dt": np.repeat(
                            np.array([dt.date.fromordinal(t) for t in served], dtype=object), i.size
                        ),
                        "published_dt": dt.date.fromordinal(p),
                    }
                )
            )

        everyone = np.arange(a.n)
        fake_audience = pd.DataFrame(
            {
                "platform": plat_s[a.plat],
                "account_id": acc_ids,
                "fake_share": np.round(a.fake_share, 4),
                "authentic_share": np.round((1.0 - a.fake_share) * _people_reachable(), 4),
                "injected": a.fake_group | a.bought,
            }
        )
        pods_i = everyone[a.pod]
        pods = pd.DataFrame(
            {
                "platform": plat_s[a.plat[pods_i]],
                "account_id": acc_ids[pods_i],
                "pod_weekdays": [
                    ",".join(str(x) for x in np.flatnonzero(row)) for row in a.pod_days[pods_i]
                ],
            }
        )
        return {
            "follower_spikes": _concat(
                spikes, ["platform", "account_id", "dt", "bought_followers"]
            ),
            "fake_audience": fake_audience,
            "fake_followers": _concat(
                fake_f, ["platform", "account_id", "follower_id", "dt", "is_fake"]
            ),
            "pods": pods,
            "inflated_likes": _concat(
                inflated, ["platform", "account_id", "post_id", "dt", "published_dt"]
            ),
            "click_fraud": _concat(
                clicks, ["campaign_id", "platform", "ad_id", "dt", "invalid_clicks"]
            ),
            "purges": _concat(purges, ["platform", "account_id", "dt", "removed_followers"]),
            "viral_posts": _concat(
                viral, ["platform", "account_id", "post_id", "dt", "multiplier"]
            ),
        }


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def _to_frame(
    name: str, cols: dict[str, Any], plat: Array, platform_code: int | None
) -> pd.DataFrame:
    """Assemble API columns (numpy / Arrow / nullable ints) into a DataFrame in schema order."""
    names = SOURCE_TABLES[name].schema.names
    assert list(cols) == names, (name, list(cols), names)
    sel: Array | None = None
    if platform_code is not None:
        sel = np.flatnonzero(np.asarray(plat) == platform_code)
    data: dict[str, Any] = {}
    for col, v in cols.items():
        if isinstance(v, _NullableInt):
            values, null = (v.values, v.null) if sel is None else (v.values[sel], v.null[sel])
            values = np.where(null, 0, values).astype(np.int64)
            data[col] = pd.arrays.IntegerArray(values, null.astype(bool))
        elif isinstance(v, pa.Array | pa.ChunkedArray):
            arr = v if sel is None else pc.take(v, pa.array(sel))
            data[col] = arr.to_pandas()
        else:
            data[col] = np.asarray(v) if sel is None else np.asarray(v)[sel]
    return pd.DataFrame(data, columns=names)


def write_labels(
    world: World, path: Path | str, start: dt.date | str, end: dt.date | str
) -> dict[str, Path]:
    """Write ``world.labels(start, end)`` as one Parquet file per label table into ``path``."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, df in world.labels(start, end).items():
        target = out / f"{name}.parquet"
        tmp = out / f".{name}.parquet.tmp"
        df.to_parquet(tmp, index=False)
        tmp.replace(target)
        written[name] = target
    return written
