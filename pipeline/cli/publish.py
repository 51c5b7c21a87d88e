"""``clout publish-sql``: copy marts to PostgreSQL for BI tools, with a progress bar."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.common import guard, parse_day


def publish_sql(
    start: Annotated[str, typer.Option("--start", help="first day, YYYY-MM-DD")],
    end: Annotated[
        str | None, typer.Option("--end", help="last day, YYYY-MM-DD (default: --start)")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL, postgresql://user@host:5432/db (default: CLOUT_PUBLISH_URL)"
        ),
    ] = None,  # fmt: skip
    schema: Annotated[
        str | None, typer.Option(help="target schema (default: CLOUT_PUBLISH_SCHEMA, clout)")
    ] = None,
    mart: Annotated[
        list[str] | None, typer.Option("--mart", help="only these marts (repeatable)")
    ] = None,
) -> None:
    """Copy the marts of [--start, --end] into a PostgreSQL schema, one transaction per day
    (delete + insert: reruns leave the same rows), for Tableau / Power BI / Metabase."""
    first = parse_day(start)
    last = parse_day(end) if end else first

    def body() -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from pipeline.analyst.publish import PublishError, publish_marts
        from pipeline.config import reload_settings
        from pipeline.flows.influencer_daily import warehouse

        s = reload_settings()
        target = url or s.publish_url
        if not target:
            raise PublishError("no database: pass --url postgresql://... or set CLOUT_PUBLISH_URL")
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=Console(stderr=True), transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("publish", total=(last - first).days + 1)
            report = publish_marts(
                warehouse(s), target, first, last, schema=schema or s.publish_schema,
                marts=mart or None,
                on_day=lambda d, c: bar.update(task, advance=1,
                                               description=f"{d}: {sum(c.values()):,} rows"),
            )  # fmt: skip
        for name, per_day in report.rows.items():
            typer.echo(f"{report.schema}.{name:<18} {sum(per_day.values()):>10,} rows")
        typer.echo(f"published {first}..{last} to {report.url} ({report.total:,} rows)")

    guard(body)
