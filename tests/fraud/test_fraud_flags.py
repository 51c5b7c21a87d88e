"""fraud_flags: one small hand-checkable case per signal, and a negative case each."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pytest
from fraudkit import D, account_history, days_before, mart, stage, ts

from pipeline.contracts import MARTS
from pipeline.flows.marts import build_day, compute_mart
from pipeline.fraud.thresholds import thresholds
from pipeline.warehouse.storage import Partition, Warehouse

T = thresholds()


def flags(wh: Warehouse, dt: date = D) -> list[dict]:
    return compute_mart(wh, "fraud_flags", dt).to_pylist()


def signals(rows: list[dict]) -> set[tuple[str, str]]:
    return {(r["entity_id"], r["signal"]) for r in rows}


# ------------------------------------------------------------------------ growth


def steady(n: int = 20, start: int = 10_000, step: int = 10) -> dict[date, int]:
    """n + 1 days ending at D growing by step (-2, 0 or +2) a day."""
    out, f = {}, start
    for i, day in enumerate(days_before(D, n)):
        f += step + (-2, 0, 2)[i % 3]
        out[day] = f
    return out


def test_follower_spike_is_flagged_with_a_readable_explanation(wh: Warehouse) -> None:
    hist = steady()
    hist[D] = hist[D - timedelta(days=1)] + 2_000
    account_history(wh, hist)
    rows = [r for r in flags(wh) if r["signal"] == "follower_spike"]
    assert len(rows) == 1
    r = rows[0]
    assert (r["entity_type"], r["entity_id"], r["platform"]) == ("account", "a1", "instagram")
    assert r["observed"] >= T["fraud_growth_z"] and r["threshold"] == T["fraud_growth_z"]
    assert r["severity"] == "high"
    assert "followers +2,000 on 2026-03-20" in r["explanation"]
    assert "200x the account's usual daily change of +10 (" in r["explanation"]
    assert "no post that day or the day before went viral" in r["explanation"]


def test_ordinary_growth_is_not_flagged(wh: Warehouse) -> None:
    account_history(wh, steady())
    assert flags(wh) == []


def test_missing_history_means_no_growth_flag_not_an_error(wh: Warehouse) -> None:
    hist = dict(list(steady(n=4).items()))
    hist[D] = hist[D - timedelta(days=1)] + 5_000
    account_history(wh, hist)  # 4 earlier deltas < fraud_growth_min_history
    assert flags(wh) == []


def spike_after_posts(
    wh: Warehouse,
    earlier: int,
    today: int,
    n_earlier: int = 5,
    views: tuple[int, int] = (0, 0),
    platform: str = "instagram",
    media: tuple[str | None, str | None] = (None, None),
) -> list[dict]:
    """a1 gains 2,000 followers on D; ``n_earlier`` posts every third day before D earned
    ``earlier`` engagements (and ``views[0]`` views, 0: not reported) on their first day
    (published at noon: 12 hours), the post of D ``today`` (and ``views[1]``); ``media``: the
    media types of the earlier posts and of D's. The follower_spike rows."""
    hist = steady()
    hist[D] = hist[D - timedelta(days=1)] + 2_000
    account_history(wh, hist, platform=platform)
    for k in range(1, n_earlier + 1):
        day = D - timedelta(days=3 * k)
        stage(wh, "posts", day, [{"platform": platform, "post_id": f"p{k}", "account_id": "a1",
                                  "published_at": ts(day), "likes": earlier, "comments": 0,
                                  "views": views[0], "media_type": media[0]}])  # fmt: skip
    stage(wh, "posts", D, [{"platform": platform, "post_id": "viral", "account_id": "a1",
                            "published_at": ts(D), "likes": today, "comments": 0,
                            "views": views[1], "media_type": media[1]}])  # fmt: skip
    return [r for r in flags(wh) if r["signal"] == "follower_spike"]


