"""Great Expectations suites: the table contracts in ``expectations/<table>.json``.

A suite is a GX 1.x ``ExpectationSuite`` in GX's own JSON form, so GX loads it as it is
(``gx.ExpectationSuite(**load_suite(table))``). clout reads two things of its own from it:

* ``meta.severity`` of each expectation decides what a failure does:

  - ``contract``: the data as a whole breaks the contract; the task fails (types, grain);
  - ``row`` (the default): the failing rows are quarantined by staging;
  - ``flag``: never rejects anything; the result is only recorded (fraud thresholds).

  GX's own ``severity`` mirrors it (critical, warning, info) so Data Docs show the same.

* Two relations GX has no pandas built-in for are written with built-in expectation types:

  - "not in the future of the run": ``expect_column_values_to_be_between`` with
    ``max_value: {"$PARAMETER": "run_ts"}``. GX gets ``run_ts`` as an expectation parameter;
    the compiled SQL reads the DuckDB variable ``getvariable('run_ts')`` (a TIMESTAMPTZ that
    the caller sets, see :func:`set_parameters`; an unset variable is an error, not a pass).
  - group relations such as "the audience shares of one account and dimension sum to 1":
    the suite's ``meta.clout_derived_columns`` maps a derived column name to a DuckDB
    expression over the typed columns (here a window sum over distinct (bucket, share)
    pairs, since staging checks rows before it deduplicates them), and an ordinary
    expectation checks the derived column. The SQL rule inlines the expression; the GX run computes the
    column with DuckDB before handing the frame to GX. One definition serves both.

Row-severity expectations compile to staging :class:`~pipeline.staging.rules.Rule` objects
(:func:`suite_rules`); the whole suite runs in GX on the staged table
(:func:`validate_with_gx`). Both give :class:`ValidationRecord` rows for the
``validation_results`` table (:data:`VALIDATION_RESULTS_SCHEMA`).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import duckdb
import pyarrow as pa

from pipeline.contracts import SOURCE_TABLES
from pipeline.staging.rules import Rule

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context import AbstractDataContext

log = logging.getLogger(__name__)

#: Folder of the suites (one ``<table>.json`` each).
EXPECTATIONS_DIR = Path(__file__).resolve().parents[1] / "expectations"

Severity = Literal["contract", "row", "flag"]
SEVERITIES: tuple[Severity, ...] = ("contract", "row", "flag")
#: GX's own failure severity for each clout severity (shown in Data Docs).
GX_SEVERITY: dict[Severity, str] = {"contract": "critical", "row": "warning", "flag": "info"}

#: Suite parameters (``{"$PARAMETER": name}``) and the DuckDB type of their variable.
PARAMETERS: dict[str, str] = {"run_ts": "timestamptz"}

#: Expectation types that are never quarantine rules: staging already keeps one row per key
#: (latest wins) and casts every column to its schema type; they run in GX on staged data.
GX_ONLY_TYPES: frozenset[str] = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_select_column_values_to_be_unique_within_record",
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_be_in_type_list",
    }
)


#: Expectation types :func:`compile_expectation` turns into SQL.
COMPILABLE_TYPES: frozenset[str] = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_pair_values_a_to_be_greater_than_b",
    }
)


class SuiteError(ValueError):
    """A suite is missing, malformed or uses something clout cannot compile."""


# --------------------------------------------------------------------------------------------
# loading


def suite_path(table: str, directory: Path | None = None) -> Path:
    """Path of the suite file of ``table``."""
    return (directory or EXPECTATIONS_DIR) / f"{table}.json"


def load_suite(table: str, directory: Path | None = None) -> dict[str, Any]:
    """The suite of ``table`` as its JSON dict (GX's serialised ``ExpectationSuite``)."""
    return read_suite_file(suite_path(table, directory), f"table {table!r}")


def read_suite_file(path: Path, what: str) -> dict[str, Any]:
    """A suite file as its JSON dict; a SuiteError naming the file when it is missing or not a
    suite (``what`` says whose suite it is)."""
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"no expectation suite for {what}: {path} is missing") from None
    except json.JSONDecodeError as e:
        raise SuiteError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise SuiteError(f"{path}: not an expectation suite (no 'expectations' list)")
    return cast(dict[str, Any], suite)


