"""Publish marts to PostgreSQL (SQLAlchemy) for BI tools: Tableau, Power BI, Metabase and
Looker Studio connect to it with their built-in PostgreSQL connectors.

One table per mart in a schema (default ``clout``), the mart's contract columns plus ``dt``
(DATE). A day is published in one transaction: every mart's rows of that day are deleted and
inserted again, so a rerun leaves the same rows and a BI user never sees half a day. Tables are
created when missing and gain the columns a contract adds (never dropped or renamed).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pipeline.contracts import CAMPAIGN_MARTS, MARTS, Table

if TYPE_CHECKING:
    import sqlalchemy as sa

    from pipeline.warehouse.storage import Warehouse

#: Every mart, in publishing order.
PUBLISHED: dict[str, Table] = {**MARTS, **CAMPAIGN_MARTS}
DEFAULT_SCHEMA = "clout"
INSERT_BATCH = 5_000


class PublishError(ValueError):
    """The target database is unusable or the request is wrong; the message says how to fix."""


@dataclass
class PublishReport:
    """What a publish wrote: rows per table and day."""

    url: str
    schema: str
    rows: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(n for per_day in self.rows.values() for n in per_day.values())


def _sa_type(t: str) -> Any:
    import sqlalchemy as sa

    types: dict[str, Any] = {
        "string": sa.Text(),
        "int64": sa.BigInteger(),
        "float64": sa.Float(precision=53),  # double precision
        "bool": sa.Boolean(),
        "timestamp": sa.DateTime(timezone=True),
        "date": sa.Date(),
    }
    return types[t]


def sa_table(mart: Table, metadata: sa.MetaData, schema: str) -> sa.Table:
    """The SQL table of a mart: its contract's columns, then ``dt``."""
    import sqlalchemy as sa

    cols = [sa.Column(c.name, _sa_type(c.type), nullable=c.nullable) for c in mart.columns]
    return sa.Table(
        mart.name, metadata,
        *cols, sa.Column("dt", sa.Date(), nullable=False),
        sa.Index(f"ix_{mart.name}_dt", "dt"),
        schema=schema,
    )  # fmt: skip


def engine_for(url: str) -> sa.Engine:
    """A SQLAlchemy engine for a PostgreSQL URL, or a PublishError saying what is wrong."""
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise PublishError(
            f"{url!r} is not a database URL: use postgresql://user@host:5432/db"
        ) from None
    if parsed.get_backend_name() != "postgresql":
        raise PublishError(
            f"publishing needs PostgreSQL, not {parsed.get_backend_name()!r}: "
            "use a postgresql://user@host:5432/db URL"
        )
    if parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg") is None:
        # SQLAlchemy 2.1 defaults to psycopg 3; clout ships psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return sa.create_engine(parsed)


def _safe(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


def ensure_tables(engine: sa.Engine, schema: str, marts: Iterable[Table]) -> dict[str, sa.Table]:
    """Create the schema and the marts' tables when missing; add the columns a contract gained."""
    import sqlalchemy as sa

    md = sa.MetaData()
    tables = {m.name: sa_table(m, md, schema) for m in marts}
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        md.create_all(conn, checkfirst=True)
        inspector = sa.inspect(conn)
        preparer = conn.dialect.identifier_preparer
        for t in tables.values():
            have = {c["name"] for c in inspector.get_columns(t.name, schema=schema)}
            for col in t.columns:
                if col.name not in have:
                    conn.execute(sa.text(
                        f"alter table {preparer.format_table(t)} add column "
                        f"{preparer.quote(col.name)} {col.type.compile(conn.dialect)}"
                    ))  # fmt: skip
    return tables


def _day_rows(con: Any, mart: Table, day: date) -> list[dict[str, Any]]:
    cols = ", ".join(f'"{c}"' for c in mart.column_names)
    rows: list[dict[str, Any]] = (
        con.sql(f"select {cols} from \"{mart.name}\" where dt = date '{day.isoformat()}'")
        .to_arrow_table()
        .to_pylist()
    )
    for r in rows:
        r["dt"] = day
        for k, v in r.items():
            if isinstance(v, float) and v != v:  # NaN: the warehouse's NULL
                r[k] = None
    return rows


def publish_marts(
    wh: Warehouse,
    url: str,
    first: date,
    last: date,
    schema: str = DEFAULT_SCHEMA,
    marts: Iterable[str] | None = None,
    on_day: Callable[[date, dict[str, int]], object] | None = None,
) -> PublishReport:
    """Copy the marts' rows of every day of [first, last] into ``schema`` at ``url``: per day
    one transaction that deletes that day's rows of every mart and inserts the warehouse's.
    Returns rows per table and day; ``on_day`` hears about each day as it commits."""
    import sqlalchemy as sa

    from pipeline.warehouse.catalog import connect, register_views

    if last < first:
        raise PublishError(f"--end {last} is before --start {first}")
    names = list(marts) if marts is not None else list(PUBLISHED)
    unknown = [n for n in names if n not in PUBLISHED]
    if unknown:
        raise PublishError(f"unknown mart(s) {unknown}: choose from {', '.join(PUBLISHED)}")
    engine = engine_for(url)
    report = PublishReport(_safe(url), schema, {n: {} for n in names})
    con = connect()
    try:
        tables = ensure_tables(engine, schema, [PUBLISHED[n] for n in names])
        register_views(con, wh)
        day = first
        while day <= last:
            counts: dict[str, int] = {}
            with engine.begin() as conn:
                for n in names:
                    t = tables[n]
                    rows = _day_rows(con, PUBLISHED[n], day)
                    conn.execute(t.delete().where(t.c.dt == day))
                    for i in range(0, len(rows), INSERT_BATCH):
                        conn.execute(t.insert(), rows[i : i + INSERT_BATCH])
                    counts[n] = len(rows)
            for n, c in counts.items():
                report.rows[n][day.isoformat()] = c
            if on_day:
                on_day(day, counts)
            day += timedelta(days=1)
    except sa.exc.OperationalError as e:
        reason = str(e.orig).strip().splitlines()[0] if e.orig else str(e).splitlines()[0]
        raise PublishError(f"cannot publish to {_safe(url)}: {reason}") from None
    except sa.exc.ProgrammingError as e:
        raise PublishError(f"{_safe(url)} refused: {str(e.orig).splitlines()[0]}") from None
    finally:
        con.close()
        engine.dispose()
    return report
