"""Contract test of the TikTok Research API source: user info and video query answers in the
documented shapes (``tests/data/platforms/tiktok``) replayed over real HTTP; mapped rows field
by field, cursor/search_id paging, not-found users, rate-limit retry, daily quota stop with
nothing landed, bad token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from platform_fixtures import Answer, FixtureServer, Route

from pipeline.extract.roster import RosterEntry, entry_of
from pipeline.extract.sources.base import land_extracted
from pipeline.extract.sources.http import AuthError, HttpConfig, QuotaExceeded
from pipeline.extract.sources.tiktok import TikTokSource
from pipeline.warehouse.storage import Warehouse

DAY = date(2026, 3, 1)
TOKEN = "clt.test-token"


def _roster() -> list[RosterEntry]:
    rows = [
        {"platform": "tiktok", "handle": "chef.lina", "account_id": "6912345678", "category": "food"},
        {"platform": "tiktok", "handle": "gone_user"},
        {"platform": "tiktok", "account_id": "123"},
    ]  # fmt: skip
    return [entry_of(r, "roster.csv") for r in rows]


def _routes(videos: list[Answer] | None = None) -> list[Route]:
    return [
        Route("POST", "/v2/research/user/info/", [Answer("tiktok/user_info.json")],
              {"username": "chef.lina"}),
        Route("POST", "/v2/research/user/info/", [Answer("tiktok/user_not_found.json", 400)],
              {"username": "gone_user"}),
        Route("POST", "/v2/research/video/query/", [Answer("tiktok/videos_page2.json")],
              {"cursor": "2", "search_id": "7201388525814961198"}),
        Route("POST", "/v2/research/video/query/",
              videos or [Answer("tiktok/videos_page1.json")], {"cursor": "0"}),
    ]  # fmt: skip


def _source(url: str) -> TikTokSource:
    return TikTokSource(HttpConfig(base_url=f"{url}/v2", max_retries=2, backoff_max_s=0.05), TOKEN)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(_routes()) as srv:
        yield srv


def test_user_info_and_videos_map_field_by_field(server: FixtureServer) -> None:
    ex = _source(server.url).extract(DAY, _roster())
    assert ex.rows["accounts"] == [{
        "platform": "tiktok", "account_id": "6912345678", "handle": "chef.lina",
        "display_name": "Chef Lina", "category": "food", "country": None, "language": None,
        "followers": 184300, "following": 312, "media_count": 402, "is_verified": True,
        "is_private": None, "biography_length": len("Quick dinners, 30 minutes or less"),
        "created_at": None,
    }]  # fmt: skip
    posts = ex.rows["posts"]
    assert [p["post_id"] for p in posts] == [7301234567890123456, 7301234567890123457,
                                             7301234567890123458]  # fmt: skip
    assert posts[0] == {
        "platform": "tiktok", "post_id": 7301234567890123456, "account_id": "6912345678",
        "published_at": "2026-02-27T15:00:00Z", "media_type": "video", "is_sponsored": None,
        "campaign_id": None, "promo_code": None, "likes": 8120, "comments": 143, "shares": 210,
        "saves": 388, "views": 120345,
    }  # fmt: skip
    assert posts[1]["saves"] is None  # favorites_count absent: NULL, not 0
    assert ex.rows["audience"] == ex.rows["follower_samples"] == []


def test_video_query_pages_with_cursor_and_search_id(server: FixtureServer) -> None:
    _source(server.url).extract(DAY, _roster())
    queries = [s.body for s in server.calls("/v2/research/video/query/")]
    assert [(q["cursor"], q.get("search_id")) for q in queries] == [
        (0, None), (2, "7201388525814961198")]  # fmt: skip
    first = queries[0]
    assert first["query"] == {"and": [{"operation": "IN", "field_name": "username",
                                       "field_values": ["chef.lina"]}]}  # fmt: skip
    assert (first["start_date"], first["end_date"], first["max_count"]) == (
        "20260131", "20260301", 100)  # fmt: skip
    assert all(s.headers["authorization"] == f"bearer {TOKEN}" for s in server.requests)
    assert "favorites_count" in server.requests[-1].params["fields"]


def test_unknown_users_are_not_found(server: FixtureServer) -> None:
    ex = _source(server.url).extract(DAY, _roster())
    outcome = {e.ref: (e.status, e.reason or "") for e in ex.roster}
    assert outcome["6912345678"] == ("found", "")
    assert outcome["@gone_user"][0] == "not_found"
    assert "does not exist" in outcome["@gone_user"][1]
    assert outcome["123"][0] == "not_found" and "no handle" in outcome["123"][1]


def test_429_is_retried() -> None:
    routes = _routes([Answer("tiktok/rate_limited.json", 429, {"Retry-After": "0"}),
                      Answer("tiktok/videos_page1.json")])  # fmt: skip
    with FixtureServer(routes) as srv:
        ex = _source(srv.url).extract(DAY, _roster())
    assert len(ex.rows["posts"]) == 3


def test_a_spent_daily_quota_stops_tiktok_with_nothing_landed(tmp_path: Path) -> None:
    routes = _routes([Answer("tiktok/daily_quota.json", 429)])
    with FixtureServer(routes) as srv, pytest.raises(QuotaExceeded, match="daily quota"):
        land_extracted(Warehouse(tmp_path), _source(srv.url).extract(DAY, _roster()), DAY, "r")
    assert not (tmp_path / "raw").exists()


def test_a_bad_token_is_a_clear_error() -> None:
    routes = [Route("POST", "/v2/research/user/info/", [Answer("tiktok/token_invalid.json", 401)])]
    with FixtureServer(routes) as srv, pytest.raises(AuthError, match="CLOUT_TIKTOK_TOKEN"):
        _source(srv.url).extract(DAY, _roster())
