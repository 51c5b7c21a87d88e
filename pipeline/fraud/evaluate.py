"""``clout fraud evaluate``: precision and recall of every fake-traffic signal against the
simulator's ground truth (:meth:`pipeline.simulator.world.World.labels`).

The ground truth is read here and only here: the pipeline never sees it. Either the pipeline
runs against a simulator into a temporary warehouse (:mod:`pipeline.flows.fraud_eval`, which
owns the orchestration), or an existing warehouse built from a simulator with known seed and
size is evaluated (:func:`evaluate_warehouse`). Several worlds (seeds) are pooled
(:func:`pool`). This module only reads warehouses and the ground truth: it runs nothing.

Units of comparison (each a set of keys; precision = |flagged & true| / |flagged|, recall =
|flagged & true| / |true|):

* ``follower_spike`` / ``follower_purge``: account-days vs ``follower_spikes`` / ``purges``;
* click fraud: ad-days vs ``click_fraud``; ``clicks_over_impressions`` and ``ctr_outlier``
  alone and together;
* inflated likes: post-days vs ``inflated_likes`` (the post as served that day);
  ``likes_without_comments``, ``likes_without_views`` alone and together;
* ``comments_inflated``: accounts with a flagged post in the range vs ``pods``, any flag and
  only the repeated pattern (severity medium or high: two or more inflated posts);
* ``low_authenticity``: account-days vs accounts whose true authentic share (real people and
  influencers, ``authentic_share``) is below 75 %;
* ``growth_without_engagement``: account-days vs accounts that bought followers between 24 and
  6 days before the day (the span the signal compares);
* ``engagement_rate_outlier``: account-days vs accounts in a pod or buying likes (any
  inflated post in the range), a loose truth: the signal is a band, not a fraud detector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from math import nan

import pandas as pd

from pipeline.simulator.world import World
from pipeline.warehouse.catalog import query
from pipeline.warehouse.storage import Warehouse


@dataclass(frozen=True)
class SimSpec:
    """The simulated world a warehouse was built from."""

    seed: int = 7
    accounts: int = 300
    followers_sampled: int = 20
    campaigns: int = 8

    def world(self) -> World:
        return World(
            seed=self.seed,
            n_accounts=self.accounts,
            followers_sampled=self.followers_sampled,
            n_campaigns=self.campaigns,
        )


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _read(wh: Warehouse, sql: str) -> pd.DataFrame:
    return query(wh, sql).to_pandas()


def _keys(frame: pd.DataFrame, cols: list[str]) -> set[tuple]:
    if frame.empty:
        return set()
    sub = frame[cols].copy()
    if "dt" in sub:
        sub["dt"] = pd.to_datetime(sub["dt"]).dt.date
    return set(map(tuple, sub.astype(object).itertuples(index=False, name=None)))


def _row(signal: str, unit: str, truth: str, flagged: set, true: set) -> dict:
    tp = len(flagged & true)
    return {
        "signal": signal,
        "unit": unit,
        "truth": truth,
        "flagged": len(flagged),
        "true": len(true),
        "hits": tp,
        "precision": tp / len(flagged) if flagged else float("nan"),
        "recall": tp / len(true) if true else float("nan"),
    }


def evaluate_warehouse(
    wh: Warehouse, spec: SimSpec, start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(precision/recall per signal, authenticity accuracy) for days [start, end]."""
    signals, estimates = evaluate_one(wh, spec, start, end)
    return signals, authenticity_accuracy(estimates)


