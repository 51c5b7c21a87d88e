"""Marts: SQL models in ``sql/<mart>.sql`` run by DuckDB over the warehouse views."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from pipeline.schemas import MARTS
from pipeline.stage import connect
from pipeline.warehouse.catalog import register_views
from pipeline.warehouse.storage import Partition, Warehouse, failpoint

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def mart_sql(name: str) -> str:
    """The SQL model of a mart."""
    path = SQL_DIR / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no SQL model for mart {name!r} at {path}")
    return path.read_text()


def build_mart(wh: Warehouse, name: str, dt: date, run_id: str) -> int:
    """Compute one mart for one day and publish it as that day's partition; returns rows.

    Marts that need Python before their SQL (classifying follower samples, threshold
    variables) have their own builder in ``pipeline.fraud.marts.BUILDERS``; the brief scores
    (registered briefs and rates) in ``pipeline.scoring.marts.BUILDERS``.
    """
    from pipeline.fraud.marts import BUILDERS
    from pipeline.scoring.marts import BUILDERS as SCORING_BUILDERS

    failpoint(f"mart.{name}")  # the marts before it built and published
    builders = {**BUILDERS, **SCORING_BUILDERS}
    if name in builders:
        return builders[name](wh, dt, run_id)
    mart = MARTS[name]
    con = connect()
    try:
        register_views(con, wh)
        con.execute(f"set variable dt = date '{dt.isoformat()}'")
        cols = ", ".join(f'"{f.name}"' for f in mart.schema)
        table = con.sql(f"select {cols} from ({mart_sql(name)})").to_arrow_table()
    finally:
        con.close()
    wh.write_table(Partition.of("marts", name, dt), table.cast(mart.schema), run_id)
    log.info("built %s %s: %d rows", name, dt, table.num_rows)
    return table.num_rows
