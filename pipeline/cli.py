"""The ``clout`` command line (DESIGN section 11). Errors end with one line and exit 1."""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from pipeline.config import ConfigError, reload_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="clout: influencer marketing analytics, nightly from platform data to ROAS.",
)
simulate_app = typer.Typer(no_args_is_help=True, help="The simulated social platform.")
fraud_app = typer.Typer(no_args_is_help=True, help="Fake-traffic tools.")
app.add_typer(simulate_app, name="simulate")
app.add_typer(fraud_app, name="fraud")


def _mount_brand() -> None:
    from pipeline.cli_brand import ingest_app

    app.add_typer(ingest_app, name="ingest")


_mount_brand()


def _mount_scoring() -> None:
    from pipeline.cli_scoring import shortlist

    app.command("shortlist")(shortlist)


_mount_scoring()

T = TypeVar("T")


def _known_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    from pipeline.fraud.classify import ClassifyInputError
    from pipeline.run import RunFailed
    from pipeline.sources.platform_api import ExtractError
    from pipeline.stage import StageError
    from pipeline.warehouse.storage import DayLocked

    return (
        ConfigError,
        RunFailed,
        ExtractError,
        StageError,
        DayLocked,
        ClassifyInputError,
        duckdb.Error,
        FileNotFoundError,
        ValueError,
    )


def _guard(fn: Callable[[], T]) -> T:
    """Run a command body; known errors become one line on stderr and exit code 1."""
    try:
        return fn()
    except _known_errors() as e:
        typer.echo(f"error: {e}".splitlines()[0], err=True)
        raise typer.Exit(1) from None


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _print_table(table: Any, max_rows: int = 50) -> None:
    """Print an Arrow table as aligned text."""
    frame = table.to_pandas()
    if frame.empty:
        typer.echo("(no rows)")
        return
    with_cols = frame.head(max_rows).to_string(index=False, float_format=lambda v: f"{v:,.4g}")
    typer.echo(with_cols)
    if len(frame) > max_rows:
        typer.echo(f"... {len(frame) - max_rows} more rows")