def evaluate_one(
    wh: Warehouse, spec: SimSpec, start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(precision/recall per signal, the authenticity estimates next to their truth)."""
    world = spec.world()
    labels = world.labels(start, end)
    flags = _read(
        wh,
        f"select * from fraud_flags where dt between date '{start}' and date '{end}'",
    )

    def flagged(signals: list[str], cols: list[str]) -> set:
        return _keys(flags[flags["signal"].isin(signals)], cols)

    acc_day = ["platform", "account_id", "dt"]
    rows = []
    spikes = _keys(labels["follower_spikes"], acc_day)
    rows.append(
        _row("follower_spike", "account-day", "bought followers",
             flagged(["follower_spike"], acc_day), spikes)
    )  # fmt: skip
    rows.append(
        _row("follower_purge", "account-day", "purges",
             flagged(["follower_purge"], acc_day), _keys(labels["purges"], acc_day))
    )  # fmt: skip

    ad_day = ["campaign_id", "ad_id", "dt"]
    cf = labels["click_fraud"]
    true_cf = _keys(cf, ad_day)
    dflags = flags[flags["entity_type"] == "delivery"].rename(columns={"entity_id": "ad_id"})
    for name, sigs in (
        ("clicks_over_impressions", ["clicks_over_impressions"]),
        ("ctr_outlier", ["ctr_outlier"]),
        ("click fraud (any delivery signal)", ["clicks_over_impressions", "ctr_outlier"]),
    ):
        got = _keys(dflags[dflags["signal"].isin(sigs)], ad_day)
        rows.append(_row(name, "ad-day", "click fraud", got, true_cf))

    post_day = ["platform", "post_id", "dt"]
    inflated = labels["inflated_likes"]
    true_inf = _keys(inflated, post_day)
    pflags = flags[flags["entity_type"] == "post"].rename(columns={"entity_id": "post_id"})
    for name, sigs in (
        ("likes_without_comments", ["likes_without_comments"]),
        ("likes_without_views", ["likes_without_views"]),
        ("inflated likes (either)", ["likes_without_comments", "likes_without_views"]),
    ):
        got = _keys(pflags[pflags["signal"].isin(sigs)], post_day)
        rows.append(_row(name, "post-day", "inflated likes", got, true_inf))

    acc = ["platform", "account_id"]
    pods = _keys(labels["pods"], acc)
    pods_flagged = pflags[pflags["signal"] == "comments_inflated"]
    rows.append(_row("comments_inflated", "account", "pods", _keys(pods_flagged, acc), pods))
    rows.append(
        _row("comments_inflated (repeated)", "account", "pods",
             _keys(pods_flagged[pods_flagged["severity"] != "info"], acc), pods)
    )  # fmt: skip

    fa = labels["fake_audience"]
    low = fa[fa["authentic_share"] < 0.75]
    all_days = pd.DataFrame({"dt": days(start, end)})
    true_low = _keys(low[acc].merge(all_days, how="cross"), acc_day)
    rows.append(
        _row("low_authenticity", "account-day", "true authenticity < 75",
             flagged(["low_authenticity"], acc_day), true_low)
    )  # fmt: skip

    # bought followers arriving between the two follower counts the signal compares (24 and 6
    # days before the day); labels from 24 days before the range
    bought = world.labels(start - timedelta(days=24), end)["follower_spikes"]
    true_dec = {
        (p, a, s + timedelta(days=k))
        for p, a, s in _keys(bought, acc_day)
        for k in range(6, 24)
        if start <= s + timedelta(days=k) <= end
    }
    rows.append(
        _row("growth_without_engagement", "account-day", "bought followers 24-6 days before",
             flagged(["growth_without_engagement"], acc_day), true_dec)
    )  # fmt: skip

    like_buyers = _keys(inflated, acc)
    loose = pd.DataFrame(sorted(pods | like_buyers), columns=acc)
    true_eng = _keys(loose.merge(all_days, how="cross"), acc_day) if len(loose) else set()
    rows.append(
        _row("engagement_rate_outlier", "account-day", "pod or like buyer",
             flagged(["engagement_rate_outlier"], acc_day), true_eng)
    )  # fmt: skip

    return pd.DataFrame(rows), authenticity_estimates(wh, fa, start, end)


def authenticity_estimates(
    wh: Warehouse, fake_audience: pd.DataFrame, start: date, end: date
) -> pd.DataFrame:
    """The account-days of ``audience_quality`` in [start, end] with their true shares."""
    aq = _read(
        wh,
        "select platform, account_id, dt, followers_sampled, followers_sampled_28d, "
        "authenticity_pct, authenticity_pct_28d, suspicious_pct_28d from audience_quality "
        f"where dt between date '{start}' and date '{end}' and followers_sampled > 0",
    )
    m = aq.merge(fake_audience, on=["platform", "account_id"])
    m["dt"] = pd.to_datetime(m["dt"]).dt.date
    m["not_suspicious_pct_28d"] = 100.0 - m["suspicious_pct_28d"]
    m["true_authentic_pct"] = 100.0 * m["authentic_share"]
    m["true_not_fake_pct"] = 100.0 - 100.0 * m["fake_share"]
    return m


def authenticity_accuracy(m: pd.DataFrame) -> pd.DataFrame:
    """Share of accounts whose estimate is within 5 points of the truth, per account-day and
    per account on the last day of the range, from :func:`authenticity_estimates`:

    * ``authenticity_pct_28d`` (the pooled estimate) and ``authenticity_pct`` (the day's
      sample) against ``100 * authentic_share`` (real people and influencers as DESIGN
      section 5 counts them);
    * ``100 - suspicious_pct_28d`` against ``100 - 100 * fake_share`` (the bot share alone).
    """
    last = m[m["dt"] == m["dt"].max()] if len(m) else m
    out = []
    for est, truth, sampled in (
        ("authenticity_pct_28d", "true_authentic_pct", "followers_sampled_28d"),
        ("authenticity_pct", "true_authentic_pct", "followers_sampled"),
        ("not_suspicious_pct_28d", "true_not_fake_pct", "followers_sampled_28d"),
    ):
        for level, frame in (("account-day", m), ("account (last day)", last)):
            err = frame[est] - frame[truth]
            out.append(
                {
                    "estimate": est,
                    "truth": truth,
                    "level": level,
                    "n": len(frame),
                    "within_5_points": float((err.abs() <= 5).mean()) if len(frame) else nan,
                    "median_abs_error": float(err.abs().median()) if len(frame) else nan,
                    "mean_error": float(err.mean()) if len(frame) else nan,
                    "followers_sampled": float(frame[sampled].median()) if len(frame) else nan,
                }
            )
    return pd.DataFrame(out)


@dataclass(frozen=True)
class Evaluation:
    """What ``clout fraud evaluate`` prints."""

    #: precision and recall per signal, the counts summed over the worlds evaluated
    signals: pd.DataFrame
    #: authenticity accuracy over the account-days of all the worlds
    authenticity: pd.DataFrame
    #: signal x seed: "precision / recall" of each world (one column per seed)
    per_seed: pd.DataFrame


def pool(per_world: dict[int, tuple[pd.DataFrame, pd.DataFrame]]) -> Evaluation:
    """Pool the (signals, authenticity estimates) of several worlds, keyed by seed.

    One world of 2,000 accounts has about 125 bought-follower days and 30 click-fraud ad-days:
    its recall moves by about 0.03 from one seed to the next (binomial noise). Pooling worlds
    sums the counts (flagged, true, hits) and recomputes precision and recall from the sums.
    """
    signals = pd.concat([s for s, _ in per_world.values()], ignore_index=True)
    sums = signals.groupby(["signal", "unit", "truth"], sort=False, as_index=False)[
        ["flagged", "true", "hits"]
    ].sum()
    sums["precision"] = (sums["hits"] / sums["flagged"]).where(sums["flagged"] > 0)
    sums["recall"] = (sums["hits"] / sums["true"]).where(sums["true"] > 0)
    per_seed = pd.DataFrame({"signal": sums["signal"]})
    for seed, (s, _) in per_world.items():
        per_seed[str(seed)] = [
            f"{_ratio(p)} / {_ratio(r)}" for p, r in zip(s["precision"], s["recall"], strict=True)
        ]
    estimates = pd.concat([e for _, e in per_world.values()], ignore_index=True)
    return Evaluation(sums, authenticity_accuracy(estimates), per_seed)


def _ratio(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.3f}"


def simulator_profile_scores(spec: SimSpec, day: date) -> dict[str, float]:
    """Balanced accuracy, sensitivity and specificity of ``clout fraud classify``'s
    ``suspicious`` on one day's simulated follower samples against the simulator's ``is_fake``
    (:meth:`World.labels`), the simulator's line beside the real sets' in the README."""
    from pipeline.fraud.classify import classify_profiles

    world = spec.world()
    profiles = world.frame("follower_samples", day)
    truth = world.labels(day, day)["fake_followers"]
    m = profiles.merge(truth, on=["platform", "account_id", "follower_id"])
    flagged = (classify_profiles(m)["category"] == "suspicious").to_numpy()
    fake = m["is_fake"].to_numpy(bool)
    sens = float((flagged & fake).sum() / fake.sum())
    spec_ = float((~flagged & ~fake).sum() / (~fake).sum())
    return {
        "n": len(m),
        "fake": int(fake.sum()),
        "balanced_accuracy": (sens + spec_) / 2,
        "sensitivity": sens,
        "specificity": spec_,
    }