def test_spike_behind_a_viral_post_is_not_flagged(wh: Warehouse) -> None:
    assert spike_after_posts(wh, earlier=100, today=3_000) == []


def test_earlier_posts_without_engagement_do_not_hide_a_viral_post(wh: Warehouse) -> None:
    # a median of zero used to make the ratio undefined and the spike "unjudged"
    assert spike_after_posts(wh, earlier=0, today=200, n_earlier=3) == []


def test_an_ordinary_post_does_not_explain_a_spike(wh: Warehouse) -> None:
    (r,) = spike_after_posts(wh, earlier=100, today=250)  # 2.5x: not viral
    assert r["explanation"].endswith("no post that day or the day before went viral")


def youtube_formats(wh: Warehouse) -> None:
    """Ten other YouTube accounts of 10,000 followers, each with a short of 2,500 views and a
    video of 1,000 on their first day, 25 days before D (before a1's history): on this
    platform shorts reach 2.5 times as many people per follower as videos."""
    day = D - timedelta(days=25)
    stage(wh, "accounts", day, [
        {"platform": "youtube", "account_id": f"peer{i}", "followers": 10_000, "following": 300}
        for i in range(10)
    ])  # fmt: skip
    stage(wh, "posts", day, [
        {"platform": "youtube", "post_id": f"{media}{i}", "account_id": f"peer{i}",
         "published_at": ts(day), "likes": 50, "comments": 0, "views": views, "media_type": media}
        for i in range(10) for media, views in (("short", 2_500), ("video", 1_000))
    ])  # fmt: skip


def test_a_post_is_compared_with_posts_of_its_format(wh: Warehouse) -> None:
    """A short with 3,500 views after videos of 1,000 is 3.5x, but shorts reach 2.5x as many
    people on this platform: as a video it would have had 1,400, an ordinary post."""
    youtube_formats(wh)
    (r,) = spike_after_posts(
        wh, earlier=50, today=50, views=(1_000, 3_500), platform="youtube", media=("video", "short")
    )
    assert r["explanation"].endswith("no post that day or the day before went viral")


def test_a_video_beating_the_accounts_videos_is_still_viral(wh: Warehouse) -> None:
    youtube_formats(wh)
    assert (
        spike_after_posts(
            wh,
            earlier=50,
            today=50,
            views=(1_000, 3_500),
            platform="youtube",
            media=("video", "video"),
        )  # fmt: skip
        == []
    )


def audience_yesterday(wh: Warehouse, authenticity: float, sampled: int = 100) -> None:
    mart(wh, "audience_quality", D - timedelta(days=1), [{
        "platform": "instagram", "account_id": "a1", "followers_sampled": 20,
        "followers_sampled_28d": sampled, "authenticity_pct_28d": authenticity,
    }])  # fmt: skip


def test_a_credible_audience_needs_less_virality_to_explain_a_spike(wh: Warehouse) -> None:
    """2.5x the usual first-day reach: enough for an account whose audience passed the
    authenticity bar yesterday (>= 75 %), not for one whose audience fails it."""
    audience_yesterday(wh, authenticity=88.0)
    assert spike_after_posts(wh, earlier=100, today=250) == []


def test_a_failing_audience_needs_a_clearly_viral_post(wh: Warehouse) -> None:
    audience_yesterday(wh, authenticity=60.0)
    assert len(spike_after_posts(wh, earlier=100, today=250)) == 1


def test_too_few_sampled_followers_earn_no_benefit_of_the_doubt(wh: Warehouse) -> None:
    audience_yesterday(wh, authenticity=95.0, sampled=10)
    assert len(spike_after_posts(wh, earlier=100, today=250)) == 1


def test_views_judge_virality_where_reported(wh: Warehouse) -> None:
    """Reach is what goes viral: ten times the usual views explains the spike although the
    likes are no higher than the earlier posts' (which may have been bought)."""
    assert spike_after_posts(wh, earlier=1_000, today=1_000, views=(5_000, 50_000)) == []


