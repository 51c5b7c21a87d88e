"""Web-analytics conversions: a Google Analytics 4 export into ``stg_ga4_conversions``.

Accepted files:
* CSV downloaded from a GA4 report or exploration: ``#`` comment lines, one header line (UI
  names such as ``Session source``, ``Session campaign``, ``Session manual ad content``,
  ``Sessions``, ``Key events`` / ``Conversions``, ``Total revenue``, optional ``Date``), rows, and
  possibly further blocks after a blank line (ignored);
* the JSON of a Data API ``runReport`` response (``dimensionHeaders``, ``metricHeaders``,
  ``rows``) with API names (``sessionSource``, ``sessionCampaignName``,
  ``sessionManualAdContent``, ``sessions``, ``keyEvents`` or ``conversions``, ``totalRevenue``
  or ``purchaseRevenue``, optional ``date``).

Rows go through the staging engine (:func:`pipeline.staging.engine.stage_rows`, the schema's
type and required rules): bad rows are quarantined with their reasons, one partition per day of
the file (its ``date`` column, else ``--date``). ``sql/intermediate/ga4_campaign_daily.sql`` joins the staged
rows to campaigns by UTM for ``campaign_daily``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import GA4_CONVERSIONS
from pipeline.extract.headers import match_headers
from pipeline.warehouse.storage import Warehouse

#: Our column <- the GA4 names it may have (API names and UI names, compared by the one header
#: rule, :func:`pipeline.extract.headers.header_key`).
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date",),
    "session_source": ("sessionsource",),
    "session_medium": ("sessionmedium",),
    "session_campaign_name": ("sessioncampaignname", "sessioncampaign", "utmcampaign"),
    "session_manual_ad_content": ("sessionmanualadcontent", "utmcontent", "manualadcontent"),
    "sessions": ("sessions",),
    "conversions": ("keyevents", "conversions"),
    "revenue": ("totalrevenue", "purchaserevenue", "revenue"),
}
REQUIRED = ("sessions", "conversions", "session_manual_ad_content")
NUMERIC = ("sessions", "conversions", "revenue")


class ConversionsError(ValueError):
    """An unreadable GA4 export; the message says what is missing and how to fix it."""


@dataclass(frozen=True)
class ConversionsResult:
    """Rows read, and per day what was staged and quarantined."""

    file: str
    rows: int
    days: dict[str, dict[str, int]]


def _match_header(header: list[str], path: Path) -> dict[str, int]:
    index = match_headers(header, ALIASES)
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        wanted = ", ".join(ALIASES[c][0] for c in missing)
        raise ConversionsError(
            f"{path}: no column for {wanted} (found: {', '.join(header) or 'nothing'}); export "
            "GA4 with dimension sessionManualAdContent and metrics sessions and keyEvents"
        )
    return index


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    lines = [ln for ln in path.read_text(encoding="utf-8-sig").splitlines()
             if not ln.lstrip().startswith("#")]  # fmt: skip
    while lines and not lines[0].strip():
        lines.pop(0)
    block = []
    for ln in lines:
        if not ln.strip():
            break  # GA4 puts further tables (totals, other dimensions) after a blank line
        block.append(ln)
    rows = list(csv.reader(io.StringIO("\n".join(block))))
    if not rows:
        raise ConversionsError(f"{path}: no header line (is this a GA4 CSV export?)")
    return rows[0], rows[1:]


def _json_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
        header = [h["name"] for h in doc.get("dimensionHeaders", [])] + [
            h["name"] for h in doc.get("metricHeaders", [])
        ]
        rows = [
            [v.get("value") for v in r.get("dimensionValues", [])]
            + [v.get("value") for v in r.get("metricValues", [])]
            for r in doc.get("rows", [])
        ]
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
        raise ConversionsError(
            f"{path}: not a GA4 Data API runReport response ({type(e).__name__}: {e})"
        ) from None
    return header, rows


def read_export(path: Path | str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a GA4 export (CSV or runReport JSON), as text."""
    path = Path(path)
    if not path.exists():
        raise ConversionsError(f"{path}: file not found")
    if path.suffix.lower() == ".json":
        return _json_rows(path)
    return _csv_rows(path)


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip()  # "(not set)", "(direct)" stay as GA4 wrote them: they match no UTM
    return v or None


