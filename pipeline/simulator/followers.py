"""The ``follower_samples`` entity: a daily sample of each account's followers, with profiles.

Each day ``followers_sampled`` followers of every account are drawn, stratified over its
follower list (no duplicates). A follower is identified by (account, position in the list) and
its profile is a counter-based hash of that key (:func:`follower_profiles`), so a follower
sampled on two days looks the same and no day's draw depends on another's. Whether a follower
is a bot is drawn against the account's true fake share; that ground truth goes to ``labels``
only.
"""

from __future__ import annotations

from collections.abc import Callable
from math import erf, log, sqrt
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import PLATFORMS

from ._arrays import Array, HashDraws, int_strings, permute_bits, take_strings
from ._keys import S_FOLLOWERS
from .bots import bot_profiles

if TYPE_CHECKING:
    from .world import World

__all__ = ["follower_columns", "follower_profiles", "people_reachable_share"]

# sampled followers who are people: shares of mass followers (following 1,500-7,500) and
# influencers, and the (median, sigma) of the lognormal following count of the others
_PEOPLE_MASS_RATE = 0.07
_PEOPLE_CELEB_RATE = 0.02
_CELEB_FOLLOWING = (500.0, 0.6)
_PERSON_FOLLOWING = (380.0, 0.85)
_PROFILE_STREAM = 100  # hash stream of the profiles (HashDraws uses 100, 101, 102, ...)


def follower_profiles(keys: Array, fake_share: Array, seed: int) -> tuple[dict[str, Array], Array]:
    """Profile features of sampled followers, and which of them are bots.

    ``keys`` identifies each follower (``account << 32 | position``): the profile is a function
    of it and ``seed`` only. ``fake_share`` is the true bot share of each follower's account.
    Returns the profile columns of ``follower_samples`` in schema order (``follower_count`` ..
    ``account_age_days``) and ``is_fake``.
    """
    # hu(slot) and hn(slot) are independent draws per follower (uniform and normal slots are
    # separate). A new feature needs slots not used yet: reusing one would correlate two
    # fields, and changing a slot number changes the data of every world.
    draws = HashDraws(keys, seed, _PROFILE_STREAM)
    hu, hn = draws.uniform, draws.normal

    fake = hu(0) < fake_share
    # bots from the published distributions of simulator.bots (slots 40-63); slots 1, 20-27,
    # 30-33 and 36 drew the earlier hand-made crude/sophisticated bots and are now unused
    bot = bot_profiles(draws, first_slot=40)
    mass = hu(2) < _PEOPLE_MASS_RATE  # among people: mass followers
    celeb = hu(3) < _PEOPLE_CELEB_RATE  # among people: influencers

    def lognormal(median: float, sigma: float, stream: int) -> Array:
        return np.exp(np.log(median) + sigma * hn(stream))

    def pick(real: Callable[[], Array], bot: Callable[[], Array], lo: float, hi: float) -> Array:
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
    profile = {
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
    return profile, fake


def follower_columns(world: World, t: int) -> tuple[dict[str, Any], Array, Array]:
    """The ``follower_samples`` rows of day ``t``: (columns, platform codes, is_fake)."""
    a = world.acc
    n, k = a.n, world.followers_sampled
    followers = world.state(t).followers
    rng = world.rng(S_FOLLOWERS, t)
    # position j of k strata of the follower list; accounts with fewer than k followers give
    # each follower once
    j = np.arange(k)
    u = rng.random((n, k))
    pos = np.floor((j[None, :] + u) * (followers[:, None] / max(k, 1))).astype(np.int64)
    valid = (j[None, :] < followers[:, None]).reshape(-1)
    acc = np.repeat(np.arange(n), k)[valid]
    pos = pos.reshape(-1)[valid]
    keys = (acc.astype(np.uint64) << np.uint64(32)) | pos.astype(np.uint64)
    profile, fake = follower_profiles(keys, a.fake_share[acc], world.seed)

    plat = a.plat[acc]
    fid_num = permute_bits(keys ^ np.uint64(world.seed & 0xFFFFFF), 53)
    base = np.array([1_000_000_000, 6_600_000_000_000_000_000, 100_000_000_000], dtype=np.uint64)
    follower_id = int_strings(base[plat] + fid_num)
    cols: dict[str, Any] = {
        "platform": take_strings(PLATFORMS, plat),
        "account_id": pc.take(a.account_id, pa.array(acc)),
        "follower_id": follower_id,
        **profile,
    }
    return cols, plat, fake


def people_reachable_share() -> float:
    """Share of follower profiles of people (not bots) that follow at most 1,500 accounts: by
    DESIGN section 5 they are the real people and influencers, the others mass followers."""

    def below(median: float, sigma: float) -> float:  # P(lognormal < 1,501), counts floored
        return 0.5 * (1.0 + erf((log(1501.0) - log(median)) / (sigma * sqrt(2.0))))

    celeb = _PEOPLE_CELEB_RATE * below(*_CELEB_FOLLOWING)
    other = (1.0 - _PEOPLE_CELEB_RATE) * below(*_PERSON_FOLLOWING)
    return (1.0 - _PEOPLE_MASS_RATE) * (celeb + other)
