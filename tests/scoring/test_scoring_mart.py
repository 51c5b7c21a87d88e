"""influencer_scores: hand-checked fits, filters, fraud, the mart build, property tests."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scorekit import TARGET, D, account, audience, brief, by_id, quality, score, write

from pipeline.contracts import MARTS
from pipeline.flows.marts import build_day, compute_mart
from pipeline.scoring.prepare import prepare
from pipeline.simulator.briefs import write_demo_briefs
from pipeline.warehouse.storage import Partition, Warehouse

DISJOINT = {"age": {"45-54": 0.6, "55+": 0.4}, "gender": {"other": 1.0}}


def test_identical_audience_fits_1_and_disjoint_0() -> None:
    rows = by_id(score(
        [brief()],
        stg_accounts=[account("same"), account("other")],
        stg_audience=audience("same", TARGET) + audience("other", DISJOINT),
    ))  # fmt: skip
    assert rows["same"]["audience_fit"] == 1.0
    assert (rows["same"]["age_fit"], rows["same"]["gender_fit"]) == (1.0, 1.0)
    assert rows["other"]["audience_fit"] == 0.0
    assert rows["same"]["rank"] == 1 and rows["other"]["rank"] == 2


def test_fit_is_histogram_intersection_weighted_by_dimension() -> None:
    """age: min(.5,.2)+min(.5,.8) = .7; gender: min(.7,.7)+min(.3,.3) = 1; weights 3:1."""
    mix = {"age": {"18-24": 0.2, "25-34": 0.8}, "gender": {"female": 0.7, "male": 0.3}}
    b = brief(target_weights={"age": 3, "gender": 1})
    r = score([b], stg_accounts=[account("a")], stg_audience=audience("a", mix))[0]
    assert r["age_fit"] == pytest.approx(0.7) and r["gender_fit"] == pytest.approx(1.0)
    assert r["audience_fit"] == pytest.approx((3 * 0.7 + 1.0) / 4)


def test_missing_dimension_counts_zero() -> None:
    r = score([brief()], stg_accounts=[account("a")],
              stg_audience=audience("a", {"gender": TARGET["gender"]}))[0]  # fmt: skip
    assert r["age_fit"] is None and r["audience_fit"] == pytest.approx(0.5)


def test_niche_fit_from_category_then_interest() -> None:
    b = brief(niches=["fashion", "beauty"])
    rows = by_id(score(
        [b],
        stg_accounts=[account("cat", category="Fashion"), account("int", category="gaming"),
                      account("none", category="gaming")],
        stg_audience=audience("int", {"interest": {"beauty": 0.3, "gaming": 0.7}}),
    ))  # fmt: skip
    assert rows["cat"]["niche_fit"] == 1.0
    assert rows["int"]["niche_fit"] == pytest.approx(0.3)
    assert rows["none"]["niche_fit"] == 0.0
    no_niches = score([brief()], stg_accounts=[account("x", category="gaming")])[0]
    assert no_niches["niche_fit"] == 1.0


def test_half_suspicious_ranks_below_its_clean_twin() -> None:
    rows = by_id(score(
        [brief()],
        stg_accounts=[account("clean"), account("half")],
        stg_audience=audience("clean", TARGET) + audience("half", TARGET),
        audience_quality=[quality("clean", 100.0), quality("half", 50.0)],
    ))  # fmt: skip
    assert rows["clean"]["rank"] == 1 and rows["half"]["rank"] == 2
    assert rows["half"]["score"] < rows["clean"]["score"]
    # same price (creators charge on followers), half the authentic reach: twice the CPM
    assert rows["half"]["est_post_price"] == rows["clean"]["est_post_price"]
    assert rows["half"]["expected_cpm"] == pytest.approx(2 * rows["clean"]["expected_cpm"])


def test_pooled_authenticity_wins_over_the_days_own() -> None:
    rows = by_id(score(
        [brief()],
        stg_accounts=[account("a"), account("b")],
        audience_quality=[quality("a", 100.0, authenticity_pct_28d=50.0), quality("b", 50.0)],
    ))  # fmt: skip
    assert rows["a"]["authenticity_pct"] == rows["b"]["authenticity_pct"] == 50.0
    assert rows["a"]["est_reach"] == pytest.approx(rows["b"]["est_reach"])


def test_accounts_outside_followers_or_platforms_are_excluded() -> None:
    b = brief(platforms=["instagram", "tiktok"], followers={"min": 10_000, "max": 100_000})
    rows = by_id(score([b], stg_accounts=[
        account("in"), account("tt", platform="tiktok"), account("small", followers=9_999),
        account("big", followers=100_001), account("yt", platform="youtube"),
        account("edge", followers=100_000),
    ]))  # fmt: skip
    assert set(rows) == {"in", "tt", "edge"}


def test_price_and_cpm_by_hand() -> None:
    """instagram: 50k followers x 10 USD / 1k = 500; ER 0.08 = 4 x er_ref 0.02 -> x sqrt(4)
    = 1000 USD; reach 50k x 25 % x 80 % authentic = 10,000 -> CPM 100."""
    r = score(
        [brief()],
        stg_accounts=[account("a")],
        influencer_daily=[{"platform": "instagram", "account_id": "a", "followers": 50_000,
                           "posts_published": 0, "posts_measured": 12, "engagement_rate": 0.08}],
        audience_quality=[quality("a", 80.0)],
    )[0]  # fmt: skip
    assert r["est_post_price"] == pytest.approx(1000.0)
    assert r["est_reach"] == pytest.approx(10_000.0)
    assert r["expected_cpm"] == pytest.approx(100.0)


def test_mart_build_with_and_without_briefs(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.config import reload_settings

    write(wh, stg_accounts=[account("a")], stg_audience=audience("a", TARGET))
    monkeypatch.delenv("CLOUT_BRIEFS", raising=False)
    reload_settings()
    assert build_day(wh, "influencer_scores", D, "r1") == 0  # no briefs: empty, no failure
    part = Partition.of("marts", "influencer_scores", D)
    assert wh.read_partition(part).num_rows == 0
    monkeypatch.setenv("CLOUT_BRIEFS", str(write_demo_briefs(tmp_path / "briefs")))
    reload_settings()
    try:
        n = build_day(wh, "influencer_scores", D, "r2")
    finally:
        monkeypatch.delenv("CLOUT_BRIEFS")
        reload_settings()
    table = wh.read_partition(part)
    assert n == table.num_rows == 2  # acme-spring and fit-kitchen take instagram 50k
    assert table.schema.equals(MARTS["influencer_scores"].schema)
    assert (
        compute_mart(wh, "influencer_scores", D, prepare=partial(prepare, briefs=[])).num_rows == 0
    )


# ------------------------------------------------------------------------ properties
shares = st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2).filter(lambda s: sum(s) > 0)
pct = st.floats(0.0, 100.0)


def _mix(age: list[float], gender: list[float]) -> dict[str, dict[str, float]]:
    a, g = sum(age), sum(gender)
    return {"age": {"18-24": age[0] / a, "45-54": age[1] / a},
            "gender": {"female": gender[0] / g, "male": gender[1] / g}}  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(age=shares, gender=shares, auth=pct, reach=pct, growth=pct, eng=pct,
       goal=st.sampled_from(["awareness", "conversions"]))  # fmt: skip
def test_scores_and_fits_stay_in_range(age, gender, auth, reach, growth, eng, goal) -> None:  # type: ignore[no-untyped-def]
    r = score(
        [brief(goal=goal, niches=["fashion"])],
        stg_accounts=[account("a", category="tech")],
        stg_audience=audience("a", {**_mix(age, gender), "interest": {"fashion": age[0] / sum(age)}}),
        audience_quality=[quality("a", auth, reachability_pct=reach, growth_health=growth,
                                  engagement_score=eng)],
    )[0]  # fmt: skip
    assert 0.0 <= r["audience_fit"] <= 1.0 and 0.0 <= r["niche_fit"] <= 1.0
    assert 0.0 <= r["quality_score"] <= 100.0 and 0.0 <= r["score"] <= 100.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(age=shares, gender=shares, low=pct, high=pct, reach=pct)
def test_score_is_monotone_in_authenticity(age, gender, low, high, reach) -> None:  # type: ignore[no-untyped-def]
    low, high = min(low, high), max(low, high)
    mix = _mix(age, gender)
    rows = by_id(score(
        [brief()],
        stg_accounts=[account("lo"), account("hi")],
        stg_audience=audience("lo", mix) + audience("hi", mix),
        audience_quality=[quality("lo", low, reachability_pct=reach),
                          quality("hi", high, reachability_pct=reach)],
    ))  # fmt: skip
    assert rows["hi"]["score"] >= rows["lo"]["score"] - 1e-9
    assert rows["hi"]["quality_score"] >= rows["lo"]["quality_score"] - 1e-9
