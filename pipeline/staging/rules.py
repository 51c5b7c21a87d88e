"""Row-level rules that decide what staging keeps and what goes to quarantine.

Each rule is a name and a DuckDB condition that is TRUE when a row FAILS it, written over the
raw text columns (``r_<field>``) and the cast columns (``<field>``) of the staging query. Rules
come from the table's Arrow schema (types, required fields); the Great Expectations suites in
``expectations/`` add the table's own row-level expectations (``pipeline.staging.compile``), and
a source may add its own (orders: conflicting versions of one order; file drops: spreadsheet
error cells). :func:`cast_sql` is the default reading of raw text; a source may override it per
column (see ``pipeline.staging.engine.stage``).
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


def type_rule(name: str, unless: str | None = None) -> Rule:
    """``type:<name>``: a value is there but does not cast (``unless`` another rule explains it)."""
    fails = f'"r_{name}" is not null and "{name}" is null'
    return Rule(f"type:{name}", fails + (f" and not ({unless})" if unless else ""))


def required_rule(name: str, blank: bool) -> Rule:
    """``required:<name>``: the value is missing (with ``blank``, also when only spaces)."""
    col = f'"r_{name}"'
    return Rule(f"required:{name}", f"{col} is null" + (f" or trim({col}) = ''" if blank else ""))


def schema_rules(table: Table, *, blank_is_missing: bool = False) -> list[Rule]:
    """Type and required-value rules derived from the Arrow schema, per column in schema order.

    A blank text counts as missing for a required string column; with ``blank_is_missing``, for
    every required column (sources whose drivers hand blank text for absent values).
    """
    rules: list[Rule] = []
    for f in table.schema:
        string = pa.types.is_string(f.type)
        if not string:
            rules.append(type_rule(f.name))
        if not f.nullable:
            rules.append(required_rule(f.name, blank=string or blank_is_missing))
    return rules
