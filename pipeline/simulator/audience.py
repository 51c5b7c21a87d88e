"""The ``audience`` entity: each account's audience mix by age, gender, country and interest.

The mix is drawn once per account (:func:`make_audience_base`, part of the static accounts);
a day's snapshot adds small multiplicative noise and rounds. Served shares have 4 decimals and
sum to exactly 1 per (account, dimension): age (6 buckets), gender (3), country (top 5 +
``other``), interest (top 5 + ``other``). Bots skew the mix (young, male, ``other`` country),
in proportion to the account's true fake share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import AUDIENCE_DIMENSIONS, PLATFORMS

from ._arrays import Array, take_strings
from ._columns import Columns
from ._keys import S_AUD
from .vocab import CATEGORIES, COUNTRY_CODES, COUNTRY_WEIGHTS

if TYPE_CHECKING:
    from .world import World

__all__ = [
    "AGE_BUCKETS",
    "GENDER_BUCKETS",
    "INTERESTS",
    "audience_columns",
    "make_audience_base",
]

AGE_BUCKETS: tuple[str, ...] = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")
GENDER_BUCKETS: tuple[str, ...] = ("female", "male", "other")
INTERESTS: tuple[str, ...] = (
    "fashion", "beauty", "fitness", "food", "travel", "gaming", "tech", "parenting",
    "finance", "music", "home", "sports", "entertainment", "pets", "cars", "education",
)  # fmt: skip

#: female share of the audience by category (in ``CATEGORIES`` order)
_CAT_FEMALE = np.array(
    [0.78, 0.86, 0.55, 0.6, 0.6, 0.25, 0.27, 0.86, 0.35, 0.5, 0.7, 0.3, 0.48, 0.7]
)
# the interest every category's audience shares most
_CAT_INTEREST = np.array([INTERESTS.index(c) if c in INTERESTS else -1 for c in CATEGORIES])
_CAT_INTEREST[CATEGORIES.index("lifestyle")] = INTERESTS.index("home")
_CAT_INTEREST[CATEGORIES.index("comedy")] = INTERESTS.index("entertainment")

# one row per (account, bucket): 21 buckets in four dimensions, coded into _AUD_VOCAB
_AUD_VOCAB: tuple[str, ...] = AGE_BUCKETS + GENDER_BUCKETS + COUNTRY_CODES + ("other",) + INTERESTS
_AUD_OTHER = len(AGE_BUCKETS) + len(GENDER_BUCKETS) + len(COUNTRY_CODES)
_AUD_SIZES = (len(AGE_BUCKETS), len(GENDER_BUCKETS), 6, 6)
_AUD_DIM = np.repeat(np.arange(4), _AUD_SIZES)
_AUD_BOUNDS = np.r_[0, np.cumsum(_AUD_SIZES)]
assert len(AUDIENCE_DIMENSIONS) == 4


def make_audience_base(
    rng: np.random.Generator, plat: Array, category: Array, country: Array, fake: Array
) -> tuple[Array, Array]:
    """Each account's base audience mix: (shares (n, 21), bucket codes (n, 21))."""
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
    keys = np.log(COUNTRY_WEIGHTS)[None, :] + rng.gumbel(size=(n, c))
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


def audience_columns(world: World, t: int) -> Columns:
    """The ``audience`` rows of day ``t``: 21 per account."""
    a = world.acc
    n = a.n
    k = a.aud_share.shape[1]
    noise = np.exp(world.rng(S_AUD, t).normal(0.0, 0.04, (n, k)))
    raw = a.aud_share * noise
    # shares in units of 1/10,000 per dimension; the rounding error goes to the largest bucket
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
