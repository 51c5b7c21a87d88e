"""The roster: the accounts a brand tracks on the platforms' own APIs (``CLOUT_ROSTER``).

A roster file is CSV or YAML with one row per account: ``platform`` (instagram, tiktok,
youtube), ``account_id`` and/or ``handle`` (at least one; ``@`` in front of a handle is
optional), an optional ``category`` and an optional ``insights`` (true for an Instagram account
that granted your app access to its insights: its audience demographics are fetched). YAML is either a list of such mappings or a mapping
with an ``accounts:`` list. The accounts of ``stg_influencer_lists`` (``clout ingest
influencers``), when that table exists, join the roster (:func:`roster_from_lists`).

Nothing in a roster is dropped: a row naming no known platform, or neither an id nor a handle,
becomes an ``invalid`` entry with its reason; the staging of ``roster`` quarantines it (and the
``not_found`` entries the platform lookups produce), so the night never fails on a bad row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.contracts import PLATFORMS

#: Partition (hive key ``platform``) of the roster rows that name no known platform.
INVALID_PLATFORM = "_invalid"
#: ``origin`` of the accounts taken from ``stg_influencer_lists``.
LISTS_ORIGIN = "stg_influencer_lists"


class RosterError(ValueError):
    """The roster file cannot be read at all (missing, not CSV/YAML, no platform column)."""


@dataclass(frozen=True)
class RosterEntry:
    """One tracked account, as the roster names it, and the outcome of its lookup."""

    platform: str
    ref: str  #: the account id as given, else ``@handle``
    account_id: str | None
    handle: str | None
    category: str | None
    origin: str
    status: str = "unchecked"  #: found, not_found, unchecked, invalid
    reason: str | None = None
    #: the account granted this app access to its insights (Instagram audience demographics)
    insights: bool = False

    def found(self, account_id: str, handle: str | None = None) -> RosterEntry:
        """This entry, looked up: the platform knows it as ``account_id``."""
        return replace(self, account_id=account_id, handle=handle or self.handle, status="found")

    def not_found(self, reason: str) -> RosterEntry:
        """This entry, looked up: the platform does not know it (unknown, deleted, private)."""
        return replace(self, status="not_found", reason=reason)

    def row(self) -> dict[str, Any]:
        """The entry as a raw ``roster`` row."""
        row = asdict(self)
        del row["insights"]
        return row


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def entry_of(raw: Mapping[str, Any], origin: str) -> RosterEntry:
    """A roster entry from one raw row (``invalid`` with its reason when it names no known
    platform or neither an account id nor a handle)."""
    platform = (_text(raw.get("platform")) or "").lower()
    account_id = _text(raw.get("account_id"))
    handle = _text(raw.get("handle"))
    if handle:
        handle = handle.lstrip("@") or None
    category = _text(raw.get("category"))
    insights = (_text(raw.get("insights")) or "").lower() in ("true", "yes", "1", "y")
    ref = account_id or (f"@{handle}" if handle else "")
    reason = None
    if platform not in PLATFORMS:
        reason = f"platform {platform or '(empty)'!r} is not one of {', '.join(PLATFORMS)}"
    elif not ref:
        reason = "the row names neither an account_id nor a handle"
    entry = RosterEntry(platform or INVALID_PLATFORM, ref or "(none)", account_id, handle,
                        category, origin, insights=insights)  # fmt: skip
    if reason:
        return replace(entry, platform=_text(raw.get("platform")) or "(empty)", status="invalid",
                       reason=reason)  # fmt: skip
    return entry


def read_roster(path: Path) -> list[RosterEntry]:
    """Every row of a roster file (CSV or YAML) as an entry, in file order."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise RosterError(f"CLOUT_ROSTER {path}: cannot read it ({e.strerror or e})") from None
    rows: list[Mapping[str, Any]]
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = _yaml_rows(path, text)
    elif path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "platform" not in [f.strip() for f in reader.fieldnames]:
            raise RosterError(
                f"CLOUT_ROSTER {path}: no 'platform' column in the header; expected columns "
                "platform, account_id and/or handle, category"
            )
        rows = [{(k or "").strip(): v for k, v in r.items()} for r in reader]
    else:
        raise RosterError(f"CLOUT_ROSTER {path}: expected a .csv, .yaml or .yml file")
    return [entry_of(r, str(path)) for r in rows]


def _yaml_rows(path: Path, text: str) -> list[Mapping[str, Any]]:
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise RosterError(f"CLOUT_ROSTER {path}: not valid YAML ({e})") from None
    if isinstance(doc, Mapping):
        doc = doc.get("accounts")
    if not isinstance(doc, list):
        raise RosterError(
            f"CLOUT_ROSTER {path}: expected a list of accounts (or a mapping with 'accounts:')"
        )
    return [r if isinstance(r, Mapping) else {"platform": None, "handle": str(r)} for r in doc]


def roster_from_lists(lists: Iterable[Mapping[str, Any]]) -> list[RosterEntry]:
    """Roster entries of the rows of ``stg_influencer_lists`` (platform, handle, account_id,
    category), origin :data:`LISTS_ORIGIN`."""
    return [entry_of(r, LISTS_ORIGIN) for r in lists]


def read_influencer_lists(root: Path | str, dt: date) -> list[dict[str, Any]]:
    """The accounts of ``stg_influencer_lists`` as of ``dt`` (its latest day on or before
    ``dt``), read through the warehouse catalog; empty when the table holds no such day."""
    from pipeline.warehouse.catalog import query
    from pipeline.warehouse.storage import Warehouse

    latest = query(
        Warehouse(root),
        "select distinct platform, handle, account_id, category from stg_influencer_lists "
        "where dt = (select max(dt) from stg_influencer_lists "
        f"where dt <= date '{dt.isoformat()}') order by all",
    )
    return latest.to_pylist()


def dedupe(entries: Iterable[RosterEntry]) -> list[RosterEntry]:
    """First entry per (platform, ref), in order (the file before the lists)."""
    seen: dict[tuple[str, str], RosterEntry] = {}
    for e in entries:
        seen.setdefault((e.platform, e.ref), e)
    return list(seen.values())


def load_roster(path: Path | None, warehouse_root: Path | str, dt: date) -> list[RosterEntry]:
    """The day's roster: the ``CLOUT_ROSTER`` file (if set) and ``stg_influencer_lists``."""
    from_file = read_roster(path) if path is not None else []
    lists = roster_from_lists(read_influencer_lists(warehouse_root, dt))
    return dedupe([*from_file, *lists])


def for_platform(entries: Iterable[RosterEntry], platform: str) -> list[RosterEntry]:
    """The valid entries of one platform."""
    return [e for e in entries if e.platform == platform and e.status != "invalid"]