def test_a_post_explains_no_more_followers_than_its_extra_views(wh: Warehouse) -> None:
    """4x the usual views (2,000 against 500): viral by the ratio, but 1,500 extra views cannot
    bring 2,000 new followers."""
    (r,) = spike_after_posts(wh, earlier=100, today=400, views=(500, 2_000))
    assert r["explanation"].endswith(
        "a post that day or the day before beat its usual reach, but by 1,500 views, fewer than "
        "the followers gained"
    )


def test_bought_likes_on_an_ordinary_post_do_not_explain_a_spike(wh: Warehouse) -> None:
    (r,) = spike_after_posts(wh, earlier=100, today=3_000, views=(5_000, 5_500))
    assert "no post that day or the day before went viral" in r["explanation"]


def first_post_after_a_spike(wh: Warehouse, likes: int) -> list[dict]:
    """a1 spikes on D with its first post in the window; ten peers of its tier (10k followers)
    posted 3 days before, ~100 engagements each on their first day."""
    hist = steady()
    hist[D] = hist[D - timedelta(days=1)] + 2_000
    account_history(wh, hist)
    peer_day = D - timedelta(days=3)
    peers = [f"peer{i}" for i in range(10)]
    stage(wh, "accounts", peer_day, [
        {"platform": "instagram", "account_id": a, "followers": f, "following": 300}
        for a, f in [("a1", hist[peer_day]), *((p, 10_000) for p in peers)]
    ])  # fmt: skip
    stage(wh, "posts", peer_day, [
        {"platform": "instagram", "post_id": f"{p}-post", "account_id": p,
         "published_at": ts(peer_day), "likes": 95, "comments": 5} for p in peers
    ])  # fmt: skip
    stage(wh, "posts", D, [{"platform": "instagram", "post_id": "first", "account_id": "a1",
                            "published_at": ts(D), "likes": likes, "comments": 5}])  # fmt: skip
    return [r for r in flags(wh) if r["signal"] == "follower_spike"]


def test_a_first_post_is_judged_against_its_peers(wh: Warehouse) -> None:
    assert first_post_after_a_spike(wh, likes=2_995) == []  # 30x its peers' first day


def test_an_ordinary_first_post_does_not_explain_a_spike(wh: Warehouse) -> None:
    (r,) = first_post_after_a_spike(wh, likes=145)  # 1.5x its peers' first day
    assert r["explanation"].endswith("no post that day or the day before went viral")


def test_a_small_account_changing_by_one_follower_is_not_a_spike(wh: Warehouse) -> None:
    hist = {day: 150 for day in days_before(D, 20)}
    hist[D] = 151  # +1 on an account that never moves: 0.7 % but one person
    account_history(wh, hist)
    assert flags(wh) == []


def test_purge_is_informational(wh: Warehouse) -> None:
    hist = steady()
    hist[D] = hist[D - timedelta(days=1)] - 1_500
    account_history(wh, hist)
    (r,) = flags(wh)
    assert (r["signal"], r["severity"]) == ("follower_purge", "info")
    assert r["observed"] <= T["fraud_purge_z"]
    assert "followers -1,500 on 2026-03-20" in r["explanation"]


# ------------------------------------------------------------------------ posts


def post(pid: str, likes: int, comments: int, views: int | None, platform: str = "tiktok") -> dict:
    return {"platform": platform, "post_id": pid, "account_id": "t1",
            "published_at": ts(D - timedelta(days=int(pid[1:]) % 20)), "media_type": "video",
            "likes": likes, "comments": comments, "views": views}  # fmt: skip


NORMAL = [
    post(f"p{i}", likes=1_000 + 40 * i, comments=20 + (i % 3), views=20_000 + 900 * i)
    for i in range(1, 10)
]


