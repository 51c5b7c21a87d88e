"""The simulator's platform-shape routes: the world of the day named by ``X-Clout-Date``, each
platform's credentials and error shapes, and injected faults the sources ride out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from pipeline.extract.roster import entry_of
from pipeline.extract.sources.http import HttpConfig
from pipeline.extract.sources.instagram import InstagramSource
from pipeline.extract.sources.tiktok import TikTokSource
from pipeline.extract.sources.youtube import YouTubeSource
from pipeline.simulator.server import SimulatorThread, set_faults
from pipeline.simulator.world import World

DAY = date(2026, 3, 1)
TOKEN = "shape-token"


@pytest.fixture(scope="module")
def shaped() -> Iterator[SimulatorThread]:
    with SimulatorThread(World(seed=3, n_accounts=40), token=TOKEN) as s:
        yield s


def _cfg(url: str) -> HttpConfig:
    return HttpConfig(base_url=url, max_retries=6, backoff_max_s=0.05)


def test_credentials_are_checked_in_each_platforms_shape(shaped: SimulatorThread) -> None:
    day = {"X-Clout-Date": DAY.isoformat()}
    yt = httpx.get(f"{shaped.url}/youtube/v3/channels", params={"id": "x", "key": "no"},
                   headers=day)  # fmt: skip
    assert yt.status_code == 400 and yt.json()["error"]["errors"][0]["reason"] == "keyInvalid"
    ig = httpx.get(f"{shaped.url}/instagram/v21.0/1", headers=day,
                   params={"fields": "business_discovery.username(a){id}", "access_token": "no"})  # fmt: skip
    assert ig.json()["error"]["code"] == 190
    tt = httpx.post(f"{shaped.url}/tiktok/v2/research/user/info/", json={"username": "a"},
                    headers={**day, "Authorization": "bearer no"})  # fmt: skip
    assert tt.status_code == 401 and tt.json()["error"]["code"] == "access_token_invalid"


def test_the_day_header_picks_the_worlds_day(shaped: SimulatorThread) -> None:
    acc = shaped.world.frame("accounts", DAY, "youtube").iloc[0]
    answers = [
        httpx.get(f"{shaped.url}/youtube/v3/channels", headers={"X-Clout-Date": d},
                  params={"id": acc["account_id"], "key": TOKEN, "part": "statistics"}).json()
        for d in ("2026-03-01", "2026-03-20")
    ]  # fmt: skip
    subs = [a["items"][0]["statistics"]["subscriberCount"] for a in answers]
    assert subs[0] == str(acc["followers"])
    later = shaped.world.frame("accounts", "2026-03-20", "youtube").iloc[0]["followers"]
    assert subs[1] == str(later)


@pytest.mark.parametrize("platform", ["youtube", "instagram", "tiktok"])
def test_sources_ride_out_429_bursts_and_500s(shaped: SimulatorThread, platform: str) -> None:
    acc = shaped.world.frame("accounts", DAY, platform)
    roster = [entry_of({"platform": platform, "handle": h}, "t") for h in acc["handle"]]
    source = {
        "youtube": lambda: YouTubeSource(_cfg(f"{shaped.url}/youtube/v3"), TOKEN),
        "instagram": lambda: InstagramSource(_cfg(f"{shaped.url}/instagram/v21.0"), TOKEN, "1"),
        "tiktok": lambda: TikTokSource(_cfg(f"{shaped.url}/tiktok/v2"), TOKEN),
    }[platform]()
    clean = source.extract(DAY, roster)
    set_faults(shaped.url, burst_429_every=4, burst_429_len=2, retry_after_s=0, rate_500=0.1)
    try:
        faulty = source.extract(DAY, roster)
    finally:
        set_faults(shaped.url)
    assert faulty.calls > clean.calls  # the refused calls were retried
    assert faulty.rows == clean.rows
    assert len(clean.rows["accounts"]) == len(acc)
    assert len(clean.rows["posts"]) == len(shaped.world.frame("posts", DAY, platform))
    assert [e.status for e in faulty.roster] == ["found"] * len(acc)


def test_a_malformed_day_header_is_a_400_in_the_platforms_shape(shaped: SimulatorThread) -> None:
    bad = {"X-Clout-Date": "yesterday"}
    yt = httpx.get(f"{shaped.url}/youtube/v3/videos", params={"id": "x", "key": TOKEN},
                   headers=bad)  # fmt: skip
    assert yt.status_code == 400 and "X-Clout-Date" in yt.json()["error"]["message"]
    tt = httpx.post(f"{shaped.url}/tiktok/v2/research/user/info/", json={"username": "a"},
                    headers={**bad, "Authorization": f"bearer {TOKEN}"})  # fmt: skip
    assert tt.status_code == 400 and tt.json()["error"]["code"] == "invalid_params"
