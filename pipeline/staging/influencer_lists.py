"""Influencer lists staged as ``stg_influencer_lists/dt=D/source=NAME`` by the staging engine
(``clout ingest influencers``). The file is read and mapped by
:mod:`pipeline.extract.influencer_lists`; here its text becomes typed, clean columns:

* numbers by the one number rule (:mod:`pipeline.staging.numbers`: ``1.2k``, ``3.4M``,
  ``1,1 Mio``, ``12.345``, ``12 345``, ``12'345``), times the header's unit (``Followers (k)``);
  counts must be whole unless a suffix or unit made them approximate;
* ``engagement_rate`` as a fraction 0..1: ``4.5%`` is 0.045; without ``%`` the column is read
  as percentage points when its header says ``%`` or any of its plain values is above 1
  (``4.5`` -> 0.045), else as fractions (``0.045``);
* ``platform``: ``Instagram``/``IG``/``Insta``, ``TikTok``/``TT``, ``YouTube``/``YT``, or the
  platform of a profile URL, or the file's default; ``handle`` without ``@``, lower-case, read
  from a profile URL where the handle column holds one (``https://www.instagram.com/anna/`` ->
  ``anna``, ``tiktok.com/@x``, ``youtube.com/@x``, ``/c/x``, ``/user/x``); a YouTube
  ``/channel/UC...`` URL gives the ``account_id``;
* ``category`` lower-case, the first of a ``,``/``;``/``|``/``/`` list; ``country`` an ISO code
  (``uk`` -> ``GB``, English names of common countries mapped, else the text as given);
* ``email`` is a keyed hash (pseudonymised before anything is stored, like every personal id).

A row is quarantined, with its reasons, for: a spreadsheet error cell (``error_cell:<col>``),
a number that is none (``type:<col>``: also a percentage in a count column), a value out of
range (``range:<col>``: negative counts, an engagement rate above 100 %), no platform
(``required:platform``) or an unknown one (``in_set:platform``), a platform column contradicting
the profile URL (``platform:url_mismatch``), no handle and no account id
(``required:handle_or_account_id``), a handle cell that is a URL of no profile
(``handle:unreadable``) or not a handle (``format:handle``: spaces, an e-mail address), a
profile URL that is none or names no profile (``format:profile_url``: a post link), an
account id Excel turned into ``1.23E+15`` (``format:account_id``: digits are lost), an e-mail
without ``@`` (``format:email``), cells to the right of the last header
(``columns:beyond_header``: an unquoted delimiter shifted the row; the cells are in
``extra``). The same influencer twice in one list: the last row wins. A numeric column most of
whose values fail is reported as probably mislabelled, a list where no row names its platform
as needing ``--platform``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import INFLUENCER_LISTS, PLATFORMS
from pipeline.extract.files import cell_sql
from pipeline.extract.influencer_lists import (
    BEYOND_HEADER,
    NUMERIC,
    InfluencerListError,
    ListRows,
    read_list,
)
from pipeline.extract.pii import pseudonymise
from pipeline.staging.engine import load_arrow, publish, stage
from pipeline.staging.numbers import number_sql, suffix_sql
from pipeline.staging.rules import Rule, type_rule
from pipeline.warehouse.catalog import connect
from pipeline.warehouse.storage import Warehouse

_ERROR_CELL = r"^#(VALUE!|DIV/0!|REF!|NAME\?|NUM!|NULL!|N/A|ERROR!?)$"
#: An e-mail that is no address is stored as this marker (never the text) and quarantined.
BAD_EMAIL = "#invalid-email"
_HOST = r"^(?:https?://)?(?:[a-z0-9-]+\.)?"
_URL = {
    "instagram": rf"(?i){_HOST}(?:instagram\.com|instagr\.am)/",
    "tiktok": rf"(?i){_HOST}tiktok\.com/",
    "youtube": rf"(?i){_HOST}(?:youtube\.com|youtu\.be)/",
}
_HANDLE_IN_URL = {
    "instagram": _URL["instagram"] + r"([a-z0-9._]+)",
    "tiktok": _URL["tiktok"] + r"@([a-z0-9._]+)",
    "youtube": _URL["youtube"] + r"(?:@|c/|user/)([a-z0-9._-]+)",
}
_NOT_PROFILES = ("p", "reel", "reels", "tv", "explore", "stories", "accounts")
_YT_CHANNEL = _URL["youtube"] + r"channel/(UC[A-Za-z0-9_-]{22})"
_PLATFORM_NAMES = {
    "instagram": "instagram", "ig": "instagram", "insta": "instagram",
    "tiktok": "tiktok", "tt": "tiktok", "youtube": "youtube", "yt": "youtube",
    "youtubeshorts": "youtube",
}  # fmt: skip
_COUNTRIES = {
    "uk": "GB", "united kingdom": "GB", "great britain": "GB", "england": "GB",
    "usa": "US", "united states": "US", "united states of america": "US", "america": "US",
    "germany": "DE", "deutschland": "DE", "france": "FR", "spain": "ES", "españa": "ES",
    "italy": "IT", "italia": "IT", "netherlands": "NL", "the netherlands": "NL",
    "austria": "AT", "österreich": "AT", "switzerland": "CH", "schweiz": "CH", "canada": "CA",
    "australia": "AU", "brazil": "BR", "brasil": "BR", "mexico": "MX", "méxico": "MX",
    "india": "IN", "indonesia": "ID", "japan": "JP", "south korea": "KR", "korea": "KR",
    "philippines": "PH", "turkey": "TR", "türkiye": "TR", "poland": "PL", "polska": "PL",
    "sweden": "SE", "nigeria": "NG", "ireland": "IE", "belgium": "BE", "portugal": "PT",
    "denmark": "DK", "norway": "NO", "finland": "FI", "uae": "AE",
    "united arab emirates": "AE",
}  # fmt: skip


@dataclass(frozen=True)
class InfluencerListResult:
    """Counts of one ingested list (they reconcile: ``records = blank + rows`` and
    ``rows = staged + quarantined + duplicates``), and what to tell the user."""

    file: str
    dt: str
    source: str
    records: int
    blank_rows: int
    rows: int
    staged_rows: int
    quarantined_rows: int
    duplicate_rows: int
    warnings: list[str] = field(default_factory=list)  #: columns that look mislabelled
    problems: list[str] = field(default_factory=list)  #: the first quarantined rows, in words


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _case_map(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"when {_lit(k)} then {_lit(v)}" for k, v in mapping.items())
    return f"case {expr} {whens} end"


def _url_platform(col: str) -> str:
    whens = " ".join(f"when regexp_matches({col}, {_lit(p)}) then '{n}'" for n, p in _URL.items())
    return f"case {whens} end"


def _handle_in_url(col: str) -> str:
    ig = f"lower(regexp_extract({col}, {_lit(_HANDLE_IN_URL['instagram'])}, 1))"
    not_profile = ", ".join(_lit(p) for p in _NOT_PROFILES)
    return (
        f"nullif(case {_url_platform(col)} "
        f"when 'instagram' then case when {ig} in ({not_profile}) then '' else {ig} end "
        f"when 'tiktok' then regexp_extract({col}, {_lit(_HANDLE_IN_URL['tiktok'])}, 1) "
        f"when 'youtube' then regexp_extract({col}, {_lit(_HANDLE_IN_URL['youtube'])}, 1) "
        "end, '')"
    )


def _is_url(col: str) -> str:
    return f"regexp_matches({col}, '(?i)^(https?://|www\\.)|^[a-z0-9.-]+\\.[a-z]{{2,}}/')"


def _platform_text(col: str) -> str:
    key = f"regexp_replace(lower(trim({col})), '[^a-z]', '', 'g')"
    return f"coalesce({_case_map(key, _PLATFORM_NAMES)}, nullif(lower(trim({col})), ''))"


def list_casts(default_platform: str | None, scale: dict[str, float], points: bool
               ) -> dict[str, str]:  # fmt: skip
    """The engine's cast overrides for an influencer list (see the module doc)."""
    h, u = '"r_handle"', '"r_profile_url"'
    from_url = f"coalesce({_url_platform(h)}, {_url_platform(u)})"
    default = _lit(default_platform) if default_platform else "null"
    handle_text = f"case when {_is_url(h)} then {_handle_in_url(h)} else ltrim(trim({h}), '@') end"
    er = number_sql('"r_engagement_rate"')
    er_suffix = suffix_sql('"r_engagement_rate"')
    category = (
        "nullif(lower(trim(regexp_replace(split_part(regexp_replace(\"r_category\", '[;|/]', ',',"
        " 'g'), ',', 1), '\\s+', ' ', 'g'))), '')"
    )
    country_key = 'lower(trim("r_country"))'
    named = _platform_text('"r_platform"')
    casts = {
        "platform": f"coalesce({named}, {from_url}, {default})",
        "handle": f"lower(coalesce({handle_text}, {_handle_in_url(u)}))",
        "account_id": (
            f"coalesce(regexp_replace(trim(\"r_account_id\"), '^([0-9]+)\\.0$', '\\1'), "
            f"nullif(regexp_extract({h}, {_lit(_YT_CHANNEL)}, 1), ''), "
            f"nullif(regexp_extract({u}, {_lit(_YT_CHANNEL)}, 1), ''))"
        ),
        "display_name": "regexp_replace(trim(\"r_display_name\"), '\\s+', ' ', 'g')",
        "category": category,
        "country": (
            f"coalesce({_case_map(country_key, _COUNTRIES)}, case when regexp_full_match("
            f"{country_key}, '[a-z]{{2}}') then upper({country_key}) else trim(\"r_country\") end)"
        ),
        "engagement_rate": (
            f"list_transform([{er}], lambda e: case when {er_suffix} = '%' then e "
            f"when {points} then e / 100 else e end)[1]"
        ),
        "profile_url": f"coalesce(trim({u}), case when {_is_url(h)} then trim({h}) end)",
    }
    for col in NUMERIC:
        if col != "engagement_rate":
            typ = INFLUENCER_LISTS.schema.field(col).type
            casts[col] = number_sql(
                f'"r_{col}"', integer=pa.types.is_integer(typ), scale=scale.get(col, 1.0)
            )
    return casts


