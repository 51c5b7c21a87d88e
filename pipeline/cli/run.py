"""``clout run``, ``clout backfill``, ``clout query`` and ``clout demo``: the nightly job
without a scheduler, and what to look at afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import guard, parse_day, setup_logging
from pipeline.config import reload_settings

# ---------------------------------------------------------------------- run
DAGS = ("all", "influencer_daily", "campaign_roas")


def run(
    day: Annotated[str, typer.Option("--date", help="UTC calendar day to process, YYYY-MM-DD")],
    dag: Annotated[
        str,
        typer.Option(
            "--dag",
            help="influencer_daily, campaign_roas, or all: influencer_daily, then campaign_roas "
            "when CLOUT_CAMPAIGNS is set",
        ),
    ] = "all",
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """One nightly run (all stages) for one day, without a scheduler."""
    setup_logging(verbose)
    dt = parse_day(day)
    if dag not in DAGS:
        raise typer.BadParameter(f"--dag {dag!r}: expected one of {', '.join(DAGS)}")

    def body() -> None:
        from pipeline.flows import campaign_roas, influencer_daily

        settings = reload_settings()
        if dag in ("all", "influencer_daily"):
            result = influencer_daily.run_day(dt)
            rows = sum(s["staged_rows"] for s in result["staged"])
            quarantined = sum(s["quarantined_rows"] for s in result["staged"])
            typer.echo(
                f"{dt}: landed {sum(x['rows'] for x in result['landed'])} raw rows, staged "
                f"{rows}, quarantined {quarantined}; marts {result['marts']}"
            )
            for line in influencer_daily.platform_calls(result["landed"]):
                typer.echo(f"{dt}: {line}")
        if dag == "campaign_roas" or (dag == "all" and settings.campaigns):
            done = campaign_roas.run_day(dt, influencer_daily.new_run_id(dt))
            orders = done["orders"]
            typer.echo(
                f"{dt}: campaigns {done['campaigns']['rows']} rows; orders "
                + (orders["skipped"] if "skipped" in orders else f"{orders['staged_rows']} staged")
                + f"; campaign_daily {done['marts']['first']}..{done['marts']['last']}: "
                f"{sum(done['marts']['campaign_daily'].values())} rows"
            )
        published = influencer_daily.publish_catalog()
        typer.echo(f"warehouse catalog: {published['catalog']}")
        typer.echo(f"data docs: {published['data_docs']}")

    guard(body)


# ---------------------------------------------------------------------- backfill
def backfill(
    start: Annotated[str, typer.Option("--start", help="first UTC day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last UTC day, YYYY-MM-DD")],
    workers: Annotated[int, typer.Option(help="days extracted and staged at once", min=1)] = 2,
    force: Annotated[bool, typer.Option("--force", help="rerun days already complete")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run many days without a scheduler: parallel days, completed days skipped."""
    setup_logging(verbose)
    first, last = parse_day(start), parse_day(end)

    def body() -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
        from rich.table import Table

        from pipeline.flows.backfill import backfill as run_backfill
        from pipeline.flows.backfill import day_range

        reload_settings()
        total = len(day_range(first, last))
        console = Console(stderr=True)
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console,
        ) as bar:  # fmt: skip
            task = bar.add_task(f"backfill {first}..{last}", total=total)
            report = run_backfill(
                first, last, workers=workers, force=force,
                on_progress=lambda d: bar.update(task, advance=1, description=f"{d.dt} {d.status}"),
            )  # fmt: skip
        table = Table("day", "status", "seconds", "staged rows", "error")
        for d in report.days:
            table.add_row(str(d.dt), d.status, f"{d.seconds:.1f}" if d.seconds else "",
                          f"{d.rows:,}" if d.rows else "", d.error)  # fmt: skip
        Console().print(table)
        typer.echo(f"ran {report.count('ran')}, skipped {report.count('skipped')}, "
                   f"failed {report.count('failed')}")  # fmt: skip
        if not report.ok:
            raise typer.Exit(1)

    guard(body)


# ---------------------------------------------------------------------- query
def query(
    sql: Annotated[str, typer.Argument(help="SQL over the warehouse tables")],
    max_rows: Annotated[int, typer.Option("--max-rows", help="rows a printed table shows")] = 50,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json or parquet")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write to FILE instead of stdout")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="time travel: VERSION (a commit number of every table) or TS (ISO 8601 time, "
            "UTC unless it has an offset; each table as it was then)",
        ),
    ] = None,
) -> None:
    """Run SQL over the warehouse (DuckDB, one view per table): a readable table, or an export
    (csv, json, parquet) streamed batch by batch to stdout or -o FILE."""

    def body() -> None:
        from pipeline.analyst.export import export, open_query
        from pipeline.flows.influencer_daily import warehouse

        reload_settings()
        with open_query(warehouse(), sql, parse_as_of(as_of)) as reader:
            rows = export(reader, fmt, output, echo=typer.echo, max_rows=max_rows)  # type: ignore[arg-type]
        if output is not None:
            typer.echo(f"{output}: {rows:,} rows ({fmt})", err=True)

    guard(body)


# ---------------------------------------------------------------------- maintain
def maintain(
    retention_days: Annotated[
        float | None,
        typer.Option(help="days of old versions to keep (default CLOUT_VACUUM_RETENTION_DAYS)"),
    ] = None,
) -> None:
    """Compact small files and vacuum old versions of every warehouse table (the weekly
    warehouse_maintenance DAG does the same); row counts are checked before and after."""

    def body() -> None:
        from pipeline.flows.maintenance import maintain as run_maintain

        s = reload_settings()
        if retention_days is not None:
            s = s.model_copy(update={"vacuum_retention_days": retention_days})
        report = run_maintain(s)
        for t in report["tables"]:
            typer.echo(f"{t['table']}: {t['rows']:,} rows, files {t['files_before']} -> "
                       f"{t['files_after']}, {t['vacuumed']} old files removed")  # fmt: skip

    guard(body)


def parse_as_of(value: str | None) -> int | datetime | None:
    """``--as-of``: a version number, or an ISO 8601 time (naive = UTC)."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"--as-of {value!r}: expected a version number (e.g. 3) or a time "
            "(e.g. 2026-03-02T06:00:00Z)"
        ) from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


# ---------------------------------------------------------------------- demo
def demo_days(days: int, today: date | None = None) -> list[date]:
    """The last ``days`` complete UTC days, oldest first."""
    end = (today or datetime.now(UTC).date()) - timedelta(days=1)
    return [end - timedelta(days=i) for i in range(days - 1, -1, -1)]


def demo(
    days: Annotated[int, typer.Option(help="how many recent days to run", min=1, max=60)] = 7,
    accounts: Annotated[int, typer.Option(help="simulated accounts")] = 300,
    seed: Annotated[int, typer.Option(help="world seed")] = 7,
) -> None:
    """Start the simulator, run the real DAG for the last N days, print a summary."""
    from pipeline.flows.demo import run_demo

    guard(lambda: run_demo(demo_days(days), accounts=accounts, seed=seed, echo=typer.echo))
