"""The ``influencer_scores`` mart's prepare step: every brief in ``CLOUT_BRIEFS`` x every account.

``sql/influencer_scores.sql`` is a mart model like the others (built by
:mod:`pipeline.flows.marts`), but it also reads the briefs and the scoring assumptions, which
live in YAML and Python: :func:`register_briefs` puts them on the DuckDB session as Arrow
relations (``briefs``, ``brief_platforms``, ``brief_niches``, ``brief_targets``,
``platform_rates``, ``goal_weights``) and variables (``sc_*``). The SQL reads the day's
``stg_accounts``, ``stg_audience``, ``influencer_daily`` and ``audience_quality``, so the nightly
run builds it after ``audience_quality`` (its place in ``MARTS``). With no brief configured the
day's partition is written empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import duckdb
import pyarrow as pa

from pipeline.contracts import INFLUENCER_SCORES
from pipeline.scoring.briefs import Brief, brief_tables, load_briefs
from pipeline.scoring.model import DEFAULT_CONFIG, ScoringConfig
from pipeline.sqlfiles import sql_text
from pipeline.warehouse.storage import Warehouse

NAME = INFLUENCER_SCORES.name


def register_briefs(
    con: duckdb.DuckDBPyConnection, briefs: Iterable[Brief], config: ScoringConfig | None = None
) -> None:
    """Register the briefs' relations and the scoring assumptions on ``con``."""
    for name, table in brief_tables(briefs).items():
        con.register(name, table)
    (config or DEFAULT_CONFIG).register(con)


def prepare(
    con: duckdb.DuckDBPyConnection, wh: Warehouse, first: date, last: date,
    briefs: Iterable[Brief] | None = None, config: ScoringConfig | None = None,
) -> None:  # fmt: skip
    """The mart runner's prepare step: the briefs (default: the folder ``CLOUT_BRIEFS``)."""
    if briefs is None:
        from pipeline.config import get_settings

        briefs = load_briefs(get_settings().briefs)
    register_briefs(con, briefs, config)


def score_on(
    con: duckdb.DuckDBPyConnection,
    briefs: Iterable[Brief],
    dt: date,
    config: ScoringConfig | None = None,
) -> pa.Table:
    """Run the scoring SQL on a session that already has ``stg_accounts``, ``stg_audience``,
    ``influencer_daily`` and ``audience_quality`` (each with a ``dt`` column)."""
    register_briefs(con, briefs, config)
    con.execute(f"set variable dt = date '{dt.isoformat()}'")
    schema = INFLUENCER_SCORES.schema
    cols = ", ".join(f'"{f.name}"' for f in schema)
    return con.sql(f"select {cols} from ({sql_text(NAME)})").to_arrow_table().cast(schema)