def list_rules() -> list[Rule]:
    """The quarantine rules of an influencer list (see the module doc), in column order."""
    rules: list[Rule] = []
    for f in INFLUENCER_LISTS.schema:
        error_cell = f"regexp_matches(\"r_{f.name}\", '{_ERROR_CELL}')"
        rules.append(Rule(f"error_cell:{f.name}", error_cell))
        if f.name in NUMERIC:
            rules.append(type_rule(f.name, unless=error_cell))
            top = " or engagement_rate > 1" if f.name == "engagement_rate" else ""
            rules.append(Rule(f"range:{f.name}", f'"{f.name}" < 0{top}'))
    platforms = ", ".join(_lit(p) for p in PLATFORMS)
    h, u = '"r_handle"', '"r_profile_url"'
    named = _platform_text('"r_platform"')
    from_url = f"coalesce({_url_platform(h)}, {_url_platform(u)})"
    # a URL of a platform must name a profile (not a post); other sites' URLs are kept
    u_profile = (
        f"{_url_platform(u)} is null or {_handle_in_url(u)} is not null "
        f"or regexp_matches({u}, {_lit(_YT_CHANNEL)})"
    )
    return rules + [
        Rule("required:platform", "platform is null"),
        Rule("in_set:platform", f"platform not in ({platforms})"),
        Rule("platform:url_mismatch", f"{named} <> {from_url}"),
        Rule("handle:unreadable", f"{h} is not null and handle is null"),
        Rule("required:handle_or_account_id", f"{h} is null and handle is null and account_id is null"),
        Rule("format:handle", "not regexp_full_match(handle, '[a-z0-9._-]{1,30}')"),
        Rule("format:profile_url", f"{u} is not null and not ({_is_url(u)} and ({u_profile}))"),
        Rule("format:account_id", "regexp_full_match(account_id, '(?i)[0-9.,]+e\\+?[0-9]+')"),
        Rule("format:email", f"\"r_email\" = '{BAD_EMAIL}'"),
        Rule("required:source_row", "source_row is null"),
        Rule("columns:beyond_header", f"contains(\"r_extra\", '\"{BEYOND_HEADER}\":')"),
    ]  # fmt: skip


