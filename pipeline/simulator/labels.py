"""Ground truth of the injected fraud and of its genuine look-alikes: never served by the API.

The pipeline never reads these; ``clout labels`` writes them (:func:`write_labels`) and the
fraud evaluation (``pipeline.fraud.evaluate``) scores the pipeline's flags against them. Every
table is recomputed from the same closed forms as the entities, so it agrees with what the API
served for the same world and days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import PLATFORMS

from ._arrays import Array
from ._keys import as_ordinal
from .delivery import delivery_arrays
from .followers import follower_columns, people_reachable_share
from .posts import POST_WINDOW
from .trajectories import BOUGHT, PURGE

if TYPE_CHECKING:
    from .world import World

__all__ = ["LABEL_TABLES", "labels", "write_labels"]

LABEL_TABLES: tuple[str, ...] = (
    "follower_spikes", "fake_audience", "fake_followers", "pods", "inflated_likes",
    "click_fraud", "purges", "viral_posts",
)  # fmt: skip

_PLATFORMS = np.array(PLATFORMS, dtype=object)


def labels(world: World, start: dt.date | str, end: dt.date | str) -> dict[str, pd.DataFrame]:
    """Ground truth for days [start, end], one DataFrame per ``LABEL_TABLES`` entry
    (documented on ``World.labels``)."""
    t0, t1 = as_ordinal(start), as_ordinal(end)
    if t1 < t0:
        raise ValueError("end is before start")
    acc_ids = np.array(world.acc.account_id.to_pylist(), dtype=object)

    spikes: list[pd.DataFrame] = []
    purges: list[pd.DataFrame] = []
    fake_f: list[pd.DataFrame] = []
    clicks: list[pd.DataFrame] = []
    for t in range(t0, t1 + 1):  # days, not rows
        spike, purge = _follower_events(world, acc_ids, t)
        spikes.append(spike)
        purges.append(purge)
        fake_f.append(_fake_followers(world, t))
        clicks.append(_click_fraud(world, t))
    inflated, viral = _post_labels(world, acc_ids, t0, t1)

    return {
        "follower_spikes": _concat(spikes, ["platform", "account_id", "dt", "bought_followers"]),
        "fake_audience": _fake_audience(world, acc_ids),
        "fake_followers": _concat(
            fake_f, ["platform", "account_id", "follower_id", "dt", "is_fake"]
        ),
        "pods": _pods(world, acc_ids),
        "inflated_likes": _concat(
            inflated, ["platform", "account_id", "post_id", "dt", "published_dt"]
        ),
        "click_fraud": _concat(
            clicks, ["campaign_id", "platform", "ad_id", "dt", "invalid_clicks"]
        ),
        "purges": _concat(purges, ["platform", "account_id", "dt", "removed_followers"]),
        "viral_posts": _concat(viral, ["platform", "account_id", "post_id", "dt", "multiplier"]),
    }


def write_labels(
    world: World, path: Path | str, start: dt.date | str, end: dt.date | str
) -> dict[str, Path]:
    """Write ``world.labels(start, end)`` as one Parquet file per label table into ``path``."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, df in labels(world, start, end).items():
        target = out / f"{name}.parquet"
        tmp = out / f".{name}.parquet.tmp"
        df.to_parquet(tmp, index=False)
        tmp.replace(target)  # a reader never sees a half-written file
        written[name] = target
    return written


