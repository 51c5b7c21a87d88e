"""Ad-manager export files (file drops): read a CSV, JSON or Parquet export and map its columns
to the delivery columns by a profile; every cell stays text.

A profile maps each target column to candidate header names, matched by the one header rule of
:func:`pipeline.extract.headers.header_key` (case, spaces, underscores, punctuation, a BOM and
newlines inside a header do not matter), and may set constants (``platform``, ``currency``).
Built in (:data:`PROFILES`): ``facebook`` (Meta Ads Manager exports, also the snake_case
``ad_id, xyz_campaign_id, ..., Spent, Approved_Conversion`` files), ``google-ads`` (Google Ads
report downloads) and ``tiktok`` (TikTok Ads Manager exports). Others come from a mapping file
(YAML)::

    name: tiktok-ads
    columns: {ad_id: Ad ID, campaign_id: Campaign name, impressions: Impressions,
              clicks: Clicks (destination), spend: Cost, conversions: Conversions,
              account_id: Creator, day: Date}
    constants: {platform: tiktok, currency: USD}

Messy exports are expected: a BOM, title lines above the header (Google Ads puts the report
name and the date range there), repeated header names (the first wins), a currency in the spend
header (``Amount spent (EUR)``, ``Cost (USD)``); ``N/A``, ``-``, ``—`` and blanks are missing
values (:func:`cell_sql`). Totals rows (a key cell starting ``Total``, as ``Total: Account``,
``Total: Campaigns``, ``Total of 12 ads``) are skipped and counted, not loaded. Where a profile
finds a day column (``day``: ``Day``, ``Date``, ``Reporting starts``), only the rows of the day
being ingested are loaded; the others are skipped and counted. Without an ad column (a
campaign-level report) the campaign is the ad. Reading numbers (``1.2k``, ``3.4%``) and
rejecting spreadsheet error cells is staging's job (:mod:`pipeline.campaigns.delivery_files`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from pipeline.contracts import DELIVERY_FILES
from pipeline.extract.headers import find_header, read_csv_text

#: The columns an export is mapped to.
TARGETS: tuple[str, ...] = DELIVERY_FILES.column_names
#: Cell texts that mean "no value" (compared trimmed and lower-case).
MISSING: tuple[str, ...] = (
    "", "n/a", "na", "n.a.", "-", "--", "\u2013", "\u2014", "null", "none", "nan",
)  # fmt: skip


class DeliveryFileError(ValueError):
    """A file drop cannot be read or mapped; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Profile:
    """Target column -> candidate source headers, and constant columns."""

    name: str
    columns: dict[str, tuple[str, ...]]
    constants: dict[str, str] = field(default_factory=dict)


#: A spend header that carries the currency: ``Amount spent (EUR)``, ``Cost (USD)``.
_SPEND_CURRENCY = re.compile(r"\(([a-z]{3})\)\s*$", re.I)
#: A totals row: a key cell reading ``Total``, ``Totals``, ``Total: Account``, ``Grand total``,
#: ``Total of 12 results``, ``Gesamt``, ``Summe``.
_TOTALS = re.compile(
    r"^\s*((grand\s+)?totals?|gesamt|summe|gesamtergebnis)\s*(:|$|of\s+\d)", re.I
)  # not "Total Fitness Spring", a campaign name
#: The day column's target name (not a delivery column: it selects the rows of the day).
DAY = "day"

FACEBOOK = Profile(
    name="facebook",
    columns={
        "ad_id": ("Ad ID",),
        "campaign_id": ("Campaign ID", "Campaign name", "xyz_campaign_id", "fb_campaign_id"),
        "platform": ("Platform", "Publisher platform"),
        "account_id": ("Influencer account ID", "Creator ID", "Partner ID"),
        "impressions": ("Impressions",),
        "reach": ("Reach",),
        "clicks": ("Link clicks", "Clicks (all)", "Clicks"),
        "video_views": ("ThruPlays", "3-second video plays", "Video plays"),
        "spend": ("Amount spent", "Spent", "Spend", "Cost"),
        "currency": ("Currency",),
        "conversions": (
            "Approved conversions",
            "Approved_Conversion",
            "Total conversions",
            "Total_Conversion",
            "Results",
            "Conversions",
        ),  # fmt: skip
        DAY: ("Reporting starts", "Day", "Date", "date_start"),
    },
    constants={"platform": "instagram"},
)