def _emails(values: pa.Array, key: bytes) -> pa.Array:
    """E-mails trimmed and lower-cased, then keyed hashes; one that is no address (no ``@``)
    becomes :data:`BAD_EMAIL`; missing markers stay NULL."""
    text = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    missing = pc.is_in(text, pa.array(["", "n/a", "na", "n.a.", "-", "--", "\u2013", "\u2014"]))
    text = pc.if_else(pc.fill_null(missing, False), pa.scalar(None, pa.string()), text)
    ok = pc.match_substring_regex(text, r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    hashed = pa.array(pseudonymise(text.to_pylist(), key), pa.string())
    return pc.if_else(pc.fill_null(ok, True), hashed, pa.scalar(BAD_EMAIL, pa.string()))


def _points(con: Any, scale_free_er: str, suffix: str) -> bool:
    """Whether a plain engagement column holds percentage points (a value above 1)."""
    row = con.execute(
        f"select max({scale_free_er}) filter (where {suffix} <> '%') from raw_rows"
    ).fetchall()[0]
    return row[0] is not None and float(row[0]) > 1


def _mislabelled(con: Any, lst: ListRows, failed: dict[str, int]) -> list[str]:
    """Numeric columns most of whose values (at least 2) are no value of that column, from the
    staged rule counts (``failed``: rule -> quarantined rows) and the raw values."""
    cols = [c for c in NUMERIC if c in lst.headers]
    if not cols:
        return []
    counts = ", ".join(
        f"""count("r_{c}"), count(*) filter (where {suffix_sql(f'"r_{c}"')} = '%')""" for c in cols
    )
    row = con.execute(f"select {counts} from raw_rows").fetchall()[0]
    out: list[str] = []
    for k, col in enumerate(cols):
        n, n_pct = int(row[2 * k]), int(row[2 * k + 1])
        n_bad = failed.get(f"type:{col}", 0) + failed.get(f"range:{col}", 0)
        if n_bad >= 2 and 2 * n_bad > n:
            what = "percentages" if n_pct * 2 > n and col != "engagement_rate" else "out of range"
            out.append(
                f"column {lst.headers[col]!r} read as {col}: {n_bad} of {n} values are not "
                f"{col} ({what}); those rows are quarantined. Is the column mislabelled? "
                "Give --mapping to say which column holds what."
            )
    return out


def ingest_influencer_list(
    wh: Warehouse, path: Path | str, dt: date, run_id: str, pii_key: bytes,
    mapping: Path | str | None = None, platform: str | None = None, source: str | None = None,
) -> InfluencerListResult:  # fmt: skip
    """Read, map, validate and stage one influencer list as day ``dt`` (idempotent per
    source, which defaults to the file name)."""
    path = Path(path)
    if platform is not None and platform.lower() not in PLATFORMS:
        raise InfluencerListError(f"--platform {platform!r}: one of {', '.join(PLATFORMS)}")
    lst = read_list(path, mapping)
    name = re.sub(r"[^A-Za-z0-9_-]", "_", source or path.stem) or "list"
    n = lst.rows.num_rows
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data = lst.rows.set_column(
        lst.rows.schema.get_field_index("email"),
        "email",
        _emails(lst.rows.column("email").combine_chunks(), pii_key),
    )
    data = data.append_column("source_file", pa.array([str(path)] * n, pa.string()))
    data = data.append_column("ingested_at", pa.array([now] * n, pa.string()))
    data = data.append_column("_pos", pc.cast(data.column("source_row"), pa.int64()))
    con = connect()
    try:
        load_arrow(
            con, INFLUENCER_LISTS, data, run_id=run_id, source=name, file=str(path), text=cell_sql
        )
        er_suffix = suffix_sql('"r_engagement_rate"')
        points = lst.percent_points or _points(con, number_sql('"r_engagement_rate"'), er_suffix)
        casts = list_casts(
            platform.lower() if platform else lst.default_platform, lst.scale, points
        )
        staged = stage(con, INFLUENCER_LISTS, list_rules(), dt, run_id, casts=casts)
        failed = {r.expectation: r.unexpected_count or 0 for r in staged.records}
        warnings = _mislabelled(con, lst, failed)
        if staged.raw_rows and failed.get("required:platform", 0) == staged.raw_rows:
            warnings.append(
                "no row names its platform (no platform column, profile URL or platform in a "
                "header): give --platform instagram|tiktok|youtube"
            )
    finally:
        con.close()
    q = staged.quarantined
    problems = [
        f"{path.name} row {r}: {reasons}"
        for r, reasons in zip(q.column("source_row").to_pylist()[:5],
                              q.column("_reasons").to_pylist()[:5], strict=True)
    ]  # fmt: skip
    result = InfluencerListResult(
        str(path), dt.isoformat(), name, lst.records, lst.blank, staged.raw_rows,
        staged.rows.num_rows, q.num_rows, staged.duplicates, warnings, problems,
    )  # fmt: skip
    extra: dict[str, Any] = {
        "file": result.file, "source": name, "file_records": lst.records,
        "blank_rows": lst.blank, "headers": lst.headers, "extra_headers": lst.extra_headers,
    }  # fmt: skip
    publish(wh, staged, keys={"source": name}, extra=extra, results_file=name)
    return result
