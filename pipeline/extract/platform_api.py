"""Extraction client for the social platform API (DESIGN section 3.1 and 11).

Each (entity, platform, day) is fetched with the optional ``platform`` filter of the contract
(DESIGN section 11) and lands as its own raw partition. A server that ignores the filter would
land every platform's rows in each platform's partition (three copies of everything, repeated
quarantine rows): a page holding a row of another known platform stops the extraction with a
clear error before anything lands. Rows with an unknown platform land (staging quarantines them).

Pages are fetched with cursor pagination; 429 (honouring ``Retry-After``), 5xx, timeouts and
broken pages are retried with exponential backoff; 400/401/403/404 are not retried and end with a
clear error. Each page lands unchanged (apart from pseudonymised personal ids) as one NDJSON line
wrapped with its lineage: ``{"_run_id", "_extracted_at", "_source", "_page", "page": <body>}``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pipeline.contracts import PLATFORMS, SOURCE_TABLES, Table
from pipeline.extract.pii import pseudonymise
from pipeline.warehouse.storage import Partition, Warehouse, failpoint

log = logging.getLogger(__name__)


class ExtractError(RuntimeError):
    """Extraction failed for a reason retrying cannot fix; the message says what and where."""


class ContractError(ExtractError):
    """The API answered, but not in the shape of the contract (envelope, JSON)."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ApiConfig:
    """Connection settings of the client."""

    base_url: str
    token: str
    page_size: int = 5000
    timeout_s: float = 30.0
    max_retries: int = 6
    backoff_max_s: float = 30.0


@dataclass(frozen=True)
class Landed:
    """What one (entity, platform, day) extraction landed."""

    table: str
    platform: str
    dt: str
    rows: int
    pages: int
    path: str
    #: platform-API sources: calls made and quota units spent by the platform's whole
    #: extraction that day (the same on each of its tables; None for the clout API)
    platform_calls: int | None = None
    platform_quota_units: int | None = None


