"""The malformed-row fault over real HTTP: clean rows plus exactly the truth's corrupted copies."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from pipeline.contracts import PLATFORMS, SOURCE_TABLES
from pipeline.simulator._jsonrows import ChunkedRows, encode_rows
from pipeline.simulator.malformed import (
    BAD_SUFFIX,
    DEFECT_KINDS,
    DEFECTS,
    TAG_COLUMNS,
    inject,
    malformed_rows,
    malformed_truth,
)
from pipeline.simulator.server import Faults, SimulatorThread, set_faults
from pipeline.simulator.world import World, resolve_entity

DAY = dt.date(2026, 3, 1)
TOKEN = "test-token"
RATE = 0.05
SEED = 3
ENDPOINTS = ("accounts", "posts", "audience", "follower_samples", "ads/delivery")
Fetch = Callable[..., tuple[list[dict[str, Any]], list[bytes]]]


@pytest.fixture(scope="module")
def bad_sim(world: World) -> Iterator[SimulatorThread]:
    """A simulator over the default test world serving malformed rows at ``RATE``."""
    with SimulatorThread(world, token=TOKEN, faults=Faults(malformed_rate=RATE, seed=SEED)) as s:
        yield s


@pytest.fixture(scope="module")
def bad_client(bad_sim: SimulatorThread) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=bad_sim.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
    ) as c:
        yield c


def _key(entity: str) -> list[str]:
    return list(SOURCE_TABLES[resolve_entity(entity)].key)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("platform", [None, "tiktok"])
def test_served_rows_are_the_clean_rows_plus_exactly_the_truth(
    client: httpx.Client,
    bad_client: httpx.Client,
    world: World,
    fetch_all: Fetch,
    endpoint: str,
    platform: str | None,
) -> None:
    params = {"platform": platform} if platform else {}
    clean, _ = fetch_all(client, endpoint, DAY, limit=997, **params)
    served, _ = fetch_all(bad_client, endpoint, DAY, limit=997, **params)
    truth = malformed_truth(world, endpoint, DAY, platform, RATE, SEED)
    bad = malformed_rows(world, endpoint, DAY, platform, RATE, SEED)
    pos = truth["position"].tolist()

    assert len(served) == len(clean) + len(truth) == len(clean) + len(bad)
    is_bad = np.zeros(len(served), dtype=bool)
    is_bad[pos] = True
    # the clean rows, untouched and in order, and the copies exactly as malformed_rows says
    assert [r for r, b in zip(served, is_bad, strict=True) if not b] == clean
    assert [served[p] for p in pos] == bad.to_dict("records")
    # the truth's key columns are the served ones; each copy follows the row it copies
    key = _key(endpoint)
    assert truth[key].to_dict("records") == [{k: served[p][k] for k in key} for p in pos]
    assert [served[p - 1] for p in pos] == [clean[s] for s in truth["source_position"]]

    name = resolve_entity(endpoint)
    if name == "audience":
        assert truth.empty  # never corrupted: a share group is quarantined as a whole
        return
    assert len(truth) > 0 or len(clean) < 100  # delivery has ~30 rows a day
    tag = TAG_COLUMNS[name]
    kinds = dict(DEFECTS[name])
    for t, copy in zip(truth.itertuples(), (served[p] for p in pos), strict=True):
        assert kinds[t.defect] == t.column
        src = clean[t.source_position]
        changed = {c for c in copy if copy[c] != src[c]}
        # exactly one defect, plus the fresh id unless the defect blanks that very id
        assert changed == ({t.column} if t.column == tag else {t.column, tag}), t
        if t.column != tag:
            assert copy[tag] == f"{src[tag]}{BAD_SUFFIX}{copy[tag].rsplit(BAD_SUFFIX, 1)[1]}"
        assert json.dumps(copy[t.column]) == t.value
        if t.column != "platform":
            assert copy["platform"] in PLATFORMS
    # a copy never shares a key with any other served row
    keys = [tuple(r[k] for k in key) for r in served if all(r[k] not in (None, "") for k in key)]
    assert len(keys) == len(set(keys))


_CHECKS: dict[str, Callable[[dict[str, Any], str], bool]] = {
    "int_as_text": lambda r, c: r[c] == "12k",
    "negative_count": lambda r, c: isinstance(r[c], int) and r[c] < 0,
    "null_key": lambda r, c: r[c] is None,
    "empty_key": lambda r, c: r[c] == "",
    "unknown_platform": lambda r, c: r[c] == "myspace",
    "int64_overflow": lambda r, c: r[c] == 99999999999999999999999,
    "naive_timestamp": lambda r, c: (
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", r[c]) is not None
    ),
    "future_timestamp": lambda r, c: (
        re.fullmatch(r"2099-\d\d-\d\dT\d\d:\d\d:\d\dZ", r[c]) is not None
        and dt.datetime.fromisoformat(r[c]) > dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    ),
    "bool_as_text": lambda r, c: r[c] == "maybe",
    "unknown_media_type": lambda r, c: r[c] == "hologram",
    "bad_currency": lambda r, c: r[c] == "dollars",
    "reach_exceeds_impressions": lambda r, c: r["reach"] > r["impressions"],
    "digits_exceed_length": lambda r, c: r["username_digit_count"] > r["username_length"],
}


def test_every_defect_kind_appears_and_is_served_as_stated(
    bad_client: httpx.Client, world: World, fetch_all: Fetch
) -> None:
    assert set(_CHECKS) == set(DEFECT_KINDS)
    seen: set[str] = set()
    for endpoint in ("accounts", "posts", "follower_samples", "ads/delivery"):
        name = resolve_entity(endpoint)
        kinds: set[str] = set()
        days = 0
        for i in range(60):  # delivery has ~30 rows a day: look at days until all kinds show
            day = DAY + dt.timedelta(days=i)
            served, bodies = fetch_all(bad_client, endpoint, day, limit=5000)
            truth = malformed_truth(world, endpoint, day, None, RATE, SEED)
            for t in truth.itertuples():
                assert _CHECKS[t.defect](served[t.position], t.column), (endpoint, t)
            kinds |= set(truth["defect"])
            if "int64_overflow" in set(truth["defect"]):  # a bare JSON number, not a string
                assert any(re.search(rb":99999999999999999999999[,}]", b) for b in bodies)
                assert not any(b'"99999999999999999999999"' in b for b in bodies)
            days += 1
            if kinds == {k for k, _ in DEFECTS[name]} and days >= 2:
                break
        assert kinds == {k for k, _ in DEFECTS[name]}, (endpoint, days)
        seen |= kinds
    assert seen == set(DEFECT_KINDS)


def test_a_day_of_a_300_account_world_shows_most_kinds(world: World) -> None:
    kinds = {
        k
        for e in ("posts", "follower_samples")
        for k in malformed_truth(world, e, DAY, None, RATE, SEED)["defect"]
    }
    assert kinds == {k for e in ("posts", "follower_samples") for k, _ in DEFECTS[e]}
    for e in ("accounts", "posts", "follower_samples"):
        n = len(world.frame(e, DAY))
        got = len(malformed_truth(world, e, DAY, None, RATE, SEED))
        assert abs(got - RATE * n) < 4 * (RATE * n) ** 0.5 + 3, (e, n, got)


def test_the_same_request_gives_the_same_bytes(
    bad_client: httpx.Client, world: World, fetch_all: Fetch
) -> None:
    for endpoint in ENDPOINTS:
        _, first = fetch_all(bad_client, endpoint, DAY, limit=777)
        _, again = fetch_all(bad_client, endpoint, DAY, limit=777)
        assert first == again
    # a new server over a new world with the same seeds serves the very same bytes
    with (
        SimulatorThread(
            World(seed=7, n_accounts=300),
            token=TOKEN,
            faults=Faults(malformed_rate=RATE, seed=SEED),
        ) as other,
        httpx.Client(base_url=other.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c2,
    ):
        _, fresh = fetch_all(c2, "posts", DAY, limit=777)
        set_faults(other.url, malformed_rate=RATE, seed=SEED + 1)
        _, reseeded = fetch_all(c2, "posts", DAY, limit=777)
    _, ours = fetch_all(bad_client, "posts", DAY, limit=777)
    assert fresh == ours
    assert reseeded != ours  # the fault seed chooses the rows


def test_other_faults_do_not_change_malformed_pages(fetch_all: Fetch) -> None:
    with (
        SimulatorThread(World(seed=7, n_accounts=60), token=TOKEN) as s,
        httpx.Client(base_url=s.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c,
    ):
        set_faults(s.url, malformed_rate=0.2, seed=1)
        _, calm = fetch_all(c, "posts", DAY, limit=101)
        set_faults(s.url, malformed_rate=0.2, seed=1, rate_500=0.3, truncated_rate=0.3)
        bodies: list[bytes] = []
        cursor = None
        for _ in range(500):
            q: dict[str, Any] = {"date": DAY.isoformat(), "limit": 101}
            if cursor:
                q["cursor"] = cursor
            resp = c.get("/v1/posts", params=q)
            if resp.status_code != 200:
                continue
            try:
                payload = json.loads(resp.content)
            except json.JSONDecodeError:
                continue
            bodies.append(resp.content)
            cursor = payload["next_cursor"]
            if cursor is None:
                break
        assert bodies == calm


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_rate_zero_is_byte_identical_to_no_fault(
    client: httpx.Client, world: World, fetch_all: Fetch, endpoint: str
) -> None:
    _, default = fetch_all(client, endpoint, DAY, limit=1500)  # Faults() of the clean server
    with (
        SimulatorThread(world, token=TOKEN, faults=Faults(malformed_rate=0.0, seed=SEED)) as s,
        httpx.Client(base_url=s.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c,
    ):
        _, zero = fetch_all(c, endpoint, DAY, limit=1500)
    assert zero == default
    # and both are the plain encoding of the world's frame
    enc = encode_rows(world.frame(endpoint, DAY))
    pages = [b[len(b'{"data":[') : b.rindex(b'],"next_cursor":')] for b in zero]
    assert b",".join(p for p in pages if p) == bytes(enc.page(0, enc.n_rows))
    assert malformed_truth(world, endpoint, DAY, None, 0.0, SEED).empty
    assert malformed_rows(world, endpoint, DAY, None, 0.0, SEED).empty


def test_switching_the_fault_on_and_off(fetch_all: Fetch) -> None:
    w = World(seed=11, n_accounts=40)
    with (
        SimulatorThread(w, token=TOKEN) as s,
        httpx.Client(base_url=s.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c,
    ):
        clean_rows, clean = fetch_all(c, "follower_samples", DAY, limit=300)
        assert set_faults(s.url, malformed_rate=1.0).malformed_rate == 1.0
        rows, _ = fetch_all(c, "follower_samples", DAY, limit=300)
        assert len(rows) == 2 * len(clean_rows)  # rate 1: every row has a copy
        assert rows[0::2] == clean_rows
        audience, _ = fetch_all(c, "audience", DAY, limit=300)
        assert len(audience) == len(w.frame("audience", DAY))  # never corrupted
        set_faults(s.url)
        assert fetch_all(c, "follower_samples", DAY, limit=300)[1] == clean


def test_malformed_rate_is_validated(bad_sim: SimulatorThread) -> None:
    for bad in (-0.1, 1.5, "x", True, None):
        with pytest.raises(ValueError):
            Faults(malformed_rate=bad)  # type: ignore[arg-type]
    assert Faults(malformed_rate=1).malformed_rate == 1.0
    assert Faults().to_dict()["malformed_rate"] == 0.0
    resp = httpx.post(f"{bad_sim.url}/_faults", json={"malformed_rate": 2})
    assert resp.status_code == 400
    assert httpx.get(f"{bad_sim.url}/_faults").json()["faults"]["malformed_rate"] == RATE


def test_platform_filter_keeps_the_same_copies(world: World) -> None:
    for entity in ("accounts", "posts", "follower_samples", "delivery"):
        everything = malformed_truth(world, entity, DAY, None, 0.2, SEED)
        for p in PLATFORMS:
            alone = malformed_truth(world, entity, DAY, p, 0.2, SEED)
            clean = world.frame(entity, DAY, p)
            cols = [*_key(entity), "defect", "column", "value"]
            src_key = world.frame(entity, DAY).iloc[everything["source_position"]]
            mine = everything[(src_key["platform"] == p).to_numpy()]
            assert alone[cols].to_dict("records") == mine[cols].to_dict("records")
            assert (alone["source_position"] < len(clean)).all()


def test_truth_and_rows_are_reproducible_and_seeded(world: World) -> None:
    a = malformed_truth(world, "posts", DAY, None, RATE, SEED)
    b = malformed_truth(World(seed=7, n_accounts=300), "posts", DAY, None, RATE, SEED)
    pd.testing.assert_frame_equal(a, b)
    c = malformed_truth(world, "posts", DAY, None, RATE, SEED + 1)
    assert set(a["source_position"]) != set(c["source_position"])
    other_world = malformed_truth(World(seed=8, n_accounts=300), "posts", DAY, None, RATE, SEED)
    assert list(other_world.columns) == list(a.columns)
    rows = malformed_rows(world, "posts", DAY, None, RATE, SEED)
    assert list(rows.columns) == SOURCE_TABLES["posts"].schema.names
    assert all(rows[c].dtype == object for c in rows.columns)
    assert list(a.columns) == [
        *SOURCE_TABLES["posts"].key,
        "position",
        "source_position",
        "defect",
        "column",
        "value",
    ]


def test_chunked_encoding_of_raw_columns_matches_one_piece(world: World) -> None:
    inj = inject(world.frame("follower_samples", DAY), world, "follower_samples", DAY, 0.3, 1)
    whole = encode_rows(inj.frame, inj.raw_columns)
    chunked = ChunkedRows(inj.frame, chunk_rows=97, raw_columns=inj.raw_columns)
    assert chunked.n_rows == whole.n_rows == len(world.frame("follower_samples", DAY)) + inj.n_bad
    for start, stop in ((0, whole.n_rows), (5, 500), (96, 98), (1000, 1001)):
        assert chunked.page(start, stop) == bytes(whole.page(start, stop))
    rows = json.loads(b"[" + chunked.page(0, chunked.n_rows) + b"]")
    assert [rows[p] for p in inj.positions] == inj.bad_rows()
