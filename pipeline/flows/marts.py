"""The mart runner: one registry of :class:`MartSpec` (contract, SQL model, prepare step), one
way to compute, check and publish a mart.

A mart is a SQL model in ``sql/`` run by DuckDB over the warehouse views. Some need Python
before their SQL (classifying follower samples, thresholds, briefs, FX rates): that is the spec's
``prepare``, owned by its domain (``pipeline.fraud.views``, ``pipeline.scoring.prepare``,
``pipeline.campaigns.attribution``); the runner owns everything else: the session, the views,
the day variables, the column contract, the key check and the write.

Every model may use the macros of ``sql/macros/`` (ratios, robust z, flag severity). Variables
every model can read: ``dt`` (the day built; the last day of a range),
``first_dt`` and ``last_dt`` (the range a ranged mart builds at once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import contracts
from pipeline.campaigns import attribution
from pipeline.contracts import Table
from pipeline.fraud import views as fraud_views
from pipeline.scoring import prepare as scoring
from pipeline.sqlfiles import macros_sql, sql_text
from pipeline.warehouse.catalog import connect, register_views
from pipeline.warehouse.storage import Partition, Warehouse, failpoint

log = logging.getLogger(__name__)

#: ``prepare(con, wh, first, last)``: register what the model needs beyond the warehouse views.
Prepare = Callable[[duckdb.DuckDBPyConnection, Warehouse, date, date], None]


class MartKeyError(RuntimeError):
    """A built mart repeats its key: the model is wrong, nothing was written."""


@dataclass(frozen=True)
class MartSpec:
    """How to build one mart."""

    table: Table  #: the contract: columns, key, grain
    sql: str  #: the model, ``sql/<sql>.sql`` (``marts/<name>``)
    prepare: Prepare | None = None
    ranged: bool = False  #: the model yields the days [first_dt, last_dt] at once (column ``dt``)


MART_SPECS: dict[str, MartSpec] = {
    s.table.name: s
    for s in (
        MartSpec(contracts.INFLUENCER_DAILY, "marts/influencer_daily"),
        MartSpec(contracts.FRAUD_FLAGS, "marts/fraud_flags", fraud_views.prepare),
        MartSpec(contracts.AUDIENCE_QUALITY, "marts/audience_quality", fraud_views.prepare),
        MartSpec(contracts.INFLUENCER_SCORES, "marts/influencer_scores", scoring.prepare),
        MartSpec(contracts.CAMPAIGN_DAILY, "marts/campaign_daily", attribution.prepare_daily, True),
        MartSpec(contracts.CAMPAIGN_SUMMARY, "marts/campaign_summary", attribution.prepare_summary),
    )
}
if set(MART_SPECS) != {*contracts.MARTS, *contracts.CAMPAIGN_MARTS}:
    raise ImportError("every mart of pipeline.contracts needs a MartSpec, and only those")


def days(first: date, last: date) -> list[date]:
    """Every day of [first, last]."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def compute_mart(
    wh: Warehouse, name: str, first: date, last: date | None = None,
    prepare: Prepare | None = None,
) -> pa.Table:  # fmt: skip
    """The rows of mart ``name`` for ``first`` (or the range [first, last] of a ranged mart,
    with a ``dt`` column), cast to its contract; nothing written. ``prepare`` replaces the
    spec's own (tests and benches pass other briefs or parameters)."""
    spec = MART_SPECS[name]
    last = last or first
    columns = [f.name for f in spec.table.schema] + (["dt"] if spec.ranged else [])
    con = connect()
    try:
        register_views(con, wh)
        con.execute(macros_sql())
        for var, value in (("dt", last), ("first_dt", first), ("last_dt", last)):
            con.execute(f"set variable {var} = date '{value.isoformat()}'")
        if prepare or spec.prepare:
            (prepare or spec.prepare)(con, wh, first, last)  # type: ignore[misc]
        select = ", ".join(f'"{c}"' for c in columns)
        table = con.sql(f"select {select} from ({sql_text(spec.sql)})").to_arrow_table()
    finally:
        con.close()
    schema = spec.table.schema
    if spec.ranged:
        schema = schema.append(pa.field("dt", pa.date32()))
    return table.cast(schema)


def check_key(table: pa.Table, mart: Table, day: date) -> None:
    """Fail when a day's rows repeat the mart's key (nulls compare equal, as in its grain)."""
    counts = table.group_by(list(mart.key), use_threads=False).aggregate([([], "count_all")])
    repeated = counts.filter(pc.greater(counts["count_all"], 1))
    if repeated.num_rows:
        example = {k: repeated[k][0].as_py() for k in mart.key}
        raise MartKeyError(
            f"{mart.name} {day}: {repeated.num_rows} key(s) repeat, e.g. {example} "
            f"({repeated['count_all'][0].as_py()} rows); the grain is {mart.grain!r}"
        )


def build_mart(
    wh: Warehouse, name: str, first: date, run_id: str, last: date | None = None,
    prepare: Prepare | None = None,
) -> dict[str, int]:  # fmt: skip
    """Compute mart ``name`` for ``first`` (or every day of [first, last]), check its key and
    publish one partition per day (an empty day too: it replaces what an earlier run wrote; a
    ranged mart publishes its whole range in one commit).
    Returns rows per day."""
    spec = MART_SPECS[name]
    last = last or first
    failpoint(f"mart.{name}")  # crash tests: the marts before it built and published
    table = compute_mart(wh, name, first, last, prepare)
    per_day: dict[str, int] = {}
    for day in days(first, last):
        part = table
        if spec.ranged:
            part = table.filter(pc.equal(table["dt"], pa.scalar(day, pa.date32())))
            part = part.drop_columns(["dt"])
        check_key(part, spec.table, day)
        if not spec.ranged:
            wh.write_table(Partition.of("marts", name, day), part, run_id)
        per_day[day.isoformat()] = part.num_rows
    if spec.ranged:  # the whole range in one commit (the attribution window's rebuild)
        wh.write_days("marts", name, table, first, last, run_id)
    log.info("built %s %s..%s: %d rows", name, first, last, sum(per_day.values()))
    return per_day


def build_day(wh: Warehouse, name: str, dt: date, run_id: str) -> int:
    """Build one mart for one day; returns its rows."""
    return build_mart(wh, name, dt, run_id)[dt.isoformat()]


def build_campaign_marts(
    wh: Warehouse,
    dt: date,
    run_id: str,
    rebuild_days: int = attribution.REBUILD_DAYS,
    window_days: int = attribution.WINDOW_DAYS,
    period_days: int = attribution.PERIOD_DAYS,
) -> dict[str, Any]:
    """Rebuild both campaign marts for [dt - rebuild_days + 1, dt] (late orders and refunds
    change earlier days): ``campaign_daily`` in one pass, then each day's ``campaign_summary``
    from it. Returns row counts per day."""
    first = dt - timedelta(days=rebuild_days - 1)
    daily_prepare = partial(attribution.prepare_daily, run_dt=dt, window_days=window_days)
    summary_prepare = partial(attribution.prepare_summary, period_days=period_days)
    with wh.day_lock("campaign_marts", "all", wait=True):
        daily = build_mart(wh, "campaign_daily", first, run_id, last=dt, prepare=daily_prepare)
        summary = {
            d.isoformat(): build_mart(wh, "campaign_summary", d, run_id, prepare=summary_prepare)[
                d.isoformat()
            ]
            for d in days(first, dt)
        }
    return {"first": first.isoformat(), "last": dt.isoformat(), "campaign_daily": daily,
            "campaign_summary": summary}  # fmt: skip