def _number(value: str | None) -> str | None:
    """GA4 UI numbers as plain text: no thousands separators, currency signs or spaces."""
    if value is None:
        return None
    v = re.sub(r"[,\s$€£¥]", "", value)
    return v or None


def _day(value: str | None, default: date | None) -> str | None:
    if value is None or not value.strip():
        return default.isoformat() if default else None
    v = value.strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(v, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def raw_rows(
    header: list[str], rows: list[list[str]], path: Path, currency: str, day: date | None
) -> pa.Table:
    """The export as the staging engine's raw text columns (``r_<column>``), with lineage and
    the day of every row (``_dt``; NULL when unreadable)."""
    index = _match_header(header, path)
    if "date" not in index and day is None:
        raise ConversionsError(f"{path}: no Date column: pass --date YYYY-MM-DD for its day")
    now = datetime.now(UTC).isoformat()

    def cell(r: list[str], col: str) -> str | None:
        i = index.get(col)
        return r[i] if i is not None and i < len(r) else None

    body = [r for r in rows if any(c.strip() for c in r)]
    out: dict[str, list[Any]] = {
        "_dt": [_day(cell(r, "date"), day) for r in body],
        "_run_id": [None] * len(body), "_source": ["ga4"] * len(body),
        "_extracted_at": [now] * len(body), "_file": [str(path)] * len(body),
        "_page": [0] * len(body), "_pos": list(range(1, len(body) + 1)),
    }  # fmt: skip
    for f in GA4_CONVERSIONS.schema:
        if f.name == "currency":
            out[f"r_{f.name}"] = [currency.upper()] * len(body)
        elif f.name in NUMERIC:
            default = "0" if f.name == "revenue" and "revenue" not in index else None
            out[f"r_{f.name}"] = [_number(cell(r, f.name)) or default for r in body]
        else:
            out[f"r_{f.name}"] = [_text(cell(r, f.name)) for r in body]
    return pa.table(out, schema=pa.schema([(k, pa.int64() if k in ("_page", "_pos") else
                                               pa.string()) for k in out]))  # fmt: skip


def ingest_conversions(
    wh: Warehouse, path: Path | str, run_id: str, currency: str = "USD", day: date | None = None
) -> ConversionsResult:
    """Stage a GA4 export: one ``stg_ga4_conversions`` (and quarantine) partition per day of
    the file, replaced whole (rerunning the same file gives the same partitions)."""
    from pipeline.campaigns.fx import USD_PER_UNIT
    from pipeline.staging.engine import RAW_ROWS, publish, stage
    from pipeline.staging.rules import schema_rules
    from pipeline.warehouse.catalog import connect

    path = Path(path)
    if currency.upper() not in USD_PER_UNIT:
        raise ConversionsError(
            f"--currency {currency!r} is not supported: use one of {', '.join(USD_PER_UNIT)}"
        )
    header, rows = read_export(path)
    raw = raw_rows(header, rows, path, currency, day)
    raw = raw.set_column(raw.schema.get_field_index("_run_id"), "_run_id",
                         pa.array([run_id] * raw.num_rows, pa.string()))  # fmt: skip
    undated = raw.filter(raw["_dt"].is_null()).num_rows
    if undated:
        raise ConversionsError(f"{path}: {undated} row(s) have an unreadable Date (want YYYYMMDD)")
    days: dict[str, dict[str, int]] = {}
    for dt in sorted(set(raw["_dt"].to_pylist())):
        part = raw.filter(pc.equal(raw["_dt"], dt)).drop_columns(["_dt"])
        con: duckdb.DuckDBPyConnection = connect()
        try:
            con.register(RAW_ROWS, part)
            rules = schema_rules(GA4_CONVERSIONS)
            staged = stage(con, GA4_CONVERSIONS, rules, date.fromisoformat(dt), run_id)
        finally:
            con.close()
        result = publish(wh, staged)  # quarantine, staging, validation_results; counts reconcile
        days[dt] = {k: v for k, v in asdict(result).items() if k.endswith("_rows")}
    return ConversionsResult(str(path), raw.num_rows, days)


def register_ga4_campaign_daily(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temp view ``ga4_campaign_daily`` (``sql/intermediate/ga4_campaign_daily.sql``) that
    ``campaign_daily`` reads; needs the views, ``fx_rates`` and the day variables."""
    from pipeline.sqlfiles import sql_text

    con.execute(
        f"create or replace temp view ga4_campaign_daily as {sql_text('intermediate/ga4_campaign_daily')}"
    )
