"""Malformed rows mixed into the API responses: the ``malformed_rate`` fault.

With ``Faults(malformed_rate=r)`` the server adds, after a deterministic pseudo-random fraction
``r`` of the clean rows of an (entity, day), one corrupted **copy** of that row carrying exactly
one defect that staging must reject. Clean rows are never altered or dropped, so the clean rows
served are exactly the clean run's rows and a staged table equals the clean run's; the extra
rows are precisely what quarantine must hold (:func:`malformed_truth` lists them).

Which rows get a copy, and with which defect, is decided by a counter-based hash of
(world seed, world size, fault ``seed``, entity, day, the row's own platform, the row's rank
among that platform's rows): never per request. A retried page is byte-identical, the bad rows
are reproducible, and the copies of one platform are the same whether the platform is asked for
alone or with the others (the platform filter only removes rows).

Keys of the copies. Each entity has a *tag column* (an id in its key, :data:`TAG_COLUMNS`); a copy
gets ``<id>-bad<rank>`` there (``rank``: the clean row's rank within its platform), so it never
shares a clean row's key and cannot replace the clean row in staging's deduplication even if a
rule failed to catch it. Only a defect that blanks the tag column itself (``null_key`` or
``empty_key`` on it) leaves the tag column to the defect. The platform stays valid unless the
defect is ``unknown_platform``.

``audience`` is never corrupted. Its quarantine rule is a group rule (the shares of a
(platform, account_id, dimension) sum to 1), so staging quarantines whole groups: a defect in a
share, bucket or dimension of a copy that joined a clean group would throw the clean group's
rows into quarantine too, and the clean staged table would no longer equal the clean run. Copies
with a fresh account id would sit in their own group, but the whole point of the fault is a
one-to-one "bad row in, that row in quarantine" contract, which the other four entities give.

``follower_samples.follower_id`` is pseudonymised on extraction (a keyed hash of ``str(id)``):
``""`` would become a valid-looking hash, so its ``null_key`` defect is a JSON ``null`` (which
stays null) and its ``empty_key`` defect blanks ``account_id``. The truth lists ids as served,
before pseudonymisation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import PLATFORMS, SOURCE_TABLES

from ._arrays import Array, hash64, int_strings, mix64
from ._jsonrows import encode_rows, json_values
from ._keys import as_ordinal
from .world import ENTITIES, World, resolve_entity

__all__ = [
    "BAD_SUFFIX",
    "DEFECTS",
    "DEFECT_KINDS",
    "TAG_COLUMNS",
    "Injection",
    "inject",
    "malformed_rows",
    "malformed_truth",
]

#: ``<id>-bad<rank>``: the tag column of a corrupted copy
BAD_SUFFIX = "-bad"

#: every defect kind, with what it serves (the JSON text of the defective field)
DEFECT_KINDS: dict[str, str] = {
    "int_as_text": '"12k" in an integer count (a JSON string)',
    "negative_count": "-(count + 1) in a count that must be >= 0",
    "null_key": "null in a required key id",
    "empty_key": '"" in a required key id',
    "unknown_platform": '"myspace" as platform',
    "int64_overflow": "99999999999999999999999 (a bare JSON number beyond int64) in a count",
    "naive_timestamp": 'the timestamp without its zone, e.g. "2026-03-01T14:05:00"',
    "future_timestamp": "the timestamp moved to the year 2099 (after any run)",
    "bool_as_text": '"maybe" in a boolean',
    "unknown_media_type": '"hologram" as media_type',
    "bad_currency": '"dollars" as currency (not an ISO 4217 code)',
    "reach_exceeds_impressions": "reach = impressions + 1",
    "digits_exceed_length": "username_digit_count = username_length + 1",
}

#: per entity: the (defect kind, column) pairs a copy may get, one per copy
DEFECTS: dict[str, tuple[tuple[str, str], ...]] = {
    "accounts": (
        ("int_as_text", "followers"),
        ("negative_count", "following"),
        ("null_key", "account_id"),
        ("empty_key", "account_id"),
        ("unknown_platform", "platform"),
        ("int64_overflow", "media_count"),
        ("naive_timestamp", "created_at"),
        ("future_timestamp", "created_at"),
        ("bool_as_text", "is_verified"),
    ),
    "posts": (
        ("int_as_text", "likes"),
        ("negative_count", "comments"),
        ("null_key", "post_id"),
        ("empty_key", "post_id"),
        ("unknown_platform", "platform"),
        ("int64_overflow", "views"),
        ("naive_timestamp", "published_at"),
        ("future_timestamp", "published_at"),
        ("unknown_media_type", "media_type"),
        ("bool_as_text", "is_sponsored"),
    ),
    "audience": (),  # never corrupted: see the module docstring
    "follower_samples": (
        ("int_as_text", "follower_count"),
        ("negative_count", "following_count"),
        ("null_key", "follower_id"),
        ("empty_key", "account_id"),
        ("unknown_platform", "platform"),
        ("int64_overflow", "media_count"),
        ("bool_as_text", "has_profile_pic"),
        ("digits_exceed_length", "username_digit_count"),
    ),
    "delivery": (
        ("int_as_text", "clicks"),
        ("negative_count", "conversions"),
        ("null_key", "ad_id"),
        ("empty_key", "campaign_id"),
        ("unknown_platform", "platform"),
        ("int64_overflow", "video_views"),
        ("reach_exceeds_impressions", "reach"),
        ("bad_currency", "currency"),
    ),
}

#: per entity: the id column that gets ``-bad<rank>`` in a copy
TAG_COLUMNS: dict[str, str] = {
    "accounts": "account_id",
    "posts": "post_id",
    "follower_samples": "account_id",
    "delivery": "ad_id",
}

assert set(DEFECTS) == set(ENTITIES)
assert all(k in DEFECT_KINDS for kinds in DEFECTS.values() for k, _ in kinds)
assert all(c in SOURCE_TABLES[e].schema.names for e, kinds in DEFECTS.items() for _, c in kinds)

_STR = pa.large_string()
_MASK64 = (1 << 64) - 1
_GOLD = 0x9E3779B97F4A7C15
_STREAM_PICK, _STREAM_KIND = 0x6D616C66, 0x6D616C67  # "malf", "malg"


def _lit(s: str) -> pa.Scalar:
    return pa.scalar(s, _STR)


def _join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and literals (as large strings)."""
    args = [_lit(p) if isinstance(p, str) else p.cast(_STR) for p in parts]
    return pc.binary_join_element_wise(*args, _lit(""))


