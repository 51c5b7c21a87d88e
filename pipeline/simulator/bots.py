"""Bot and bought-follower profiles drawn from published distributions, not invented ones.

The simulator's bots used to be the project's own idea of a bot (crude: no picture, no posts,
digit-heavy names; or "sophisticated"), which rewarded a detector that only knows those bots.
The population here is a mixture of the three kinds of fake account the public hand-labelled
Instagram sets hold (SRF Data 2017, 98 fakes among 975 followers of Swiss influencers;
InstaFake, Akyon & Kalfaoglu 2019, 200 fakes; both described in the README), each parameterised
from those sets' statistics, the two sets weighted equally:

================  =====  ==============================================================
kind              share  shape (medians; published figures in brackets, SRF / InstaFake)
================  =====  ==============================================================
mass follower     0.50   follows 1,000 to the 7,500 cap (40 % within 5,000-7,500), ~150
                         followers, 0-5 posts, nearly always a picture
bulk fake         0.40   follows a few hundred, ~15 followers, mostly no posts, picture
                         on half
camouflaged       0.10   a body of posts (~60), balanced-ish graph: the fakes no profile
                         signal catches (11 % / 1 % of the fakes have 30+ posts)
================  =====  ==============================================================

Pooled, the mixture gives about: following median 1,500 (2,096 / 1,446), 22 % at 5,000 or
more (28 % / 7 %); followers median 70 (110 / 30); posts median 0 (1 / 0), half with none
(34 % / 57 %); a picture on 77 % (93 % / 60 %); private 31 % (31 % / 32 %); no digit in the
username 50 % (54 % / 45 %), a quarter or more digits 35 % (30 % / 28 %); empty bio 80 % (- /
74 %). Account age is in neither set: bots get a wide lognormal around 400 days (an
assumption, flagged as such), so the age signal cannot carry the detector.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

__all__ = ["BOT_KINDS", "Draws", "RngDraws", "bot_profiles"]

Array = np.ndarray

#: (name, share) of each kind of fake account.
BOT_KINDS: tuple[tuple[str, float], ...] = (
    ("mass_follower", 0.50),
    ("bulk_fake", 0.40),
    ("camouflaged", 0.10),
)
FOLLOW_CAP = 7_500  # the platform's follow limit

_SLOTS = 24  # uniform and normal slots used, from ``first_slot`` on


class Draws(Protocol):
    """Independent per-row draws by slot (:class:`pipeline.simulator._arrays.HashDraws`)."""

    def uniform(self, slot: int) -> Array: ...

    def normal(self, slot: int) -> Array: ...


class RngDraws:
    """:class:`Draws` from a numpy Generator, for ``n`` rows (each slot drawn once)."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self._rng, self._n = rng, n
        self._u: dict[int, Array] = {}
        self._z: dict[int, Array] = {}

    def uniform(self, slot: int) -> Array:
        return self._u.setdefault(slot, self._rng.random(self._n))

    def normal(self, slot: int) -> Array:
        return self._z.setdefault(slot, self._rng.standard_normal(self._n))


def bot_profiles(draws: Draws, first_slot: int = 0) -> dict[str, Array]:
    """One bot profile per row of ``draws``: the classifier's input columns as int64 counts
    and bool flags (``follower_count``, ``following_count``, ``media_count``,
    ``has_profile_pic``, ``is_private``, ``biography_length``, ``username_length``,
    ``username_digit_count``, ``account_age_days``) plus ``kind`` (index into
    :data:`BOT_KINDS`). Uses slots ``first_slot`` to ``first_slot + 23`` of ``draws``."""

    def u(k: int) -> Array:
        return draws.uniform(first_slot + k)

    def lognormal(median: float, sigma: float, k: int) -> Array:
        return np.exp(np.log(median) + sigma * draws.normal(first_slot + k))

    pick = u(0)
    cuts = np.cumsum([share for _, share in BOT_KINDS])
    kind = np.searchsorted(cuts, pick, side="right").clip(0, len(BOT_KINDS) - 1)
    mass, bulk = kind == 0, kind == 1

    near_cap = u(1) < 0.4
    following = np.select(
        [mass & near_cap, mass, bulk],
        [
            5_000 + u(2) * (FOLLOW_CAP - 5_000),
            np.clip(lognormal(2_200, 0.5, 2), 1_000, FOLLOW_CAP),
            np.minimum(lognormal(350, 1.0, 3), 1_500),
        ],
        lognormal(1_500, 0.8, 4),
    )
    followers = np.select(
        [mass, bulk], [lognormal(150, 1.3, 5), lognormal(15, 1.2, 6)], lognormal(500, 1.0, 7)
    )
    zero_posts = u(3) < np.select([mass, bulk], [0.4, 0.6], 0.0)
    posts = np.where(
        zero_posts,
        0.0,
        np.select(
            [mass, bulk], [lognormal(3, 1.0, 8), lognormal(2, 0.8, 9)], lognormal(60, 0.8, 10)
        ),
    )
    has_pic = u(4) < np.select([mass, bulk], [0.9, 0.55], 0.97)
    is_private = u(5) < 0.31
    bio = np.where(u(6) < 0.8, 0.0, 5 + u(7) * 115)
    digit_kind, dv = u(8), u(9)
    length = np.clip(np.rint(12 + 3 * draws.normal(first_slot + 11)), 5, 30)
    digits = np.select(
        [digit_kind < 0.5, digit_kind < 0.7],
        [0.0, 1 + np.floor(dv * 3)],
        np.ceil(length * (0.25 + dv * 0.45)),
    )
    length = np.maximum(length, digits + 2)
    age = np.clip(lognormal(400, 1.0, 12), 1, 6_000)

    def count(x: Array, hi: float) -> Array:
        return np.clip(np.floor(x), 0, hi).astype(np.int64)

    return {
        "follower_count": count(followers, 50_000_000),
        "following_count": count(following, FOLLOW_CAP),
        "media_count": count(posts, 20_000),
        "has_profile_pic": has_pic,
        "is_private": is_private,
        "biography_length": count(bio, 150),
        "username_length": count(length, 30),
        "username_digit_count": count(digits, 30),
        "account_age_days": np.maximum(count(age, 6_000), 1),
        "kind": kind.astype(np.int8),
    }