def _follower_events(world: World, acc_ids: Array, t: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Day ``t``'s bought-follower spikes and (genuine) purges."""
    a = world.acc
    s, prev = world.state(t), world.state(t - 1)
    change = np.rint(s.followers * (1.0 - np.exp(-s.r_today))).astype(np.int64)
    out: list[pd.DataFrame] = []
    for want, col in ((BOUGHT, "bought_followers"), (PURGE, "removed_followers")):
        i = np.flatnonzero(s.kind_today == want)
        out.append(
            pd.DataFrame(
                {
                    "platform": _PLATFORMS[a.plat[i]],
                    "account_id": acc_ids[i],
                    "dt": dt.date.fromordinal(t),
                    col: np.abs(change[i]),
                    "followers_before": prev.followers[i],
                    "followers_after": s.followers[i],
                }
            )
        )
    return out[0], out[1]


def _fake_followers(world: World, t: int) -> pd.DataFrame:
    """Which followers sampled on day ``t`` are bots."""
    cols, plat, fake = follower_columns(world, t)
    return pd.DataFrame(
        {
            "platform": _PLATFORMS[plat],
            "account_id": cols["account_id"].to_numpy(zero_copy_only=False),
            "follower_id": cols["follower_id"].to_numpy(zero_copy_only=False),
            "dt": dt.date.fromordinal(t),
            "is_fake": fake,
        }
    )


def _click_fraud(world: World, t: int) -> pd.DataFrame:
    """Day ``t``'s ads with invalid clicks."""
    dv = delivery_arrays(world, t)
    i = np.flatnonzero(dv["invalid"] > 0)
    return pd.DataFrame(
        {
            "campaign_id": np.array(dv["campaign_id"], dtype=object)[i],
            "platform": _PLATFORMS[dv["plat"][i]],
            "ad_id": np.array(dv["ad_id"], dtype=object)[i],
            "dt": dt.date.fromordinal(t),
            "invalid_clicks": dv["invalid"][i],
            "clicks": dv["clicks"][i],
            "impressions": dv["impressions"][i],
        }
    )


def _post_labels(
    world: World, acc_ids: Array, t0: int, t1: int
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Inflated likes per served snapshot day, and viral posts on their publish day."""
    a = world.acc
    inflated: list[pd.DataFrame] = []
    viral: list[pd.DataFrame] = []
    # posts published up to POST_WINDOW - 1 days before t0 are still served on t0
    for p in range(t0 - POST_WINDOW + 1, t1 + 1):  # publish days, not rows
        b = world.post_batch(p)
        if t0 <= p <= t1:
            i = np.flatnonzero(b.viral)
            gained = world.state(p).followers - world.state(p - 1).followers
            viral.append(
                pd.DataFrame(
                    {
                        "platform": _PLATFORMS[a.plat[b.acc[i]]],
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
        served = [t for t in range(max(p, t0), min(p + POST_WINDOW - 1, t1) + 1)]
        if not served:
            continue
        pid = np.array(b.post_id.to_pylist(), dtype=object)[i]
        inflated.append(
            pd.DataFrame(
                {
                    "platform": np.tile(_PLATFORMS[a.plat[b.acc[i]]], len(served)),
                    "account_id": np.tile(acc_ids[b.acc[i]], len(served)),
                    "post_id": np.tile(pid, len(served)),
                    "dt": np.repeat(
                        np.array([dt.date.fromordinal(t) for t in served], dtype=object), i.size
                    ),
                    "published_dt": dt.date.fromordinal(p),
                }
            )
        )
    return inflated, viral


def _fake_audience(world: World, acc_ids: Array) -> pd.DataFrame:
    """Every account's true bot share and authentic share, and whether fraud was injected."""
    a = world.acc
    return pd.DataFrame(
        {
            "platform": _PLATFORMS[a.plat],
            "account_id": acc_ids,
            "fake_share": np.round(a.fake_share, 4),
            "authentic_share": np.round((1.0 - a.fake_share) * people_reachable_share(), 4),
            "injected": a.fake_group | a.bought,
        }
    )


def _pods(world: World, acc_ids: Array) -> pd.DataFrame:
    """The engagement-pod accounts and their pod's weekdays."""
    a = world.acc
    pods_i = np.arange(a.n)[a.pod]
    # "0,3,5": the weekdays of the 7-day mask, joined column by column (a null is skipped)
    no_day = pa.scalar(None, pa.string())
    weekdays = pc.binary_join_element_wise(
        *(pc.if_else(pa.array(on), str(d), no_day) for d, on in enumerate(a.pod_days[pods_i].T)),
        ",",
        null_handling="skip",
    )
    return pd.DataFrame(
        {
            "platform": _PLATFORMS[a.plat[pods_i]],
            "account_id": acc_ids[pods_i],
            "pod_weekdays": weekdays.to_pylist(),
        }
    )


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)
