"""The simulated platform API: a real HTTP server (Starlette + uvicorn) over a :class:`World`.

Contract (DESIGN section 11, "Platform API")::

    GET /v1/{entity}?date=YYYY-MM-DD&cursor=C&limit=N[&platform=P]
    Authorization: Bearer <token>
    200 {"data": [...], "next_cursor": "..." | null}      compact JSON, no newlines
    400 bad date / limit / platform / cursor, 401 bad token, 404 unknown entity,
    429 + Retry-After (injected), 500 (injected)

The same world is served in the platforms' own API shapes (YouTube Data API v3 under
``/youtube/v3/``; :mod:`pipeline.simulator.shapes`). ``GET /health`` answers without auth. ``GET``/``POST /_faults`` read / replace the injected
faults (no auth: a test hook, never part of a real platform). Each (entity, day, platform)
frame is generated once, serialised to JSON rows with vectorised Arrow kernels and kept in a
small byte-bounded LRU, so a page is one slice of a buffer. With ``Faults.malformed_rate`` the
frame also carries corrupted copies of some rows (``pipeline.simulator.malformed``), cached
apart from the clean frame.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipeline.contracts import PLATFORMS

from ._arrays import mix64
from ._jsonrows import ChunkedRows
from ._keys import as_ordinal
from .malformed import DEFECTS, inject
from .shapes import routes as shape_routes
from .world import World, resolve_entity

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Faults",
    "SimulatorThread",
    "create_app",
    "run_server",
    "set_faults",
]

DEFAULT_LIMIT = 1000
MAX_LIMIT = 50_000
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Faults:
    """Injected faults. A retried request always gets the same page.

    Fault decisions depend only on the request's sequence number (counted from the last
    change of faults) and ``seed``, so a fault pattern is reproducible. Only
    ``malformed_rate`` changes the data: it adds corrupted copies of a fraction of the rows
    (never ``audience``), chosen by a hash of (world, ``seed``, entity, day, row) and not per
    request, so the bad rows are reproducible and every page stays byte-identical across
    retries (``pipeline.simulator.malformed``: ``malformed_rows``, ``malformed_truth``).
    Change it only between runs: a cursor's offset counts the copies.
    """

    burst_429_every: int = 0  #: every Nth request starts a burst of 429s (0: off)
    burst_429_len: int = 3  #: consecutive 429 responses per burst
    retry_after_s: int = 1  #: value of the ``Retry-After`` header (may be 0)
    rate_500: float = 0.0  #: fraction of requests answered with 500
    slow_ms: int = 0  #: delay before answering
    truncated_rate: float = 0.0  #: fraction of 200 answers whose body is cut in the middle
    seed: int = 0  #: seed of the fault pattern (and of the choice of malformed rows)
    malformed_rate: float = 0.0  #: fraction of rows followed by a corrupted copy (0: off)
    #: answer as a server that does not know the optional ``platform`` filter: every platform's
    #: rows whatever ``platform=`` says (DESIGN section 11 makes the filter optional)
    ignore_platform_filter: bool = False

    def __post_init__(self) -> None:
        for name in ("burst_429_every", "burst_429_len", "retry_after_s", "slow_ms", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        for name in ("rate_500", "truncated_rate", "malformed_rate"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0.0 <= value <= 1.0
            ):
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
            setattr(self, name, float(value))

    def to_dict(self) -> dict[str, Any]:
        """The faults as a JSON-able dict."""
        return dataclasses.asdict(self)


def _fault_uniform(seed: int, n: int, stream: int) -> float:
    """A uniform in [0, 1) from (seed, request number, stream): a counter-based RNG."""
    key = np.array([(n << 8) | stream], dtype=np.uint64)
    salt = np.uint64((seed * 0x9E3779B97F4A7C15 + 0x5851F42D4C957F2D) & ((1 << 64) - 1))
    return float(int(mix64(key ^ salt)[0]) >> 11) * 2.0**-53


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        _json({"error": message}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


class _RowCache:
    """Byte-bounded LRU of serialised frames keyed by (entity, day, platform)."""

    def __init__(self, max_bytes: int, max_entries: int = 64) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._d: OrderedDict[tuple[str, ...], ChunkedRows] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, ...], threading.Lock] = {}

    def get(self, key: tuple[str, ...], make: Any) -> ChunkedRows:
        with self._lock:
            hit = self._d.get(key)
            if hit is not None:
                self._d.move_to_end(key)
                return hit
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one generation per key, even under concurrent first requests
            with self._lock:
                hit = self._d.get(key)
                if hit is not None:
                    self._d.move_to_end(key)
                    return hit
            rows: ChunkedRows = make()
            with self._lock:
                self._d[key] = rows
                while len(self._d) > 1 and (
                    sum(r.nbytes for r in self._d.values()) > self.max_bytes
                    or len(self._d) > self.max_entries
                ):
                    self._d.popitem(last=False)
                self._key_locks.pop(key, None)
            return rows


class _State:
    """Mutable server state: world, token, faults and the request counter."""

    def __init__(self, world: World, token: str, faults: Faults, cache_bytes: int) -> None:
        self.world = world
        self.token = token
        self.faults = faults
        self.cache = _RowCache(cache_bytes)
        self.counter = 0
        self.burst_left = 0
        self.cursor_key = f"clout-simulator|{world.seed}|{world.n_accounts}".encode()

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.counter = 0
        self.burst_left = 0

    def next_fault(self) -> tuple[str | None, bool]:
        """Decide the fault of the next request: ('429' | '500' | None, truncated?)."""
        f = self.faults
        self.counter += 1
        n = self.counter
        if self.burst_left > 0:
            self.burst_left -= 1
            return "429", False
        if f.burst_429_every > 0 and f.burst_429_len > 0 and n % f.burst_429_every == 0:
            self.burst_left = f.burst_429_len - 1
            return "429", False
        if f.rate_500 > 0 and _fault_uniform(f.seed, n, 1) < f.rate_500:
            return "500", False
        truncated = f.truncated_rate > 0 and _fault_uniform(f.seed, n, 2) < f.truncated_rate
        return None, truncated

    # cursors: urlsafe base64 of "offset.signature", the signature binding entity/date/platform
    def _sign(self, entity: str, day: str, platform: str, offset: int) -> str:
        msg = f"{entity}|{day}|{platform}|{offset}".encode()
        return hmac.new(self.cursor_key, msg, hashlib.blake2b).hexdigest()[:16]

    def make_cursor(self, entity: str, day: str, platform: str, offset: int) -> str:
        raw = f"{offset}.{self._sign(entity, day, platform, offset)}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def read_cursor(self, cursor: str, entity: str, day: str, platform: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
            offset_s, sig = raw.split(".", 1)
            offset = int(offset_s)
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError("malformed cursor") from exc
        if offset < 0 or not hmac.compare_digest(sig, self._sign(entity, day, platform, offset)):
            raise ValueError("cursor does not belong to this query (entity, date and platform)")
        return offset

    def rows(self, entity: str, day: dt.date, platform: str | None) -> ChunkedRows:
        f = self.faults
        if f.malformed_rate > 0 and DEFECTS[entity]:
            return self._malformed_rows(entity, day, platform, f.malformed_rate, f.seed)
        key = (entity, day.isoformat(), platform or "")
        return self.cache.get(key, lambda: ChunkedRows(self.world.frame(entity, day, platform)))

    def _malformed_rows(
        self, entity: str, day: dt.date, platform: str | None, rate: float, seed: int
    ) -> ChunkedRows:
        def make() -> ChunkedRows:
            clean = self.world.frame(entity, day, platform)
            inj = inject(clean, self.world, entity, day, rate, seed)
            return ChunkedRows(inj.frame, raw_columns=inj.raw_columns)

        key = (entity, day.isoformat(), platform or "", f"malformed:{rate!r}:{seed}")
        return self.cache.get(key, make)


async def _health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


async def _faults(request: Request) -> Response:
    st: _State = request.app.state.sim
    if request.method == "POST":
        try:
            body = await request.body()
            spec = json.loads(body) if body.strip() else {}
            if not isinstance(spec, dict):
                raise ValueError("body must be a JSON object")
            unknown = set(spec) - {f.name for f in dataclasses.fields(Faults)}
            if unknown:
                raise ValueError(f"unknown fault fields: {sorted(unknown)}")
            st.set_faults(Faults(**spec))
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc))
    return Response(_json({"faults": st.faults.to_dict()}), media_type="application/json")


async def _v1(request: Request) -> Response:
    st: _State = request.app.state.sim
    try:
        entity = resolve_entity(request.path_params["entity"])
    except KeyError as exc:
        return _error(404, str(exc.args[0]))
    auth = request.headers.get("authorization", "")
    if not hmac.compare_digest(auth.encode(), f"Bearer {st.token}".encode()):
        return _error(401, "missing or invalid bearer token", {"WWW-Authenticate": "Bearer"})

    fault, truncated = st.next_fault()
    if st.faults.slow_ms:
        await asyncio.sleep(st.faults.slow_ms / 1000.0)
    if fault == "429":
        ra = st.faults.retry_after_s
        return _error(429, f"rate limited: retry after {ra} s", {"Retry-After": str(ra)})
    if fault == "500":
        return _error(500, "internal server error (injected)")

    q = request.query_params
    date_s = q.get("date", "")
    if not _DATE_RE.match(date_s):
        return _error(400, "query parameter 'date' must be YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(date_s)
        as_ordinal(day)
    except ValueError as exc:
        return _error(400, f"invalid date {date_s!r}: {exc}")
    limit_s = q.get("limit", "") or str(DEFAULT_LIMIT)
    try:
        limit = int(limit_s)
    except ValueError:
        limit = -1
    if not 1 <= limit <= MAX_LIMIT:
        return _error(400, f"query parameter 'limit' must be an integer in 1..{MAX_LIMIT}")
    platform = q.get("platform") or None
    if platform is not None and platform not in PLATFORMS:
        return _error(400, f"unknown platform {platform!r}; expected one of {list(PLATFORMS)}")
    if st.faults.ignore_platform_filter:
        platform = None
    offset = 0
    cursor = q.get("cursor") or ""
    if cursor:
        try:
            offset = st.read_cursor(cursor, entity, date_s, platform or "")
        except ValueError as exc:
            return _error(400, f"bad cursor: {exc}")

    rows = await run_in_threadpool(st.rows, entity, day, platform)
    if offset > rows.n_rows:
        return _error(400, "bad cursor: offset beyond the end of the data")
    stop = offset + limit
    nxt = st.make_cursor(entity, date_s, platform or "", stop) if stop < rows.n_rows else None
    page = await run_in_threadpool(rows.page, offset, stop)  # may wait for the encoder
    body = b"".join((b'{"data":[', page, b'],"next_cursor":', _json(nxt), b"}"))
    if truncated:
        body = body[: len(body) // 2]
    return Response(body, media_type="application/json")


def create_app(
    world: World,
    token: str = "demo-token",
    faults: Faults | None = None,
    *,
    cache_bytes: int = 1_500_000_000,
) -> Starlette:
    """The Starlette app serving ``world`` (see the module docstring for the contract)."""
    app = Starlette(
        routes=[
            Route("/health", _health, methods=["GET"]),
            Route("/_faults", _faults, methods=["GET", "POST"]),
            Route("/v1/{entity:path}", _v1, methods=["GET"]),
            *shape_routes(),
        ]
    )
    app.state.sim = _State(world, token, faults or Faults(), cache_bytes)
    return app


def run_server(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 7,
    accounts: int = 300,
    token: str = "demo-token",
    faults: Faults | None = None,
    followers_sampled: int = 20,
) -> None:
    """Serve the simulator until interrupted (blocking; uvicorn, log level warning)."""
    world = World(seed=seed, n_accounts=accounts, followers_sampled=followers_sampled)
    uvicorn.run(create_app(world, token, faults), host=host, port=port, log_level="warning")


def set_faults(url: str, **faults: Any) -> Faults:
    """Replace the faults of a running simulator (``POST /_faults``); no argument resets them."""
    resp = httpx.post(f"{url.rstrip('/')}/_faults", json=faults, timeout=10.0)
    if resp.status_code != 200:
        raise ValueError(f"POST {url}/_faults failed: {resp.status_code} {resp.text}")
    return Faults(**resp.json()["faults"])


class SimulatorThread:
    """The simulator served by uvicorn in a background thread (tests, ``clout demo``).

    Usage::

        with SimulatorThread(accounts=300) as sim:
            httpx.get(f"{sim.url}/v1/accounts", params={"date": "2026-03-01"},
                      headers={"Authorization": f"Bearer {sim.token}"})
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        seed: int = 7,
        accounts: int = 300,
        followers_sampled: int = 20,
        token: str = "demo-token",
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout_s: float = 30.0,
    ) -> None:
        self.world = world or World(
            seed=seed, n_accounts=accounts, followers_sampled=followers_sampled
        )
        self.token = token
        self.host = host
        self.app = create_app(self.world, token, faults)
        self._port = port
        self._timeout = startup_timeout_s
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.url = ""

    @property
    def faults(self) -> Faults:
        """The faults currently injected."""
        return self.app.state.sim.faults

    def set_faults(self, **faults: Any) -> Faults:
        """Replace the injected faults (same as ``POST /_faults``)."""
        self.app.state.sim.set_faults(Faults(**faults))
        return self.faults

    def start(self) -> SimulatorThread:
        """Bind the port, start serving and wait until ``/health`` answers."""
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._sock = sock
        port = sock.getsockname()[1]
        self.url = f"http://{self.host}:{port}"
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"clout-simulator-{port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=2.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"simulator did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Shut the server down and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
