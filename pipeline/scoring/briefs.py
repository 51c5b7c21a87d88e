"""Briefs: what a brand looks for, one YAML file each in ``CLOUT_BRIEFS`` (DESIGN section 11).

```yaml
brief_id: acme-spring
platforms: [instagram, tiktok]
followers: {min: 10000, max: 1000000}
niches: [fashion, beauty]
target:
  age: {"18-24": 0.5, "25-34": 0.5}
  gender: {female: 0.7, male: 0.3}
  country: {US: 0.6, GB: 0.4}
budget: 50000
currency: USD
goal: conversions        # or awareness
```

Optional: ``target_weights`` (dimension -> weight of that dimension in the audience fit; equal
by default). Every problem raises :class:`BriefError` with one line naming file and field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from pipeline.contracts import PLATFORMS

DIMENSIONS: tuple[str, ...] = ("age", "gender", "country", "interest")
GOALS: tuple[str, ...] = ("awareness", "conversions")
#: Shares of one target dimension must sum to 1 within this tolerance.
SHARE_TOLERANCE = 1e-3
_KEYS = {"brief_id", "platforms", "followers", "niches", "target", "target_weights", "budget",
         "currency", "goal", "brand", "name"}  # fmt: skip
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class BriefError(ValueError):
    """A brief file is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class Brief:
    """One validated brief."""

    brief_id: str
    platforms: tuple[str, ...]
    followers_min: int
    followers_max: int | None
    niches: tuple[str, ...]
    target: Mapping[str, Mapping[str, float]]  #: dimension -> bucket -> share (sums to 1)
    budget: float
    currency: str = "USD"
    goal: str = "conversions"
    target_weights: Mapping[str, float] = field(default_factory=dict)  #: dimension -> weight
    source: str = "<memory>"

    def weight(self, dimension: str) -> float:
        """Weight of a target dimension in the audience fit (1.0 unless set)."""
        return float(self.target_weights.get(dimension, 1.0))


