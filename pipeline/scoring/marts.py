"""Builder of the ``influencer_scores`` mart: every brief in ``CLOUT_BRIEFS`` x every account.

``sql/marts/influencer_scores.sql`` is a mart model like the others, but it also reads the briefs
and the scoring assumptions, which live in YAML and Python: they are registered on the DuckDB
session as Arrow relations (``briefs``, ``brief_platforms``, ``brief_niches``,
``brief_targets``, ``platform_rates``, ``goal_weights``) and variables (``sc_*``). The SQL reads
the day's ``stg_accounts``, ``stg_audience``, ``influencer_daily`` and ``audience_quality``, so
the nightly run builds it after ``audience_quality`` (its place in ``MARTS``). With no brief
configured the day's partition is written empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date

import duckdb
import pyarrow as pa

from pipeline.marts import mart_sql
from pipeline.schemas import MARTS
from pipeline.scoring.briefs import Brief, brief_tables, load_briefs
from pipeline.scoring.model import DEFAULT_CONFIG, ScoringConfig
from pipeline.sqlfiles import macros_sql
from pipeline.stage import connect
from pipeline.warehouse.catalog import register_views
from pipeline.warehouse.storage import Partition, Warehouse

log = logging.getLogger(__name__)

NAME = "influencer_scores"


def score_on(
    con: duckdb.DuckDBPyConnection,
    briefs: Iterable[Brief],
    dt: date,
    config: ScoringConfig | None = None,
) -> pa.Table:
    """Run the scoring SQL on a session that already has ``stg_accounts``, ``stg_audience``,
    ``influencer_daily`` and ``audience_quality`` (each with a ``dt`` column)."""
    for name, table in brief_tables(briefs).items():
        con.register(name, table)
    (config or DEFAULT_CONFIG).register(con)
    con.execute(macros_sql())
    con.execute(f"set variable dt = date '{dt.isoformat()}'")
    schema = MARTS[NAME].schema
    cols = ", ".join(f'"{f.name}"' for f in schema)
    return con.sql(f"select {cols} from ({mart_sql(NAME)})").to_arrow_table().cast(schema)


def compute_scores(
    wh: Warehouse,
    dt: date,
    briefs: Iterable[Brief] | None = None,
    config: ScoringConfig | None = None,
) -> pa.Table:
    """The ``influencer_scores`` rows of day ``dt`` (not written); briefs default to the
    folder ``CLOUT_BRIEFS``."""
    if briefs is None:
        from pipeline.config import get_settings

        briefs = load_briefs(get_settings().briefs)
    con = connect()
    try:
        register_views(con, wh)
        return score_on(con, briefs, dt, config)
    finally:
        con.close()


def build_influencer_scores(wh: Warehouse, dt: date, run_id: str) -> int:
    """Score every brief of ``CLOUT_BRIEFS`` for one day and publish the partition."""
    table = compute_scores(wh, dt)
    wh.write_table(Partition.of("marts", NAME, dt), table, run_id)
    log.info("built %s %s: %d rows", NAME, dt, table.num_rows)
    return table.num_rows


#: Marts that :func:`pipeline.marts.build_mart` hands to a Python builder.
BUILDERS: dict[str, Callable[[Warehouse, date, str], int]] = {NAME: build_influencer_scores}