GOOGLE_ADS = Profile(
    name="google-ads",
    columns={
        "ad_id": ("Ad ID", "Ad group ID", "Ad group"),
        "campaign_id": ("Campaign ID", "Campaign"),
        "impressions": ("Impr.", "Impressions"),
        "clicks": ("Clicks",),
        "video_views": ("Views", "Video views", "TrueView views"),
        "spend": ("Cost",),
        "currency": ("Currency code", "Currency"),
        "conversions": ("Conversions", "Conv."),
        DAY: ("Day", "Date"),
    },
    # influencer marketing buys Google Ads on YouTube; a search campaign needs a mapping file
    constants={"platform": "youtube"},
)

TIKTOK = Profile(
    name="tiktok",
    columns={
        "ad_id": ("Ad ID", "Ad name"),
        "campaign_id": ("Campaign ID", "Campaign name"),
        "account_id": ("Creator ID", "Identity ID", "TikTok account ID"),
        "impressions": ("Impressions",),
        "reach": ("Reach",),
        "clicks": ("Clicks (destination)", "Clicks (all)", "Clicks"),
        "video_views": ("Video views", "2-second video views", "6-second video views"),
        "spend": ("Cost", "Total cost", "Spend"),
        "currency": ("Currency",),
        "conversions": ("Conversions", "Results"),
        DAY: ("Date", "By Day", "Day", "stat_time_day"),
    },
    constants={"platform": "tiktok"},
)

PROFILES: dict[str, Profile] = {p.name: p for p in (FACEBOOK, GOOGLE_ADS, TIKTOK)}


@dataclass(frozen=True)
class ExportRows:
    """An export mapped to :data:`TARGETS` (text), and the rows left out (they reconcile:
    ``records = rows + totals + other_days + blank``)."""

    rows: pa.Table
    records: int  #: data records below the header
    totals: int  #: totals/summary rows skipped
    other_days: int  #: rows of another day than the one ingested
    blank: int  #: empty records


