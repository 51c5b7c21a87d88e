"""End to end through ``run_day`` with platforms read from their own API shapes, served by the
simulator from the same world as the clout API: the results match the clout-API run wherever
the platform supplies the field, are NULL where it does not, and the roster's unknown and
invalid accounts are quarantined with their reason while the night succeeds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline.config import reload_settings
from pipeline.simulator.server import SimulatorThread
from pipeline.warehouse.catalog import query
from pipeline.warehouse.storage import Partition, Warehouse

DAY = date(2026, 3, 1)
pytestmark = pytest.mark.slow


@dataclass
class Runs:
    clout: Warehouse  #: every platform from the clout API
    shaped: Warehouse  #: the platform under test from its own API shape, the others from clout
    summary: dict[str, Any]  #: what run_day returned for the shaped run
    n: int  #: youtube accounts in the world (all on the roster)
    with_posts: int  #: of them, those with posts in the day's 30-day window


def _roster(sim: SimulatorThread, path: Path) -> Path:
    acc = sim.world.frame("accounts", DAY, "youtube")
    lines = ["platform,account_id,handle,category"]
    for i, r in enumerate(acc.to_dict("records")):
        # the first by its handle, the others by their channel id
        lines.append(f"youtube,,@{r['handle']},{r['category']}" if i == 0
                     else f"youtube,{r['account_id']},,{r['category']}")  # fmt: skip
    lines += ["youtube,UCdeletedChannel0000000x,,food", "myspace,123,,", "youtube,,,"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(mp: pytest.MonkeyPatch, root: Path, env: dict[str, str]) -> dict[str, Any]:
    from pipeline.flows.influencer_daily import run_day

    for k in (
        "CLOUT_SOURCES",
        "CLOUT_ROSTER",
        "CLOUT_YOUTUBE_URL",
        "CLOUT_YOUTUBE_API_KEY",
        "CLOUT_INSTAGRAM_URL",
        "CLOUT_INSTAGRAM_TOKEN",
        "CLOUT_INSTAGRAM_BUSINESS_ID",
    ):
        mp.delenv(k, raising=False)
    mp.setenv("CLOUT_WAREHOUSE", str(root))
    for k, v in env.items():
        mp.setenv(k, v)
    reload_settings()
    return run_day(DAY)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimulatorThread, Path]]:
    """The simulator and the run of every platform through the clout API (the reference)."""
    mp = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("sources")
    with SimulatorThread(accounts=30, seed=21) as sim:
        _run(mp, base / "clout", _common(sim))
        yield sim, base
    mp.undo()
    reload_settings()


def _common(sim: SimulatorThread) -> dict[str, str]:
    return {"CLOUT_API_URL": sim.url, "CLOUT_API_TOKEN": sim.token, "CLOUT_PII_KEY": "k"}


@pytest.fixture(scope="module")
def youtube_runs(world: tuple[SimulatorThread, Path]) -> Iterator[Runs]:
    sim, base = world
    mp = pytest.MonkeyPatch()
    summary = _run(mp, base / "youtube", {
        **_common(sim), "CLOUT_SOURCES": "youtube,clout",
        "CLOUT_ROSTER": str(_roster(sim, base / "roster.csv")),
        "CLOUT_YOUTUBE_URL": f"{sim.url}/youtube/v3", "CLOUT_YOUTUBE_API_KEY": sim.token,
    })  # fmt: skip
    n = len(sim.world.frame("accounts", DAY, "youtube"))
    posting = sim.world.frame("posts", DAY, "youtube")["account_id"].nunique()
    yield Runs(Warehouse(base / "clout"), Warehouse(base / "youtube"), summary, n, posting)
    mp.undo()
    reload_settings()


def _q(wh: Warehouse, sql: str) -> pd.DataFrame:
    return query(wh, sql).to_pandas()


def _both(runs: Runs, sql: str, key: str, suffix: str = "_yt") -> pd.DataFrame:
    a = _q(runs.clout, sql).set_index(key).sort_index()
    b = _q(runs.shaped, sql).set_index(key).sort_index()
    assert list(a.index) == list(b.index)
    return a.join(b, lsuffix="_clout", rsuffix=suffix)


def test_youtube_accounts_match_where_youtube_has_the_field(youtube_runs: Runs) -> None:
    sql = "select * from stg_accounts where platform = 'youtube'"
    j = _both(youtube_runs, sql, "account_id")
    assert len(j) == youtube_runs.n
    for col in ("followers", "media_count", "handle", "display_name", "country", "language",
                "category", "biography_length", "created_at"):  # fmt: skip
        assert (j[f"{col}_clout"] == j[f"{col}_yt"]).all(), col
    # YouTube has no following count and no verified / private flags
    assert j["following_yt"].isna().all() and j["following_clout"].notna().all()
    assert j["is_verified_yt"].isna().all() and j["is_private_yt"].isna().all()


def test_youtube_posts_match_and_missing_metrics_stay_null(youtube_runs: Runs) -> None:
    sql = "select * from stg_posts where platform = 'youtube'"
    j = _both(youtube_runs, sql, "post_id")
    assert len(j) > 20
    for col in ("account_id", "published_at", "likes", "comments", "views", "media_type",
                "is_sponsored"):  # fmt: skip
        assert (j[f"{col}_clout"] == j[f"{col}_yt"]).all(), col
    assert j["shares_yt"].isna().all() and j["saves_yt"].isna().all()
    assert j["promo_code_yt"].isna().all()  # YouTube does not know the brand's codes


def test_engagement_is_the_same_and_audience_quality_says_no_sample(youtube_runs: Runs) -> None:
    j = _both(youtube_runs, "select account_id, engagement_rate, followers from "
              "influencer_daily where platform = 'youtube'", "account_id")  # fmt: skip
    assert (j["engagement_rate_clout"] - j["engagement_rate_yt"]).abs().max() < 1e-12
    q = _q(youtube_runs.shaped, "select * from audience_quality where platform = 'youtube'")
    assert len(q) == youtube_runs.n
    assert (q["followers_sampled_28d"] == 0).all() and (q["followers_sampled"] == 0).all()
    for col in ("authenticity_pct", "suspicious_pct", "reachability_pct", "authenticity_pct_28d"):
        assert q[col].isna().all(), col
    clout = _q(youtube_runs.clout, "select * from audience_quality where platform = 'youtube'")
    assert (clout["followers_sampled_28d"] > 0).all()


def test_other_platforms_are_untouched(youtube_runs: Runs) -> None:
    for table in ("stg_accounts", "stg_posts", "stg_follower_samples"):
        sql = f"select * from {table} where platform <> 'youtube' order by all"
        pd.testing.assert_frame_equal(_q(youtube_runs.clout, sql), _q(youtube_runs.shaped, sql))


def test_roster_is_staged_and_unknown_accounts_are_quarantined(youtube_runs: Runs) -> None:
    staged = _q(youtube_runs.shaped, "select * from stg_roster")
    assert len(staged) == youtube_runs.n and set(staged["status"]) == {"found"}
    assert staged["account_id"].notna().all()
    q = _q(youtube_runs.shaped, "select ref, status, reason, _reasons from quarantine_roster "
           "order by ref")  # fmt: skip
    reasons = dict(zip(q["ref"], q["_reasons"], strict=True))
    assert reasons == {"(none)": "roster_row_invalid", "123": "expect_column_values_to_be_in_set:"
                       "platform;roster_row_invalid", "UCdeletedChannel0000000x":
                       "account_not_found"}  # fmt: skip
    gone = q.set_index("ref").loc["UCdeletedChannel0000000x", "reason"]
    assert "no channel with id" in gone
    roster = next(s for s in youtube_runs.summary["staged"] if s["table"] == "roster")
    n = youtube_runs.n
    assert (roster["raw_rows"], roster["staged_rows"], roster["quarantined_rows"]) == (n + 3, n, 3)


def test_quota_units_are_reported(youtube_runs: Runs) -> None:
    yt = [x for x in youtube_runs.summary["landed"] if x["platform"] == "youtube"]
    units = {x["platform_quota_units"] for x in yt}
    # 1 channels.list by ids + 1 by handle, then per channel 1 playlist page, and 1 videos.list
    # per channel with videos in the window
    expected = 2 + youtube_runs.n + youtube_runs.with_posts
    assert units == {expected}
    part = Partition.of("raw", "posts", DAY, platform="youtube")
    manifest = youtube_runs.shaped.read_manifest(part)
    assert manifest is not None and manifest["quota_units"] == expected


# ------------------------------------------------------------------------------- Instagram


@pytest.fixture(scope="module")
def instagram_runs(world: tuple[SimulatorThread, Path]) -> Iterator[Runs]:
    sim, base = world
    acc = sim.world.frame("accounts", DAY, "instagram")
    lines = ["platform,handle,category,insights"]
    for i, r in enumerate(acc.to_dict("records")):
        lines.append(f"instagram,{r['handle']},{r['category']},{'true' if i % 2 == 0 else ''}")
    lines.append("instagram,no.such.user,,")
    (base / "ig_roster.csv").write_text("\n".join(lines) + "\n")
    mp = pytest.MonkeyPatch()
    summary = _run(mp, base / "instagram", {
        **_common(sim), "CLOUT_SOURCES": "instagram_graph,clout",
        "CLOUT_ROSTER": str(base / "ig_roster.csv"),
        "CLOUT_INSTAGRAM_URL": f"{sim.url}/instagram/v21.0", "CLOUT_INSTAGRAM_TOKEN": sim.token,
        "CLOUT_INSTAGRAM_BUSINESS_ID": "17841405309211844",
    })  # fmt: skip
    posting = sim.world.frame("posts", DAY, "instagram")["account_id"].nunique()
    yield Runs(Warehouse(base / "clout"), Warehouse(base / "instagram"), summary, len(acc), posting)
    mp.undo()
    reload_settings()


def test_instagram_accounts_and_posts_match_where_the_graph_api_has_them(
    instagram_runs: Runs,
) -> None:
    sql = "select * from stg_accounts where platform = 'instagram'"
    j = _both(instagram_runs, sql, "account_id", "_ig")
    assert len(j) == instagram_runs.n
    for col in ("followers", "following", "media_count", "handle", "display_name", "category",
                "biography_length"):  # fmt: skip
        assert (j[f"{col}_clout"] == j[f"{col}_ig"]).all(), col
    for col in ("country", "language", "created_at", "is_verified"):
        assert j[f"{col}_ig"].isna().all(), col
    p = _both(instagram_runs, "select * from stg_posts where platform = 'instagram'", "post_id",
              "_ig")  # fmt: skip
    for col in ("account_id", "published_at", "likes", "comments", "media_type"):
        assert (p[f"{col}_clout"] == p[f"{col}_ig"]).all(), col
    for col in ("views", "shares", "saves", "is_sponsored"):
        assert p[f"{col}_ig"].isna().all(), col
    e = _both(instagram_runs, "select account_id, engagement_rate from influencer_daily "
              "where platform = 'instagram'", "account_id", "_ig")  # fmt: skip
    assert (e["engagement_rate_clout"] - e["engagement_rate_ig"]).abs().max() < 1e-12


def test_instagram_audience_from_insights_of_the_accounts_that_granted_them(
    instagram_runs: Runs,
) -> None:
    sql = ("select account_id, dimension, bucket, share from stg_audience "
           "where platform = 'instagram' and dimension in ('age', 'gender')")  # fmt: skip
    ig = _q(instagram_runs.shaped, sql).set_index(["account_id", "dimension", "bucket"])
    clout = _q(instagram_runs.clout, sql).set_index(["account_id", "dimension", "bucket"])
    granted = set(ig.index.get_level_values(0))
    assert len(granted) == (instagram_runs.n + 1) // 2  # every other roster account
    j = clout[clout.index.get_level_values(0).isin(granted)].join(ig, rsuffix="_ig")
    assert (j["share"] - j["share_ig"]).abs().max() < 2e-3  # counts rounded to whole followers
    sums = _q(instagram_runs.shaped, "select account_id, dimension, sum(share) as s from "
              "stg_audience where platform = 'instagram' group by all")  # fmt: skip
    assert (sums["s"] - 1).abs().max() < 1e-9
    assert set(sums["dimension"]) == {"age", "gender", "country"}  # no interests on Instagram
    q = _q(instagram_runs.shaped, "select * from audience_quality where platform = 'instagram'")
    assert (q["followers_sampled_28d"] == 0).all() and q["authenticity_pct"].isna().all()
    gone = _q(instagram_runs.shaped, "select ref, _reasons from quarantine_roster")
    assert gone.to_dict("records") == [{"ref": "@no.such.user", "_reasons": "account_not_found"}]


# ---------------------------------------------------------------------------------- TikTok


@pytest.fixture(scope="module")
def tiktok_runs(world: tuple[SimulatorThread, Path]) -> Iterator[Runs]:
    sim, base = world
    acc = sim.world.frame("accounts", DAY, "tiktok")
    lines = ["platform,account_id,handle,category"]
    lines += [f"tiktok,{r['account_id']},{r['handle']},{r['category']}"
              for r in acc.to_dict("records")]  # fmt: skip
    lines.append("tiktok,,ghost_user,")
    (base / "tt_roster.csv").write_text("\n".join(lines) + "\n")
    mp = pytest.MonkeyPatch()
    summary = _run(mp, base / "tiktok", {
        **_common(sim), "CLOUT_SOURCES": "tiktok,clout",
        "CLOUT_ROSTER": str(base / "tt_roster.csv"),
        "CLOUT_TIKTOK_URL": f"{sim.url}/tiktok/v2", "CLOUT_TIKTOK_TOKEN": sim.token,
    })  # fmt: skip
    posting = sim.world.frame("posts", DAY, "tiktok")["account_id"].nunique()
    yield Runs(Warehouse(base / "clout"), Warehouse(base / "tiktok"), summary, len(acc), posting)
    mp.undo()
    reload_settings()


def test_tiktok_accounts_and_posts_match_where_the_research_api_has_them(
    tiktok_runs: Runs,
) -> None:
    j = _both(tiktok_runs, "select * from stg_accounts where platform = 'tiktok'", "account_id",
              "_tt")  # fmt: skip
    assert len(j) == tiktok_runs.n
    for col in ("followers", "following", "media_count", "handle", "display_name", "category",
                "is_verified", "biography_length"):  # fmt: skip
        assert (j[f"{col}_clout"] == j[f"{col}_tt"]).all(), col
    for col in ("country", "language", "created_at", "is_private"):
        assert j[f"{col}_tt"].isna().all(), col
    p = _both(tiktok_runs, "select * from stg_posts where platform = 'tiktok'", "post_id", "_tt")
    for col in ("account_id", "published_at", "likes", "comments", "shares", "saves", "views"):
        assert (p[f"{col}_clout"] == p[f"{col}_tt"]).all(), col
    videos = p["media_type_clout"] == "video"
    assert (p.loc[videos, "media_type_tt"] == "video").all()
    assert p["is_sponsored_tt"].isna().all()
    e = _both(tiktok_runs, "select account_id, engagement_rate from influencer_daily "
              "where platform = 'tiktok'", "account_id", "_tt")  # fmt: skip
    assert (e["engagement_rate_clout"] - e["engagement_rate_tt"]).abs().max() < 1e-12
    assert _q(tiktok_runs.shaped, "select count(*) as n from stg_audience where platform = "
              "'tiktok'")["n"][0] == 0  # fmt: skip
    q = _q(tiktok_runs.shaped, "select * from audience_quality where platform = 'tiktok'")
    assert (q["followers_sampled_28d"] == 0).all() and q["suspicious_pct"].isna().all()
    gone = _q(tiktok_runs.shaped, "select ref, _reasons from quarantine_roster")
    assert gone.to_dict("records") == [{"ref": "@ghost_user", "_reasons": "account_not_found"}]


# ------------------------------------------------------------------------------------ CLI


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLOUT_")}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], env={**base, **env},
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def test_clout_run_prints_the_quota_and_config_errors_are_one_line(
    world: tuple[SimulatorThread, Path],
) -> None:
    sim, base = world
    roster = _roster(sim, base / "cli_roster.csv")
    tiktok = sim.world.frame("accounts", DAY, "tiktok")["handle"][:2]
    roster.write_text(roster.read_text() + "".join(f"tiktok,,{h},\n" for h in tiktok))
    env = {**_common(sim), "CLOUT_WAREHOUSE": str(base / "cli"),
           "CLOUT_SOURCES": "youtube,tiktok=clout", "CLOUT_ROSTER": str(roster),
           "CLOUT_YOUTUBE_URL": f"{sim.url}/youtube/v3"}  # fmt: skip
    missing = _cli(env, "run", "--date", DAY.isoformat(), "--dag", "influencer_daily")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "error: CLOUT_YOUTUBE_API_KEY is not set: the youtube source needs an API key"]  # fmt: skip
    done = _cli({**env, "CLOUT_YOUTUBE_API_KEY": sim.token}, "run", "--date", DAY.isoformat(),
                "--dag", "influencer_daily")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{DAY}: youtube: " in done.stdout and "quota units" in done.stdout
    # instagram is not extracted (CLOUT_SOURCES does not name it)
    raw = sorted(p.name for p in (base / "cli/raw/accounts/dt=2026-03-01").iterdir())
    assert raw == ["platform=tiktok", "platform=youtube"]
    # tiktok is read from the clout API, which serves its tracked accounts itself: its roster
    # accounts are staged unchecked
    staged = _q(Warehouse(base / "cli"), "select platform, status, count(*) as n from stg_roster "
                "group by all order by all")  # fmt: skip
    n = len(sim.world.frame("accounts", DAY, "youtube"))
    assert staged.to_dict("records") == [
        {"platform": "tiktok", "status": "unchecked", "n": 2},
        {"platform": "youtube", "status": "found", "n": n}]  # fmt: skip