def severity_of(expectation: Mapping[str, Any]) -> Severity:
    """The clout severity in an expectation's ``meta`` (``row`` when absent)."""
    sev = (expectation.get("meta") or {}).get("severity", "row")
    if sev not in SEVERITIES:
        raise SuiteError(
            f"{expectation_name(expectation)}: meta.severity {sev!r} is not one of "
            f"{', '.join(SEVERITIES)}"
        )
    return cast(Severity, sev)


def expectation_columns(expectation: Mapping[str, Any]) -> tuple[str, ...]:
    """The column(s) an expectation is about, in the order its kwargs name them."""
    kw = expectation.get("kwargs") or {}
    if "column" in kw:
        return (str(kw["column"]),)
    if "column_A" in kw or "column_B" in kw:
        return (str(kw.get("column_A")), str(kw.get("column_B")))
    if "column_list" in kw:
        return tuple(str(c) for c in kw["column_list"])
    return ()


def expectation_name(expectation: Mapping[str, Any]) -> str:
    """``<type>:<col>[,<col>...]``, e.g. ``expect_column_values_to_be_between:likes``."""
    cols = expectation_columns(expectation)
    typ = str(expectation.get("type", "?"))
    return f"{typ}:{','.join(cols)}" if cols else typ


def derived_columns(suite: Mapping[str, Any]) -> dict[str, str]:
    """Derived column name -> DuckDB expression, from ``meta.clout_derived_columns``."""
    return dict((suite.get("meta") or {}).get("clout_derived_columns") or {})


# --------------------------------------------------------------------------------------------
# SQL compilation


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _param_sql(name: str) -> str:
    if name not in PARAMETERS:
        raise SuiteError(
            f"unknown suite parameter {name!r}; known: {', '.join(sorted(PARAMETERS))}"
        )
    msg = (
        f"DuckDB variable {name} is not set: call pipeline.staging.suites.set_parameters "
        "before evaluating suite rules"
    )
    return f"coalesce(cast(getvariable('{name}') as {PARAMETERS[name]}), error('{msg}'))"


def _literal(value: Any) -> str:
    """A SQL literal for a JSON value (or a ``$PARAMETER`` reference)."""
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        return _param_sql(str(value["$PARAMETER"]))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SuiteError(f"non-finite bound {value!r}")
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise SuiteError(f"cannot write {value!r} as a SQL literal")


def _column_sql(name: str, derived: Mapping[str, str]) -> str:
    return f"({derived[name]})" if name in derived else _ident(name)


def _between(col: str, kw: Mapping[str, Any]) -> str:
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if lo is None and hi is None:
        raise SuiteError("min_value and max_value cannot both be null")
    bad: list[str] = []
    if lo is not None:
        bad.append(f"{col} {'<=' if kw.get('strict_min') else '<'} {_literal(lo)}")
    if hi is not None:
        bad.append(f"{col} {'>=' if kw.get('strict_max') else '>'} {_literal(hi)}")
    return " or ".join(bad)


def _in_set(col: str, kw: Mapping[str, Any], allowed: bool) -> str:
    """Fails when the value is outside ``value_set`` (``allowed``) or inside it (not)."""
    values = kw.get("value_set")
    if not isinstance(values, list):
        raise SuiteError("value_set must be a list of values")
    if not values:
        return f"{col} is not null" if allowed else "false"
    items = ", ".join(_literal(v) for v in values)
    return f"{col} not in ({items})" if allowed else f"{col} in ({items})"


def _regex(col: str, kw: Mapping[str, Any], must_match: bool) -> str:
    """Fails when the regex is not found in the value (``must_match``) or is found (not).
    Like GX's pandas ``str.contains`` it searches; anchor it with ``^...$`` to match whole."""
    regex = kw.get("regex")
    if not isinstance(regex, str):
        raise SuiteError("regex must be a string")
    found = f"regexp_matches(cast({col} as varchar), {_literal(regex)})"
    return f"not {found}" if must_match else found


