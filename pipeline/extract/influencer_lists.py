"""Influencer lists as agencies and vendors export them: read a CSV, find its header, map its
columns to ``influencer_lists`` (every cell stays text; staging reads it,
:mod:`pipeline.staging.influencer_lists`).

The header is found among the first 15 records (title lines above it are skipped): the first
record matching at least two of our columns, one of them an identity (handle, profile URL or
account id). Headers match by the one header rule of :func:`pipeline.extract.headers.header_key`
(case, spaces, underscores, punctuation, a BOM and newlines inside a quoted header do not
matter), first against :data:`ALIASES`, then without bracketed notes (``Followers (IG)``,
``"Avg.\\nViews\\n(Reels)"``). A mapping file (YAML, our column -> their header) overrides
the guess for the columns it names::

    columns: {handle: IG Name, followers: Reach, category: Vertical}
    constants: {platform: instagram}

Unknown columns are kept, as one JSON object per row (``extra``: header -> text, blanks left
out). The platform comes from a platform column, else a profile URL (``instagram.com/anna``,
``tiktok.com/@x``, ``youtube.com/@x``), else a handle/URL header naming one (``IG handle``,
``TikTok URL``), else ``--platform``. Header units scale: ``Followers (k)`` / ``(in
thousands)`` / ``(000s)`` multiply by 1,000, ``(M)`` / ``(in millions)`` by 1,000,000; an
engagement header with ``%`` (``ER (%)``) holds percentage points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipeline.contracts import INFLUENCER_LISTS
from pipeline.extract.headers import find_header, header_key, match_headers, read_csv_text

#: Our column -> the headers lists use for it (first match wins; compared by ``header_key``).
ALIASES: dict[str, tuple[str, ...]] = {
    "platform": ("Platform", "Network", "Social network", "Social media", "Channel type",
                 "Plattform", "Netzwerk"),
    "handle": ("Handle", "Username", "User name", "Account", "Account name", "Account handle",
               "Instagram handle", "IG handle", "Instagram username", "Instagram account",
               "TikTok handle", "TikTok username", "TikTok account", "YouTube handle",
               "Channel handle", "Creator handle", "Influencer handle", "Social handle",
               "Benutzername"),
    "account_id": ("Account ID", "User ID", "Platform ID", "Channel ID", "Instagram ID",
                   "IG ID", "TikTok ID", "Creator ID", "Influencer ID"),
    "display_name": ("Name", "Full name", "Display name", "Influencer", "Creator",
                     "Influencer name", "Creator name", "Channel name", "Talent"),
    "category": ("Category", "Categories", "Niche", "Niches", "Vertical", "Topic", "Topics",
                 "Genre", "Content category", "Kategorie"),
    "country": ("Country", "Country code", "Location", "Market", "Land", "Home country"),
    "followers": ("Followers", "Follower count", "Followers count", "No. of followers",
                  "Subscribers", "Subscriber count", "Fans", "Audience size", "Follower",
                  "Abonnenten", "Follower:innen"),
    "following": ("Following", "Followings", "Following count", "Follows"),
    "engagement_rate": ("Engagement rate", "ER", "Eng. rate", "Engagement", "Avg. engagement rate",
                        "Average engagement rate", "Engagement rate (ER)", "Interaktionsrate"),
    "avg_likes": ("Avg likes", "Average likes", "Avg. likes per post", "Likes avg",
                  "Mean likes", "Likes per post", "Likes"),
    "avg_views": ("Avg views", "Average views", "Avg. video views", "Average video views",
                  "Views per video", "Avg. views per video", "Views"),
    "email": ("Email", "E-mail", "Email address", "Contact email", "Business email", "Mail"),
    "profile_url": ("Profile URL", "URL", "Profile link", "Link", "Profile", "Instagram URL",
                    "Instagram link", "TikTok URL", "TikTok link", "YouTube URL", "Channel URL",
                    "Channel link"),
}  # fmt: skip
#: The ``extra`` key of cells to the right of the last header (the row is quarantined).
BEYOND_HEADER = "_beyond_header"
#: Columns that identify an influencer: a header row has one of them.
IDENTITY: tuple[str, ...] = ("handle", "profile_url", "account_id")
#: Numeric columns (header units scale them).
NUMERIC: tuple[str, ...] = ("followers", "following", "engagement_rate", "avg_likes", "avg_views")
#: The columns read from the file (the rest of the contract is lineage, set on ingest).
TARGETS: tuple[str, ...] = tuple(ALIASES)

_PLATFORM_HINTS: tuple[tuple[str, str], ...] = (
    ("instagram", "instagram"), ("insta", "instagram"), ("ig", "instagram"),
    ("tiktok", "tiktok"), ("tt", "tiktok"), ("youtube", "youtube"), ("yt", "youtube"),
)  # fmt: skip
_UNITS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\((in\s+)?(k|tsd\.?|thousands?|000s?|'000)\)", re.I), 1e3),
    (re.compile(r"\((in\s+)?(m|mio\.?|mn|millions?)\)", re.I), 1e6),
)


class InfluencerListError(ValueError):
    """A list cannot be read or mapped; the message names the file and what is wrong."""


@dataclass(frozen=True)
class ListRows:
    """A list mapped to :data:`TARGETS` (text) with what ingest needs to know about it."""

    rows: pa.Table  #: TARGETS + ``extra`` + ``source_row`` (the spreadsheet row number), text
    headers: dict[str, str]  #: our column -> the file's header it came from
    scale: dict[str, float]  #: numeric column -> header unit factor (``Followers (k)``: 1000)
    percent_points: bool  #: the engagement header says ``%``
    default_platform: str | None  #: from a handle/URL header (``IG handle``), else None
    records: int  #: data records below the header
    blank: int  #: empty records left out
    extra_headers: list[str] = field(default_factory=list)


def _map(header: list[str | None], mapping: dict[str, str], path: Path) -> dict[str, int]:
    index = match_headers(header, ALIASES)
    for col, theirs in mapping.items():
        hit = match_headers(header, {col: (theirs,)})
        if col not in hit:
            raise InfluencerListError(
                f"{path}: mapping names {theirs!r} for {col}, but the header has no such column "
                f"(found: {', '.join(h or '' for h in header)})"
            )
        for other, i in list(index.items()):  # the mapped column is no longer a guess elsewhere
            if i == hit[col] and other != col:
                del index[other]
        index[col] = hit[col]
    return index


def load_mapping(path: Path | str) -> tuple[dict[str, str], dict[str, str]]:
    """A mapping file (YAML): ``columns:`` our column -> their header (or the same mapping at
    the top level), optional ``constants:`` (``platform``)."""
    import yaml

    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as e:
        raise InfluencerListError(
            f"{path}: cannot read mapping ({str(e).splitlines()[0]})"
        ) from None
    if not isinstance(doc, dict):
        raise InfluencerListError(f"{path}: a mapping is 'our column: their header' pairs")
    consts = doc.get("constants") or {}
    cols = doc.get("columns", {k: v for k, v in doc.items() if k not in ("constants", "name")})
    if not isinstance(cols, dict) or not isinstance(consts, dict):
        raise InfluencerListError(f"{path}: 'columns:' and 'constants:' must be mappings")
    unknown = [k for k in [*cols, *consts] if k not in TARGETS]
    if unknown:
        raise InfluencerListError(
            f"{path}: unknown column(s) {', '.join(map(str, unknown))}; known: {', '.join(TARGETS)}"
        )
    return {str(k): str(v) for k, v in cols.items()}, {str(k): str(v) for k, v in consts.items()}


def _platform_hint(header: list[str | None], index: dict[str, int]) -> str | None:
    for col in ("handle", "profile_url"):
        if col in index:
            key = header_key(header[index[col]])
            for prefix, platform in _PLATFORM_HINTS:
                if key.startswith(prefix) and key != prefix:
                    return platform
    return None


def read_list(path: Path | str, mapping: Path | str | None = None) -> ListRows:
    """The rows of an influencer list mapped to :data:`TARGETS` (text, as in the file), the
    unknown columns as ``extra`` (JSON text), and the spreadsheet row of each."""
    path = Path(path)
    if not path.exists():
        raise InfluencerListError(f"{path}: file not found")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise InfluencerListError(
            f"{path}: spreadsheets are not read (openpyxl is not installed); save the sheet as CSV"
        )
    cols, consts = load_mapping(mapping) if mapping is not None else ({}, {})
    records: list[list[str | None]] = [list(r) for r in read_csv_text(path)]
    aliases = {**ALIASES, **{c: (h, *ALIASES[c]) for c, h in cols.items()}}
    found = find_header(records, aliases, IDENTITY)
    if found is None:
        raise InfluencerListError(
            f"{path}: no header with a handle, profile URL or account id column and another known "
            "column in the first 15 lines; give a --mapping (YAML: handle: <their header>, ...)"
        )
    skip, _ = found
    header = records[skip]
    index = _map(header, cols, path)
    body = records[skip + 1 :]
    rows_at = [n for n, r in enumerate(body) if any((c or "").strip() for c in r)]
    kept = [body[n] for n in rows_at]

    def column(i: int) -> pa.Array:
        return pa.array([r[i] if i < len(r) else None for r in kept], pa.string())

    data: dict[str, pa.Array] = {}
    for col in TARGETS:
        if col in index:
            data[col] = column(index[col])
        else:
            data[col] = pa.array([consts.get(col)] * len(kept), pa.string())
    used = set(index.values())
    extra_at = [i for i, h in enumerate(header) if i not in used and header_key(h)]
    names: list[str] = []
    for i in extra_at:
        name = " ".join((header[i] or "").split())
        names.append(name if name not in names else f"{name}_{i + 1}")
    # cells beyond the header (a comma left unquoted shifts a row): kept, and the row quarantined
    beyond = pa.array(
        [", ".join(c for c in r[len(header) :] if c and c.strip()) or None for r in kept],
        pa.string(),
    )
    arrays = [column(i) for i in extra_at]
    if beyond.null_count < len(beyond):
        arrays.append(beyond)
        names.append(BEYOND_HEADER)
    data["extra"] = _extra_json(arrays, names, len(kept))
    data["source_row"] = pa.array([str(skip + n + 2) for n in rows_at], pa.string())
    scale = {
        c: f for c in NUMERIC if c in index for p, f in _UNITS if p.search(header[index[c]] or "")
    }
    er_header = header[index["engagement_rate"]] if "engagement_rate" in index else None
    return ListRows(
        rows=pa.table(data),
        headers={c: header[i] or "" for c, i in index.items()},
        scale=scale,
        percent_points=bool(er_header and re.search(r"%|percent|prozent", er_header, re.I)),
        default_platform=_platform_hint(header, index),
        records=len(body),
        blank=len(body) - len(kept),
        extra_headers=names,
    )


def _extra_json(arrays: list[pa.Array], names: list[str], n: int) -> pa.Array:
    """One JSON object per row: header -> trimmed text of the unknown columns (blanks out);
    NULL where there is none."""
    if not arrays:
        return pa.nulls(n, pa.string())
    import duckdb

    con = duckdb.connect()
    try:
        con.register("x", pa.table({f"c{i}": a for i, a in enumerate(arrays)}))
        entries = ", ".join(
            f"{{'k': '{name.replace(chr(39), chr(39) * 2)}', 'v': nullif(trim(c{i}), '')}}"
            for i, name in enumerate(names)
        )
        sql = (
            f"select case when len(e) > 0 then to_json(map_from_entries(e))::varchar end as j "
            f"from (select list_filter([{entries}], lambda x: x.v is not null) as e from x)"
        )
        return con.sql(sql).to_arrow_table().column("j").combine_chunks()
    finally:
        con.close()


__all__ = ["ALIASES", "INFLUENCER_LISTS", "InfluencerListError", "ListRows", "read_list"]
