"""The extraction client against the simulator over real HTTP: faults, errors, lineage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.contracts import PLATFORMS, SOURCE_TABLES
from pipeline.extract.platform_api import (
    ApiConfig,
    ContractError,
    ExtractError,
    PlatformClient,
    extract_platform,
)
from pipeline.simulator.server import Faults, SimulatorThread
from pipeline.staging.pages import stage_table
from pipeline.warehouse.storage import Partition, Warehouse

DAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorThread]:
    with SimulatorThread(accounts=80, seed=3) as s:
        yield s


def _extract_all(url: str, token: str, root: Path) -> Warehouse:
    wh = Warehouse(root)
    cfg = ApiConfig(url, token, page_size=300, max_retries=10, backoff_max_s=0.05)
    for p in PLATFORMS:
        extract_platform(cfg, wh, DAY, p, "run-x", b"k", concurrency=3)
    for t in SOURCE_TABLES:
        stage_table(wh, t, DAY, "run-x")
    return wh


def _pages(wh: Warehouse, table: str) -> list[list[dict]]:  # type: ignore[type-arg]
    out = []
    for f in sorted(wh.root.glob(f"raw/{table}/dt=*/platform=*/*.jsonl")):
        out += [json.loads(line)["page"]["data"] for line in f.open()]
    return out


def test_faults_do_not_change_what_lands(sim: SimulatorThread, tmp_path: Path) -> None:
    clean = _extract_all(sim.url, sim.token, tmp_path / "clean")
    faulty = Faults(
        burst_429_every=5,
        burst_429_len=2,
        retry_after_s=0,
        rate_500=0.15,
        truncated_rate=0.05,
        seed=1,
    )
    with SimulatorThread(accounts=80, seed=3, faults=faulty) as bad:
        noisy = _extract_all(bad.url, bad.token, tmp_path / "noisy")
        assert bad.faults.burst_429_every == 5
    for t in SOURCE_TABLES.values():
        assert _pages(noisy, t.name) == _pages(clean, t.name), t.name
        part = Partition.of("staging", t.staging, DAY)
        assert noisy.read_partition(part).equals(clean.read_partition(part))


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    waits: list[float] = []
    with SimulatorThread(
        accounts=10, faults=Faults(burst_429_every=1, burst_429_len=1, retry_after_s=3)
    ) as s:
        client = PlatformClient(ApiConfig(s.url, s.token, max_retries=3), sleep=waits.append)
        with client, pytest.raises(ExtractError, match="gave up after 3 retries: 429"):
            client.get_page("accounts", {"date": "2026-03-01"})
    assert waits == [3.0, 3.0, 3.0]


def test_bad_token_is_not_retried(sim: SimulatorThread) -> None:
    waits: list[float] = []
    client = PlatformClient(ApiConfig(sim.url, "wrong"), sleep=waits.append)
    with client, pytest.raises(ExtractError, match="refused the token .*CLOUT_API_TOKEN"):
        client.get_page("accounts", {"date": "2026-03-01"})
    assert waits == []


def _clout_run(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLOUT_")}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", "--date", "2026-03-01"],
        env={**base, "CLOUT_WAREHOUSE": str(tmp_path / "wh"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "error: CLOUT_API_URL is not set"),
        ({"CLOUT_API_URL": "SIM", "CLOUT_API_TOKEN": "wrong"}, "refused the token (HTTP 401)"),
        (
            {
                "CLOUT_API_URL": "http://127.0.0.1:9",
                "CLOUT_API_TOKEN": "t",
                "CLOUT_MAX_RETRIES": "1",
                "CLOUT_BACKOFF_MAX_S": "0.1",
                "CLOUT_PII_KEY": "k",
            },
            "cannot connect",
        ),
    ],
    ids=["no-url", "bad-token", "unreachable"],
)
def test_bad_configuration_is_one_clear_line(
    sim: SimulatorThread, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    env = {k: (sim.url if v == "SIM" else v) for k, v in env.items()}
    proc = _clout_run(env, tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


class _FixedBody:
    """A real HTTP server on localhost that answers every GET with one fixed body."""

    def __init__(self, body: bytes) -> None:
        import http.server
        import threading

        payload = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (
            b'{"data": [{"platform": "tiktok"',
            ExtractError,
            "gave up after 2 retries: page is not valid JSON",
        ),
        (b'{"items": [], "next_cursor": null}', ContractError, "does not match the API envelope"),
        (b'[{"platform": "tiktok"}]', ContractError, "does not match the API envelope"),
    ],
    ids=["malformed-json", "no-data", "bare-list"],
)
def test_broken_pages_end_with_a_clear_error(
    tmp_path: Path, body: bytes, error: type[Exception], message: str
) -> None:
    server = _FixedBody(body)
    try:
        cfg = ApiConfig(server.url, "t", max_retries=2, backoff_max_s=0.01)
        with pytest.raises(error, match=message):
            extract_platform(cfg, Warehouse(tmp_path), DAY, "tiktok", "r", b"k", ["posts"])
    finally:
        server.close()
    assert not list(tmp_path.glob("raw/posts/dt=*/*/*.jsonl")), "nothing half-landed"


def test_a_server_ignoring_the_platform_filter_is_stopped_before_anything_lands(
    tmp_path: Path,
) -> None:
    """A server that follows DESIGN section 11 without the optional ``platform`` filter serves
    every platform's rows to each platform's extraction: three copies of everything in raw and
    repeated quarantine rows if it landed. The first page with another platform's row stops it."""
    with SimulatorThread(accounts=30, seed=3, faults=Faults(ignore_platform_filter=True)) as s:
        cfg = ApiConfig(s.url, s.token, page_size=50, max_retries=1, backoff_max_s=0.01)
        with pytest.raises(ContractError, match="ignores the optional platform filter") as err:
            extract_platform(cfg, Warehouse(tmp_path), DAY, "tiktok", "r", b"k", ["accounts"])
    assert "platform=tiktok" in str(err.value) and "/v1/accounts" in str(err.value)
    assert not list(tmp_path.glob("raw/accounts/dt=*/*/*.jsonl")), "nothing landed"


def test_rows_of_an_unknown_platform_land_and_are_quarantined(tmp_path: Path) -> None:
    """Only a known other platform means a filter was ignored; an unknown value is a bad row."""
    body = (
        b'{"data": [{"platform": "myspace", "account_id": "1", "followers": 5}], '
        b'"next_cursor": null}'
    )
    server = _FixedBody(body)
    try:
        cfg = ApiConfig(server.url, "t", max_retries=1, backoff_max_s=0.01)
        landed = extract_platform(cfg, Warehouse(tmp_path), DAY, "tiktok", "r", b"k", ["accounts"])
    finally:
        server.close()
    assert [x.rows for x in landed] == [1]
    result = stage_table(Warehouse(tmp_path), "accounts", DAY, "r")
    assert (result.staged_rows, result.quarantined_rows) == (0, 1)