def _number(where: str, value: Any, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise BriefError(f"{where}: expected a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise BriefError(f"{where}: must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def _str_list(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BriefError(f"{where}: expected a list of names, got {value!r}")
    return tuple(dict.fromkeys(value))


def parse_brief(doc: Any, source: str = "<memory>") -> Brief:
    """Validate a parsed YAML document as a brief."""
    if not isinstance(doc, dict):
        raise BriefError(f"{source}: expected a mapping with brief_id, platforms, budget, ...")
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise BriefError(
            f"{source}: unknown field {unknown[0]!r} (fields: {', '.join(sorted(_KEYS))})"
        )
    brief_id = doc.get("brief_id")
    if not isinstance(brief_id, str) or not _ID.match(brief_id):
        raise BriefError(
            f"{source}: brief_id: expected a name of letters, digits, . _ -, got {brief_id!r}"
        )
    platforms = _str_list(f"{source}: platforms", doc.get("platforms", list(PLATFORMS)))
    for p in platforms:
        if p not in PLATFORMS:
            raise BriefError(
                f"{source}: platforms: unknown platform {p!r} (known: {', '.join(PLATFORMS)})"
            )
    fol = doc.get("followers") or {}
    if not isinstance(fol, dict) or set(fol) - {"min", "max"}:
        raise BriefError(f"{source}: followers: expected {{min: N, max: N}}, got {fol!r}")
    fmin = int(_number(f"{source}: followers.min", fol.get("min", 0)))
    fmax = None if fol.get("max") is None else int(_number(f"{source}: followers.max", fol["max"]))
    if fmax is not None and fmin > fmax:
        raise BriefError(f"{source}: followers: min {fmin} is above max {fmax}")
    niches = tuple(n.lower() for n in _str_list(f"{source}: niches", doc.get("niches") or []))
    target_doc = doc.get("target") or {}
    if not isinstance(target_doc, dict):
        raise BriefError(f"{source}: target: expected dimension -> {{bucket: share}}")
    target: dict[str, dict[str, float]] = {}
    for dim, mix in target_doc.items():
        where = f"{source}: target.{dim}"
        if dim not in DIMENSIONS:
            raise BriefError(f"{where}: unknown dimension (known: {', '.join(DIMENSIONS)})")
        if not isinstance(mix, dict) or not mix:
            raise BriefError(f"{where}: expected {{bucket: share, ...}}, got {mix!r}")
        shares = {str(b): _number(f"{where}.{b}", s) for b, s in mix.items()}
        total = sum(shares.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise BriefError(f"{where}: shares sum to {total:.4g}, not 1")
        target[dim] = {b: s / total for b, s in shares.items() if s > 0}
    weights_doc = doc.get("target_weights") or {}
    if not isinstance(weights_doc, dict):
        raise BriefError(f"{source}: target_weights: expected dimension -> weight")
    weights: dict[str, float] = {}
    for dim, w in weights_doc.items():
        if dim not in target:
            raise BriefError(f"{source}: target_weights.{dim}: not a dimension of target")
        weights[dim] = _number(f"{source}: target_weights.{dim}", w)
    if target and weights and sum(weights.get(d, 1.0) for d in target) <= 0:
        raise BriefError(f"{source}: target_weights: at least one weight must be > 0")
    if "budget" not in doc:
        raise BriefError(f"{source}: budget: missing (the total spend of the shortlist)")
    budget = _number(f"{source}: budget", doc["budget"], positive=True)
    currency = doc.get("currency", "USD")
    from pipeline.campaigns.fx import USD_PER_UNIT

    if currency not in USD_PER_UNIT:
        raise BriefError(
            f"{source}: currency: unknown {currency!r} (known: {', '.join(USD_PER_UNIT)})"
        )
    goal = doc.get("goal", "conversions")
    if goal not in GOALS:
        raise BriefError(f"{source}: goal: expected one of {', '.join(GOALS)}, got {goal!r}")
    return Brief(
        brief_id=brief_id, platforms=platforms, followers_min=fmin, followers_max=fmax,
        niches=niches, target=target, budget=budget, currency=currency, goal=goal,
        target_weights=weights, source=source,
    )  # fmt: skip


def load_brief(path: Path | str) -> Brief:
    """Read and validate one brief YAML file."""
    path = Path(path)
    if not path.is_file():
        raise BriefError(f"{path}: brief file not found")
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise BriefError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    return parse_brief(doc, str(path))


def load_briefs(folder: Path | str | None) -> list[Brief]:
    """Every brief (``*.yaml``/``*.yml``) in a folder, sorted by file name; none for ``None``."""
    if folder is None:
        return []
    folder = Path(folder)
    if not folder.is_dir():
        raise BriefError(
            f"{folder}: CLOUT_BRIEFS is not a folder (set it to a folder of brief YAML files)"
        )
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    briefs = [load_brief(p) for p in files]
    seen: dict[str, str] = {}
    for b in briefs:
        if b.brief_id in seen:
            raise BriefError(
                f"{b.source}: brief_id: {b.brief_id!r} already used by {seen[b.brief_id]}"
            )
        seen[b.brief_id] = b.source
    return briefs


BRIEFS_SCHEMA = pa.schema([
    ("brief_id", pa.string()), ("goal", pa.string()), ("followers_min", pa.int64()),
    ("followers_max", pa.int64()), ("budget_usd", pa.float64()), ("has_niches", pa.bool_()),
    ("target_weight", pa.float64()), ("w_age", pa.float64()), ("w_gender", pa.float64()),
    ("w_country", pa.float64()), ("w_interest", pa.float64()),
])  # fmt: skip
BRIEF_PLATFORMS_SCHEMA = pa.schema([("brief_id", pa.string()), ("platform", pa.string())])
BRIEF_NICHES_SCHEMA = pa.schema([("brief_id", pa.string()), ("niche", pa.string())])
BRIEF_TARGETS_SCHEMA = pa.schema([
    ("brief_id", pa.string()), ("dimension", pa.string()), ("bucket", pa.string()),
    ("share", pa.float64()), ("weight", pa.float64()),
])  # fmt: skip


def _rows(schema: pa.Schema, rows: list[tuple[Any, ...]]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.table([pa.array(c, f.type) for c, f in zip(cols, schema, strict=True)], schema=schema)


def brief_tables(briefs: Iterable[Brief]) -> dict[str, pa.Table]:
    """The briefs as the relations ``sql/influencer_scores.sql`` reads: ``briefs``,
    ``brief_platforms``, ``brief_niches``, ``brief_targets`` (budget converted to USD)."""
    from pipeline.campaigns.fx import USD_PER_UNIT

    b_rows, p_rows, n_rows, t_rows = [], [], [], []
    for b in briefs:
        total_w = sum(b.weight(d) for d in b.target)
        b_rows.append((b.brief_id, b.goal, b.followers_min, b.followers_max,
                       b.budget * USD_PER_UNIT[b.currency], bool(b.niches), total_w,
                       *(b.weight(d) if d in b.target else 0.0 for d in DIMENSIONS)))  # fmt: skip
        p_rows += [(b.brief_id, p) for p in b.platforms]
        n_rows += [(b.brief_id, n) for n in b.niches]
        t_rows += [
            (b.brief_id, d, bucket, share, b.weight(d))
            for d, mix in b.target.items()
            for bucket, share in mix.items()
        ]
    return {
        "briefs": _rows(BRIEFS_SCHEMA, b_rows),
        "brief_platforms": _rows(BRIEF_PLATFORMS_SCHEMA, p_rows),
        "brief_niches": _rows(BRIEF_NICHES_SCHEMA, n_rows),
        "brief_targets": _rows(BRIEF_TARGETS_SCHEMA, t_rows),
    }
