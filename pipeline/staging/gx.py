"""The Great Expectations run: a table's whole suite on its staged partition, and Data Docs.

The suite is loaded as it is (:mod:`pipeline.staging.suites`); its derived columns are computed
by DuckDB (the same expressions the compiled rules inline, :mod:`pipeline.staging.compile`)
before the frame goes to GX. One :class:`~pipeline.staging.results.ValidationRecord` per
expectation (``source='gx'``). GX is imported only when a run starts, never on module import.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.metadata
import json
import logging
import os
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from pipeline.contracts import SOURCE_TABLES
from pipeline.staging.compile import aware_utc, ident, set_parameters
from pipeline.staging.results import ValidationRecord
from pipeline.staging.suites import (
    SuiteError,
    check_columns,
    derived_columns,
    expectation_name,
    load_suite,
    severity_of,
    suite_table,
)

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context import AbstractDataContext

log = logging.getLogger(__name__)


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
        extra = ", ".join(f"{expr} as {ident(n)}" for n, expr in derived.items())
        return con.sql(f"select *, {extra} from staged").to_arrow_table()
    finally:
        con.close()


_SITE = "clout"
#: Validation results the Data Docs index lists (newest first); older pages stay on disk.
DOCS_INDEX_LIMIT = 400


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
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DOCS_INDEX_LIMIT,
                },
            }
        }
    return gx.get_context(mode="ephemeral", project_config=config)


_SUITE_STAMPS = Path("_gx") / "suite_pages.json"
_GX_VERSION = importlib.metadata.version("great_expectations")


def _read_stamps(docs_dir: Path) -> dict[str, str]:
    """The digests of the suites whose pages were rendered, by suite name."""
    try:
        stamps: dict[str, str] = json.loads((Path(docs_dir) / _SUITE_STAMPS).read_text())
    except (OSError, ValueError):
        return {}
    return stamps


def _stale_suite_pages(docs_dir: Path, suites: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The suites whose Data Docs page is missing or was rendered from another version of the
    suite (by name, with their digest): only these are rendered again, not every suite on
    every validation (five suite pages per table-day were most of a night's Data Docs time)."""
    stamps = _read_stamps(docs_dir)
    stale = {}
    for name, suite in suites.items():
        text = json.dumps([_GX_VERSION, suite], sort_keys=True)  # a new GX renders anew
        digest = hashlib.sha256(text.encode()).hexdigest()
        page = Path(docs_dir) / "expectations" / f"{name}.html"
        if stamps.get(name) != digest or not page.exists():
            stale[name] = digest
    return stale