def test_bought_likes_are_flagged_by_both_ratio_signals(wh: Warehouse) -> None:
    stage(wh, "posts", D, [*NORMAL, post("p15", likes=9_000, comments=21, views=21_000)])
    got = signals(flags(wh))
    assert ("p15", "likes_without_comments") in got
    assert ("p15", "likes_without_views") in got
    assert {pid for pid, _ in got} == {"p15"}
    r = next(r for r in flags(wh) if r["signal"] == "likes_without_views")
    assert r["entity_type"] == "post" and r["account_id"] == "t1"
    assert "9,000 likes for 21,000 views" in r["explanation"]


def test_ordinary_posts_are_not_flagged(wh: Warehouse) -> None:
    stage(wh, "posts", D, NORMAL)
    assert flags(wh) == []


def test_pod_comments_are_flagged(wh: Warehouse) -> None:
    """Two posts with 10x the account's usual comments per like: the repeated pattern."""
    pods = [post(p, likes=1_500, comments=300, views=25_000) for p in ("p16", "p17")]
    stage(wh, "posts", D, [*NORMAL, *pods])
    rows = flags(wh)
    assert signals(rows) == {("p16", "comments_inflated"), ("p17", "comments_inflated")}
    assert {r["severity"] for r in rows} <= {"medium", "high"}
    assert rows[0]["explanation"].endswith(
        "2 of the account's posts of the last 30 days show this, the repeated pattern of "
        "engagement pods"
    )


def test_one_post_with_many_comments_is_information_not_an_accusation(wh: Warehouse) -> None:
    stage(wh, "posts", D, [*NORMAL, post("p16", likes=1_500, comments=300, views=25_000)])
    (r,) = flags(wh)
    assert (r["entity_id"], r["signal"], r["severity"]) == ("p16", "comments_inflated", "info")
    assert "the only such post of the account in the last 30 days: a giveaway" in r["explanation"]


def test_few_likes_are_not_judged(wh: Warehouse) -> None:
    small = [post(f"p{i}", likes=20, comments=i % 2, views=900) for i in range(1, 10)]
    stage(wh, "posts", D, [*small, post("p17", likes=25, comments=0, views=100)])
    assert flags(wh) == []


# ------------------------------------------------------------------------ delivery


def ad(ad_id: str, impressions: int, clicks: int, conversions: int = 0) -> dict:
    return {"campaign_id": "c1", "platform": "instagram", "ad_id": ad_id, "account_id": None,
            "impressions": impressions, "clicks": clicks, "conversions": conversions}  # fmt: skip


def campaign_history(wh: Warehouse, today: list[dict]) -> None:
    for k in range(1, 4):  # three earlier days, six ads at about 1 % CTR
        stage(wh, "delivery", D - timedelta(days=k),
              [ad(f"ad{i}", 50_000, 480 + 10 * i + k) for i in range(6)])  # fmt: skip
    stage(wh, "delivery", D, today)


def test_ctr_far_above_the_campaign_is_flagged(wh: Warehouse) -> None:
    campaign_history(wh, [*[ad(f"ad{i}", 50_000, 500 + i) for i in range(5)],
                          ad("ad5", 50_000, 4_000)])  # fmt: skip
    (r,) = flags(wh)
    assert (r["entity_type"], r["entity_id"], r["campaign_id"]) == ("delivery", "ad5", "c1")
    assert r["signal"] == "ctr_outlier"
    assert r["observed"] == pytest.approx(0.08)
    assert r["expected"] == pytest.approx(0.01, rel=0.1)
    assert "CTR 8.00%" in r["explanation"]


def test_clicks_over_impressions_is_flagged(wh: Warehouse) -> None:
    campaign_history(wh, [*[ad(f"ad{i}", 50_000, 500) for i in range(5)], ad("ad5", 900, 1_200)])
    got = signals(flags(wh))
    assert ("ad5", "clicks_over_impressions") in got
    r = next(r for r in flags(wh) if r["signal"] == "clicks_over_impressions")
    assert r["severity"] == "high" and r["observed"] == 1_200 and r["threshold"] == 900