# ---------------------------------------------------------------------- run
@app.command()
def run(
    day: Annotated[str, typer.Option("--date", help="UTC calendar day to process, YYYY-MM-DD")],
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """One nightly run (all stages) for one day, without a scheduler."""
    _setup_logging(verbose)
    dt = _parse_day(day)

    def body() -> None:
        from pipeline.run import run_day

        reload_settings()
        result = run_day(dt)
        rows = sum(s["staged_rows"] for s in result["staged"])
        quarantined = sum(s["quarantined_rows"] for s in result["staged"])
        typer.echo(
            f"{dt}: landed {sum(x['rows'] for x in result['landed'])} raw rows, staged {rows}, "
            f"quarantined {quarantined}; marts {result['marts']}"
        )
        typer.echo(f"warehouse catalog: {result['catalog']}")
        typer.echo(f"data docs: {result['data_docs']}")

    _guard(body)


# ---------------------------------------------------------------------- backfill
@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="first UTC day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last UTC day, YYYY-MM-DD")],
    workers: Annotated[int, typer.Option(help="days extracted and staged at once", min=1)] = 2,
    force: Annotated[bool, typer.Option("--force", help="rerun days already complete")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run many days without a scheduler: parallel days, completed days skipped."""
    _setup_logging(verbose)
    first, last = _parse_day(start), _parse_day(end)

    def body() -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
        from rich.table import Table

        from pipeline.backfill import backfill as run_backfill
        from pipeline.backfill import day_range

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

    _guard(body)


# ---------------------------------------------------------------------- query
@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL over the warehouse tables")],
    max_rows: Annotated[int, typer.Option("--max-rows")] = 50,
) -> None:
    """Run SQL over the warehouse (DuckDB, one view per table)."""

    def body() -> None:
        from pipeline.run import warehouse
        from pipeline.warehouse.catalog import query as run_query

        reload_settings()
        _print_table(run_query(warehouse(), sql), max_rows)

    _guard(body)


# ---------------------------------------------------------------------- simulate
@simulate_app.command("serve")
def simulate_serve(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1")] = 8765,
    seed: Annotated[int, typer.Option(help="world seed")] = 7,
    accounts: Annotated[int, typer.Option(help="number of influencer accounts")] = 300,
    token: Annotated[str, typer.Option(help="bearer token the API accepts")] = "demo-token",
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
) -> None:
    """Serve the simulated platform API over HTTP until interrupted."""
    from pipeline.simulator.server import run_server

    typer.echo(f"simulated platform API on http://{host}:{port} (token {token!r}); Ctrl-C stops")
    run_server(host=host, port=port, seed=seed, accounts=accounts, token=token)


@simulate_app.command("labels")
def simulate_labels(
    start: Annotated[str, typer.Option("--start", help="first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last day, YYYY-MM-DD")],
    out: Annotated[Path, typer.Option("-o", "--out", help="folder for the label files")],
    seed: Annotated[int, typer.Option(help="world seed")] = 7,
    accounts: Annotated[int, typer.Option(help="number of influencer accounts")] = 300,
) -> None:
    """Write the simulator's fraud ground truth (never served by the API) as Parquet files."""
    first, last = _parse_day(start), _parse_day(end)

    def body() -> None:
        from pipeline.simulator.world import World, write_labels

        if last < first:
            raise ValueError(f"--end {last} is before --start {first}")
        written = write_labels(World(seed=seed, n_accounts=accounts), out, first, last)
        for name, path in written.items():
            typer.echo(f"{name:<18} {path}")

    _guard(body)


# ---------------------------------------------------------------------- fraud
@fraud_app.command("classify")
def fraud_classify(
    in_file: Annotated[Path, typer.Argument(help="profiles, CSV or Parquet")],
    out: Annotated[Path, typer.Option("-o", "--out", help="output file, CSV or Parquet")],
) -> None:
    """Label follower profiles real / mass_follower / influencer / suspicious."""

    def body() -> None:
        from pipeline.fraud.classify import classify_file

        rows = classify_file(in_file, out)
        typer.echo(f"classified {rows} profiles -> {out}")

    _guard(body)


@fraud_app.command("evaluate")
def fraud_evaluate(
    start: Annotated[str, typer.Option("--start", help="first day evaluated, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last day evaluated, YYYY-MM-DD")],
    accounts: Annotated[int, typer.Option(help="simulated accounts", min=1)] = 300,
    seed: Annotated[
        list[int] | None,
        typer.Option(
            help="world seed; give it more than once to pool several worlds (default 7)", min=0
        ),
    ] = None,
    followers_sampled: Annotated[
        int, typer.Option("--followers-sampled", help="follower samples per account a day", min=1)
    ] = 100,
    campaigns: Annotated[int, typer.Option(help="simulated campaign slots", min=0)] = 8,
    warmup: Annotated[
        int, typer.Option(help="days run before --start (growth baselines need history)", min=0)
    ] = 14,
    warehouse: Annotated[
        Path | None,
        typer.Option(
            "--warehouse",
            help="evaluate this warehouse (built from a simulator with the same --seed, "
            "--accounts, --followers-sampled, --campaigns) instead of running the pipeline",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Precision and recall of every fraud signal against the simulator's ground truth."""
    _setup_logging(verbose)
    first, last = _parse_day(start), _parse_day(end)

    def body() -> None:
        import pyarrow as pa

        from pipeline.fraud.evaluate import SimSpec, evaluate

        seeds = seed or [7]
        specs = [
            SimSpec(
                seed=s, accounts=accounts, followers_sampled=followers_sampled, campaigns=campaigns
            )
            for s in seeds
        ]
        echo = typer.echo if verbose else None
        result = evaluate(
            first, last, specs, warehouse, warmup=warmup, echo=echo,
            progress=lambda line: typer.echo(line, err=True),
        )  # fmt: skip
        worlds = (
            f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(map(str, seeds))} pooled"
        )
        typer.echo(
            f"fraud signals against the simulator's ground truth, {first} to {last}, {worlds}:"
        )
        _print_table(pa.Table.from_pandas(result.signals, preserve_index=False))
        if len(seeds) > 1:
            typer.echo("")
            typer.echo("precision / recall of each world:")
            _print_table(pa.Table.from_pandas(result.per_seed, preserve_index=False))
        typer.echo("")
        typer.echo(f"authenticity estimates within 5 points of the truth (column truth), {worlds}:")
        _print_table(pa.Table.from_pandas(result.authenticity, preserve_index=False))

    _guard(body)


# ---------------------------------------------------------------------- demo
def demo_days(days: int, today: date | None = None) -> list[date]:
    """The last ``days`` complete UTC days, oldest first."""
    end = (today or datetime.now(UTC).date()) - timedelta(days=1)
    return [end - timedelta(days=i) for i in range(days - 1, -1, -1)]


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="how many recent days to run", min=1, max=60)] = 7,
    accounts: Annotated[int, typer.Option(help="simulated accounts")] = 300,
    seed: Annotated[int, typer.Option(help="world seed")] = 7,
) -> None:
    """Start the simulator, run the real DAG for the last N days, print a summary."""
    from pipeline.demo import run_demo

    _guard(lambda: run_demo(demo_days(days), accounts=accounts, seed=seed, echo=typer.echo))


def main() -> None:
    """Console entry point."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    app(prog_name="clout")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
