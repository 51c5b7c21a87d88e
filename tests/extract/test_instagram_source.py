"""Contract test of the Instagram Graph API source: business discovery and insights answers in
the documented shapes (``tests/data/platforms/instagram``) replayed over real HTTP; mapped rows
checked field by field, media paging by ``after`` cursors, audience shares, not-found and
permission outcomes, rate-limit retry and give-up with nothing landed, bad token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from platform_fixtures import Answer, FixtureServer, Route

from pipeline.extract.platform_api import ExtractError
from pipeline.extract.roster import RosterEntry, entry_of
from pipeline.extract.sources.base import land_extracted
from pipeline.extract.sources.http import AuthError, HttpConfig
from pipeline.extract.sources.instagram import (
    ACCOUNT_FIELDS,
    MEDIA_FIELDS,
    InstagramSource,
)
from pipeline.warehouse.storage import Warehouse

DAY = date(2026, 3, 1)
ME = "17841405309211844"
TOKEN = "EAAG-test-token"
BLUE = "17841401441775531"
AFTER = "QVFIUjJoTnBtbE5QcU9GbFVLc2Ri"


def _fields(user: str, after: str | None = None) -> str:
    if after:
        return f"business_discovery.username({user}){{media.after({after}).limit(50){{{MEDIA_FIELDS}}}}}"
    return (f"business_discovery.username({user}){{{ACCOUNT_FIELDS},"
            f"media.limit(50){{{MEDIA_FIELDS}}}}}")  # fmt: skip


def _roster() -> list[RosterEntry]:
    rows = [
        {"platform": "instagram", "handle": "@bluebottle", "category": "food", "insights": "yes"},
        {"platform": "instagram", "handle": "gone.account"},
        {"platform": "instagram", "account_id": "17841400000000000"},
    ]
    return [entry_of(r, "roster.csv") for r in rows]


def _insights(dim: str, answer: Answer) -> Route:
    return Route("GET", f"/v21.0/{BLUE}/insights", [answer],
                 {"metric": "follower_demographics", "breakdown": dim, "period": "lifetime"})  # fmt: skip


def _routes(first: list[Answer] | None = None, gender: Answer | None = None) -> list[Route]:
    return [
        Route("GET", f"/v21.0/{ME}", first or [Answer("instagram/discovery_page1.json")],
              {"fields": _fields("bluebottle")}),
        Route("GET", f"/v21.0/{ME}", [Answer("instagram/discovery_page2.json")],
              {"fields": _fields("bluebottle", AFTER)}),
        Route("GET", f"/v21.0/{ME}", [Answer("instagram/discovery_not_found.json", 400)],
              {"fields": _fields("gone.account")}),
        _insights("age", Answer("instagram/insights_age.json")),
        _insights("gender", gender or Answer("instagram/insights_gender.json")),
        _insights("country", Answer("instagram/insights_country.json")),
    ]  # fmt: skip


def _source(url: str) -> InstagramSource:
    cfg = HttpConfig(base_url=f"{url}/v21.0", max_retries=2, backoff_max_s=0.05)
    return InstagramSource(cfg, TOKEN, ME)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(_routes()) as srv:
        yield srv


def test_discovery_maps_to_accounts_and_posts(server: FixtureServer) -> None:
    ex = _source(server.url).extract(DAY, _roster())
    assert ex.rows["accounts"] == [{
        "platform": "instagram", "account_id": BLUE, "handle": "bluebottle",
        "display_name": "Blue Bottle Coffee", "category": "food", "country": None,
        "language": None, "followers": 267793, "following": 412, "media_count": 1205,
        "is_verified": None, "is_private": False,
        "biography_length": len("Coffee roaster since 2002."), "created_at": None,
    }]  # fmt: skip
    posts = {p["post_id"]: p for p in ex.rows["posts"]}
    # page 1: one after the day (left out), a reel, a carousel with hidden likes; page 2: one
    # in the window and one older than it, so the third page is never asked for
    assert set(posts) == {"17858893269000001", "17858893269000002", "17858893269000003"}
    assert posts["17858893269000001"] == {
        "platform": "instagram", "post_id": "17858893269000001", "account_id": BLUE,
        "published_at": "2026-02-27T16:04:21+0000", "media_type": "reel", "is_sponsored": None,
        "campaign_id": None, "promo_code": None, "likes": 1220, "comments": 46, "shares": None,
        "saves": None, "views": None,
    }  # fmt: skip
    carousel = posts["17858893269000002"]
    assert (carousel["media_type"], carousel["likes"], carousel["comments"]) == (
        "carousel",
        None,
        13,
    )
    assert posts["17858893269000003"]["media_type"] == "image"
    pages = [s.params["fields"] for s in server.requests if s.path == f"/v21.0/{ME}"]
    assert pages.count(_fields("bluebottle", AFTER)) == 1
    assert all(s.params["access_token"] == TOKEN for s in server.requests)
    assert all(TOKEN not in request for request, _ in ex.responses)


def test_insights_give_audience_shares_summing_to_one(server: FixtureServer) -> None:
    ex = _source(server.url).extract(DAY, _roster())
    shares = {(r["dimension"], r["bucket"]): r["share"] for r in ex.rows["audience"]}
    assert shares == pytest.approx({
        ("age", "18-24"): 0.3, ("age", "25-34"): 0.45, ("age", "35-44"): 0.15,
        ("age", "55+"): 0.1,  # 55-64 and 65+ together, as the contract's bucket
        ("gender", "female"): 0.6, ("gender", "male"): 0.35, ("gender", "other"): 0.05,
        ("country", "US"): 0.5, ("country", "GB"): 0.25, ("country", "DE"): 0.25,
    })  # fmt: skip
    assert {r["account_id"] for r in ex.rows["audience"]} == {BLUE}
    assert ex.rows["follower_samples"] == []  # the Graph API has no follower samples


def test_unknown_accounts_are_not_found_with_their_reason(server: FixtureServer) -> None:
    ex = _source(server.url).extract(DAY, _roster())
    outcome = {e.ref: (e.status, e.reason or "") for e in ex.roster}
    assert outcome["@bluebottle"] == ("found", "")
    assert outcome["@gone.account"][0] == "not_found"
    assert "gone.account cannot be found" in outcome["@gone.account"][1]
    assert outcome["17841400000000000"][0] == "not_found"
    assert "by username" in outcome["17841400000000000"][1]


def test_a_denied_insight_leaves_the_account_without_audience() -> None:
    routes = _routes(gender=Answer("instagram/insights_denied.json", 403))
    with FixtureServer(routes) as srv:
        ex = _source(srv.url).extract(DAY, _roster())
    assert ex.rows["audience"] == [] and len(ex.rows["accounts"]) == 1


def test_rate_limit_is_retried() -> None:
    routes = _routes([Answer("instagram/rate_limited.json", 400),
                      Answer("instagram/discovery_page1.json")])  # fmt: skip
    with FixtureServer(routes) as srv:
        ex = _source(srv.url).extract(DAY, _roster())
    assert len(ex.rows["accounts"]) == 1


def test_a_lasting_rate_limit_stops_instagram_with_nothing_landed(tmp_path: Path) -> None:
    routes = _routes([Answer("instagram/rate_limited.json", 400)])
    with FixtureServer(routes) as srv, pytest.raises(ExtractError, match="rate limit"):
        land_extracted(Warehouse(tmp_path), _source(srv.url).extract(DAY, _roster()), DAY, "r")
    assert not (tmp_path / "raw").exists()


def test_an_expired_token_is_a_clear_error() -> None:
    routes = _routes([Answer("instagram/token_expired.json", 400)])
    with FixtureServer(routes) as srv, pytest.raises(AuthError, match="CLOUT_INSTAGRAM_TOKEN"):
        _source(srv.url).extract(DAY, _roster())
