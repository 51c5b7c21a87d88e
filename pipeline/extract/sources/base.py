"""One interface for every platform source, and the landing of what a source extracted.

A platform is read either from the clout API contract (``clout``, DESIGN section 11: the
simulator, or a vendor API of that shape) or from the platform's own API (``youtube``,
``instagram_graph``, ``tiktok``), chosen by ``CLOUT_SOURCES``. A platform-API source asks only
for the roster's accounts of its platform and maps the platform's answers to the contract's
source tables (``accounts``, ``posts``, ``audience``; ``follower_samples`` and ``delivery``
stay empty where a platform has none). Fields a platform does not supply are NULL, never
invented.

:func:`land_extracted` lands the mapped rows as the clout source does, one raw partition per
(table, platform, day) of JSON pages ``{"data": [...], "next_cursor": null}``, so staging, GX
and the marts run unchanged. Every answer the platform gave is kept unedited beside them
(``raw/platform_responses/dt=D/platform=P/``), and the day's roster lookups land as
``raw/roster/dt=D/platform=P/``. A source fetches everything before anything lands: an error
(a spent quota, a bad token) stops the platform with nothing published.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from pipeline.contracts import PLATFORMS, ROSTER, SOURCE_TABLES
from pipeline.extract.platform_api import ExtractError, Landed, wrap_page
from pipeline.extract.roster import RosterEntry
from pipeline.warehouse.storage import Partition, Warehouse

log = logging.getLogger(__name__)

#: Source name -> the platform it reads (``clout`` reads every platform).
SOURCE_PLATFORMS: dict[str, str | None] = {
    "clout": None,
    "youtube": "youtube",
    "instagram_graph": "instagram",
    "tiktok": "tiktok",
}
#: Raw folder of the platforms' unedited answers (not a published table).
RESPONSES = "platform_responses"
#: Mapped rows per raw page.
PAGE_ROWS = 5000


#: Days of posts in one snapshot (the contract's ``posts``: the last 30 days).
POST_WINDOW_DAYS = 30
#: Sent with every request: the day being extracted. The platforms ignore it; the simulator
#: serves that day of its world.
DATE_HEADER = "X-Clout-Date"


def window(dt: date) -> tuple[datetime, datetime]:
    """[start, end) of the posts of day ``dt``'s snapshot."""
    end = datetime.combine(dt + timedelta(days=1), time(0), tzinfo=UTC)
    return end - timedelta(days=POST_WINDOW_DAYS), end


