"""A deterministic, seeded synthetic social-media world (the simulator's data model).

Everything the platform API serves is a closed-form function of ``(seed, n_accounts, entity,
day)``: any historical day is computed directly, never by replaying earlier days. Per-day
randomness comes from ``numpy.random.default_rng([seed, n_accounts, stream, day])``
(``_keys``) and per-entity identity (a follower's profile, a post's identity) from
counter-based hashing, so generation is vectorised over whole arrays with no Python loop over
rows or accounts. Fraud is injected with ground truth that never reaches the API.

:class:`World` is the facade: it validates the parameters, draws the static accounts and
campaign slots, owns the seeds and the caches the entities share, and dispatches an entity to
the module that builds it:

* ``accounts``: static account attributes and the ``accounts`` entity;
* ``trajectories``: event schedules and the closed-form follower state of any day;
* ``posts``: each day's posts and the 30-day ``posts`` snapshot;
* ``audience``: audience mixes and the ``audience`` entity;
* ``followers``: ``follower_samples`` and the bot / person follower profiles;
* ``campaigns``: campaign instances (the brand side, :meth:`World.campaigns`);
* ``delivery``: the ``delivery`` entity (``ads/delivery``);
* ``labels``: the fraud ground truth (:meth:`World.labels`, :func:`write_labels`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.contracts import PLATFORMS, SOURCE_TABLES

from ._arrays import rng_for
from ._cache import LRU, CacheInfo
from ._columns import Columns, to_frame
from ._keys import REF_ORDINAL, S_CAMP, S_STATIC, as_ordinal
from .accounts import account_columns, make_accounts
from .audience import AGE_BUCKETS, GENDER_BUCKETS, INTERESTS, audience_columns
from .campaigns import Campaign, campaigns_frame, make_campaign, make_campaign_slots
from .delivery import delivery_columns
from .followers import follower_columns
from .labels import LABEL_TABLES, labels, write_labels
from .posts import POST_WINDOW, PostBatch, make_post_batch, post_columns
from .trajectories import FollowerState, follower_state
from .vocab import CATEGORIES, COUNTRY_CODES

__all__ = [
    "AGE_BUCKETS",
    "CATEGORIES",
    "COUNTRY_CODES",
    "ENTITIES",
    "GENDER_BUCKETS",
    "INTERESTS",
    "LABEL_TABLES",
    "REF_ORDINAL",
    "World",
    "resolve_entity",
    "write_labels",
]

ENTITIES: tuple[str, ...] = tuple(SOURCE_TABLES)  # accounts, posts, audience, ...
_ALIASES: dict[str, str] = {t.endpoint: t.name for t in SOURCE_TABLES.values()}

#: the module function building each entity's columns for one day
_BUILDERS: dict[str, Callable[[World, int], Columns]] = {
    "accounts": account_columns,
    "posts": post_columns,
    "audience": audience_columns,
    "follower_samples": lambda world, t: follower_columns(world, t)[:2],
    "delivery": delivery_columns,
}
assert set(_BUILDERS) == set(ENTITIES)

# the old private name, imported by code that predates ``_keys``
_as_ordinal = as_ordinal


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
        self.acc = make_accounts(self.rng(S_STATIC), self.seed, self.n_accounts)
        self.campaign_slots = make_campaign_slots(self.rng(S_CAMP), self.n_campaigns)
        # a posts snapshot reads POST_WINDOW batches, each needing its day's state; a little
        # slack keeps the next day's snapshot (the window moved by one) from recomputing them
        self._states = LRU(POST_WINDOW + 6)
        self._batches = LRU(POST_WINDOW + 4)
        self._campaigns = LRU(256)
        # the unfiltered columns of the last (entity, day): asking for each platform in turn
        # (as the extractor does) generates the day only once
        self._columns = LRU(1)

    def __repr__(self) -> str:
        return (
            f"World(seed={self.seed}, n_accounts={self.n_accounts}, "
            f"followers_sampled={self.followers_sampled}, n_campaigns={self.n_campaigns})"
        )

    # ----------------------------------------------------------------------------------------
    # seeds and shared, cached building blocks of the entity modules

    def rng(self, stream: int, *key: int) -> np.random.Generator:
        """The generator of one random stream (``_keys``), e.g. ``rng(S_POSTS, day)``."""
        return rng_for(self.seed, self.n_accounts, stream, *key)

    def state(self, t: int) -> FollowerState:
        """Follower state of every account at the end of day ``t`` (ordinal)."""
        return self._states.get(t, lambda: follower_state(self, t))

    def post_batch(self, p: int) -> PostBatch:
        """The posts published on day ``p`` (ordinal)."""
        return self._batches.get(p, lambda: make_post_batch(self, p))

    def campaign(self, slot: int, cycle: int) -> Campaign:
        """Instance ``cycle`` of campaign slot ``slot``."""
        return self._campaigns.get((slot, cycle), lambda: make_campaign(self, slot, cycle))

    def cache_info(self) -> dict[str, CacheInfo]:
        """Hits and misses (values computed) of the caches: ``states``, ``post_batches``,
        ``campaigns`` and ``columns`` (the last frame's unfiltered columns)."""
        return {
            "states": self._states.info(),
            "post_batches": self._batches.info(),
            "campaigns": self._campaigns.info(),
            "columns": self._columns.info(),
        }

    # ----------------------------------------------------------------------------------------
    # public API

    def frame(self, entity: str, day: dt.date | str, platform: str | None = None) -> pd.DataFrame:
        """The API rows of ``entity`` for ``day``, optionally one platform only.

        Columns are exactly the fields of ``SOURCE_TABLES[entity].schema`` in that order;
        timestamps are ISO 8601 UTC strings, nullable counts use pandas ``Int64``.
        """
        name = resolve_entity(entity)
        t = as_ordinal(day)
        code = self._platform_code(platform)
        cols, plat = self._columns.get((name, t), lambda: _BUILDERS[name](self, t))
        return to_frame(name, cols, plat, code)

    def frames(self, day: dt.date | str, platform: str | None = None) -> dict[str, pd.DataFrame]:
        """All five entities for one day."""
        return {name: self.frame(name, day, platform) for name in ENTITIES}

    def campaigns(self, start: dt.date | str, end: dt.date | str) -> pd.DataFrame:
        """Campaign instances active in [start, end], one row per ad (the brand side's view).

        Columns: campaign_id, brand, name, currency, start_date, end_date, budget, platform,
        account_id (null for paid ads), ad_id, fee, promo_code, utm_content, live_date.
        """
        return campaigns_frame(self, start, end)

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
        return labels(self, start, end)

    @staticmethod
    def _platform_code(platform: str | None) -> int | None:
        if platform is None:
            return None
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; expected one of {list(PLATFORMS)}")
        return PLATFORMS.index(platform)
