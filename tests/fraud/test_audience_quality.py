"""audience_quality: hand-checked composition, the score blend, property tests."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pytest
from fraudkit import D, mart, stage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fraud_flags import BOT, REAL, samples, steady

from pipeline.contracts import MARTS
from pipeline.flows.marts import build_day, compute_mart
from pipeline.fraud.classify import SHARE_SENSITIVITY, SHARE_SPECIFICITY
from pipeline.warehouse.storage import Partition, Warehouse

PCTS = ("real_pct", "suspicious_pct", "mass_followers_pct", "influencer_followers_pct")
MASS = {**REAL, "following_count": 3_000, "follower_count": 2_500}
CELEB = {**REAL, "follower_count": 20_000, "following_count": 600}


def accounts(wh: Warehouse, *ids: str) -> None:
    stage(wh, "accounts", D, [{"platform": "instagram", "account_id": a, "followers": 50_000}
                              for a in ids])  # fmt: skip


def quality(wh: Warehouse) -> dict[str, dict]:
    return {r["account_id"]: r for r in compute_mart(wh, "audience_quality", D).to_pylist()}


def corrected(suspicious: float, sampled: float) -> float:
    """1 - the Rogan-Gladen bot share at the shipped error rates (0.88, 0.90), by hand."""
    bots = (suspicious / sampled + SHARE_SPECIFICITY - 1) / (
        SHARE_SENSITIVITY + SHARE_SPECIFICITY - 1
    )
    return 1.0 - min(max(bots, 0.0), 1.0)


def test_composition_by_hand(wh: Warehouse) -> None:
    accounts(wh, "a1")
    rows = [REAL] * 10 + [MASS] * 4 + [CELEB] * 2 + [BOT] * 4
    stage(wh, "follower_samples", D, [
        {**r, "platform": "instagram", "account_id": "a1", "follower_id": str(i)}
        for i, r in enumerate(rows)
    ])  # fmt: skip
    q = quality(wh)["a1"]
    assert q["followers_sampled"] == 20
    assert (q["real_pct"], q["mass_followers_pct"], q["influencer_followers_pct"],
            q["suspicious_pct"]) == (50.0, 20.0, 10.0, 20.0)  # fmt: skip
    assert q["authenticity_pct"] == 60.0  # real + influencers
    # following < 1,500: the 10 real and 2 influencers; mass followers and bots follow more
    assert q["reachability_pct"] == 60.0


def test_an_account_without_a_sample_says_so(wh: Warehouse) -> None:
    """A platform that gives no follower samples (YouTube, TikTok, the Instagram Graph API):
    0 sampled, every audience column NULL, the score from the other components."""
    accounts(wh, "a1", "a2")
    stage(wh, "follower_samples", D, samples("a1", 5, 5))
    q = quality(wh)
    assert (q["a1"]["followers_sampled"], q["a1"]["followers_sampled_28d"]) == (10, 10)
    none = q["a2"]
    assert (none["followers_sampled"], none["followers_sampled_28d"]) == (0, 0)
    for col in (*PCTS, "authenticity_pct", "reachability_pct", "authenticity_pct_28d",
                "suspicious_pct_28d", "authenticity_adj_pct"):  # fmt: skip
        assert none[col] is None, col
    # the score rests on the components there are: here (no post either) growth health alone
    assert none["audience_quality_score"] == none["growth_health"] == 100.0


def test_samples_of_the_28_days_are_pooled(wh: Warehouse) -> None:
    """authenticity_pct_28d: today's sample plus the earlier days' rows of this mart (27 days
    back, not 28); the day's own percentages stay the day's."""
    accounts(wh, "a1")
    for back, (real, bots) in ((28, (0, 40)), (27, (20, 20)), (1, (10, 0))):
        day = D - timedelta(days=back)
        mart(wh, "audience_quality", day, [{
            "platform": "instagram", "account_id": "a1", "followers_sampled": real + bots,
            "authenticity_pct": 100.0 * real / (real + bots),
            "suspicious_pct": 100.0 * bots / (real + bots),
        }])  # fmt: skip
    stage(wh, "follower_samples", D, samples("a1", 5, 5))
    q = quality(wh)["a1"]
    assert (q["followers_sampled"], q["authenticity_pct"]) == (10, 50.0)
    assert q["followers_sampled_28d"] == 10 + 40 + 10  # the day 28 back is out
    assert q["suspicious_pct_28d"] == pytest.approx(100.0 * (5 + 20) / 60)
    # no mass followers: every person counts as authentic; 25 of 60 labelled suspicious
    assert q["authenticity_pct_28d"] == pytest.approx(100.0 * corrected(25, 60))


def test_authenticity_28d_corrects_the_labels_error_rates(wh: Warehouse) -> None:
    """By hand: 6 real, 2 mass followers, 2 bots. Apparent suspicious share 0.2; with
    sensitivity 0.88 and specificity 0.90 the true bot share is (0.2 - 0.1) / 0.78 = 0.128;
    the 0.872 people split 6 : 2 into authentic and mass followers: 0.872 * 6/8 = 65.4 %. A
    clean sample stays at 100 (the correction never goes below 0 bots), an all-bot one at 0."""
    assert (SHARE_SENSITIVITY, SHARE_SPECIFICITY) == (0.88, 0.90)
    accounts(wh, "mixed", "clean", "bots")
    rows = {"mixed": [REAL] * 6 + [MASS] * 2 + [BOT] * 2, "clean": [REAL] * 10, "bots": [BOT] * 5}
    stage(wh, "follower_samples", D, [
        {**r, "platform": "instagram", "account_id": a, "follower_id": f"{a}{i}"}
        for a, rs in rows.items() for i, r in enumerate(rs)
    ])  # fmt: skip
    q = quality(wh)
    assert q["mixed"]["suspicious_pct_28d"] == 20.0 and q["mixed"]["authenticity_pct"] == 60.0
    assert q["mixed"]["authenticity_pct_28d"] == pytest.approx(100 * (1 - 0.1 / 0.78) * 6 / 8)
    assert q["clean"]["authenticity_pct_28d"] == 100.0
    assert q["bots"]["authenticity_pct_28d"] == 0.0


# +1.4 of evidence (picture -0.4, empty bio +0.7, 3 digits in 10 +0.6, two months old +0.5):
# short of the population threshold (1.75) on its own
BORDERLINE = {**REAL, "follower_count": 100, "following_count": 150, "media_count": 10,
              "biography_length": 0, "username_digit_count": 3, "account_age_days": 60}  # fmt: skip


def test_borderline_followers_are_judged_within_their_audience(wh: Warehouse) -> None:
    """The same borderline profiles count as authentic among genuine followers and as
    suspicious among bought ones (the audience's own bot rate is their prior): the day's
    authenticity_pct (population prior) cannot tell the two audiences apart on them."""
    accounts(wh, "bought", "clean")
    rows = {"bought": [BOT] * 10 + [BORDERLINE] * 10, "clean": [REAL] * 10 + [BORDERLINE] * 10}
    stage(wh, "follower_samples", D, [
        {**r, "platform": "instagram", "account_id": a, "follower_id": f"{a}{i}"}
        for a, rs in rows.items() for i, r in enumerate(rs)
    ])  # fmt: skip
    q = quality(wh)
    assert q["bought"]["authenticity_pct"] == 50.0  # the borderline half passes as real
    assert q["bought"]["authenticity_adj_pct"] == 0.0
    assert q["bought"]["suspicious_pct_28d"] == 50.0  # population prior, the prior's input
    assert q["clean"]["authenticity_pct"] == q["clean"]["authenticity_adj_pct"] == 100.0
    # the 28-day share is the corrected count, not the audience judgement
    assert q["bought"]["authenticity_pct_28d"] == pytest.approx(100.0 * corrected(10, 20))


def test_rows_without_the_adjusted_column_still_pool(wh: Warehouse) -> None:
    """Partitions written before authenticity_adj_pct existed read it as NULL: the pool does not
    need it (nor mass_followers_pct, NULL here: no mass followers)."""
    accounts(wh, "a1")
    old = {"platform": "instagram", "account_id": "a1", "followers_sampled": 10,
           "authenticity_pct": 40.0, "suspicious_pct": 60.0}  # fmt: skip
    day = D - timedelta(days=1)
    schema = MARTS["audience_quality"].schema
    table = pa.Table.from_pylist([old], schema=schema.remove(schema.get_field_index(
        "authenticity_adj_pct")))  # fmt: skip
    wh.write_table(Partition.of("marts", "audience_quality", day), table, "old-run")
    stage(wh, "follower_samples", D, samples("a1", 10, 0))
    q = quality(wh)["a1"]
    assert q["authenticity_pct_28d"] == pytest.approx(100.0 * corrected(6, 20))


def test_score_blend_by_hand(wh: Warehouse) -> None:
    """authenticity 100, reachability 100, no posts/engagement, no spikes: components
    authenticity (40), reachability (15), growth health 100 (15) -> 100."""
    accounts(wh, "a1")
    stage(wh, "follower_samples", D, samples("a1", 20, 0))
    q = quality(wh)["a1"]
    assert (q["engagement_score"], q["engagement_health"]) == (None, None)
    assert q["growth_health"] == 100.0
    assert q["audience_quality_score"] == pytest.approx(100.0)


def test_spike_days_lower_growth_health(wh: Warehouse) -> None:
    from fraudkit import account_history

    hist = steady()
    hist[D] = hist[D - timedelta(days=1)] + 2_000
    account_history(wh, hist)
    stage(wh, "follower_samples", D, samples("a1", 10, 10))
    build_day(wh, "fraud_flags", D, "r")
    q = quality(wh)["a1"]
    assert q["growth_health"] == 75.0
    assert q["authenticity_pct"] == 50.0 and q["reachability_pct"] == 50.0
    # 10 of 20 labelled suspicious: authenticity_pct_28d 100 * (1 - 0.43 / 0.78) = 44.87
    auth = 100.0 * corrected(10, 20)
    assert q["authenticity_pct_28d"] == pytest.approx(auth)
    # (0.40 * auth + 0.15 * 50 + 0.15 * 75) / 0.70
    assert q["audience_quality_score"] == pytest.approx((0.40 * auth + 7.5 + 11.25) / 0.70)


def test_engagement_score_is_50_at_the_peer_median(wh: Warehouse) -> None:
    ids = [f"m{i}" for i in range(11)]
    accounts(wh, *ids)
    mart(wh, "influencer_daily", D, [
        {"platform": "instagram", "account_id": a, "followers": 50_000, "posts_published": 0,
         "posts_measured": 12, "engagement_rate": 0.01 * (i + 1)} for i, a in enumerate(ids)
    ])  # fmt: skip
    q = quality(wh)
    assert q["m5"]["engagement_score"] == pytest.approx(50.0)  # the median of 1 % .. 11 %
    assert q["m0"]["engagement_score"] == pytest.approx(100 * (1 / 6) / (1 + 1 / 6))


def test_accounts_without_samples_have_null_percentages(wh: Warehouse) -> None:
    accounts(wh, "a1")
    q = quality(wh)["a1"]
    assert all(q[c] is None for c in (*PCTS, "authenticity_pct", "reachability_pct"))
    assert 0 <= q["audience_quality_score"] <= 100


def test_build_writes_the_partition(wh: Warehouse) -> None:
    accounts(wh, "a1", "a2")
    stage(wh, "follower_samples", D, samples("a1", 15, 5))
    assert build_day(wh, "audience_quality", D, "r") == 2
    table = wh.read_partition(Partition.of("marts", "audience_quality", D))
    assert table.schema.equals(MARTS["audience_quality"].schema)


profile = st.fixed_dictionaries(
    {
        "follower_count": st.one_of(st.none(), st.integers(0, 10_000_000)),
        "following_count": st.one_of(st.none(), st.integers(0, 8_000)),
        "media_count": st.one_of(st.none(), st.integers(0, 20_000)),
        "has_profile_pic": st.one_of(st.none(), st.booleans()),
        "is_private": st.one_of(st.none(), st.booleans()),
        "biography_length": st.one_of(st.none(), st.integers(0, 150)),
        "username_length": st.integers(3, 30),
        "username_digit_count": st.integers(0, 3),
        "account_age_days": st.one_of(st.none(), st.integers(0, 6_000)),
    }
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(groups=st.lists(st.lists(profile, min_size=1, max_size=30), min_size=1, max_size=4),
       ers=st.lists(st.floats(0.0001, 0.5), min_size=4, max_size=4))  # fmt: skip
def test_percentages_and_scores_stay_in_range(tmp_path_factory, groups, ers) -> None:  # type: ignore[no-untyped-def]
    wh = Warehouse(tmp_path_factory.mktemp("aq") / "warehouse")
    ids = [f"a{i}" for i in range(len(groups))]
    accounts(wh, *ids)
    stage(wh, "follower_samples", D, [
        {**p, "platform": "instagram", "account_id": a, "follower_id": f"{a}-{j}"}
        for a, group in zip(ids, groups, strict=True) for j, p in enumerate(group)
    ])  # fmt: skip
    mart(wh, "influencer_daily", D, [
        {"platform": "instagram", "account_id": a, "followers": 50_000, "posts_published": 0,
         "posts_measured": 12, "engagement_rate": er} for a, er in zip(ids, ers, strict=False)
    ])  # fmt: skip
    rows = compute_mart(wh, "audience_quality", D).to_pylist()
    assert len(rows) == len(ids)
    for r in rows:
        for c in (*PCTS, "authenticity_pct", "reachability_pct", "engagement_score",
                  "growth_health", "audience_quality_score", "authenticity_pct_28d",
                  "suspicious_pct_28d"):  # fmt: skip
            assert r[c] is None or 0.0 <= r[c] <= 100.0, (c, r[c])
        assert sum(r[c] for c in PCTS) == pytest.approx(100.0)
        assert r["authenticity_pct"] == pytest.approx(r["real_pct"] + r["influencer_followers_pct"])
        assert r["audience_quality_score"] is not None


def test_restaged_samples_are_classified_again(wh: Warehouse) -> None:
    """Both fraud marts of a day share one classification of the day's samples, until the
    samples (or the earlier days' audience rows) change."""
    accounts(wh, "a1")
    stage(wh, "follower_samples", D, samples("a1", 10, 0))
    assert quality(wh)["a1"]["authenticity_pct"] == 100.0
    stage(wh, "follower_samples", D, samples("a1", 5, 5))
    assert quality(wh)["a1"]["authenticity_pct"] == 50.0