def test_conversions_above_clicks_are_not_invalid(wh: Warehouse) -> None:
    # view-through: more conversions than clicks is normal for video ads
    campaign_history(wh, [*[ad(f"ad{i}", 50_000, 500) for i in range(5)],
                          ad("ad5", 50_000, 490, conversions=900)])  # fmt: skip
    assert flags(wh) == []


def test_absurd_ctr_on_few_impressions_is_flagged_as_a_count(wh: Warehouse) -> None:
    """12 clicks from 29 impressions where the campaign's 1 % CTR expects 0.3: the log-CTR
    score is held below 4 (3.7) by the counting noise of so small an expectation; as a count,
    12 clicks where at most 0.44 are plausible (1 % x e^(4 x 0.1) x 29) is 6.9 SDs."""
    campaign_history(wh, [*[ad(f"ad{i}", 50_000, 500 + i) for i in range(5)], ad("ad5", 29, 12)])
    (r,) = flags(wh)
    assert (r["entity_id"], r["signal"]) == ("ad5", "ctr_outlier")
    assert r["explanation"].endswith(
        "counted as clicks, 12 is beyond chance even at the highest CTR the usual spread allows "
        "(0.4 clicks; 6.9 SDs)"
    )


def test_a_few_clicks_on_few_impressions_are_not_flagged(wh: Warehouse) -> None:
    # 2 clicks from 29 impressions (6.9 %) is within chance of a 1 % CTR ad-day
    campaign_history(wh, [*[ad(f"ad{i}", 50_000, 500 + i) for i in range(5)], ad("ad5", 29, 2)])
    assert flags(wh) == []


def test_a_new_campaign_without_history_gets_no_ctr_flag(wh: Warehouse) -> None:
    stage(wh, "delivery", D, [ad("ad0", 50_000, 500), ad("ad1", 50_000, 4_000)])
    assert flags(wh) == []


# ------------------------------------------------------------------------ engagement band


def daily(aid: str, er: float, followers: int = 50_000) -> dict:
    return {"platform": "instagram", "account_id": aid, "followers": followers,
            "posts_published": 0, "posts_measured": 12, "engagement_rate": er}  # fmt: skip


def test_engagement_rate_outside_the_tier_band_is_flagged(wh: Warehouse) -> None:
    peers = [daily(f"m{i}", 0.02 * (1 + 0.05 * (i % 5 - 2))) for i in range(12)]
    mart(wh, "influencer_daily", D, [*peers, daily("odd", 0.3)])
    (r,) = flags(wh)
    assert (r["entity_id"], r["signal"]) == ("odd", "engagement_rate_outlier")
    assert r["observed"] == pytest.approx(0.3)
    assert "above the typical 2.00% of the 13 micro instagram accounts" in r["explanation"]


def test_engagement_band_needs_enough_peers(wh: Warehouse) -> None:
    mart(wh, "influencer_daily", D, [daily("m1", 0.02), daily("m2", 0.021), daily("odd", 0.3)])
    assert flags(wh) == []


# ------------------------------------------------------------------------ growth vs engagement


def grown_account(wh: Warehouse, engagement_now: int) -> None:
    """Followers 10,000 -> 14,000 (+40 %) between 24 and 6 days before D; three posts of ~500
    engagements three weeks ago and three recent ones of about ``engagement_now``."""
    account_history(wh, {D - timedelta(days=24): 10_000, D - timedelta(days=6): 14_000})
    rows = []
    for i, (back, eng) in enumerate([(27, 480), (24, 500), (21, 520),
                                     (9, engagement_now - 20), (6, engagement_now),
                                     (3, engagement_now + 20)]):  # fmt: skip
        rows.append({"platform": "instagram", "post_id": f"p{i}", "account_id": "a1",
                     "published_at": ts(D - timedelta(days=back)), "likes": eng - 10,
                     "comments": 10})  # fmt: skip
    stage(wh, "posts", D, rows)


