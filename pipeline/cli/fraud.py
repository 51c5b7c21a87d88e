"""``clout fraud ...``: fake-traffic tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import guard, parse_day, print_table, setup_logging

fraud_app = typer.Typer(no_args_is_help=True, help="Fake-traffic tools.")


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

    guard(body)


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
    setup_logging(verbose)
    first, last = parse_day(start), parse_day(end)

    def body() -> None:
        import pyarrow as pa

        from pipeline.flows.fraud_eval import evaluate
        from pipeline.fraud.evaluate import SimSpec

        seeds = seed or [7]
        specs = [
            SimSpec(
                seed=s, accounts=accounts, followers_sampled=followers_sampled, campaigns=campaigns
            )
            for s in seeds
        ]
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        echo = typer.echo if verbose else None
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=Console(stderr=True),
        ) as bar:  # fmt: skip
            task = bar.add_task("fraud evaluate", total=len(specs))
            started: list[str] = []

            def progress(line: str) -> None:  # one line per world, as it starts
                bar.update(task, advance=1 if started else 0, description=line)
                bar.console.print(line, markup=False, highlight=False)
                started.append(line)

            result = evaluate(
                first, last, specs, warehouse, warmup=warmup, echo=echo, progress=progress
            )
            bar.update(task, completed=len(specs), description="fraud evaluate: scored")
        worlds = (
            f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(map(str, seeds))} pooled"
        )
        typer.echo(
            f"fraud signals against the simulator's ground truth, {first} to {last}, {worlds}:"
        )
        print_table(pa.Table.from_pandas(result.signals, preserve_index=False))
        if len(seeds) > 1:
            typer.echo("")
            typer.echo("precision / recall of each world:")
            print_table(pa.Table.from_pandas(result.per_seed, preserve_index=False))
        typer.echo("")
        typer.echo(f"authenticity estimates within 5 points of the truth (column truth), {worlds}:")
        print_table(pa.Table.from_pandas(result.authenticity, preserve_index=False))

    guard(body)