def _pair_greater(kw: Mapping[str, Any], derived: Mapping[str, str]) -> str:
    ignore = kw.get("ignore_row_if", "both_values_are_missing")
    if ignore != "either_value_is_missing":
        raise SuiteError(
            "expect_column_pair_values_a_to_be_greater_than_b needs "
            "ignore_row_if='either_value_is_missing' (a NULL on either side passes, as in GX; "
            f"GX's pandas engine errors on nullable columns with {ignore!r})"
        )
    a = _column_sql(str(kw["column_A"]), derived)
    b = _column_sql(str(kw["column_B"]), derived)
    return f"{a} {'<' if kw.get('or_equal') else '<='} {b}"


def _condition(typ: Any, kw: Mapping[str, Any], derived: Mapping[str, str]) -> str:
    """The SQL condition true for a failing row (may be NULL for a NULL value: it passes)."""
    if typ == "expect_column_pair_values_a_to_be_greater_than_b":
        return _pair_greater(kw, derived)
    if typ not in COMPILABLE_TYPES:
        raise SuiteError(
            f"expectation type {typ!r} cannot be compiled to a quarantine rule; "
            f"supported: {', '.join(sorted(COMPILABLE_TYPES))}"
        )
    col = _column_sql(str(kw["column"]), derived)
    if typ == "expect_column_values_to_not_be_null":
        return f"{col} is null"
    if typ == "expect_column_values_to_be_null":
        return f"{col} is not null"
    if typ == "expect_column_values_to_be_between":
        return _between(col, kw)
    if typ in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        return _in_set(col, kw, allowed=typ == "expect_column_values_to_be_in_set")
    return _regex(col, kw, must_match=typ == "expect_column_values_to_match_regex")


def compile_expectation(
    expectation: Mapping[str, Any], derived: Mapping[str, str] | None = None
) -> Rule:
    """A staging rule whose ``fails`` is TRUE exactly for the rows GX would mark unexpected.

    NULLs pass every expectation but the not-null one (``mostly`` is ignored: a failing row
    is quarantined whatever the share of failures). Columns named in ``derived`` are replaced
    by their SQL expression. Raises :class:`SuiteError` for a type it cannot compile.
    """
    name = expectation_name(expectation)
    if ";" in name or "'" in name:
        raise SuiteError(f"{name}: column names with ';' or quotes cannot name a rule")
    kw: Mapping[str, Any] = expectation.get("kwargs") or {}
    try:
        cond = _condition(expectation.get("type"), kw, derived or {})
    except KeyError as e:
        raise SuiteError(f"{name}: missing kwarg {e}") from None
    except SuiteError as e:
        raise SuiteError(f"{name}: {e}") from None
    return Rule(name, f"coalesce({cond}, false)")


def _check_columns(table: str, suite: Mapping[str, Any]) -> None:
    known = {f.name for f in SOURCE_TABLES[table].schema} | set(derived_columns(suite))
    for exp in suite["expectations"]:
        unknown = [c for c in expectation_columns(exp) if c not in known]
        if unknown:
            raise SuiteError(
                f"{table} suite, {expectation_name(exp)}: unknown column(s) "
                f"{', '.join(unknown)} (not in pipeline.contracts nor meta.clout_derived_columns)"
            )


def suite_rules(table: str, directory: Path | None = None) -> list[Rule]:
    """The quarantine rules of ``table``: its row-severity expectations compiled to SQL, in
    suite order, to use beside :func:`~pipeline.staging.rules.schema_rules`.

    A not-null expectation on a column the schema requires is left out: staging's
    ``required:<col>`` rule already rejects those rows (and blank strings too), so a row gets
    one reason, not two. Raises :class:`SuiteError` for a row-severity uniqueness or type
    expectation (staging keeps the latest row per key and casts every column: state those as
    ``contract``), an unknown column or severity, or two rules of the same name.
    """
    if table not in SOURCE_TABLES:
        raise SuiteError(f"unknown table {table!r}; known: {', '.join(SOURCE_TABLES)}")
    suite = load_suite(table, directory)
    _check_columns(table, suite)
    derived = derived_columns(suite)
    required = set(SOURCE_TABLES[table].required)
    rules: list[Rule] = []
    for exp in suite["expectations"]:
        if severity_of(exp) != "row":
            continue
        typ = exp.get("type")
        if typ in GX_ONLY_TYPES:
            raise SuiteError(
                f"{table} suite, {expectation_name(exp)}: uniqueness and type expectations "
                "cannot quarantine rows (staging deduplicates keys and casts types); "
                "give it meta.severity 'contract'"
            )
        if typ == "expect_column_values_to_not_be_null" and exp["kwargs"]["column"] in required:
            continue
        rules.append(compile_expectation(exp, derived))
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise SuiteError(f"{table} suite: rule names are not unique: {', '.join(dup)}")
    return rules


