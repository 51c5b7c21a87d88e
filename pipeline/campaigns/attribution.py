"""Attribution: the prepare steps of the campaign marts (``sql/campaign_daily.sql`` and
``sql/campaign_summary.sql``, built by :mod:`pipeline.flows.marts`) and their parameters.

Late data: orders arrive and are refunded for days, so each run for day D rebuilds
``campaign_daily`` and ``campaign_summary`` for every day of [D - rebuild_days + 1, D]
(default: the 7-day attribution window plus the day itself). A day is always rebuilt whole from
the staged inputs, so reruns and backfills give the same partitions.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from pipeline.campaigns.fx import fx_rates
from pipeline.warehouse.storage import Warehouse

WINDOW_DAYS = 7  #: attribution window: days after the deliverable's live day
REBUILD_DAYS = WINDOW_DAYS + 1  #: days of marts each run rebuilds (the window and the day)
PERIOD_DAYS = 7  #: lift: the last N days against the N days before
REFUND_HORIZON_DAYS = 180  #: refunds of orders older than this are not looked for


def _set(con: duckdb.DuckDBPyConnection, **values: Any) -> None:
    for k, v in values.items():
        con.execute(f"set variable {k} = ?", [v])


def prepare_daily(
    con: duckdb.DuckDBPyConnection, wh: Warehouse, first: date, last: date,
    run_dt: date | None = None, window_days: int = WINDOW_DAYS,
) -> None:  # fmt: skip
    """``campaign_daily``'s prepare step: FX rates from the refund horizon to ``last``, the run
    day (the latest data the attribution may use) and the window."""
    con.register("fx_rates", fx_rates(first - timedelta(days=REFUND_HORIZON_DAYS), last))
    _set(con, run_dt=run_dt or last, window_days=window_days,
         refund_horizon_days=REFUND_HORIZON_DAYS)  # fmt: skip


def prepare_summary(
    con: duckdb.DuckDBPyConnection, wh: Warehouse, first: date, last: date,
    period_days: int = PERIOD_DAYS,
) -> None:  # fmt: skip
    """``campaign_summary``'s prepare step: the lift period."""
    _set(con, period_days=period_days)
