"""Calibration on real labelled accounts: the new rules by hand, the loaders, the fit, and the
classifier's figures on the public sets (SRF Data's copy ships in tests/data; InstaFake and the
Kaggle set are fetched into $FRAUD_LABELLED_DATA, see the README, and their tests skip without
them)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.fraud import datasets
from pipeline.fraud.calibrate import (
    HAND_WEIGHTS,
    SHIPPED_FIT,
    WEAK_SIGNAL_CAP,
    WEAK_SIGNALS,
    cross_dataset,
    fit_weights,
    held_out_share_rates,
    scores,
    share_rates,
)
from pipeline.fraud.classify import (
    BOT_SIGNALS,
    COUNTER_SIGNALS,
    DEFAULT_WEIGHTS,
    SHARE_SENSITIVITY,
    SHARE_SPECIFICITY,
    SIGNALS,
    bot_share,
    classify_profiles,
)
from pipeline.simulator.bots import BOT_KINDS, FOLLOW_CAP, RngDraws, bot_profiles

W = DEFAULT_WEIGHTS


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def classify(rows: list[dict]) -> pd.DataFrame:
    return classify_profiles(pd.DataFrame(rows))


# --- the new rules, by hand ------------------------------------------------------------------


@pytest.mark.parametrize(("posts", "share"), [(0, 1.0), (3, 1 - math.log(4) / math.log(31)),
                                              (30, 0.0), (500, 0.0)])  # fmt: skip
def test_thin_content_ramp(posts: int, share: float) -> None:
    # 50 followers, 60 following: no graph evidence (ratio 1.2, below 2)
    (p,) = classify([{"follower_count": 50, "following_count": 60, "media_count": posts}])[
        "p_suspicious"
    ]
    extra = W.no_posts * (posts == 0) + W.many_posts * (posts >= W.many_posts_min)
    assert p == pytest.approx(sigmoid(W.prior_log_odds + W.thin_content * share + extra))


def test_mass_follower_bot_is_suspicious_and_the_mass_follower_person_is_not() -> None:
    """The issue's missed fakes: following near the 7,500 cap, about a thousand followers, a
    handful of posts. The same graph with a body of posts is a person who follows many."""
    bot = {"follower_count": 1_200, "following_count": 7_000, "media_count": 2,
           "has_profile_pic": True}  # fmt: skip
    person = bot | {"media_count": 200}
    out = classify([bot, person])
    assert out["category"].tolist() == ["suspicious", "mass_follower"]
    # ratio 5.8x: part-way up the 2x -> 20x ramp, with the mass-following extra
    ramp = math.log(7_000 / 1_200 / 2) / math.log(10)
    graph = ramp * (W.follow_ratio + W.mass_following) + W.has_profile_pic
    # the bot: 2 posts, part-way down the thin-content ramp; following past 3,000, so the
    # thin-following signal is at the thin-content share of its full weight
    thin = 1 - math.log(3) / math.log(31)
    bot_ev = graph + (W.thin_content + W.thin_following) * thin
    person_ev = graph + W.many_posts
    assert out["p_suspicious"].tolist() == pytest.approx(
        [sigmoid(W.prior_log_odds + bot_ev), sigmoid(W.prior_log_odds + person_ev)]
    )


def test_thin_following_needs_both_halves() -> None:
    """Negative cases: many followings with posts, or no posts with few followings, get no
    thin-following evidence."""
    base = {"follower_count": 5_000, "has_profile_pic": True}  # balanced graph: ratio < 2
    rows = [
        base | {"following_count": 4_000, "media_count": 40},  # many followings, posts
        base | {"following_count": 500, "media_count": 0},  # no posts, few followings
    ]
    p = classify(rows)["p_suspicious"].tolist()
    assert p[0] == pytest.approx(sigmoid(W.prior_log_odds + W.has_profile_pic + W.balanced_graph))
    assert p[1] == pytest.approx(
        sigmoid(W.prior_log_odds + W.has_profile_pic + W.balanced_graph + W.thin_content
                + W.no_posts)
    )  # fmt: skip


def test_missing_posts_add_nothing() -> None:
    row = {"follower_count": 300, "following_count": 7_000}
    (p,) = classify([row])["p_suspicious"]
    assert p == pytest.approx(sigmoid(W.prior_log_odds + W.follow_ratio + W.mass_following))


# --- loaders ----------------------------------------------------------------------------------


def test_srf_copy_is_the_published_sample() -> None:
    """975 followers (1,000 drawn, 25 gone), 98 labelled fake (SRF Data's "10 %")."""
    srf = datasets.load_srf()
    assert (len(srf), int(srf["is_fake"].sum())) == (975, 98)
    assert set(srf.columns) == {
        "follower_count", "following_count", "media_count", "has_profile_pic", "is_private",
        "username_length", "username_digit_count", "is_fake",
    }  # fmt: skip
    assert (srf["username_digit_count"] <= srf["username_length"]).all()


def test_srf_original_layout_is_read(tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    path.write_text(
        '"Profile.URL","rating","Username","Number.of.posts","Number.of.people.they.follow",'
        '"Number.of.followers","has_profile_picture","Private.account"\n'
        '"https://instagram.com/ab12","TRUE","ab12",0,601,18,"FALSE",TRUE\n'
        '"https://instagram.com/anna","FALSE","anna",30,272,174,"TRUE",FALSE\n'
    )
    got = datasets.load_srf(path)
    assert got.to_dict("records") == [
        {"follower_count": 18, "following_count": 601, "media_count": 0, "has_profile_pic": False,
         "is_private": True, "username_length": 4, "username_digit_count": 2, "is_fake": True},
        {"follower_count": 174, "following_count": 272, "media_count": 30, "has_profile_pic": True,
         "is_private": False, "username_length": 4, "username_digit_count": 0, "is_fake": False},
    ]  # fmt: skip


def test_kaggle_layout_is_read(tmp_path: Path) -> None:
    """train.csv then test.csv; the username's digit share becomes digits per 100 characters;
    the full-name and URL columns are dropped."""
    header = ("profile pic,nums/length username,fullname words,nums/length fullname,"
              "name==username,description length,external URL,private,#posts,#followers,"
              "#follows,fake\n")  # fmt: skip
    (tmp_path / "train.csv").write_text(header + "1,0.27,0,0.0,0,53,0,0,32,1000,955,0\n")
    (tmp_path / "test.csv").write_text(header + "0,0.33,1,0.33,1,0,0,1,0,0,35,1\n")
    got = datasets.load_kaggle(tmp_path)
    assert got.to_dict("records") == [
        {"follower_count": 1000, "following_count": 955, "media_count": 32,
         "has_profile_pic": True, "is_private": False, "biography_length": 53,
         "username_length": 100, "username_digit_count": 27, "is_fake": False},
        {"follower_count": 0, "following_count": 35, "media_count": 0,
         "has_profile_pic": False, "is_private": True, "biography_length": 0,
         "username_length": 100, "username_digit_count": 33, "is_fake": True},
    ]  # fmt: skip
    assert datasets.load("kaggle", tmp_path / "nothing") is None
    with pytest.raises(ValueError, match="unknown data set"):
        datasets.load("nope", tmp_path)


def _public_sets(*required: str) -> dict[str, pd.DataFrame]:
    """The labelled sets present; skips the test when one of ``required`` is not fetched."""
    sets = {n: f for n in datasets.NAMES if (f := datasets.load(n)) is not None}
    missing = [n for n in required if n not in sets]
    if missing:
        pytest.skip(f"{', '.join(missing)} not fetched into {datasets.data_dir()} (see README)")
    return sets


def test_instafake_layout_is_read(tmp_path: Path) -> None:
    rec = {"userFollowerCount": 25, "userFollowingCount": 1937, "userBiographyLength": 0,
           "userMediaCount": 0, "userHasProfilPic": 1, "userIsPrivate": 1,
           "usernameDigitCount": 0, "usernameLength": 10}  # fmt: skip
    (tmp_path / "fakeAccountData.json").write_text(json.dumps([rec | {"isFake": 1}]))
    (tmp_path / "realAccountData.json").write_text(json.dumps([rec | {"isFake": 0}]))
    got = datasets.load_instafake(tmp_path)
    assert got["is_fake"].tolist() == [True, False]
    assert got.iloc[0]["following_count"] == 1937 and got.iloc[0]["biography_length"] == 0
    assert datasets.load("instafake", tmp_path / "nothing") is None


# --- the fit ----------------------------------------------------------------------------------


def test_fit_keeps_signs_and_leaves_uninformed_weights_alone() -> None:
    fitted = fit_weights([datasets.load_srf()])
    assert all(getattr(fitted, n) >= 0 for n in BOT_SIGNALS)
    assert all(getattr(fitted, n) <= 0 for n in COUNTER_SIGNALS)
    # SRF records neither bio nor account age: those weights stay where they were (a weak
    # signal's at most at its cap)
    for name in ("no_bio", "has_bio", "age_very_young", "age_young", "age_established"):
        expected = getattr(HAND_WEIGHTS, name)
        if name in WEAK_SIGNALS:
            expected = min(expected, WEAK_SIGNAL_CAP)
        assert getattr(fitted, name) == pytest.approx(expected, abs=1e-6), name


def test_weak_signals_are_capped() -> None:
    """On a set where an empty bio or a few digits are strong evidence (Kaggle's: a likelihood
    ratio of e^1.2 and e^1.4) the fit still gives them at most WEAK_SIGNAL_CAP, below the 0.36
    the default threshold asks for: one of them alone never flags a profile."""
    kaggle = _public_sets("kaggle")["kaggle"]
    fitted = fit_weights([kaggle])
    assert WEAK_SIGNAL_CAP < math.log(0.2 / 0.8) - W.prior_log_odds
    for name in WEAK_SIGNALS:
        assert getattr(fitted, name) <= WEAK_SIGNAL_CAP + 1e-9, name
    assert fitted.no_bio == pytest.approx(WEAK_SIGNAL_CAP, abs=1e-6)  # the cap binds here


def test_fit_needs_both_classes() -> None:
    only_real = datasets.load_srf().query("not is_fake")
    with pytest.raises(ValueError, match="both fake and real"):
        fit_weights([only_real])


def test_shipped_weights_are_the_fit_on_the_public_sets() -> None:
    """DEFAULT_WEIGHTS are fit_weights on SRF + InstaFake (SHIPPED_FIT), rounded to 2 decimals
    (InstaFake is needed to refit)."""
    sets = _public_sets(*SHIPPED_FIT)
    fitted = fit_weights([sets[n] for n in SHIPPED_FIT])
    for name in SIGNALS:
        assert getattr(W, name) == pytest.approx(getattr(fitted, name), abs=0.011), name


def test_shipped_classifier_on_srf() -> None:
    """In-sample on SRF (it helped fit the weights): the mass-follower fakes are now caught."""
    got = scores(datasets.load_srf())
    assert got["specificity"] >= 0.9  # 0.913
    assert got["balanced_accuracy"] >= 0.85  # 0.880; 0.69 before the calibration


def test_cross_dataset_table_when_instafake_is_present() -> None:
    instafake = datasets.load("instafake")
    if instafake is None:
        pytest.skip(f"InstaFake not fetched into {datasets.data_dir()} (see README)")
    table = cross_dataset({"srf": datasets.load_srf(), "instafake": instafake})
    row = table.query("fit == 'srf' and test == 'instafake'").iloc[0]
    assert row["held_out"] and row["specificity"] >= 0.9 and row["balanced_accuracy"] >= 0.9


def test_leave_one_set_out() -> None:
    """Fit on two sets, test on the third (README "Calibration on real accounts"). InstaFake
    held out meets the target (balanced accuracy and specificity >= 0.9); SRF and Kaggle do
    not, for the reasons the README gives (SRF: not separable at 0.9 even fitted on itself;
    Kaggle: its fakes are small quiet accounts the other two sets call people). The floors
    below pin those figures so that a change that makes them worse fails."""
    sets = _public_sets("instafake", "kaggle")
    got = {}
    for test in sets:
        train = [sets[n] for n in sets if n != test]
        got[test] = scores(sets[test], fit_weights(train))
    assert got["instafake"]["balanced_accuracy"] >= 0.9  # 0.933
    assert got["instafake"]["specificity"] >= 0.9  # 0.936
    assert got["srf"]["balanced_accuracy"] >= 0.84  # 0.848
    assert got["srf"]["specificity"] >= 0.85  # 0.859
    assert got["kaggle"]["balanced_accuracy"] >= 0.86  # 0.864
    assert got["kaggle"]["specificity"] >= 0.99  # 0.994, sensitivity 0.733


# --- the simulator's bots ---------------------------------------------------------------------


def test_bot_population_matches_the_published_figures() -> None:
    bots = pd.DataFrame(bot_profiles(RngDraws(np.random.default_rng(3), 40_000)))
    shares = bots["kind"].value_counts(normalize=True).sort_index().tolist()
    assert shares == pytest.approx([s for _, s in BOT_KINDS], abs=0.01)
    assert bots["following_count"].max() <= FOLLOW_CAP
    assert 1_200 <= bots["following_count"].median() <= 2_100  # SRF 2,096, InstaFake 1,446
    assert 30 <= bots["follower_count"].median() <= 110  # SRF 110, InstaFake 30
    assert bots["media_count"].median() <= 1  # SRF 1, InstaFake 0
    assert 0.6 <= bots["has_profile_pic"].mean() <= 0.93  # SRF 93 %, InstaFake 60 %
    assert (bots["username_digit_count"] + 2 <= bots["username_length"]).all()


def test_camouflaged_bots_are_mostly_missed() -> None:
    """Negative case: the bots with a body of posts (about a tenth of the published fakes) look
    like people on every profile signal; the classifier does not catch most of them."""
    bots = pd.DataFrame(bot_profiles(RngDraws(np.random.default_rng(5), 5_000)))
    out = classify_profiles(bots.drop(columns="kind"))
    flagged = out["category"] == "suspicious"
    assert flagged[bots["kind"] == 2].mean() < 0.3
    assert flagged[bots["kind"] < 2].mean() > 0.85


# --- share estimates (Rogan-Gladen) -----------------------------------------------------------


def test_bot_share_by_hand() -> None:
    """Apparent 20 of 100 with the shipped sensitivity 0.88, specificity 0.90: (0.2 - 0.1) /
    0.78 = 0.128. A share at the false-positive rate is 0 bots, one at the sensitivity all
    bots; outside that range it is clipped; nothing sampled gives NaN."""
    assert (SHARE_SENSITIVITY, SHARE_SPECIFICITY) == (0.88, 0.90)
    got = bot_share(np.array([20, 10, 88, 0, 100, 0]), np.array([100, 100, 100, 100, 100, 0]))
    assert got[:5] == pytest.approx([0.1 / 0.78, 0.0, 1.0, 0.0, 1.0])
    assert math.isnan(got[5])


def test_bot_share_is_unbiased_where_the_label_is_not() -> None:
    """A 10 % bot audience with the shipped error rates: the labels count 8.8 + 9.0 = 17.8 %
    suspicious, the correction gives back 10 %."""
    apparent = 0.1 * SHARE_SENSITIVITY + 0.9 * (1 - SHARE_SPECIFICITY)
    assert apparent == pytest.approx(0.178)
    assert bot_share(apparent * 1000, 1000) == pytest.approx(0.1)


def test_bot_share_refuses_a_classifier_no_better_than_chance() -> None:
    with pytest.raises(ValueError, match="exceed 1"):
        bot_share(10, 100, sensitivity=0.5, specificity=0.5)
    with pytest.raises(ValueError, match="suspicious <= sampled"):
        bot_share(11, 10)


def test_share_rates_are_the_shipped_constants() -> None:
    """SHARE_SENSITIVITY / SHARE_SPECIFICITY are what held_out_share_rates measures: SRF and
    InstaFake each held out, fitted on the other labelled sets (all three needed). In sample
    (share_rates) they are higher; SRF alone in sample is checked loosely when the fetched sets
    are absent."""
    sets = _public_sets()
    if len(sets) == len(datasets.NAMES):
        sens, spec = held_out_share_rates(sets)
        assert sens == pytest.approx(SHARE_SENSITIVITY, abs=0.005)  # 0.883
        assert spec == pytest.approx(SHARE_SPECIFICITY, abs=0.005)  # 0.897
        in_sens, in_spec = share_rates({n: sets[n] for n in SHIPPED_FIT})
        assert in_spec > spec  # 0.937: in sample is optimistic
        return
    sens, spec = share_rates({"srf": sets["srf"]})  # 0.847 / 0.913
    tol = 0.06
    assert sens == pytest.approx(SHARE_SENSITIVITY, abs=tol)
    assert spec == pytest.approx(SHARE_SPECIFICITY, abs=tol)