class PlatformClient:
    """A pooled HTTP client for one API, with retries."""

    def __init__(self, cfg: ApiConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.cfg = cfg
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=cfg.base_url,
            headers={"Authorization": f"Bearer {cfg.token}", "Accept": "application/json"},
            timeout=httpx.Timeout(cfg.timeout_s, connect=min(cfg.timeout_s, 10.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- one page
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = wait_exponential_jitter(initial=0.2, max=self.cfg.backoff_max_s)(state)
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.cfg.backoff_max_s)
        return float(backoff)

    def get_page(self, endpoint: str, params: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
        """One page: its raw body and its parsed envelope, retried on transient failures."""
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            stop=stop_after_attempt(self.cfg.max_retries + 1),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda s: log.info(
                "retrying %s %s: %s", endpoint, params, s.outcome.exception() if s.outcome else ""
            ),
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(endpoint, params)
        except _Retryable as e:
            raise ExtractError(
                f"{self.cfg.base_url}/v1/{endpoint} {_fmt(params)}: gave up after "
                f"{self.cfg.max_retries} retries: {e}"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(self, endpoint: str, params: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
        where = f"{self.cfg.base_url}/v1/{endpoint} {_fmt(params)}"
        try:
            resp = self._http.get(f"/v1/{endpoint}", params=params)
        except httpx.TimeoutException as e:
            raise _Retryable(f"timeout ({type(e).__name__})") from None
        except httpx.TransportError as e:
            raise _Retryable(f"cannot connect: {e}") from None
        status = resp.status_code
        if status == 429:
            raise _Retryable("429 throttled", _retry_after(resp.headers.get("Retry-After")))
        if status >= 500:
            raise _Retryable(f"HTTP {status}")
        if status in (401, 403):
            raise ExtractError(
                f"{where}: the API refused the token (HTTP {status}); check CLOUT_API_TOKEN"
            )
        if status != 200:
            raise ExtractError(f"{where}: HTTP {status}: {resp.text[:200]}")
        body = resp.content
        try:
            doc = json.loads(body)
        except ValueError:
            # a cut or garbled page is a transport fault until it persists
            raise _Retryable(f"page is not valid JSON ({len(body)} bytes)") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
            raise ContractError(
                f"{where}: response does not match the API envelope "
                '{"data": [...], "next_cursor": ...}'
            )
        return body, doc

    # -------------------------------------------------------------- a stream
    def pages(
        self, table: Table, dt: date, platform: str | None
    ) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Every page of one entity, day and platform, following the cursor."""
        params: dict[str, Any] = {"date": dt.isoformat(), "limit": self.cfg.page_size}
        if platform:
            params["platform"] = platform
        seen: set[str] = set()
        while True:
            body, doc = self.get_page(table.endpoint, params)
            yield body, doc
            cursor = doc.get("next_cursor")
            if not cursor:
                return
            if cursor in seen:
                raise ContractError(
                    f"{table.endpoint} {dt}: the API returned cursor {cursor!r} twice (a loop)"
                )
            seen.add(cursor)
            params = {**params, "cursor": cursor}


def _other_platforms(platform: str) -> re.Pattern[bytes]:
    """Matches a row of a known platform other than ``platform`` in a page body (JSON string
    values escape their quotes, so only a real ``"platform"`` key can match)."""
    others = "|".join(re.escape(p) for p in PLATFORMS if p != platform)
    return re.compile(rb'"platform"\s*:\s*"(' + others.encode() + rb')"')


def check_page_platform(body: bytes, platform: str, where: str) -> None:
    """Fail when a page asked for with ``platform=`` holds rows of another known platform."""
    found = _other_platforms(platform).search(body)
    if found:
        raise ContractError(
            f"{where}: asked for platform={platform}, the API served rows of "
            f"{found.group(1).decode()!r}: it ignores the optional platform filter (DESIGN "
            "section 11), so each platform's partition would hold every platform's rows; use "
            "an API that filters by platform"
        )


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _fmt(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items() if k != "cursor")


def wrap_page(body: bytes, run_id: str, extracted_at: str, source: str, page_no: int) -> bytes:
    """One raw NDJSON line: the page body, unchanged, inside its lineage envelope."""
    head = json.dumps(
        {"_run_id": run_id, "_extracted_at": extracted_at, "_source": source, "_page": page_no},
        separators=(",", ":"),
    ).encode()
    return head[:-1] + b',"page":' + body + b"}\n"


def _land_stream(
    client: PlatformClient,
    wh: Warehouse,
    table: Table,
    dt: date,
    platform: str,
    run_id: str,
    pii_key: bytes,
) -> Landed:
    """Fetch one (entity, platform, day) and swap it in as its raw partition."""
    part = Partition.of("raw", table.name, dt, platform=platform)
    source = f"{client.cfg.base_url}/v1/{table.endpoint}"
    rows = pages = 0
    digest = hashlib.sha256()
    with wh.staging_dir() as tmp:
        work = tmp / "p"
        work.mkdir()
        out = work / "part-0.jsonl"
        with out.open("wb") as fh:
            for body, doc in client.pages(table, dt, platform):
                check_page_platform(body, platform, f"{source} {dt} page {pages}")
                extracted_at = datetime.now(UTC).isoformat(timespec="milliseconds")
                if table.pii or b"\n" in body:
                    for name in table.pii:
                        ids = pseudonymise([r.get(name) for r in doc["data"]], pii_key)
                        for r, h in zip(doc["data"], ids, strict=True):
                            if name in r:
                                r[name] = h
                    body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
                line = wrap_page(body, run_id, extracted_at, source, pages)
                fh.write(line)
                digest.update(line)
                rows += len(doc["data"])
                pages += 1
                failpoint("extract.page")  # a page written to the work folder, not yet swapped in
        wh.publish_dir(
            part,
            work,
            run_id,
            rows=rows,
            extra={"pages": pages, "source": source},
            checksums={out.name: digest.hexdigest()},
        )
    log.info("landed %s %s %s: %d rows in %d pages", table.name, platform, dt, rows, pages)
    return Landed(table.name, platform, dt.isoformat(), rows, pages, wh.location(part))


def extract_platform(
    cfg: ApiConfig,
    wh: Warehouse,
    dt: date,
    platform: str,
    run_id: str,
    pii_key: bytes,
    tables: list[str] | None = None,
    concurrency: int = 4,
) -> list[Landed]:
    """Land every entity of one platform and day; entities are fetched concurrently."""
    if platform not in PLATFORMS:
        raise ExtractError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")
    names = tables or list(SOURCE_TABLES)
    with PlatformClient(cfg) as client, ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [
            pool.submit(_land_stream, client, wh, SOURCE_TABLES[n], dt, platform, run_id, pii_key)
            for n in names
        ]
        return [f.result() for f in futures]
