"""Injected faults over real HTTP: 429 bursts, 500s, slow and truncated pages."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from pipeline.simulator import server
from pipeline.simulator.server import Faults, SimulatorThread, set_faults
from pipeline.simulator.world import World

DAY = dt.date(2026, 3, 1)
TOKEN = "test-token"
Fetch = Callable[..., tuple[list[dict[str, Any]], list[bytes]]]


def _get(client: httpx.Client, **params: Any) -> httpx.Response:
    return client.get("/v1/posts", params={"date": DAY.isoformat(), "limit": 100, **params})


def test_429_bursts_carry_retry_after(
    fault_sim: SimulatorThread, fault_client: httpx.Client
) -> None:
    set_faults(fault_sim.url, burst_429_every=3, burst_429_len=2, retry_after_s=0)
    codes = []
    for _ in range(9):
        resp = _get(fault_client)
        codes.append(resp.status_code)
        if resp.status_code == 429:
            assert resp.headers["Retry-After"] == "0"
            assert "error" in resp.json()
    assert codes == [200, 200, 429, 429, 200, 429, 429, 200, 429]
    set_faults(fault_sim.url, burst_429_every=1, burst_429_len=1)
    resp = _get(fault_client)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "1"  # the default


def test_500s_are_a_reproducible_fraction(
    fault_sim: SimulatorThread, fault_client: httpx.Client
) -> None:
    patterns = []
    for _ in range(2):
        set_faults(fault_sim.url, rate_500=0.3, seed=5)
        patterns.append([_get(fault_client).status_code for _ in range(120)])
    assert patterns[0] == patterns[1]
    share = patterns[0].count(500) / 120
    assert 0.15 < share < 0.45
    assert set(patterns[0]) == {200, 500}


def test_truncated_pages_are_invalid_json(
    fault_sim: SimulatorThread, fault_client: httpx.Client
) -> None:
    set_faults(fault_sim.url, truncated_rate=1.0)
    resp = _get(fault_client)
    assert resp.status_code == 200
    assert len(resp.content) > 10
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.content)


def test_slow_pages(
    fault_sim: SimulatorThread, fault_client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the delays the server waits are recorded (and still waited), not timed by the client
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(seconds: float) -> None:
        delays.append(seconds)
        await real_sleep(seconds)

    # only the server module's name is replaced: uvicorn's own sleeps stay out of the record
    monkeypatch.setattr(server, "asyncio", SimpleNamespace(sleep=recording_sleep))
    assert _get(fault_client).status_code == 200
    assert delays == []
    set_faults(fault_sim.url, slow_ms=300)
    assert _get(fault_client).status_code == 200
    assert delays == [0.3]
    assert httpx.get(f"{fault_sim.url}/health").status_code == 200
    assert delays == [0.3]  # /health is never slowed


def _fetch_with_retries(client: httpx.Client, entity: str, limit: int) -> list[bytes]:
    """Follow cursors, retrying 429 / 500 / truncated pages; the bodies of the good pages."""
    bodies: list[bytes] = []
    cursor = None
    attempts = 0
    while True:
        attempts += 1
        assert attempts < 500
        params: dict[str, Any] = {"date": DAY.isoformat(), "limit": limit}
        if cursor:
            params["cursor"] = cursor
        resp = client.get(f"/v1/{entity}", params=params)
        if resp.status_code in (429, 500):
            time.sleep(float(resp.headers.get("Retry-After", "0")))
            continue
        assert resp.status_code == 200
        try:
            payload = json.loads(resp.content)
        except json.JSONDecodeError:
            continue
        bodies.append(resp.content)
        cursor = payload["next_cursor"]
        if cursor is None:
            return bodies


def test_faults_never_change_the_data(
    fault_sim: SimulatorThread, fault_client: httpx.Client
) -> None:
    clean = {
        e: _fetch_with_retries(fault_client, e, 97)
        for e in ("posts", "follower_samples", "ads/delivery")
    }
    set_faults(
        fault_sim.url,
        burst_429_every=4,
        burst_429_len=2,
        retry_after_s=0,
        rate_500=0.2,
        truncated_rate=0.2,
        seed=3,
    )
    for entity, bodies in clean.items():
        assert _fetch_with_retries(fault_client, entity, 97) == bodies


def test_faults_endpoint(fault_sim: SimulatorThread, fault_client: httpx.Client) -> None:
    current = httpx.get(f"{fault_sim.url}/_faults").json()["faults"]
    assert current == Faults().to_dict()
    for bad in ({"rate_500": 2}, {"burst_429_every": -1}, {"nope": 1}, {"slow_ms": "x"}):
        assert httpx.post(f"{fault_sim.url}/_faults", json=bad).status_code == 400
    assert httpx.post(f"{fault_sim.url}/_faults", content=b"[1]").status_code == 400
    assert set_faults(fault_sim.url, slow_ms=5) == Faults(slow_ms=5)
    assert fault_sim.faults == Faults(slow_ms=5)
    assert fault_sim.set_faults() == Faults()


def test_faults_at_construction() -> None:
    with (
        SimulatorThread(
            World(seed=7, n_accounts=20), token=TOKEN, faults=Faults(rate_500=1.0)
        ) as sim,
        httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        assert _get(client).status_code == 500
        set_faults(sim.url)
        assert _get(client).status_code == 200


def test_auth_is_checked_before_faults(fault_sim: SimulatorThread) -> None:
    set_faults(fault_sim.url, rate_500=1.0)
    try:
        resp = httpx.get(f"{fault_sim.url}/v1/posts", params={"date": DAY.isoformat()})
        assert resp.status_code == 401
    finally:
        set_faults(fault_sim.url)
