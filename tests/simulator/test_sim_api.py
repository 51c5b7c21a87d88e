"""The simulated platform API over real HTTP: contract, pagination, determinism, errors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import pandas as pd
import pytest

from pipeline.contracts import PLATFORMS, SOURCE_TABLES
from pipeline.simulator.server import SimulatorThread
from pipeline.simulator.world import World

DAY = dt.date(2026, 3, 1)
TOKEN = "test-token"  # the token of the ``sim`` fixture (conftest)
ENDPOINTS = [t.endpoint for t in SOURCE_TABLES.values()]
Fetch = Callable[..., tuple[list[dict[str, Any]], list[bytes]]]


def test_health_needs_no_auth(sim: SimulatorThread) -> None:
    resp = httpx.get(f"{sim.url}/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_bad_token_is_401(sim: SimulatorThread, headers: dict[str, str]) -> None:
    resp = httpx.get(f"{sim.url}/v1/accounts", params={"date": DAY.isoformat()}, headers=headers)
    assert resp.status_code == 401
    assert "error" in resp.json()


@pytest.mark.parametrize(
    "path",
    [
        "/v1/labels",
        "/v1/follower_spikes",
        "/v1/fake_followers",
        "/v1/fake_audience",
        "/v1/click_fraud",
        "/v1/ads",
        "/v1/nope",
    ],
)
def test_unknown_entities_and_labels_are_404(client: httpx.Client, path: str) -> None:
    resp = client.get(path, params={"date": DAY.isoformat()})
    assert resp.status_code == 404
    assert "error" in resp.json()


def test_labels_never_leak_into_api_fields(client: httpx.Client) -> None:
    label_words = {"is_fake", "fake_share", "bought_followers", "invalid_clicks", "viral", "pod"}
    for endpoint in ENDPOINTS:
        rows = client.get(f"/v1/{endpoint}", params={"date": DAY.isoformat(), "limit": 5}).json()[
            "data"
        ]
        assert rows and not (set(rows[0]) & label_words)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"date": "2026-02-30"},
        {"date": "20260301"},
        {"date": "yesterday"},
        {"date": "1950-01-01"},
        {"date": DAY.isoformat(), "limit": "0"},
        {"date": DAY.isoformat(), "limit": "50001"},
        {"date": DAY.isoformat(), "limit": "ten"},
        {"date": DAY.isoformat(), "platform": "myspace"},
        {"date": DAY.isoformat(), "cursor": "not-a-cursor"},
        {
            "date": DAY.isoformat(),
            "cursor": base64.urlsafe_b64encode(b"10.deadbeefdeadbeef").decode(),
        },
    ],
)
def test_bad_requests_are_400(client: httpx.Client, params: dict[str, str]) -> None:
    resp = client.get("/v1/posts", params=params)
    assert resp.status_code == 400, resp.text
    assert isinstance(resp.json()["error"], str)


def test_cursor_of_another_query_is_400(client: httpx.Client) -> None:
    first = client.get("/v1/posts", params={"date": DAY.isoformat(), "limit": 10}).json()
    cursor = first["next_cursor"]
    assert cursor
    ok = client.get("/v1/posts", params={"date": DAY.isoformat(), "limit": 10, "cursor": cursor})
    assert ok.status_code == 200
    for other in (
        {"date": "2026-03-02", "limit": 10, "cursor": cursor},
        {"date": DAY.isoformat(), "limit": 10, "cursor": cursor, "platform": "tiktok"},
    ):
        assert client.get("/v1/posts", params=other).status_code == 400
    assert (
        client.get("/v1/accounts", params={"date": DAY.isoformat(), "cursor": cursor}).status_code
        == 400
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_fields_are_the_schema_fields_in_order(client: httpx.Client, endpoint: str) -> None:
    resp = client.get(f"/v1/{endpoint}", params={"date": DAY.isoformat(), "limit": 50})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    payload = json.loads(resp.content, object_pairs_hook=lambda pairs: pairs)
    assert [k for k, _ in payload] == ["data", "next_cursor"]
    data = dict(payload)["data"]
    name = next(t.name for t in SOURCE_TABLES.values() if t.endpoint == endpoint)
    for row in data:
        assert [k for k, _ in row] == SOURCE_TABLES[name].schema.names


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_pagination_returns_every_row_once(
    client: httpx.Client, world: World, fetch_all: Fetch, endpoint: str
) -> None:
    expected = json.loads(world.frame(endpoint, DAY).to_json(orient="records"))
    rows, bodies = fetch_all(client, endpoint, DAY, limit=977)
    assert len(bodies) == max(1, -(-len(expected) // 977))
    assert rows == expected
    key = list(
        SOURCE_TABLES[next(t.name for t in SOURCE_TABLES.values() if t.endpoint == endpoint)].key
    )
    df = pd.DataFrame(rows)
    assert not df.duplicated(key).any()


def test_default_limit_is_1000(client: httpx.Client) -> None:
    payload = client.get("/v1/posts", params={"date": DAY.isoformat()}).json()
    assert len(payload["data"]) == 1000 and payload["next_cursor"]


def test_same_date_gives_byte_identical_pages(client: httpx.Client, fetch_all: Fetch) -> None:
    for endpoint in ENDPOINTS:
        _, first = fetch_all(client, endpoint, DAY, limit=2500)
        _, again = fetch_all(client, endpoint, DAY, limit=2500)
        assert first == again
    # a new server over a new world with the same seed serves the very same bytes
    with (
        SimulatorThread(World(seed=7, n_accounts=300), token=TOKEN) as other,
        httpx.Client(base_url=other.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c2,
    ):
        _, fresh = fetch_all(c2, "posts", DAY, limit=2500)
    _, ours = fetch_all(client, "posts", DAY, limit=2500)
    assert fresh == ours


def test_different_dates_differ(client: httpx.Client, fetch_all: Fetch) -> None:
    for endpoint in ("accounts", "posts", "audience", "follower_samples"):
        _, a = fetch_all(client, endpoint, DAY, limit=50_000)
        _, b = fetch_all(client, endpoint, DAY + dt.timedelta(days=1), limit=50_000)
        assert a != b


def test_bodies_are_compact_single_line_json(client: httpx.Client, fetch_all: Fetch) -> None:
    for endpoint in ENDPOINTS:
        _, bodies = fetch_all(client, endpoint, DAY, limit=5000)
        for body in bodies:
            assert b"\n" not in body and b"\r" not in body
            assert b'": ' not in body[:200] and b", " not in body[:200]


def test_platform_filter(client: httpx.Client, fetch_all: Fetch) -> None:
    everything, _ = fetch_all(client, "posts", DAY, limit=5000)
    total = 0
    for platform in PLATFORMS:
        rows, _ = fetch_all(client, "posts", DAY, limit=700, platform=platform)
        assert rows and all(r["platform"] == platform for r in rows)
        assert rows == [r for r in everything if r["platform"] == platform]
        total += len(rows)
    assert total == len(everything)


def test_delivery_alias_and_paid_ads(client: httpx.Client, fetch_all: Fetch) -> None:
    a, _ = fetch_all(client, "ads/delivery", DAY)
    b, _ = fetch_all(client, "delivery", DAY)
    assert a == b and a
    assert any(r["account_id"] is None for r in a)
    assert all(r["reach"] <= r["impressions"] for r in a)
    assert all(isinstance(r["spend"], float) for r in a)


def test_views_null_only_where_the_platform_has_none(
    client: httpx.Client, fetch_all: Fetch
) -> None:
    rows, _ = fetch_all(client, "posts", DAY, limit=5000)
    for r in rows:
        no_views = r["platform"] == "instagram" and r["media_type"] in ("image", "carousel")
        assert (r["views"] is None) == no_views
        assert isinstance(r["is_sponsored"], bool)


def test_audience_shares_sum_to_one_over_http(client: httpx.Client, fetch_all: Fetch) -> None:
    rows, _ = fetch_all(client, "audience", DAY, limit=5000)
    df = pd.DataFrame(rows)
    sums = df.groupby(["platform", "account_id", "dimension"]).share.sum()
    assert ((sums - 1.0).abs() < 1e-9).all()


def test_future_and_past_dates_are_served(client: httpx.Client) -> None:
    future = dt.date.today() + dt.timedelta(days=400)
    for day in (future, dt.date(2001, 9, 9)):
        resp = client.get("/v1/accounts", params={"date": day.isoformat(), "limit": 3})
        assert resp.status_code == 200 and len(resp.json()["data"]) == 3


def test_simulator_thread_stops_cleanly() -> None:
    sim = SimulatorThread(World(seed=1, n_accounts=20)).start()
    url = sim.url
    assert httpx.get(f"{url}/health").status_code == 200
    sim.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/health", timeout=2)
