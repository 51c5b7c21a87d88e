"""``clout report``: the analysts' HTML page of plots and tables, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import guard, parse_day


def report(
    day: Annotated[str, typer.Option("--date", help="last day of the report, YYYY-MM-DD")],
    days: Annotated[int, typer.Option(help="days the report covers, ending --date", min=1)] = 28,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write")] = Path(
        "report.html"
    ),
    brief: Annotated[
        str | None, typer.Option(help="shortlist of this brief only (default: every brief)")
    ] = None,
    top: Annotated[int, typer.Option(help="accounts per brief in the shortlist", min=1)] = 10,
) -> None:
    """Write one self-contained HTML page (no network needed to view it): campaign trends and
    lift, spend vs revenue per influencer, audience quality with fraud flags, follower growth
    with spikes, and the shortlist of the briefs."""
    last = parse_day(day)

    def body() -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from pipeline.analyst.report import STEPS, build_report
        from pipeline.config import reload_settings
        from pipeline.flows.influencer_daily import warehouse

        wh = warehouse(reload_settings())
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=Console(stderr=True), transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("report: querying", total=len(STEPS))
            page = build_report(
                wh, last, days, brief=brief, top=top,
                on_step=lambda s: bar.update(task, advance=1, description=f"report: {s}"),
            )  # fmt: skip
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(page, encoding="utf-8")
        typer.echo(f"{output}: report {last} ({days} days), {len(page) / 1e6:.1f} MB; "
                   f"open it in any browser (no network needed)")  # fmt: skip

    guard(body)
