"""Ad-manager export files (file drops): read a CSV, JSON or Parquet export and map its columns
to the delivery columns by a profile; every cell stays text.

A profile maps each target column to candidate header names (case-insensitive) and may set
constants (``platform``, ``currency``). Built in: ``facebook`` (Facebook/Instagram Ads Manager
exports). Others come from a mapping file (YAML)::

    name: tiktok-ads
    columns: {ad_id: Ad ID, campaign_id: Campaign name, impressions: Impressions,
              clicks: Clicks (destination), spend: Cost, conversions: Conversions,
              account_id: Creator}
    constants: {platform: tiktok, currency: USD}

Messy exports are expected: a BOM, title lines above the header, repeated header names (the
first wins), a currency in the spend header (``Amount spent (EUR)``); ``N/A``, ``-`` and blanks
are missing values (:func:`cell_sql`). Reading numbers (``1.2k``, ``3.4%``) and rejecting
spreadsheet error cells is staging's job (:mod:`pipeline.campaigns.delivery_files`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipeline.contracts import DELIVERY_FILES

#: The columns an export is mapped to.
TARGETS: tuple[str, ...] = DELIVERY_FILES.column_names
#: Cell texts that mean "no value" (compared trimmed and lower-case).
MISSING: tuple[str, ...] = ("", "n/a", "na", "-", "--", "null", "none", "nan")


class DeliveryFileError(ValueError):
    """A file drop cannot be read or mapped; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Profile:
    """Target column -> candidate source headers, and constant columns."""

    name: str
    columns: dict[str, tuple[str, ...]]
    constants: dict[str, str] = field(default_factory=dict)


FACEBOOK = Profile(
    name="facebook",
    columns={
        "ad_id": ("Ad ID", "Ad Id"),
        "campaign_id": ("Campaign ID", "Campaign name"),
        "platform": ("Platform", "Publisher platform"),
        "account_id": ("Influencer account ID", "Creator ID", "Partner ID"),
        "impressions": ("Impressions",),
        "reach": ("Reach",),
        "clicks": ("Link clicks", "Clicks (all)", "Clicks"),
        "video_views": ("ThruPlays", "3-second video plays", "Video plays"),
        "spend": (
            "Amount spent",
            "Amount spent (USD)",
            "Amount spent (EUR)",
            "Amount spent (GBP)",
            "Cost",
        ),  # fmt: skip
        "currency": ("Currency",),
        "conversions": ("Approved conversions", "Total conversions", "Results", "Conversions"),
    },
    constants={"platform": "instagram"},
)

PROFILES: dict[str, Profile] = {FACEBOOK.name: FACEBOOK}


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
    unknown = [k for k in [*doc["columns"], *(doc.get("constants") or {})] if k not in TARGETS]
    if unknown:
        raise DeliveryFileError(
            f"{path}: unknown target column(s) {', '.join(unknown)}; known: {', '.join(TARGETS)}"
        )
    cols = {k: tuple(v) if isinstance(v, list) else (str(v),) for k, v in doc["columns"].items()}
    consts = {k: str(v) for k, v in (doc.get("constants") or {}).items()}
    return Profile(str(doc.get("name") or path.stem), cols, consts)


def _read_rows(path: Path) -> tuple[list[str], list[list[str | None]]]:
    """Header and rows of a CSV, JSON (lines or array) or Parquet file, all as text."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".json", ".jsonl", ".ndjson"):
        import duckdb

        con = duckdb.connect()
        try:
            reader = "read_parquet" if suffix == ".parquet" else "read_json_auto"
            quoted = str(path).replace("'", "''")
            rel = con.sql(f"select * from {reader}('{quoted}')")
            header = list(rel.columns)
            rows = [[None if v is None else str(v) for v in r] for r in rel.fetchall()]
        finally:
            con.close()
        return header, rows
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = list(csv.reader(io.StringIO(text), dialect))
    return lines[0] if lines else [], [list(r) for r in lines[1:]]


def _locate(profile: Profile, header: list[str], rows: list[list[str | None]], path: Path
            ) -> tuple[dict[str, int], list[list[str | None]], dict[str, str]]:  # fmt: skip
    """Find the header row (title lines above it are skipped), map targets to column indexes."""
    candidates: list[list[str | None]] = [list(header), *rows[:10]]
    ad_names = {n.lower() for n in profile.columns.get("ad_id", ())}
    for skip, cand in enumerate(candidates):  # noqa: B007 (used after the loop)
        names = [(c or "").strip().lower() for c in cand]
        if ad_names & set(names):
            break
    else:
        raise DeliveryFileError(
            f"{path}: no header with an ad id column ({', '.join(profile.columns.get('ad_id', ()))})"
            f" for profile {profile.name!r}; pick another --profile or give a --mapping"
        )
    body = rows[skip:] if skip else rows
    index: dict[str, int] = {}
    constants = dict(profile.constants)
    for target, options in profile.columns.items():
        for opt in options:
            if opt.lower() in names:
                index[target] = names.index(opt.lower())  # repeated names: the first wins
                break
        if target == "spend" and target not in index:  # "Amount spent (EUR)" and the like
            for i, n in enumerate(names):
                if m := re.match(r"^amount spent \(([a-z]{3})\)$", n):
                    index["spend"] = i
                    constants.setdefault("currency", m.group(1).upper())
                    break
    if "spend" in index and "currency" not in index and "currency" not in constants:
        if m := re.search(r"\(([a-z]{3})\)$", names[index["spend"]]):
            constants["currency"] = m.group(1).upper()
    missing = [t for t in ("ad_id", "campaign_id") if t not in index and t not in constants]
    if missing:
        raise DeliveryFileError(
            f"{path}: no column for {', '.join(missing)} (profile {profile.name!r})"
        )
    return index, body, constants


def resolve_profile(profile: str | None, mapping: Path | str | None = None) -> Profile:
    """The mapping file's profile, else the built-in profile of that name."""
    if mapping is not None:
        return load_mapping(mapping)
    if profile in PROFILES:
        return PROFILES[profile]
    raise DeliveryFileError(
        f"unknown profile {profile!r}; built in: {', '.join(PROFILES)} (or give --mapping FILE)"
    )


def read_export(path: Path | str, profile: Profile) -> pa.Table:
    """The rows of an export mapped to :data:`TARGETS` (text, as in the file; a target without
    a column holds the profile's constant or NULL), blank rows and title lines left out."""
    path = Path(path)
    if not path.exists():
        raise DeliveryFileError(f"{path}: file not found")
    header, rows = _read_rows(path)
    index, body, constants = _locate(profile, header, rows, path)
    body = [r for r in body if any((c or "").strip() for c in r)]
    columns: dict[str, list[str | None]] = {}
    for t in TARGETS:
        if t in index:
            i = index[t]
            columns[t] = [r[i] if i < len(r) else None for r in body]
        else:
            columns[t] = [constants.get(t)] * len(body)
    return pa.table({t: pa.array(v, pa.string()) for t, v in columns.items()})


def cell_sql(column: str, typ: pa.DataType) -> str:
    """SQL reading one export cell as raw text: trimmed, a :data:`MISSING` marker as NULL."""
    del typ  # every cell is text
    missing = ", ".join(f"'{m}'" for m in MISSING)
    cell = f'trim("{column}")'
    return f"case when lower({cell}) in ({missing}) then null else {cell} end"
