"""What every random draw of the world is keyed by: seed streams and days.

A draw comes from ``World.rng(stream, *key)``, i.e. ``numpy.random.default_rng([seed,
n_accounts, stream, *key])``, so each stream below is an independent source and a day's draws
never depend on another day's. The streams live in one place so that no two entities share one
by accident; their numbers are part of the data (renumbering one changes every world).
"""

from __future__ import annotations

import datetime as dt

__all__ = [
    "MIN_ORDINAL",
    "REF_ORDINAL",
    "S_AUD",
    "S_CAMP",
    "S_CAMP_INST",
    "S_DELIV",
    "S_FOLLOWERS",
    "S_FOLLOWING",
    "S_IDS",
    "S_NOISE",
    "S_POSTS",
    "S_STATIC",
    "as_ordinal",
    "weekday",
]

# seed streams (S_IDS and S_IDS + 1 salt the hashes of the YouTube channel ids)
S_STATIC, S_NOISE, S_FOLLOWING, S_POSTS, S_AUD, S_FOLLOWERS = 1, 2, 3, 4, 5, 6
S_CAMP, S_CAMP_INST, S_DELIV, S_IDS = 7, 8, 9, 10

#: reference day of the follower trajectories and of the campaign calendar
REF_ORDINAL = dt.date(2026, 1, 1).toordinal()
#: first day the simulator serves
MIN_ORDINAL = dt.date(1971, 1, 1).toordinal()


def as_ordinal(day: dt.date | str) -> int:
    """The proleptic ordinal of ``day`` (a date, datetime or ISO string); 1971 onwards only."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    if isinstance(d, dt.datetime):
        d = d.date()
    o = d.toordinal()
    if o < MIN_ORDINAL:
        raise ValueError(
            f"date {d.isoformat()} is before 1971-01-01, which the simulator does not serve"
        )
    return o


def weekday(ordinal: int) -> int:
    """Day of the week of an ordinal, 0 = Monday."""
    return (ordinal - 1) % 7  # date.fromordinal(1) is a Monday