def test_growth_without_engagement_is_flagged(wh: Warehouse) -> None:
    grown_account(wh, engagement_now=380)
    (r,) = [r for r in flags(wh) if r["signal"] == "growth_without_engagement"]
    assert (r["entity_id"], r["severity"]) == ("a1", "medium")
    assert r["observed"] == pytest.approx(380 / 500) and r["expected"] == pytest.approx(1.4)
    assert r["threshold"] == T["fraud_decoupling_engagement_min"]
    assert r["explanation"].startswith(
        "followers +40% in 18 days to 2026-03-14 (10,000 -> 14,000) while engagement per post "
        "went -24% (median likes + comments 500 over 3 posts -> 380 over 3 posts)"
    )


@pytest.mark.parametrize("engagement_now", [700, 450])  # followed; fell, but by less than 20 %
def test_engagement_that_follows_growth_is_not_flagged(wh: Warehouse, engagement_now: int) -> None:
    grown_account(wh, engagement_now=engagement_now)
    assert [r for r in flags(wh) if r["signal"] == "growth_without_engagement"] == []


# ------------------------------------------------------------------------ authenticity

REAL = {"follower_count": 400, "following_count": 350, "media_count": 80, "has_profile_pic": True,
        "is_private": False, "biography_length": 60, "username_length": 10,
        "username_digit_count": 0, "account_age_days": 2_000}  # fmt: skip
BOT = {"follower_count": 3, "following_count": 2_500, "media_count": 0, "has_profile_pic": False,
       "is_private": False, "biography_length": 0, "username_length": 12,
       "username_digit_count": 8, "account_age_days": 20}  # fmt: skip


def samples(aid: str, real: int, bots: int) -> list[dict]:
    rows = [dict(REAL) for _ in range(real)] + [dict(BOT) for _ in range(bots)]
    return [{**r, "platform": "instagram", "account_id": aid, "follower_id": f"{aid}-{i}"}
            for i, r in enumerate(rows)]  # fmt: skip


def test_low_authenticity_is_flagged(wh: Warehouse) -> None:
    stage(wh, "follower_samples", D, samples("fake", 10, 10) + samples("fine", 20, 0))
    (r,) = flags(wh)
    # 10 of 20 labelled suspicious, corrected for the label's error rates (0.88, 0.90)
    assert (r["entity_id"], r["signal"]) == ("fake", "low_authenticity")
    assert r["observed"] == pytest.approx(100.0 * (1 - (0.5 - 0.1) / 0.78))
    assert "only 49% of 20 followers sampled in the 28 days to" in r["explanation"]


def test_too_small_a_sample_is_not_judged(wh: Warehouse) -> None:
    stage(wh, "follower_samples", D, samples("tiny", 2, 8))
    assert flags(wh) == []


# ------------------------------------------------------------------------ the mart


def test_build_writes_the_partition_with_the_mart_schema(wh: Warehouse) -> None:
    hist = steady()
    hist[D] = hist[D - timedelta(days=1)] + 2_000
    account_history(wh, hist)
    assert build_day(wh, "fraud_flags", D, "run-1") == 1

    table = wh.read_partition(Partition.of("marts", "fraud_flags", D))
    assert table.schema.equals(MARTS["fraud_flags"].schema)


def test_empty_warehouse_gives_an_empty_mart(wh: Warehouse) -> None:
    table = compute_mart(wh, "fraud_flags", D)
    assert table.num_rows == 0 and isinstance(table, pa.Table)


def test_keys_are_unique(wh: Warehouse) -> None:
    stage(wh, "posts", D, [*NORMAL, post("p15", likes=9_000, comments=21, views=21_000)])
    stage(wh, "follower_samples", D, samples("fake", 10, 10))
    rows = flags(wh)
    key = [tuple(r[k] for k in MARTS["fraud_flags"].key) for r in rows]
    assert len(key) == len(set(key)) > 0