def set_parameters(con: duckdb.DuckDBPyConnection, run_ts: datetime) -> None:
    """Set the DuckDB variables the compiled rules read (``run_ts``, timezone-aware)."""
    con.execute("set variable run_ts = cast(? as timestamptz)", [_aware(run_ts)])


def _aware(ts: datetime) -> datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"run_ts must be timezone-aware (UTC), got {ts!r}")
    return ts.astimezone(UTC)


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class ValidationRecord:
    """One expectation's outcome on one table-day, a row of ``validation_results``."""

    run_id: str
    table: str
    dt: date
    expectation: str  #: ``<type>:<columns>`` (or a staging rule name such as ``type:likes``)
    severity: Severity
    success: bool
    unexpected_count: int | None  #: None where the expectation is not row by row
    element_count: int  #: rows checked
    source: Literal["quarantine", "gx"]


VALIDATION_RESULTS_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("table", pa.string(), nullable=False),
        pa.field("dt", pa.date32(), nullable=False),
        pa.field("expectation", pa.string(), nullable=False),
        pa.field("severity", pa.string(), nullable=False),
        pa.field("success", pa.bool_(), nullable=False),
        pa.field("unexpected_count", pa.int64(), nullable=True),
        pa.field("element_count", pa.int64(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ]
)
assert [f.name for f in fields(ValidationRecord)] == VALIDATION_RESULTS_SCHEMA.names


def records_to_table(records: Iterable[ValidationRecord]) -> pa.Table:
    """The records as a ``validation_results`` Arrow table."""
    rows = [asdict(r) for r in records]
    return pa.Table.from_pylist(rows, schema=VALIDATION_RESULTS_SCHEMA)


def contract_failures(records: Iterable[ValidationRecord]) -> list[ValidationRecord]:
    """The failed contract-severity records: if any, the task must fail."""
    return [r for r in records if r.severity == "contract" and not r.success]


def quarantine_records(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    table: str,
    dt: date,
    run_id: str,
    rules: Sequence[Rule],
    element_count: int | None = None,
) -> list[ValidationRecord]:
    """Per-rule failure counts over a relation with a ``_reasons`` column (``;``-joined rule
    names), e.g. staging's quarantined rows: one ``source='quarantine'`` record per rule.
    ``element_count`` is the number of rows checked (default: the relation's rows)."""
    if not rules:
        return []
    counts = ", ".join(
        f"count(*) filter (where list_contains(string_split(_reasons, ';'), {_literal(r.name)}))"
        for r in rules
    )
    row = con.execute(f"select count(*), {counts} from {relation}").fetchall()[0]
    total = int(row[0]) if element_count is None else element_count
    return [
        ValidationRecord(run_id, table, dt, r.name, "row", int(n) == 0, int(n), total, "quarantine")
        for r, n in zip(rules, row[1:], strict=True)
    ]


# --------------------------------------------------------------------------------------------
# the GX run


