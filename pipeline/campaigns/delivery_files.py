"""Ad delivery from file drops (ad-manager exports), mapped by a profile to ``stg_delivery``'s
columns and staged as ``stg_delivery_files/dt=D/source=NAME``.

A profile maps each target column to candidate header names (case-insensitive) and may set
constants (``platform``, ``currency``). Built in: ``facebook`` (Facebook/Instagram Ads Manager
exports). Others come from a mapping file (YAML)::

    name: tiktok-ads
    columns: {ad_id: Ad ID, campaign_id: Campaign name, impressions: Impressions,
              clicks: Clicks (destination), spend: Cost, conversions: Conversions,
              account_id: Creator}
    constants: {platform: tiktok, currency: USD}

Messy exports are expected: a BOM, title lines above the header, repeated header names (the
first wins), ``1.2k``/``3.4M`` suffixes, thousands separators, ``"3.4%"`` strings, currency
symbols; ``N/A``, ``-`` and blanks are missing values; spreadsheet error cells (``#VALUE!``,
``#DIV/0!``, ...) and values that are not numbers quarantine the row with the column named.
A row without an influencer (account) is valid: a paid ad. Conversions above clicks are valid
(view-through).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.contracts import DELIVERY
from pipeline.staging.rules import Rule
from pipeline.staging.suites import suite_rules
from pipeline.warehouse.storage import Partition, Warehouse

TARGETS: tuple[str, ...] = tuple(f.name for f in DELIVERY.schema)
QUARANTINE_SCHEMA = pa.schema(
    [pa.field(c, pa.string()) for c in TARGETS]
    + [
        ("_reasons", pa.string()),
        ("_run_id", pa.string()),
        ("_source", pa.string()),
        ("_file", pa.string()),
        ("_pos", pa.int64()),
    ]  # fmt: skip
)
_MISSING = ("", "n/a", "na", "-", "--", "null", "none", "nan")
_ERROR_CELL = r"^#(VALUE!|DIV/0!|REF!|NAME\?|NUM!|NULL!|N/A|ERROR!?)$"
_NUMBER = r"^([+-]?[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?)([kmb%]?)$"


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


@dataclass(frozen=True)
class IngestResult:
    """Counts of one ingested file (they reconcile)."""

    file: str
    dt: str
    source: str
    rows: int
    staged_rows: int
    quarantined_rows: int
    duplicate_rows: int


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
        dialect = csv.excel  # type: ignore[assignment]
    lines = list(csv.reader(io.StringIO(text), dialect))
    return lines[0] if lines else [], [list(r) for r in lines[1:]]  # type: ignore[misc]


def _locate(profile: Profile, header: list[str], rows: list[list[str | None]], path: Path
            ) -> tuple[dict[str, int], list[list[str | None]], dict[str, str]]:  # fmt: skip
    """Find the header row (title lines above it are skipped), map targets to column indexes."""
    candidates = [header, *rows[:10]]
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


def _num_sql(col: str, integer: bool) -> str:
    s = f"lower(regexp_replace(trim({col}), '[,\\s$€£¥]', '', 'g'))"
    v = f"try_cast(regexp_extract({s}, '{_NUMBER}', 1) as double)"
    suffix = f"regexp_extract({s}, '{_NUMBER}', 3)"
    scaled = (
        f"{v} * case {suffix} when 'k' then 1e3 when 'm' then 1e6 when 'b' then 1e9 "
        f"when '%' then 0.01 else 1 end"
    )
    return f"cast(round({scaled}) as bigint)" if integer else scaled


def ingest_delivery_file(
    wh: Warehouse, path: Path | str, dt: date, run_id: str,
    profile: str | None = "facebook", mapping: Path | str | None = None,
    source: str | None = None,
) -> IngestResult:  # fmt: skip
    """Map, validate and stage one ad-manager export as day ``dt`` (idempotent per source)."""
    from pipeline.warehouse.catalog import connect

    path = Path(path)
    if not path.exists():
        raise DeliveryFileError(f"{path}: file not found")
    if mapping is not None:
        prof = load_mapping(mapping)
    elif profile in PROFILES:
        prof = PROFILES[profile]
    else:
        raise DeliveryFileError(
            f"unknown profile {profile!r}; built in: {', '.join(PROFILES)} (or give --mapping FILE)"
        )
    name = re.sub(r"[^A-Za-z0-9_-]", "_", source or prof.name)
    header, rows = _read_rows(path)
    index, body, constants = _locate(prof, header, rows, path)
    body = [r for r in body if any((c or "").strip() for c in r)]
    raw: dict[str, list[str | None]] = {}
    for t in TARGETS:
        if t in index:
            i = index[t]
            raw[f"r_{t}"] = [r[i] if i < len(r) else None for r in body]
        else:
            raw[f"r_{t}"] = [constants.get(t)] * len(body)
    raw["_pos"] = list(range(1, len(body) + 1))  # type: ignore[assignment]
    table = pa.table(raw)
    missing_sql = ", ".join(f"'{m}'" for m in _MISSING)
    con = connect()
    try:
        con.register("raw_in", table)
        norm = ", ".join(
            f"""case when lower(trim("r_{t}")) in ({missing_sql}) then null else trim("r_{t}") end
            as "r_{t}" """
            for t in TARGETS
        )
        con.execute(f"create temp table raw_rows as select _pos, {norm} from raw_in")
        casts = []
        for f in DELIVERY.schema:
            col = f'"r_{f.name}"'
            if pa.types.is_integer(f.type):
                casts.append(f'{_num_sql(col, True)} as "{f.name}"')
            elif pa.types.is_floating(f.type):
                casts.append(f'{_num_sql(col, False)} as "{f.name}"')
            elif f.name in ("platform",):
                casts.append(f'lower({col}) as "{f.name}"')
            elif f.name == "currency":
                casts.append(f'upper({col}) as "{f.name}"')
            else:
                casts.append(f'{col} as "{f.name}"')
        rules: list[Rule] = []
        for f in DELIVERY.schema:
            rules.append(
                Rule(f"error_cell:{f.name}", f"regexp_matches(\"r_{f.name}\", '{_ERROR_CELL}')")
            )
            if not pa.types.is_string(f.type):
                rules.append(
                    Rule(
                        f"type:{f.name}",
                        f'"r_{f.name}" is not null and "{f.name}" is null '
                        f"and not regexp_matches(\"r_{f.name}\", '{_ERROR_CELL}')",
                    )
                )
            if not f.nullable:
                rules.append(Rule(f"required:{f.name}", f'"r_{f.name}" is null'))
        rules += suite_rules("delivery")
        reasons = ", ".join(
            f"case when coalesce({r.fails}, false) then '{r.name}' end" for r in rules
        )
        con.execute(
            f"""create temp table checked as select *, concat_ws(';', {reasons}) as _reasons
            from (select *, {", ".join(casts)} from raw_rows)"""
        )
        cols = ", ".join(f'"{t}"' for t in TARGETS)
        staged = (
            con.sql(
                f"""select {cols} from checked where _reasons = ''
            qualify row_number() over (partition by campaign_id, platform, ad_id order by _pos desc) = 1
            order by _pos"""
            )
            .to_arrow_table()
            .cast(DELIVERY.schema)
        )
        raw_text = ", ".join(f'"r_{t}" as "{t}"' for t in TARGETS)
        quarantined = (
            con.sql(
                f"""select {raw_text}, _reasons, '{run_id}' as _run_id, '{name}' as _source,
            ? as _file, _pos from checked where _reasons <> '' order by _pos""",
                params=[str(path)],
            )
            .to_arrow_table()
            .cast(QUARANTINE_SCHEMA)
        )
        good = con.execute("select count(*) from checked where _reasons = ''").fetchall()[0]
    finally:
        con.close()
    n_good = int(good[0]) if good else 0
    result = IngestResult(
        str(path), dt.isoformat(), name, len(body), staged.num_rows, quarantined.num_rows,
        n_good - staged.num_rows,
    )  # fmt: skip
    counts: dict[str, Any] = asdict(result)
    wh.write_table(Partition.of("quarantine", "delivery_files", dt, source=name), quarantined,
                   run_id, extra=counts)  # fmt: skip
    wh.write_table(Partition.of("staging", "stg_delivery_files", dt, source=name), staged,
                   run_id, extra=counts)  # fmt: skip
    return result