def _quoted(arr: pa.Array) -> pa.Array:
    """JSON strings of Arrow strings (the encoder's own kernel: same escapes, same bytes)."""
    return json_values(arr.cast(_STR))


def _const(text: str) -> Callable[[pa.Table, str, str], pa.Array]:
    return lambda rows, column, day: pa.array([text] * rows.num_rows, _STR)


def _negative(rows: pa.Table, column: str, day: str) -> pa.Array:
    v = pc.fill_null(rows.column(column).combine_chunks().cast(pa.int64()), 0)
    return pc.subtract(pc.negate(v), 1).cast(_STR)


def _plus_one(other: str) -> Callable[[pa.Table, str, str], pa.Array]:
    def build(rows: pa.Table, column: str, day: str) -> pa.Array:
        v = pc.fill_null(rows.column(other).combine_chunks().cast(pa.int64()), 0)
        return pc.add(v, 1).cast(_STR)

    return build


def _timestamps(rows: pa.Table, column: str, day: str) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SS`` of the served timestamp (a made-up one when it is null)."""
    ts = pc.fill_null(rows.column(column).combine_chunks().cast(_STR), _lit(f"{day}T14:05:00Z"))
    return pc.utf8_slice_codeunits(ts, 0, 19)


def _naive(rows: pa.Table, column: str, day: str) -> pa.Array:
    return _quoted(_timestamps(rows, column, day))


def _future(rows: pa.Table, column: str, day: str) -> pa.Array:
    ts = _join("2099", pc.utf8_slice_codeunits(_timestamps(rows, column, day), 4), "Z")
    return _quoted(pc.replace_substring(ts, "2099-02-29", "2099-02-28"))  # 2099 is no leap year


_BUILDERS: dict[str, Callable[[pa.Table, str, str], pa.Array]] = {
    "int_as_text": _const('"12k"'),
    "negative_count": _negative,
    "null_key": _const("null"),
    "empty_key": _const('""'),
    "unknown_platform": _const('"myspace"'),
    "int64_overflow": _const("99999999999999999999999"),
    "naive_timestamp": _naive,
    "future_timestamp": _future,
    "bool_as_text": _const('"maybe"'),
    "unknown_media_type": _const('"hologram"'),
    "bad_currency": _const('"dollars"'),
    "reach_exceeds_impressions": _plus_one("impressions"),
    "digits_exceed_length": _plus_one("username_length"),
}
assert set(_BUILDERS) == set(DEFECT_KINDS)


def _combine(*parts: int) -> int:
    """A 64-bit hash of a tuple of non-negative ints."""
    h = 0x6A09E667F3BCC908
    for p in parts:
        x = np.array([(h + (p & _MASK64) * _GOLD + 1) & _MASK64], dtype=np.uint64)
        h = int(mix64(x)[0])
    return h


@dataclass(frozen=True)
class Injection:
    """The rows served for one (entity, day, platform) with the malformed copies inserted.

    ``frame`` is an Arrow table in schema column order; the columns in ``raw_columns`` hold the
    JSON text of each value (what :func:`encode_rows` copies as is). Arrays ``positions``,
    ``source_positions``, ``defects``, ``columns`` and ``values`` describe the copies, in served
    order: position in the served stream, position of the copied row in the clean frame, defect
    kind, defective field and that field's JSON text.
    """

    entity: str
    frame: pa.Table
    raw_columns: frozenset[str]
    positions: Array
    source_positions: Array
    defects: Array
    columns: Array
    values: Array

    @property
    def n_bad(self) -> int:
        """Number of corrupted copies."""
        return int(self.positions.size)

    def bad_rows(self) -> list[dict[str, object]]:
        """The corrupted copies as a JSON parser reads them from the response."""
        if not self.n_bad:
            return []
        enc = encode_rows(self.frame.take(pa.array(self.positions)), self.raw_columns)
        return json.loads(b"[" + bytes(enc.page(0, enc.n_rows)) + b"]")  # type: ignore[no-any-return]

    def truth(self) -> pd.DataFrame:
        """One row per copy: its key columns as served, position, defect and defective field."""
        key = list(SOURCE_TABLES[self.entity].key)
        rows = self.bad_rows()
        out = pd.DataFrame({k: pd.Series([r[k] for r in rows], dtype=object) for k in key})
        out["position"] = self.positions.astype(np.int64)
        out["source_position"] = self.source_positions.astype(np.int64)
        out["defect"] = pd.Series(self.defects, dtype=object)
        out["column"] = pd.Series(self.columns, dtype=object)
        out["value"] = pd.Series(self.values, dtype=object)
        return out


def _pick(
    platform: pa.Array, world: World, entity: str, day: int, rate: float, seed: int
) -> tuple[Array, Array, Array]:
    """(selected?, defect index, rank within the row's platform) for every clean row."""
    n = len(platform)
    codes = pc.fill_null(pc.index_in(platform, value_set=pa.array(PLATFORMS)), -1)
    codes_np = codes.to_numpy(zero_copy_only=False)
    rank = np.zeros(n, dtype=np.int64)
    selected = np.zeros(n, dtype=bool)
    kind = np.zeros(n, dtype=np.int64)
    n_kinds = len(DEFECTS[entity])
    e = ENTITIES.index(entity)
    for code in range(len(PLATFORMS)):  # platforms, not rows
        idx = np.flatnonzero(codes_np == code)
        if not idx.size:
            continue
        r = np.arange(idx.size, dtype=np.int64)
        rank[idx] = r
        group = _combine(world.seed, world.n_accounts, seed, e, day, code)
        u = (hash64(r, group, _STREAM_PICK) >> np.uint64(11)).astype(np.float64) * 2.0**-53
        selected[idx] = u < rate
        kind[idx] = (hash64(r, group, _STREAM_KIND) % np.uint64(n_kinds)).astype(np.int64)
    return selected, kind, rank


def inject(
    clean: pd.DataFrame,
    world: World,
    entity: str,
    day: dt.date | str,
    rate: float,
    seed: int,
) -> Injection:
    """Insert the malformed copies into ``clean`` (``world.frame(entity, day, platform)``)."""
    name = resolve_entity(entity)
    t = as_ordinal(day)
    day_s = dt.date.fromordinal(t).isoformat()
    table = pa.Table.from_pandas(clean, preserve_index=False)
    kinds = DEFECTS[name]
    n = table.num_rows
    empty = np.zeros(0, dtype=np.int64)
    if rate <= 0 or not kinds or n == 0:
        none = np.zeros(0, dtype=object)
        return Injection(name, table, frozenset(), empty, empty, none, none, none)

    selected, kind, rank = _pick(
        table.column("platform").combine_chunks(), world, name, t, rate, seed
    )
    src = np.flatnonzero(selected)
    m = src.size
    positions = src + np.arange(m) + 1  # each copy right after its clean row
    merged = table.take(pa.array(np.repeat(np.arange(n), 1 + selected.astype(np.int64))))
    bad = table.take(pa.array(src))
    d = kind[src]
    defect_col = np.array([c for _, c in kinds], dtype=object)[d]
    tag = TAG_COLUMNS[name]

    # the JSON text of every touched field of the copies (clean text unless overridden)
    touched = sorted({c for _, c in kinds if np.any(defect_col == c)} | {tag})
    text: dict[str, Array] = {
        c: json_values(bad.column(c).combine_chunks()).to_numpy(zero_copy_only=False).copy()
        for c in touched
    }
    values = np.empty(m, dtype=object)
    for i, (k, c) in enumerate(kinds):  # defect kinds, not rows
        j = np.flatnonzero(d == i)
        if not j.size:
            continue
        v = _BUILDERS[k](bad.take(pa.array(j)), c, day_s).to_numpy(zero_copy_only=False)
        text[c][j] = v
        values[j] = v
    j = np.flatnonzero(defect_col != tag)
    if j.size:
        ids = bad.column(tag).combine_chunks().take(pa.array(j)).cast(_STR)
        fresh = _join(ids, BAD_SUFFIX, int_strings(rank[src][j]))
        text[tag][j] = _quoted(fresh).to_numpy(zero_copy_only=False)

    mask = np.zeros(n + m, dtype=bool)
    mask[positions] = True
    mask_pa = pa.array(mask)
    for c in touched:
        full = json_values(merged.column(c).combine_chunks())
        col = pc.replace_with_mask(full, mask_pa, pa.array(text[c], _STR))
        merged = merged.set_column(merged.schema.get_field_index(c), c, col)
    return Injection(
        name,
        merged,
        frozenset(touched),
        positions.astype(np.int64),
        src.astype(np.int64),
        np.array([k for k, _ in kinds], dtype=object)[d],
        defect_col,
        values,
    )


def malformed_rows(
    world: World,
    entity: str,
    day: dt.date | str,
    platform: str | None = None,
    rate: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """The corrupted copies served for (entity, day, platform) under ``Faults(malformed_rate=
    rate, seed=seed)``, in served order, as a JSON parser reads them (object columns: ``"12k"``
    is a str, 99999999999999999999999 an int, ``null`` is None, timestamps are strings)."""
    inj = inject(world.frame(entity, day, platform), world, entity, day, rate, seed)
    rows = inj.bad_rows()
    names = SOURCE_TABLES[inj.entity].schema.names
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in names})


def malformed_truth(
    world: World,
    entity: str,
    day: dt.date | str,
    platform: str | None = None,
    rate: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """Ground truth of the corrupted copies of (entity, day, platform), one row per copy.

    Columns: the table's key columns as served (None for a null key; ``follower_id`` before
    pseudonymisation), ``position`` (index in the served stream of that query, counting the
    copies), ``source_position`` (index of the copied row among the clean rows), ``defect``
    (a :data:`DEFECT_KINDS` name), ``column`` (the defective field) and ``value`` (its JSON
    text as served).
    """
    return inject(world.frame(entity, day, platform), world, entity, day, rate, seed).truth()
