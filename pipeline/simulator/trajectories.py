"""Follower trajectories in closed form: every account's follower state on any day.

Followers follow ``f0 * exp(g * tau(t) + weekly(t)) * exp(events before t)``: ``tau`` is a
``tanh``-saturated day count (growth flattens ~2 years either side of ``REF_ORDINAL``) and the
weekly factor is periodic. Events (viral growth, bought followers, purges) sit on a per-account
repeating schedule of ``N_SLOTS`` slots, each with a fixed log-size, so the sum of the events
before any day is a prefix sum: a day far in the past or future is computed directly, never
by replaying the days in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._arrays import Array, log_uniform
from ._keys import REF_ORDINAL, S_FOLLOWING, S_NOISE, weekday

if TYPE_CHECKING:
    from .world import World

__all__ = [
    "BOUGHT",
    "HORIZON",
    "NONE",
    "N_SLOTS",
    "PURGE",
    "VIRAL",
    "EventSchedule",
    "FollowerState",
    "follower_state",
    "make_event_schedule",
]

#: saturation scale of ``tau`` in days
HORIZON = 730.0
N_SLOTS = 8  #: event slots per schedule cycle
NONE, VIRAL, BOUGHT, PURGE = 0, 1, 2, 3  #: event kinds

# weekly seasonality of follower growth, Monday first
_FOLLOW_DOW = np.array([0.92, 0.88, 0.9, 0.96, 1.04, 1.16, 1.14])
_FOLLOW_DOW = _FOLLOW_DOW / _FOLLOW_DOW.mean()


@dataclass
class EventSchedule:
    """Per-account event schedule: slot ``k`` happens ``offset + k * period + jitter[k % L]``
    days after ``REF_ORDINAL`` (arrays of length n, or (n, L) per slot)."""

    period: Array
    offset: Array
    jitter: Array
    kind: Array  #: NONE / VIRAL / BOUGHT / PURGE per slot
    r: Array  #: log change of the followers per slot
    viral_mult: Array  #: engagement multiplier of a viral slot's post
    pref_all: Array  #: (n, L + 1) prefix sums of ``r`` over a cycle
    pref_bought: Array  #: the same over the BOUGHT slots only


@dataclass
class FollowerState:
    """Every account's follower state at the end of one day (arrays of length n)."""

    followers: Array
    real: Array  #: engaged audience: followers who are neither bought nor bots
    following: Array
    media_count: Array
    kind_today: Array  #: the event happening that day (NONE if none)
    r_today: Array  #: its log change of the followers (0 if none)
    viral_mult_today: Array  #: its viral multiplier (1 unless VIRAL)


def make_event_schedule(rng: np.random.Generator, bought: Array, d: Array) -> EventSchedule:
    """Draw the event schedule; ``bought`` marks follower buyers, ``d`` scales event sizes."""
    n = bought.size
    L = N_SLOTS
    # buyers have events more often, and at least one of them is a purchase
    period = np.where(bought, rng.integers(10, 25, n), rng.integers(18, 61, n)).astype(np.int64)
    offset = (rng.random(n) * period).astype(np.int64)
    jitter = (rng.random((n, L)) * (period[:, None] // 3)).astype(np.int64)
    u = rng.random((n, L))
    kind_normal = np.where(u < 0.16, VIRAL, np.where(u < 0.20, PURGE, NONE))
    kind_bought = np.where(
        u < 0.45, BOUGHT, np.where(u < 0.55, VIRAL, np.where(u < 0.68, PURGE, NONE))
    )
    kind = np.where(bought[:, None], kind_bought, kind_normal).astype(np.int8)
    no_bought = bought & ~(kind == BOUGHT).any(axis=1)
    kind[no_bought, 0] = BOUGHT
    viral_mult = log_uniform(rng, 10, 100, (n, L))
    spike_mult = log_uniform(rng, 5, 50, (n, L))
    purge_mult = log_uniform(rng, 8, 40, (n, L))
    r = np.select(
        [kind == BOUGHT, kind == VIRAL, kind == PURGE],
        [
            spike_mult * d[:, None],
            0.6 * viral_mult * d[:, None],
            -np.minimum(purge_mult * d[:, None], 0.06),
        ],
        0.0,
    )
    pref_all = np.concatenate([np.zeros((n, 1)), np.cumsum(r, axis=1)], axis=1)
    pref_bought = np.concatenate(
        [np.zeros((n, 1)), np.cumsum(np.where(kind == BOUGHT, r, 0.0), axis=1)], axis=1
    )
    return EventSchedule(
        period=period,
        offset=offset,
        jitter=jitter,
        kind=kind,
        r=r,
        viral_mult=viral_mult,
        pref_all=pref_all,
        pref_bought=pref_bought,
    )


def follower_state(world: World, t: int) -> FollowerState:
    """Follower state of every account at the end of day ``t`` (ordinal); not cached
    (``World.state`` caches it)."""
    a = world.acc
    e = a.events
    L = N_SLOTS
    n = a.n
    rows = np.arange(n)
    x = t - REF_ORDINAL
    tau = HORIZON * np.tanh(x / HORIZON)
    # weekly factor: W(t) = sum over days REF..t of (c_dow - 1); periodic (a week sums to 0),
    # so the day-over-day growth on day t is g * (1 + amp * (c_dow(t) - 1))
    dows = (weekday(REF_ORDINAL) + np.arange(7)) % 7
    wprefix = np.cumsum(_FOLLOW_DOW[dows] - 1.0)
    week = a.week_amp * wprefix[x % 7]
    log_org = a.log_f0 + a.g * (tau + week)

    # the slot of the current cycle, and how many events (whole cycles + a prefix) are past
    rel = x - e.offset
    q = np.floor_divide(rel, e.period)
    slot = np.mod(q, L)
    js = e.jitter[rows, slot]
    event_day = q * e.period + js  # relative to offset
    today = event_day == rel
    kmax = np.where(event_day <= rel, q, q - 1)
    c1 = kmax + 1
    full = np.floor_divide(c1, L)
    rem = np.mod(c1, L)
    s_all = full * e.pref_all[:, L] + e.pref_all[rows, rem]
    s_bought = full * e.pref_bought[:, L] + e.pref_bought[rows, rem]
    kind_today = np.where(today, e.kind[rows, slot], NONE).astype(np.int8)
    r_today = np.where(today, e.r[rows, slot], 0.0)
    vmult_today = np.where(kind_today == VIRAL, e.viral_mult[rows, slot], 1.0)

    noise = world.rng(S_NOISE, t).normal(0.0, 1.0, n) * 0.35 * a.d
    log_f = log_org + s_all + noise
    followers = np.maximum(np.rint(np.exp(log_f)), 1).astype(np.int64)
    # engaged (real) audience: bought followers and bots do not engage
    real = np.exp(log_org + s_all - s_bought) * (1.0 - 0.9 * a.fake_share)

    frng = world.rng(S_FOLLOWING, t)
    following = np.rint(
        a.following0 * np.exp(a.following_drift * tau + frng.normal(0, 0.003, n))
    ).astype(np.int64)
    media = a.media_base + np.floor(a.lam * (tau + HORIZON)).astype(np.int64)
    return FollowerState(
        followers=followers,
        real=real,
        following=following,
        media_count=media,
        kind_today=kind_today,
        r_today=r_today,
        viral_mult_today=vmult_today,
    )