def load_mapping(path: Path | str) -> Profile:
    """A profile from a mapping file (YAML)."""
    import yaml

    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as e:
        raise DeliveryFileError(f"{path}: cannot read mapping ({str(e).splitlines()[0]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), dict):
        raise DeliveryFileError(f"{path}: a mapping needs a 'columns:' mapping of target: header")
    known = (*TARGETS, DAY)
    unknown = [k for k in [*doc["columns"], *(doc.get("constants") or {})] if k not in known]
    if unknown:
        raise DeliveryFileError(
            f"{path}: unknown target column(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    cols = {k: tuple(v) if isinstance(v, list) else (str(v),) for k, v in doc["columns"].items()}
    consts = {k: str(v) for k, v in (doc.get("constants") or {}).items()}
    return Profile(str(doc.get("name") or path.stem), cols, consts)


def _read_rows(path: Path) -> list[list[str | None]]:
    """Every record of a CSV, JSON (lines or array) or Parquet file, all as text; the first one
    is the header for JSON and Parquet."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".json", ".jsonl", ".ndjson"):
        import duckdb

        con = duckdb.connect()
        try:
            reader = "read_parquet" if suffix == ".parquet" else "read_json_auto"
            quoted = str(path).replace("'", "''")
            rel = con.sql(f"select * from {reader}('{quoted}')")
            header: list[str | None] = list(rel.columns)
            rows = [[None if v is None else str(v) for v in r] for r in rel.fetchall()]
        finally:
            con.close()
        return [header, *rows]
    if suffix in (".xlsx", ".xls"):
        raise DeliveryFileError(f"{path}: spreadsheets are not read; save the sheet as CSV")
    return [list(r) for r in read_csv_text(path)]


def _spend_currency(header: list[str | None], index: dict[str, int], constants: dict[str, str]
                    ) -> None:  # fmt: skip
    """The currency a spend header names (``Amount spent (EUR)``, ``cost (usd)``), where the
    file has no currency column."""
    if "spend" in index and "currency" not in index:
        if m := _SPEND_CURRENCY.search(header[index["spend"]] or ""):
            constants.setdefault("currency", m.group(1).upper())


def _locate(profile: Profile, records: list[list[str | None]], path: Path
            ) -> tuple[int, dict[str, int], dict[str, str]]:  # fmt: skip
    """The header row (title lines above it are skipped) and target -> column index."""
    found = find_header(records, profile.columns, ("ad_id", "campaign_id"))
    if found is None:
        names = ", ".join(
            [*profile.columns.get("ad_id", ()), *profile.columns.get("campaign_id", ())]
        )
        raise DeliveryFileError(
            f"{path}: no header with an ad or campaign column ({names}) and another known column "
            f"in the first 15 lines for profile {profile.name!r}; pick another --profile "
            f"({', '.join(PROFILES)}) or give a --mapping"
        )
    skip, index = found
    constants = dict(profile.constants)
    _spend_currency(records[skip], index, constants)
    if "ad_id" not in index and "campaign_id" in index:
        index["ad_id"] = index["campaign_id"]  # a campaign-level report: the campaign is the ad
    missing = [t for t in ("ad_id", "campaign_id") if t not in index and t not in constants]
    if missing:
        raise DeliveryFileError(
            f"{path}: no column for {', '.join(missing)} (profile {profile.name!r})"
        )
    return skip, index, constants


def _day(text: str | None) -> date | None:
    """A day cell: ISO (``2026-03-02``, also with a time), ``2026/03/02``, ``Mar 2, 2026``,
    ``2 Mar 2026``, ``20260302``."""
    t = (text or "").strip()
    if not t:
        return None
    try:
        return date.fromisoformat(t[:10].replace("/", "-"))
    except ValueError:
        pass
    for fmt in ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%Y%m%d", "%a, %b %d, %Y"):
        try:
            return datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    return None


def resolve_profile(profile: str | None, mapping: Path | str | None = None) -> Profile:
    """The mapping file's profile, else the built-in profile of that name."""
    if mapping is not None:
        return load_mapping(mapping)
    if profile in PROFILES:
        return PROFILES[profile]
    raise DeliveryFileError(
        f"unknown profile {profile!r}; built in: {', '.join(PROFILES)} (or give --mapping FILE)"
    )


def read_export(path: Path | str, profile: Profile, day: date | None = None) -> ExportRows:
    """The rows of an export mapped to :data:`TARGETS` (text, as in the file; a target without
    a column holds the profile's constant or NULL) and ``_pos``, each row's line in the file;
    title lines, blank records and totals rows left out, and with ``day`` and a day column,
    the rows of other days (counted)."""
    path = Path(path)
    if not path.exists():
        raise DeliveryFileError(f"{path}: file not found")
    records = _read_rows(path)
    skip, index, constants = _locate(profile, records, path)
    body = records[skip + 1 :]

    def cell(r: list[str | None], i: int) -> str:
        return (r[i] or "") if i < len(r) else ""

    blank = [not any((c or "").strip() for c in r) for r in body]
    key_cols = sorted({0, *(index[t] for t in ("ad_id", "campaign_id") if t in index)})
    totals = [not b and any(_TOTALS.match(cell(r, i)) for i in key_cols)
              for r, b in zip(body, blank, strict=True)]  # fmt: skip
    other = [False] * len(body)
    days: set[date] = set()
    if day is not None and DAY in index:
        for n, r in enumerate(body):
            if blank[n] or totals[n] or not cell(r, index[DAY]).strip():
                continue
            d = _day(cell(r, index[DAY]))
            if d is None:
                raise DeliveryFileError(
                    f"{path}: line {skip + n + 2}: {cell(r, index[DAY])!r} in the day column is "
                    "not a date (YYYY-MM-DD)"
                )
            other[n] = d != day
            days.add(d)
    keep = [not (b or t or o) for b, t, o in zip(blank, totals, other, strict=True)]
    kept = [r for r, k in zip(body, keep, strict=True) if k]
    if any(other) and not kept:
        raise DeliveryFileError(
            f"{path}: no row is of {day} (the day column holds {min(days)} to {max(days)}); "
            "give the report's day as --date"
        )
    # the row as a spreadsheet shows it (header and title lines counted): the quarantine's _pos
    rows_at = [skip + 2 + n for n, k in enumerate(keep) if k]
    columns: dict[str, list[str | None]] = {}
    for t in TARGETS:
        if t in index:
            i = index[t]
            columns[t] = [r[i] if i < len(r) else None for r in kept]
        else:
            columns[t] = [constants.get(t)] * len(kept)
    table = pa.table({t: pa.array(v, pa.string()) for t, v in columns.items()})
    table = table.append_column("_pos", pa.array(rows_at, pa.int64()))
    return ExportRows(table, len(body), sum(totals), sum(other), sum(blank))


def cell_sql(column: str, typ: pa.DataType) -> str:
    """SQL reading one export cell as raw text: trimmed, a :data:`MISSING` marker as NULL."""
    del typ  # every cell is text
    missing = ", ".join(f"'{m}'" for m in MISSING)
    cell = f'trim("{column}")'
    return f"case when lower({cell}) in ({missing}) then null else {cell} end"
