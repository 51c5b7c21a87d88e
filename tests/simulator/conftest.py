"""Fixtures of the simulator tests: real HTTP servers in background threads (no mocks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pipeline.simulator.server import SimulatorThread, set_faults
from pipeline.simulator.world import World

DAY = dt.date(2026, 3, 1)
TOKEN = "test-token"


@pytest.fixture(scope="session")
def world() -> World:
    """The default test world (seed 7, 300 accounts)."""
    return World(seed=7, n_accounts=300)


@pytest.fixture(scope="session")
def sim(world: World) -> Iterator[SimulatorThread]:
    """A simulator serving ``world``; faults are never switched on for this one."""
    with SimulatorThread(world, token=TOKEN) as s:
        yield s


@pytest.fixture(scope="session")
def client(sim: SimulatorThread) -> Iterator[httpx.Client]:
    """An authenticated client of ``sim``."""
    with httpx.Client(
        base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
    ) as c:
        yield c


@pytest.fixture(scope="module")
def fault_sim() -> Iterator[SimulatorThread]:
    """A separate simulator for fault tests (a smaller world, same seed)."""
    with SimulatorThread(World(seed=7, n_accounts=60), token=TOKEN) as s:
        yield s


@pytest.fixture()
def fault_client(fault_sim: SimulatorThread) -> Iterator[httpx.Client]:
    """An authenticated client of ``fault_sim``; faults are reset after each test."""
    set_faults(fault_sim.url)
    with httpx.Client(
        base_url=fault_sim.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    ) as c:
        yield c
    set_faults(fault_sim.url)


Fetch = Callable[..., tuple[list[dict[str, Any]], list[bytes]]]


@pytest.fixture(scope="session")
def fetch_all() -> Fetch:
    """``fetch_all(client, entity, day, limit=1000, **params) -> (rows, page bodies)``."""
    return _fetch_all


def _fetch_all(
    client: httpx.Client, entity: str, day: dt.date, limit: int = 1000, **params: Any
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Every row of one (entity, day) by following cursors; also the raw page bodies."""
    rows: list[dict[str, Any]] = []
    bodies: list[bytes] = []
    cursor: str | None = None
    while True:
        q: dict[str, Any] = {"date": day.isoformat(), "limit": limit, **params}
        if cursor:
            q["cursor"] = cursor
        resp = client.get(f"/v1/{entity}", params=q)
        assert resp.status_code == 200, resp.text
        bodies.append(resp.content)
        payload = resp.json()
        rows.extend(payload["data"])
        cursor = payload["next_cursor"]
        if cursor is None:
            return rows, bodies
