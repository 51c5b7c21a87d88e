"""``clout simulate ...``: the simulated social platform."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import guard, parse_day

simulate_app = typer.Typer(no_args_is_help=True, help="The simulated social platform.")


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
    first, last = parse_day(start), parse_day(end)

    def body() -> None:
        from pipeline.simulator.world import World, write_labels

        if last < first:
            raise ValueError(f"--end {last} is before --start {first}")
        written = write_labels(World(seed=seed, n_accounts=accounts), out, first, last)
        for name, path in written.items():
            typer.echo(f"{name:<18} {path}")

    guard(body)
