"""Contract test of the YouTube source: answers in the YouTube Data API v3's documented shapes
(``tests/data/platforms/youtube``) replayed over real HTTP, mapped rows checked field by field,
paging, quota counting, 429 retry, quota stop with nothing landed, bad key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from platform_fixtures import Answer, FixtureServer, Route

from pipeline.extract.roster import RosterEntry, entry_of
from pipeline.extract.sources.base import land_extracted
from pipeline.extract.sources.http import AuthError, HttpConfig, QuotaExceeded
from pipeline.extract.sources.youtube import YouTubeSource, duration_seconds, media_type
from pipeline.warehouse.storage import Warehouse

DAY = date(2026, 3, 1)
KEY = "AIza-test-key"
MAIN = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
HIDDEN = "UCHiddenSubs0000000000aa"
GONE = "UCDeletedChannel00000zzz"


def _roster() -> list[RosterEntry]:
    rows = [
        {"platform": "youtube", "account_id": MAIN, "category": "tech"},
        {"platform": "youtube", "account_id": HIDDEN},
        {"platform": "youtube", "account_id": GONE, "category": "food"},
        {"platform": "youtube", "handle": "@handleonly", "category": "food"},
        {"platform": "youtube", "handle": "nobody_here"},
    ]
    return [entry_of(r, "roster.csv") for r in rows]


def _routes(channels: list[Answer] | None = None) -> list[Route]:
    ids = f"{MAIN},{HIDDEN},{GONE}"
    return [
        Route("GET", "/youtube/v3/channels", channels or [Answer("youtube/channels_by_id.json")],
              {"id": ids}),
        Route("GET", "/youtube/v3/channels", [Answer("youtube/channels_for_handle.json")],
              {"forHandle": "@handleonly"}),
        Route("GET", "/youtube/v3/channels", [Answer("youtube/channels_empty.json")],
              {"forHandle": "@nobody_here"}),
        Route("GET", "/youtube/v3/playlistItems", [Answer("youtube/playlist_items_page2.json")],
              {"playlistId": "UU" + MAIN[2:], "pageToken": "EAAaBlBUOkNESQ"}),
        Route("GET", "/youtube/v3/playlistItems", [Answer("youtube/playlist_items_page1.json")],
              {"playlistId": "UU" + MAIN[2:]}),
        Route("GET", "/youtube/v3/playlistItems",
              [Answer("youtube/playlist_not_found.json", 404)],
              {"playlistId": "UU" + HIDDEN[2:]}),
        Route("GET", "/youtube/v3/playlistItems",
              [Answer({"kind": "youtube#playlistItemListResponse", "items": []})],
              {"playlistId": "UUByHandle000000000000bb"}),
        Route("GET", "/youtube/v3/videos", [Answer("youtube/videos.json")],
              {"id": "aqz-KE-bpKQ,9bZkp7q19f0"}),
    ]  # fmt: skip


def _source(url: str, budget: int = 10_000) -> YouTubeSource:
    cfg = HttpConfig(base_url=f"{url}/youtube/v3", max_retries=3, backoff_max_s=0.05)
    return YouTubeSource(cfg, KEY, quota_budget=budget)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(_routes()) as srv:
        yield srv


def test_channels_map_to_accounts_field_by_field(server: FixtureServer) -> None:
    ex = _source(server.url).extract(DAY, _roster())
    accounts = {r["account_id"]: r for r in ex.rows["accounts"]}
    assert accounts[MAIN] == {
        "platform": "youtube", "account_id": MAIN, "handle": "googledevelopers",
        "display_name": "Google for Developers", "category": "tech", "country": "US",
        "language": "en", "followers": "2480000", "following": None, "media_count": "6350",
        "is_verified": None, "is_private": None,
        "biography_length": len("Subscribe to join a community of creative developers."),
        "created_at": "2007-08-23T00:34:43Z",
    }  # fmt: skip
    hidden = accounts[HIDDEN]
    assert hidden["followers"] is None  # hiddenSubscriberCount: never invented
    assert (hidden["handle"], hidden["country"], hidden["biography_length"]) == (None, None, 0)
    by_handle = accounts["UCByHandle000000000000bb"]
    assert (by_handle["handle"], by_handle["category"], by_handle["followers"]) == (
        "handleonly",
        "food",
        "15300",
    )
    assert set(accounts) == {MAIN, HIDDEN, "UCByHandle000000000000bb"}
    # YouTube gives no audience and no follower samples without the owner's consent
    assert ex.rows["audience"] == ex.rows["follower_samples"] == ex.rows["delivery"] == []


def test_uploads_page_until_the_window_and_videos_map_to_posts(server: FixtureServer) -> None:
    ex = _source(server.url).extract(DAY, _roster())
    posts = {r["post_id"]: r for r in ex.rows["posts"]}
    # page 1: one video after the day (left out), one in; page 2: a private item (no date),
    # one in, one older than the 30-day window: paging stops there (no third page asked)
    assert set(posts) == {"aqz-KE-bpKQ", "9bZkp7q19f0"}
    pages = server.calls("/youtube/v3/playlistItems")
    main_pages = [p for p in pages if p.params["playlistId"] == "UU" + MAIN[2:]]
    assert [p.params.get("pageToken") for p in main_pages] == [None, "EAAaBlBUOkNESQ"]
    assert all(p.params["maxResults"] == "50" for p in main_pages)
    assert posts["aqz-KE-bpKQ"] == {
        "platform": "youtube", "post_id": "aqz-KE-bpKQ", "account_id": MAIN,
        "published_at": "2026-02-28T17:00:00Z", "media_type": "video", "is_sponsored": True,
        "campaign_id": None, "promo_code": None, "likes": "30211", "comments": "1205",
        "shares": None, "saves": None, "views": "1520034",
    }  # fmt: skip
    short = posts["9bZkp7q19f0"]
    assert (short["media_type"], short["likes"], short["is_sponsored"]) == ("short", None, None)


def test_roster_lookups_and_quota_units(server: FixtureServer) -> None:
    ex = _source(server.url).extract(DAY, _roster())
    status = {e.ref: (e.status, e.account_id) for e in ex.roster}
    assert status == {
        MAIN: ("found", MAIN), HIDDEN: ("found", HIDDEN), GONE: ("not_found", GONE),
        "@handleonly": ("found", "UCByHandle000000000000bb"),
        "@nobody_here": ("not_found", None),
    }  # fmt: skip
    gone = next(e for e in ex.roster if e.ref == GONE)
    assert gone.reason and "no channel with id" in gone.reason
    # 1 channels by id + 2 by handle + 2 playlist pages + 1 (404) + 1 (empty) + 1 videos
    assert ex.calls == ex.quota_units == len(server.requests) == 8
    assert all(s.params["key"] == KEY for s in server.requests)
    assert all(s.headers["x-clout-date"] == "2026-03-01" for s in server.requests)
    # the key never reaches the raw zone
    assert all(KEY not in request for request, _ in ex.responses)


def test_429_is_retried_with_backoff() -> None:
    routes = _routes([Answer("youtube/rate_limited.json", 429, {"Retry-After": "0"}),
                      Answer("youtube/channels_by_id.json")])  # fmt: skip
    with FixtureServer(routes) as srv:
        ex = _source(srv.url).extract(DAY, _roster())
    assert len(ex.rows["accounts"]) == 3
    assert ex.calls == 9  # the retried call counted too


def test_quota_exceeded_stops_youtube_with_nothing_landed(tmp_path: Path) -> None:
    routes = _routes()
    routes[-1] = Route("GET", "/youtube/v3/videos", [Answer("youtube/quota_exceeded.json", 403)])
    wh = Warehouse(tmp_path)
    with FixtureServer(routes) as srv, pytest.raises(QuotaExceeded, match="quota exceeded"):
        land_extracted(wh, _source(srv.url).extract(DAY, _roster()), DAY, "r1")
    assert not (tmp_path / "raw").exists()


def test_the_runs_own_budget_stops_before_the_platform_does(server: FixtureServer) -> None:
    with pytest.raises(QuotaExceeded, match="budget of 2 units"):
        _source(server.url, budget=2).extract(DAY, _roster())
    assert len(server.requests) == 2


def test_a_bad_key_is_a_clear_error() -> None:
    routes = [Route("GET", "/youtube/v3/channels", [Answer("youtube/key_invalid.json", 400)])]
    with FixtureServer(routes) as srv, pytest.raises(AuthError, match="CLOUT_YOUTUBE_API_KEY"):
        _source(srv.url).extract(DAY, _roster())


def test_landed_pages_keep_the_answers_and_the_roster(
    server: FixtureServer, tmp_path: Path
) -> None:
    wh = Warehouse(tmp_path)
    landed = land_extracted(wh, _source(server.url).extract(DAY, _roster()), DAY, "r1")
    counts = {x.table: x.rows for x in landed}
    assert counts == {"accounts": 3, "posts": 2, "audience": 0, "follower_samples": 0,
                      "delivery": 0}  # fmt: skip
    assert {x.platform_quota_units for x in landed} == {8}
    responses = tmp_path / "raw/platform_responses/dt=2026-03-01/platform=youtube/responses.jsonl"
    # every answer but the 404 (an error: a channel without an uploads playlist), one per line
    assert len(responses.read_text().splitlines()) == 7
    roster = tmp_path / "raw/roster/dt=2026-03-01/platform=youtube/part-0.jsonl"
    assert roster.read_text().count('"not_found"') == 2


@pytest.mark.parametrize(
    ("value", "seconds", "kind"),
    [("PT58S", 58, "short"), ("PT1M", 60, "short"), ("PT1M1S", 61, "video"),
     ("PT1H2M3S", 3723, "video"), ("P1DT1S", 86401, "video"), ("P0D", 0, "short"),
     ("", None, None), ("10:00", None, None), (None, None, None)],
)  # fmt: skip
def test_durations(value: str | None, seconds: float | None, kind: str | None) -> None:
    assert duration_seconds(value) == seconds
    assert media_type(value) == kind