def _mark_suite_pages(docs_dir: Path, rendered: Mapping[str, str]) -> None:
    """Record the digests of the suite pages just rendered (atomically: parallel writers)."""
    if not rendered:
        return
    stamps = {**_read_stamps(docs_dir), **rendered}
    stamps_path = Path(docs_dir) / _SUITE_STAMPS
    stamps_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = stamps_path.with_name(f".{stamps_path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps(stamps, indent=1, sort_keys=True))
    os.replace(tmp, stamps_path)


def _pending_results(docs_dir: Path) -> set[str]:
    """Stored validation results (``suite/run/time/batch``) that have no Data Docs page yet."""
    store = docs_dir / "_gx" / "validations"
    pending = set()
    for stored in store.rglob("*.json"):
        rel = stored.relative_to(store).with_suffix("")
        if not (docs_dir / "validations" / rel).with_suffix(".html").exists():
            pending.add(rel.as_posix())
    return pending


def _build_docs(
    context: AbstractDataContext, docs_dir: Path, pending: set[str], stale: Mapping[str, str]
) -> int:
    """Render the pages of the ``pending`` results (:func:`_pending_results`), of the ``stale``
    suites (:func:`_stale_suite_pages`) and the index (a full rebuild would render every stored
    result again: quadratic over a backfill); returns the number of result pages rendered."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    new = [
        k
        for k in context.validation_results_store.list_keys()
        if "/".join(map(str, k.to_tuple())) in pending
    ]
    pages: list[Any] = [*(ExpectationSuiteIdentifier(name=n) for n in stale), *new]
    context.build_data_docs(site_names=[_SITE], resource_identifiers=pages)  # GX types one
    _mark_suite_pages(docs_dir, stale)  # kind per list; its builder takes both
    return len(new)


def render_data_docs(docs_dir: Path, directory: Path | None = None) -> int:
    """Bring the Data Docs site in ``docs_dir`` up to date with its stored validation results
    (the nightly run renders once, after its tables are validated, not once per table);
    returns the number of result pages rendered. Imports GX only where there is work."""
    docs_dir = Path(docs_dir).resolve()
    pending = _pending_results(docs_dir)
    names = dict.fromkeys([*SOURCE_TABLES, *(p.split("/", 1)[0] for p in sorted(pending))])
    suites = {name: load_suite(name, directory) for name in names}
    stale = _stale_suite_pages(docs_dir, suites)
    if not pending and not stale:
        if (docs_dir / "index.html").exists() or not (docs_dir / "_gx").exists():
            return 0
    context = _context(docs_dir)
    try:
        for name, suite_json in suites.items():
            context.suites.add(_gx_suite(name, suite_json))
        return _build_docs(context, docs_dir, pending, stale)
    finally:
        _release_context()


def _release_context() -> None:
    """Drop GX's reference to the last context: it keeps the validated frame in its execution
    engine's batch cache (GX holds the latest context globally), so each table's frame would
    stay in memory while the next table's is validated."""
    from great_expectations.data_context.data_context.context_factory import project_manager

    project_manager.set_project(None)
    gc.collect()  # the context's objects refer to each other: freed by the cycle collector


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
    render_docs: bool = True,
) -> list[ValidationRecord]:
    """Run the table's whole GX suite on a staged table-day: one record per expectation, in
    suite order. ``run_ts`` (timezone-aware; default now) fills the ``run_ts`` parameter.
    With ``docs_dir``, the result is stored there and rendered as GX Data Docs HTML
    (``docs_dir/index.html``); with ``render_docs=False`` it waits for the next
    :func:`render_data_docs`. An empty table is valid."""
    try:
        return _run_suite(table, staged, dt, run_id, docs_dir, run_ts, directory, render_docs)
    finally:  # the frame is in reference cycles: freed here, not when the next table is checked
        _release_context()


def _run_suite(
    table: str,
    staged: pa.Table,
    dt: date,
    run_id: str,
    docs_dir: Path | None,
    run_ts: datetime | None,
    directory: Path | None,
    render_docs: bool,
) -> list[ValidationRecord]:
    run_ts = aware_utc(run_ts or datetime.now(UTC))
    contract = suite_table(table)
    suite_json = load_suite(table, directory)
    check_columns(contract, suite_json)
    missing = [n for n in contract.column_names if n not in staged.column_names]
    if missing:
        log.warning("%s %s: staged table lacks column(s) %s", table, dt, ", ".join(missing))
    frame = _pandas_frame(with_derived(staged, derived_columns(suite_json), run_ts))

    context = _context(docs_dir)  # imports GX (slow): only here, never at module import
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    site_suites = {table: suite_json}
    for other in SOURCE_TABLES if docs_dir is not None and render_docs else ():
        if other != table:  # every suite in the site's index, not only this one
            site_suites[other] = load_suite(other, directory)
            context.suites.add(_gx_suite(other, site_suites[other]))
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
        docs_dir = Path(docs_dir).resolve()
        # a retry of the same run replaced the stored result: its page is to be rendered again
        for page in (docs_dir / "validations" / table / run_id).rglob("*.html"):
            page.unlink(missing_ok=True)
        if render_docs:
            stale = _stale_suite_pages(docs_dir, site_suites)
            _build_docs(context, docs_dir, _pending_results(docs_dir), stale)

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