def _pandas_frame(data: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas for GX: ints and bools as numpy dtypes (GX's vectorised paths) or, where
    a column has nulls, as pandas nullable dtypes; strings as pandas strings; timestamps UTC."""
    import pandas as pd

    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    columns: dict[str, pd.Series] = {}
    for name, col in zip(data.column_names, data.columns, strict=True):
        mapping: dict[pa.DataType, Any] = {pa.string(): pd.StringDtype()}
        if col.null_count:
            mapping.update(nullable)
        columns[name] = col.to_pandas(types_mapper=mapping.get)
    return pd.DataFrame(columns, index=pd.RangeIndex(data.num_rows))


def with_derived(data: pa.Table, derived: Mapping[str, str], run_ts: datetime) -> pa.Table:
    """``data`` plus the suite's derived columns, computed by DuckDB."""
    if not derived:
        return data
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        set_parameters(con, run_ts)
        con.register("staged", data)
        extra = ", ".join(f"{expr} as {_ident(n)}" for n, expr in derived.items())
        return con.sql(f"select *, {extra} from staged").to_arrow_table()
    finally:
        con.close()


_SITE = "clout"


def _context(docs_dir: Path | None) -> AbstractDataContext:
    """An ephemeral GX context without analytics or progress bars; with ``docs_dir``, its
    validation results persist under ``docs_dir/_gx/validations`` and a Data Docs site is
    built in ``docs_dir`` (so the site's index lists every run validated there)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults()
    config = DataContextConfig(
        store_backend_defaults=defaults,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    if docs_dir is not None:
        docs_dir = Path(docs_dir).resolve()
        assert config.stores is not None
        config.stores[defaults.validation_results_store_name] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir / "_gx" / "validations"),
            },
        }
        config.data_docs_sites = {
            _SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
    return gx.get_context(mode="ephemeral", project_config=config)


def _gx_suite(table: str, suite_json: Mapping[str, Any]) -> ExpectationSuite:
    """The GX suite of a suite dict; fails if GX dropped an invalid expectation (it only logs)."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(**suite_json)
    if len(suite.expectations) != len(suite_json["expectations"]):
        raise SuiteError(
            f"{table} suite: GX rejected {len(suite_json['expectations']) - len(suite.expectations)}"
            " expectation(s); see the GX error logged above"
        )
    return suite


def _exception_message(info: Mapping[str, Any] | None) -> str | None:
    """The first exception message in a GX result's ``exception_info`` (flat or per metric)."""
    if not info:
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info.get("raised_exception") else None
    for sub in info.values():
        if isinstance(sub, Mapping) and (msg := _exception_message(sub)):
            return msg
    return None


def validate_with_gx(
    table: str,
    staged: pa.Table,
    dt: date,
    run_id: str,
    docs_dir: Path | None = None,
    *,
    run_ts: datetime | None = None,
    directory: Path | None = None,
) -> list[ValidationRecord]:
    """Run the table's whole GX suite on a staged table-day: one record per expectation, in
    suite order. ``run_ts`` (timezone-aware; default now) fills the ``run_ts`` parameter.
    With ``docs_dir``, the result is also rendered as GX Data Docs HTML there
    (``docs_dir/index.html``). An empty table is valid."""
    run_ts = _aware(run_ts or datetime.now(UTC))
    suite_json = load_suite(table, directory)
    _check_columns(table, suite_json)
    missing = [f.name for f in SOURCE_TABLES[table].schema if f.name not in staged.column_names]
    if missing:
        log.warning("%s %s: staged table lacks column(s) %s", table, dt, ", ".join(missing))
    frame = _pandas_frame(with_derived(staged, derived_columns(suite_json), run_ts))

    context = _context(docs_dir)  # imports GX (slow): only here, never at module import
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    for other in SOURCE_TABLES if docs_dir is not None else ():
        if other != table:  # every suite in the site's index, not only this one
            context.suites.add(_gx_suite(other, load_suite(other, directory)))
    suite = context.suites.add(_gx_suite(table, suite_json))
    batch_definition = (
        context.data_sources.add_pandas("clout")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe(f"{table} {dt.isoformat()}")
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(
            name=f"{table} {dt.isoformat()}", data=batch_definition, suite=suite
        )
    )
    result = definition.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters={"run_ts": run_ts},
        result_format="BASIC",
        run_id=RunIdentifier(run_name=run_id, run_time=run_ts),
    )
    if docs_dir is not None:
        context.build_data_docs(site_names=[_SITE])

    order = {e.id: i for i, e in enumerate(suite.expectations)}
    records: list[tuple[int, ValidationRecord]] = []
    for r in result.results:
        config = r.expectation_config
        assert config is not None
        exp = config.to_json_dict()
        if error := _exception_message(r.exception_info):
            log.warning("%s %s: %s raised: %s", table, dt, expectation_name(exp), error)
        res = r.result or {}
        unexpected = res.get("unexpected_count")
        record = ValidationRecord(
            run_id=run_id,
            table=table,
            dt=dt,
            expectation=expectation_name(exp),
            severity=severity_of(exp),
            success=bool(r.success),
            unexpected_count=None if unexpected is None else int(unexpected),
            element_count=len(frame),
            source="gx",
        )
        records.append((order.get(config.id, len(order)), record))
    return [rec for _, rec in sorted(records, key=lambda x: x[0])]