def parse_ts(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with its offset (``Z`` included); None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


class SourceConfigError(ValueError):
    """``CLOUT_SOURCES`` is malformed."""


def parse_sources(spec: str) -> dict[str, str]:
    """``CLOUT_SOURCES`` -> platform -> source name.

    A comma list of source names (``youtube`` reads youtube, ``instagram_graph`` instagram,
    ``tiktok`` tiktok, ``clout`` every platform no other entry names) or ``platform=source``
    pairs. Platforms no entry covers are not extracted. Default ``clout``: every platform from
    the clout API.
    """
    out: dict[str, str] = {}
    fallback = None
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        if "=" in item:
            platform, _, name = (s.strip() for s in item.partition("="))
            if platform not in PLATFORMS:
                raise SourceConfigError(
                    f"CLOUT_SOURCES: unknown platform {platform!r} in {item!r}; "
                    f"expected one of {', '.join(PLATFORMS)}"
                )
        else:
            platform, name = "", item
        if name not in SOURCE_PLATFORMS:
            raise SourceConfigError(
                f"CLOUT_SOURCES: unknown source {name!r}; expected one of "
                f"{', '.join(SOURCE_PLATFORMS)}"
            )
        reads = SOURCE_PLATFORMS[name]
        if platform and reads is not None and reads != platform:
            raise SourceConfigError(f"CLOUT_SOURCES: source {name!r} reads {reads}, not {platform}")
        if not platform and reads is None:
            fallback = name
            continue
        out[platform or str(reads)] = name
    if fallback:
        for p in PLATFORMS:
            out.setdefault(p, fallback)
    if not out:
        raise SourceConfigError("CLOUT_SOURCES is empty; set it to `clout` or a platform source")
    return {p: out[p] for p in PLATFORMS if p in out}


@dataclass
class Extracted:
    """What a platform source fetched for one day, mapped to the contract, not yet landed."""

    platform: str
    source: str  #: the API's base URL
    rows: dict[str, list[dict[str, Any]]]  #: source table -> mapped rows (every table)
    roster: list[RosterEntry]  #: the roster entries of the platform, looked up
    responses: list[tuple[str, bytes]] = field(default_factory=list)  #: (request, body)
    calls: int = 0
    quota_units: int | None = None  #: where the platform meters a quota (YouTube)

    def summary(self) -> dict[str, Any]:
        """Counts for logs, manifests and the run's summary."""
        return {
            "source": self.source, "calls": self.calls, "quota_units": self.quota_units,
            "roster": len(self.roster),
            "not_found": sum(e.status == "not_found" for e in self.roster),
        }  # fmt: skip


class PlatformSource(Protocol):
    """A platform's own API, read for the roster's accounts of one day."""

    name: str
    platform: str

    def extract(self, dt: date, roster: Sequence[RosterEntry]) -> Extracted:
        """Fetch and map everything of the day; raise ExtractError before anything lands."""
        ...


def empty_rows() -> dict[str, list[dict[str, Any]]]:
    """One empty row list per source table."""
    return {name: [] for name in SOURCE_TABLES}


def _pages(rows: list[dict[str, Any]]) -> Iterable[bytes]:
    if not rows:
        yield b'{"data":[],"next_cursor":null}'
        return
    for i in range(0, len(rows), PAGE_ROWS):
        doc = {"data": rows[i : i + PAGE_ROWS], "next_cursor": None}
        yield json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def land_rows(
    wh: Warehouse,
    table: str,
    dt: date,
    platform: str,
    rows: list[dict[str, Any]],
    run_id: str,
    source: str,
    extra: dict[str, Any] | None = None,
) -> Landed:
    """Swap in one raw partition of mapped rows (pages in the clout API envelope)."""
    part = Partition.of("raw", table, dt, platform=platform)
    digest = hashlib.sha256()
    pages = 0
    extracted_at = datetime.now(UTC).isoformat(timespec="milliseconds")
    with wh.staging_dir() as tmp:
        work = tmp / "p"
        work.mkdir()
        out = work / "part-0.jsonl"
        with out.open("wb") as fh:
            for body in _pages(rows):
                line = wrap_page(body, run_id, extracted_at, source, pages)
                fh.write(line)
                digest.update(line)
                pages += 1
        wh.publish_dir(part, work, run_id, rows=len(rows),
                       extra={"pages": pages, "source": source, **(extra or {})},
                       checksums={out.name: digest.hexdigest()})  # fmt: skip
    calls = (extra or {}).get("calls")
    units = (extra or {}).get("quota_units")
    return Landed(table, platform, dt.isoformat(), len(rows), pages, wh.location(part),
                  calls, units)  # fmt: skip


def land_responses(
    wh: Warehouse, dt: date, platform: str, responses: list[tuple[str, bytes]], run_id: str
) -> None:
    """Keep the platform's answers unedited (a pretty-printed one compacted onto one line):
    one NDJSON line per answer with its request (the credentials left out)."""
    part = Partition.of("raw", RESPONSES, dt, platform=platform)
    with wh.staging_dir() as tmp:
        work = tmp / "p"
        work.mkdir()
        with (work / "responses.jsonl").open("wb") as fh:
            for request, body in responses:
                if b"\n" in body or b"\r" in body:  # one line per answer: same JSON, compact
                    body = json.dumps(json.loads(body), separators=(",", ":")).encode()
                head = json.dumps({"_run_id": run_id, "request": request}).encode()
                fh.write(head[:-1] + b',"response":' + (body.strip() or b"null") + b"}\n")
        wh.publish_dir(part, work, run_id, rows=len(responses))


def land_roster(
    wh: Warehouse, dt: date, partition: str, entries: Sequence[RosterEntry], run_id: str,
    source: str,
) -> Landed:  # fmt: skip
    """Land roster entries (with their lookup outcome) as ``raw/roster/dt=D/platform=P``."""
    return land_rows(wh, ROSTER.name, dt, partition, [e.row() for e in entries], run_id, source)


def land_extracted(wh: Warehouse, ex: Extracted, dt: date, run_id: str) -> list[Landed]:
    """Land everything a platform source extracted (its answers, every table, its roster)."""
    missing = set(SOURCE_TABLES) - set(ex.rows)
    if missing:
        raise ExtractError(f"{ex.platform}: the source mapped no rows list for {sorted(missing)}")
    summary = ex.summary()
    land_responses(wh, dt, ex.platform, ex.responses, run_id)
    landed = [
        land_rows(wh, name, dt, ex.platform, ex.rows[name], run_id, ex.source, summary)
        for name in SOURCE_TABLES
    ]
    land_roster(wh, dt, ex.platform, ex.roster, run_id, ex.source)
    log.info(
        "landed %s %s from %s: %s; %d calls%s; %d of %d roster accounts not found",
        ex.platform, dt, ex.source,
        ", ".join(f"{x.table} {x.rows}" for x in landed), ex.calls,
        f", {ex.quota_units} quota units" if ex.quota_units is not None else "",
        summary["not_found"], summary["roster"],
    )  # fmt: skip
    return landed
