"""Row-level rules that decide what staging keeps and what goes to quarantine.

Each rule is a name and a DuckDB condition that is TRUE when a row FAILS it, written over the
raw text columns (``r_<field>``) and the cast columns (``<field>``) of the staging query. Rules
come from the table's Arrow schema (types, required fields); the Great Expectations suites in
``expectations/`` add the table's own row-level expectations (see ``pipeline.staging.suites``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from pipeline.contracts import Table

# an explicit zone at the end: a timestamp without one is ambiguous and rejected
_TZ_SUFFIX_RE = r"[+-][0-9]{2}:?[0-9]{2}$"


@dataclass(frozen=True)
class Rule:
    """A row-level check: ``fails`` is a SQL condition true for a bad row."""

    name: str
    fails: str


def cast_sql(name: str, typ: pa.DataType) -> str:
    """DuckDB expression casting raw text column ``r_<name>`` to ``typ`` (NULL if it cannot)."""
    col = f'"r_{name}"'
    if pa.types.is_integer(typ):
        # DuckDB's cast is lenient ('1.5' -> 2, '1e3', '0x10', '1_000'): keep only exact integers
        return f"case when try_cast({col} as bigint)::varchar = {col} then try_cast({col} as bigint) end"
    if pa.types.is_floating(typ):
        return f"case when isfinite(try_cast({col} as double)) then try_cast({col} as double) end"
    if pa.types.is_boolean(typ):
        return f"case lower(trim({col})) when 'true' then true when 'false' then false end"
    if pa.types.is_timestamp(typ):
        has_zone = f"(suffix({col}, 'Z') or regexp_matches({col}, '{_TZ_SUFFIX_RE}'))"
        return f"case when {has_zone} then try_cast({col} as timestamptz) end"
    if pa.types.is_string(typ):
        return col
    raise TypeError(f"no cast for {name}: {typ}")


def schema_rules(table: Table) -> list[Rule]:
    """Type and required-value rules derived from the Arrow schema."""
    rules: list[Rule] = []
    for f in table.schema:
        if not pa.types.is_string(f.type):
            rules.append(Rule(f"type:{f.name}", f'"r_{f.name}" is not null and "{f.name}" is null'))
        if not f.nullable:
            blank = f" or trim(\"r_{f.name}\") = ''" if pa.types.is_string(f.type) else ""
            rules.append(Rule(f"required:{f.name}", f'"r_{f.name}" is null{blank}'))
    return rules
