"""The campaigns file (``CLOUT_CAMPAIGNS``, YAML or CSV; DESIGN section 11), validated.

YAML: ``campaigns:`` is a list of campaigns, each with ``influencers:`` (a list). CSV: the same
columns, one row per influencer (campaign fields repeated). Every problem is a
:class:`CampaignsError` with one line naming the file, the row and the field.
The result has one row per campaign and influencer (a campaign without influencers: one row
with a null platform/account), in the ``stg_campaigns`` schema.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.campaigns.fx import CURRENCIES
from pipeline.contracts import PLATFORMS, STG_CAMPAIGNS

CAMPAIGN_FIELDS = ("campaign_id", "brand", "name", "currency", "start_date", "end_date", "budget")
INFLUENCER_FIELDS = (
    "platform", "account_id", "fee", "seeding_cost", "promo_code", "utm_content", "live_date",
)  # fmt: skip
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


class CampaignsError(ValueError):
    """The campaigns file is invalid; the message names file, row and field."""


def _text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _number(where: str, name: str, v: Any, default: float | None) -> float | None:
    s = _text(v)
    if s is None:
        return default
    try:
        x = float(s.replace(",", "")) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        raise CampaignsError(f"{where}: {name}: {v!r} is not a number") from None
    if not math.isfinite(x) or x < 0:
        raise CampaignsError(f"{where}: {name}: must be a number >= 0, got {v!r}")
    return x


def _day(where: str, name: str, v: Any, required: bool) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = _text(v)
    if s is None:
        if required:
            raise CampaignsError(f"{where}: {name}: missing (a date, YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise CampaignsError(f"{where}: {name}: {v!r} is not a date (YYYY-MM-DD)") from None


def _campaign_fields(where: str, c: Mapping[str, Any]) -> dict[str, Any]:
    cid = _text(c.get("campaign_id"))
    if cid is None:
        raise CampaignsError(f"{where}: campaign_id: missing")
    if not _ID_RE.match(cid):
        raise CampaignsError(
            f"{where}: campaign_id: {cid!r} has characters other than A-Z 0-9 . _ : -"
        )
    cur = (_text(c.get("currency")) or "").upper()
    if cur not in CURRENCIES:
        raise CampaignsError(
            f"{where}: currency: {c.get('currency')!r} is not one of {', '.join(CURRENCIES)}"
        )
    start = _day(where, "start_date", c.get("start_date"), True)
    end = _day(where, "end_date", c.get("end_date"), True)
    assert start is not None and end is not None
    if end < start:
        raise CampaignsError(f"{where}: end_date {end} is before start_date {start}")
    return {
        "campaign_id": cid,
        "brand": _text(c.get("brand")),
        "name": _text(c.get("name")),
        "currency": cur,
        "start_date": start,
        "end_date": end,
        "budget": _number(where, "budget", c.get("budget"), None),
    }


def _influencer_fields(where: str, camp: Mapping[str, Any], i: Mapping[str, Any]) -> dict[str, Any]:
    platform = (_text(i.get("platform")) or "").lower()
    if platform not in PLATFORMS:
        raise CampaignsError(
            f"{where}: platform: {i.get('platform')!r} is not one of {', '.join(PLATFORMS)}"
        )
    account = _text(i.get("account_id"))
    if account is None:
        raise CampaignsError(f"{where}: account_id: missing")
    live = _day(where, "live_date", i.get("live_date"), True)
    assert live is not None
    if not camp["start_date"] <= live <= camp["end_date"]:
        raise CampaignsError(
            f"{where}: live_date {live} is outside the campaign "
            f"({camp['start_date']} .. {camp['end_date']})"
        )
    return {
        "platform": platform,
        "account_id": account,
        "fee": _number(where, "fee", i.get("fee"), 0.0),
        "seeding_cost": _number(where, "seeding_cost", i.get("seeding_cost"), 0.0),
        "promo_code": _text(i.get("promo_code")),
        "utm_content": _text(i.get("utm_content")),
        "live_date": live,
    }


def _empty_influencer() -> dict[str, Any]:
    return {"platform": None, "account_id": None, "fee": 0.0, "seeding_cost": 0.0,
            "promo_code": None, "utm_content": None, "live_date": None}  # fmt: skip


def _from_yaml(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as e:
        raise CampaignsError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    items = doc.get("campaigns") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise CampaignsError(f"{path}: expected a top-level 'campaigns:' list")
    rows: list[dict[str, Any]] = []
    for n, c in enumerate(items, 1):
        where = f"{path}: campaign {n}"
        if not isinstance(c, dict):
            raise CampaignsError(f"{where}: expected a mapping of campaign fields")
        camp = _campaign_fields(where, c)
        where = f"{path}: campaign {n} ({camp['campaign_id']})"
        infs = c.get("influencers") or []
        if not isinstance(infs, list):
            raise CampaignsError(f"{where}: influencers: expected a list")
        if not infs:
            rows.append({**camp, **_empty_influencer()})
        for k, i in enumerate(infs, 1):
            if not isinstance(i, dict):
                raise CampaignsError(f"{where}, influencer {k}: expected a mapping")
            rows.append({**camp, **_influencer_fields(f"{where}, influencer {k}", camp, i)})
    return rows


def _from_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [
            c for c in ("campaign_id", "currency", "start_date", "end_date") if c not in header
        ]
        if missing:
            raise CampaignsError(f"{path}: header: missing column(s) {', '.join(missing)}")
        reader.fieldnames = header
        rows: list[dict[str, Any]] = []
        campaigns: dict[str, dict[str, Any]] = {}
        for n, raw in enumerate(reader, 2):  # row 1 is the header
            where = f"{path} row {n}"
            camp = _campaign_fields(where, raw)
            seen = campaigns.setdefault(camp["campaign_id"], camp)
            if seen != camp:
                diff = next(k for k in camp if camp[k] != seen[k])
                raise CampaignsError(
                    f"{where}: {diff}: {camp[diff]!r} differs from an earlier row of campaign "
                    f"{camp['campaign_id']} ({seen[diff]!r})"
                )
            if _text(raw.get("account_id")) is None and _text(raw.get("platform")) is None:
                rows.append({**camp, **_empty_influencer()})
            else:
                rows.append({**camp, **_influencer_fields(where, camp, raw)})
    return rows


def load_campaigns(path: Path | str) -> pa.Table:
    """Read and validate a campaigns file; one row per campaign and influencer."""
    path = Path(path)
    if not path.exists():
        raise CampaignsError(f"{path}: campaigns file not found (set CLOUT_CAMPAIGNS)")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        rows = _from_yaml(path)
    elif suffix == ".csv":
        rows = _from_csv(path)
    else:
        raise CampaignsError(f"{path}: unknown campaigns format {suffix!r}; use .yaml or .csv")
    keys: dict[tuple[Any, ...], int] = {}
    codes: dict[tuple[str, str], str] = {}
    for n, r in enumerate(rows, 1):
        key = (r["campaign_id"], r["platform"], r["account_id"])
        if key in keys:
            raise CampaignsError(
                f"{path}: campaign {r['campaign_id']}: influencer {r['platform']}/"
                f"{r['account_id']} is listed twice (entries {keys[key]} and {n})"
            )
        keys[key] = n
        if r["promo_code"]:
            ck = (r["campaign_id"], r["promo_code"].upper())
            if ck in codes:
                raise CampaignsError(
                    f"{path}: campaign {r['campaign_id']}: promo_code {r['promo_code']!r} is "
                    f"given to two influencers ({codes[ck]} and {r['account_id']})"
                )
            codes[ck] = str(r["account_id"])
    cols = {f.name: [r[f.name] for r in rows] for f in STG_CAMPAIGNS.schema}
    return pa.table(cols, schema=STG_CAMPAIGNS.schema)
