"""The synthetic world: contract, determinism, realism and fraud ground truth."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.contracts import AUDIENCE_DIMENSIONS, MEDIA_TYPES, PLATFORMS, SOURCE_TABLES
from pipeline.simulator.posts import POST_WINDOW
from pipeline.simulator.world import (
    AGE_BUCKETS,
    ENTITIES,
    GENDER_BUCKETS,
    LABEL_TABLES,
    World,
    write_labels,
)

DAY = dt.date(2026, 3, 1)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
WINDOW = (dt.date(2026, 2, 1), dt.date(2026, 3, 1))


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.fixture(scope="module")
def big() -> World:
    return World(seed=7, n_accounts=2000)


@pytest.fixture(scope="module")
def labels(world: World) -> dict[str, pd.DataFrame]:
    return world.labels(*WINDOW)


@pytest.fixture(scope="module")
def history(world: World) -> pd.DataFrame:
    """Account snapshots over the label window plus the day before, with daily deltas."""
    days = _days(WINDOW[0] - dt.timedelta(days=1), WINDOW[1])
    acc = pd.concat([world.frame("accounts", d).assign(dt=d) for d in days], ignore_index=True)
    acc = acc.sort_values(["platform", "account_id", "dt"])
    acc["delta"] = acc.groupby(["platform", "account_id"])["followers"].diff()
    return acc.dropna(subset=["delta"])


@pytest.mark.parametrize("entity", ENTITIES)
def test_columns_are_the_schema_fields_in_order(world: World, entity: str) -> None:
    df = world.frame(entity, DAY)
    assert list(df.columns) == SOURCE_TABLES[entity].schema.names
    assert len(df) > 0
    for field in SOURCE_TABLES[entity].schema:
        col = df[field.name]
        if not field.nullable:
            assert col.notna().all(), field.name
        if str(field.type) == "bool":
            assert col.dtype == bool, field.name
        elif str(field.type) == "int64":
            assert pd.api.types.is_integer_dtype(col.dtype), field.name
        elif str(field.type) == "double":
            assert pd.api.types.is_float_dtype(col.dtype), field.name
        elif str(field.type).startswith("timestamp"):
            assert col.map(lambda v: bool(ISO.match(v))).all(), field.name


def test_delivery_alias(world: World) -> None:
    pd.testing.assert_frame_equal(world.frame("ads/delivery", DAY), world.frame("delivery", DAY))


def test_unknown_entity_and_platform(world: World) -> None:
    with pytest.raises(KeyError):
        world.frame("labels", DAY)
    with pytest.raises(ValueError):
        world.frame("accounts", DAY, platform="myspace")


@pytest.mark.parametrize("day", [DAY, dt.date(1999, 12, 31), dt.date(2031, 7, 4)])
def test_same_inputs_same_data_for_any_date(world: World, day: dt.date) -> None:
    fresh = World(seed=7, n_accounts=300)
    for entity in ENTITIES:
        pd.testing.assert_frame_equal(world.frame(entity, day), fresh.frame(entity, day))


def test_different_dates_and_seeds_differ(world: World) -> None:
    a = world.frame("accounts", DAY)
    b = world.frame("accounts", DAY + dt.timedelta(days=1))
    assert list(a.account_id) == list(b.account_id)  # same tracked accounts
    assert (a.followers != b.followers).any()
    other = World(seed=8, n_accounts=300).frame("accounts", DAY)
    assert (
        set(other.account_id).isdisjoint(set(a.account_id))
        or (other.followers != a.followers).any()
    )


def test_far_dates_are_closed_form() -> None:
    # counted, not timed: a far date computes only its own days, never the days in between
    far = dt.date(2040, 1, 1)
    w = World(seed=7, n_accounts=300)
    w.frame("accounts", far)
    assert w.cache_info()["states"].misses == 1  # that day's follower state, nothing else
    w.frame("posts", far)
    info = w.cache_info()
    assert info["post_batches"].misses == POST_WINDOW  # the snapshot's publish days
    # their states and those of the start days of the campaigns live then (a replay from
    # 2026 would compute thousands)
    assert info["states"].misses <= 2 * POST_WINDOW


def test_platform_frames_generate_the_day_once() -> None:
    w = World(seed=7, n_accounts=50)
    for platform in (None, *PLATFORMS):
        w.frame("posts", DAY, platform=platform)
    assert w.cache_info()["columns"].misses == 1
    assert w.cache_info()["post_batches"].misses == POST_WINDOW


def test_platform_filter(world: World) -> None:
    full = world.frame("posts", DAY)
    parts = [world.frame("posts", DAY, platform=p) for p in PLATFORMS]
    for p, part in zip(PLATFORMS, parts, strict=True):
        assert (part.platform == p).all()
        assert part.index.equals(pd.RangeIndex(len(part)))
    assert sum(map(len, parts)) == len(full)


def test_posts_snapshot(world: World) -> None:
    posts = world.frame("posts", DAY)
    assert posts.post_id.is_unique
    published = pd.to_datetime(posts.published_at)
    assert published.min() >= pd.Timestamp(DAY - dt.timedelta(days=29), tz="UTC")
    assert published.max() < pd.Timestamp(DAY + dt.timedelta(days=1), tz="UTC")
    assert set(posts.media_type) <= set(MEDIA_TYPES)
    no_views = (posts.platform == "instagram") & posts.media_type.isin(["image", "carousel"])
    assert posts.views[no_views].isna().all()
    assert posts.views[~no_views].notna().all()
    assert posts.saves[posts.platform == "youtube"].isna().all()
    # about 1 post per account per 3 days: ~10 per account in the 30-day window
    assert 5 <= len(posts) / world.n_accounts <= 20
    tagged = posts[posts.campaign_id.notna()]
    assert len(tagged) > 0 and tagged.is_sponsored.all() and tagged.promo_code.notna().all()


def test_post_metrics_grow_and_saturate(world: World) -> None:
    cols = ["likes", "comments", "shares", "views"]
    a = world.frame("posts", DAY).set_index("post_id")
    b = world.frame("posts", DAY + dt.timedelta(days=1)).set_index("post_id")
    common = a.index.intersection(b.index)
    assert len(common) > 0.9 * len(a)  # the window moves by one day
    same = ["account_id", "published_at", "media_type", "is_sponsored"]
    pd.testing.assert_frame_equal(a.loc[common, same], b.loc[common, same])
    for c in cols:
        x = a.loc[common, c].fillna(0).astype("int64")
        y = b.loc[common, c].fillna(0).astype("int64")
        assert (y >= x).all(), c
    a, b = a.loc[common], b.loc[common]
    published = pd.to_datetime(a.published_at)
    young = published >= pd.Timestamp(DAY, tz="UTC")
    old = published < pd.Timestamp(DAY - dt.timedelta(days=20), tz="UTC")
    growth = (b.likes + 1) / (a.likes + 1)
    growth_young, growth_old = growth[young], growth[old]
    assert growth_young.median() > 1.2 > growth_old.median()


def test_audience_shares_sum_to_one(world: World) -> None:
    aud = world.frame("audience", DAY)
    assert set(aud.dimension) == set(AUDIENCE_DIMENSIONS)
    sums = aud.groupby(["platform", "account_id", "dimension"]).share.sum()
    assert np.allclose(sums.to_numpy(), 1.0, atol=1e-9, rtol=0)
    assert (aud.share >= 0).all()
    assert np.allclose(aud.share * 10_000, np.rint(aud.share * 10_000), atol=1e-6)
    assert set(aud.bucket[aud.dimension == "age"]) == set(AGE_BUCKETS)
    assert set(aud.bucket[aud.dimension == "gender"]) == set(GENDER_BUCKETS)
    per_dim = aud.groupby(["account_id", "dimension"]).size().unstack()
    assert (per_dim["country"] == 6).all() and (per_dim["interest"] == 6).all()
    assert "other" in set(aud.bucket[aud.dimension == "country"])
    assert not aud.duplicated(["platform", "account_id", "dimension", "bucket"]).any()


def test_heavy_tailed_followers(big: World) -> None:
    acc = big.frame("accounts", DAY)
    f = acc.followers
    assert f.max() > 50 * f.median()
    assert f.max() > 1_000_000
    assert 0.65 < f.between(1_000, 100_000).mean() < 0.95
    assert (acc.following < 2000).mean() > 0.85


def test_engagement_rate_falls_with_followers(big: World) -> None:
    posts = big.frame("posts", DAY)
    acc = big.frame("accounts", DAY)[["platform", "account_id", "followers"]]
    ig = posts[posts.platform == "instagram"].merge(acc, on=["platform", "account_id"])
    ig = ig[pd.to_datetime(ig.published_at) < pd.Timestamp(DAY - dt.timedelta(days=7), tz="UTC")]
    er = (ig.likes + ig.comments) / ig.followers
    small, mega = er[ig.followers < 10_000].median(), er[ig.followers > 500_000].median()
    assert 0.01 < small < 0.08
    assert mega < 0.012
    assert small > 2 * mega


def test_weekly_seasonality_of_posting(big: World) -> None:
    posts = big.frame("posts", DAY)
    dow = pd.to_datetime(posts.published_at).dt.dayofweek.value_counts()
    assert dow.max() / dow.min() > 1.05


def test_follower_samples(world: World) -> None:
    fs = world.frame("follower_samples", DAY)
    assert not fs.duplicated(["platform", "account_id", "follower_id"]).any()
    assert fs.follower_id.str.fullmatch(r"\d{6,20}").all()
    assert (fs.groupby("account_id").size() == world.followers_sampled).all()
    assert (fs.username_digit_count <= fs.username_length).all()
    again = world.frame("follower_samples", DAY + dt.timedelta(days=1))
    assert set(again.follower_id) != set(fs.follower_id)  # a new sample every day


def test_bots_are_noisy_not_separable_by_one_field(world: World) -> None:
    fs = world.frame("follower_samples", DAY)
    truth = world.labels(DAY, DAY)["fake_followers"]
    m = fs.merge(truth, on=["platform", "account_id", "follower_id"], validate="one_to_one")
    y = m.is_fake.to_numpy()
    assert 0.05 < y.mean() < 0.4
    bots, people = m[y], m[~y]
    assert bots.media_count.median() < people.media_count.median()
    assert bots.following_count.median() > people.following_count.median()
    assert bots.account_age_days.median() < people.account_age_days.median()
    assert bots.has_profile_pic.mean() < people.has_profile_pic.mean()
    fields = [c for c in SOURCE_TABLES["follower_samples"].schema.names[3:]]
    for c in fields:
        x = m[c].astype(float).to_numpy()
        best = 0.0
        for th in np.unique(np.quantile(x, np.linspace(0, 1, 51))):
            for pred in (x <= th, x > th):
                best = max(best, 0.5 * (pred[y].mean() + (~pred[~y]).mean()))
        assert best < 0.92, (c, best)


def test_fraud_fractions(big: World) -> None:
    lab = big.labels(DAY, DAY)
    fa = lab["fake_audience"]
    assert len(fa) == big.n_accounts
    assert 0.05 < (fa.fake_share >= 0.2).mean() < 0.2
    assert 0.01 < len(lab["pods"]) / big.n_accounts < 0.06
    injected = fa[fa.injected]
    assert 0.1 < len(injected) / big.n_accounts < 0.25


def test_spikes_have_no_viral_post_and_viral_growth_has_one(
    world: World, labels: dict[str, pd.DataFrame], history: pd.DataFrame
) -> None:
    spikes, viral = labels["follower_spikes"], labels["viral_posts"]
    assert len(spikes) > 5 and len(viral) > 5
    key = ["platform", "account_id", "dt"]
    assert spikes.merge(viral, on=key).empty  # never a viral post on a bought-spike day
    base = history.groupby(["platform", "account_id"]).delta.apply(lambda s: s.abs().median())
    h = history.set_index(key)

    def jump(rows: pd.DataFrame) -> pd.Series:
        idx = pd.MultiIndex.from_frame(rows[key])
        ratio = h.loc[idx, "delta"].to_numpy() / np.maximum(
            base.loc[pd.MultiIndex.from_frame(rows[["platform", "account_id"]])].to_numpy(), 1.0
        )
        return pd.Series(ratio)

    assert (jump(spikes) >= 3).mean() > 0.9  # spikes are big daily jumps ...
    assert (jump(viral.drop_duplicates(key)) >= 3).mean() > 0.8  # ... and so is viral growth
    assert (spikes.bought_followers > 0).all()

    # the data agree: that day's posts of a spiking account are ordinary, a viral post is not
    # (compared three days later, when metrics have mostly saturated, on shares: every platform
    # reports them and neither pods nor bought likes touch them)
    for rows, expect_viral in ((spikes, False), (viral.drop_duplicates(key), True)):
        hits: list[bool] = []
        for day, grp in rows.groupby("dt"):
            posts = world.frame("posts", day + dt.timedelta(days=3))
            posts = posts.assign(reach=posts.shares.astype(float))
            on_day = posts.published_at.str.startswith(day.isoformat())
            usual = posts[~on_day].groupby("account_id").reach.median()
            today = posts[on_day & posts.account_id.isin(grp.account_id)]
            peak = today.groupby("account_id").reach.max().reindex(grp.account_id).fillna(0)
            judged = peak.index.isin(usual.index)  # accounts with other posts to compare with
            hits.extend((peak[judged] >= 4 * usual.reindex(peak.index[judged])).tolist())
        if expect_viral:
            assert np.mean(hits) > 0.9, np.mean(hits)
        else:
            assert np.mean(hits) < 0.1, np.mean(hits)


def test_purges_are_negative_deltas(labels: dict[str, pd.DataFrame], history: pd.DataFrame) -> None:
    purges = labels["purges"]
    assert len(purges) > 0
    key = ["platform", "account_id", "dt"]
    deltas = history.set_index(key).loc[pd.MultiIndex.from_frame(purges[key]), "delta"]
    assert (deltas < 0).mean() > 0.9


def test_inflated_likes_have_no_matching_views(
    world: World, labels: dict[str, pd.DataFrame]
) -> None:
    inflated = labels["inflated_likes"]
    posts = world.frame("posts", DAY)
    flagged = posts.post_id.isin(inflated.post_id[inflated.dt == DAY])
    assert flagged.sum() > 0
    ratio = posts.likes / (posts.comments + 1)
    assert ratio[flagged].median() > 3 * ratio[~flagged].median()


def test_pods_inflate_comments_on_their_weekdays(
    world: World, labels: dict[str, pd.DataFrame]
) -> None:
    pods = labels["pods"]
    assert len(pods) > 0
    posts = pd.concat([world.frame("posts", d) for d in (DAY, DAY + dt.timedelta(days=30))])
    posts = posts.drop_duplicates("post_id")
    pod_posts = posts[posts.account_id.isin(pods.account_id) & (posts.media_type != "story")]
    weekday = pd.to_datetime(pod_posts.published_at).dt.dayofweek.astype(str)
    days = pods.set_index("account_id").pod_weekdays.str.split(",")
    on_schedule = [w in days[a] for a, w in zip(pod_posts.account_id, weekday, strict=True)]
    cl = pod_posts.comments / pod_posts.likes.clip(lower=1)
    assert cl[on_schedule].median() > 2 * cl[[not x for x in on_schedule]].median()


def test_delivery_and_campaigns() -> None:
    w = World(seed=7, n_accounts=300, n_campaigns=8)
    days = _days(dt.date(2026, 1, 1), dt.date(2026, 4, 30))
    rows = pd.concat([w.frame("delivery", d).assign(dt=d) for d in days], ignore_index=True)
    assert set(rows.dt) == set(days)  # some campaign is active on every date
    assert (rows.reach <= rows.impressions).all()
    assert set(rows.currency) <= {"USD", "EUR", "GBP"}
    assert (rows.groupby("campaign_id").currency.nunique() == 1).all()
    assert np.allclose(rows.spend, rows.spend.round(2))
    ads = rows.drop_duplicates("ad_id")
    per = ads.groupby("campaign_id").agg(
        paid=("account_id", lambda s: s.isna().sum()), n=("ad_id", "size")
    )
    assert per.paid.between(1, 2).all() and (per.n - per.paid).between(2, 6).all()
    assert (rows.conversions > rows.clicks).any()  # view-through conversions exist
    cf = w.labels(days[0], days[-1])["click_fraud"]
    assert len(cf) > 0 and (cf.invalid_clicks > 0).all()
    assert (cf.clicks > cf.impressions).any()
    rows["ctr"] = rows.clicks / rows.impressions.clip(lower=1)
    rows["med"] = rows.groupby("campaign_id").ctr.transform("median")
    flagged = rows.merge(cf[["ad_id", "dt"]], on=["ad_id", "dt"])
    assert (flagged.ctr > 2.5 * flagged.med).mean() > 0.8
    camp = w.campaigns(days[0], days[-1])
    assert set(rows.campaign_id) <= set(camp.campaign_id)
    one = World(seed=7, n_accounts=50, n_campaigns=1)
    assert all(len(one.frame("delivery", d)) > 0 for d in days[:60])


def test_write_labels(world: World, tmp_path: Path) -> None:
    written = write_labels(world, tmp_path / "labels", DAY - dt.timedelta(days=2), DAY)
    assert set(written) == set(LABEL_TABLES)
    for name in LABEL_TABLES:
        path = tmp_path / "labels" / f"{name}.parquet"
        assert path.exists()
        df = pd.read_parquet(path)
        assert {"platform"} <= set(df.columns)
    spikes = pd.read_parquet(tmp_path / "labels" / "follower_spikes.parquet")
    assert {"platform", "account_id", "dt", "bought_followers"} <= set(spikes.columns)
    ff = pd.read_parquet(tmp_path / "labels" / "fake_followers.parquet")
    assert {"platform", "account_id", "follower_id", "is_fake"} <= set(ff.columns)
    cf = pd.read_parquet(tmp_path / "labels" / "click_fraud.parquet")
    assert {"campaign_id", "platform", "ad_id", "dt", "invalid_clicks"} <= set(cf.columns)
