"""``clout ingest conversions``: a Google Analytics 4 export into ``stg_ga4_conversions``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import guard, parse_day


def ingest_conversions(
    file: Annotated[Path, typer.Argument(help="GA4 export: report CSV or runReport JSON")],
    day: Annotated[
        str | None,
        typer.Option("--date", help="day of the rows, YYYY-MM-DD (when the file has no Date)"),
    ] = None,
    currency: Annotated[str, typer.Option(help="currency of the GA4 property's revenue")] = "USD",
) -> None:
    """Stage GA4 sessions, key events (conversions) and revenue by session source, campaign
    (utm_campaign) and manual ad content (utm_content); campaign_daily joins them by UTM."""
    from pipeline.analyst.ga4 import ingest_conversions as run
    from pipeline.config import reload_settings
    from pipeline.flows.influencer_daily import warehouse

    dt = parse_day(day) if day else None
    run_id = f"ingest_conversions__{(dt or 'file')}"
    r = guard(lambda: run(warehouse(reload_settings()), file, run_id, currency, dt))
    for d, c in r.days.items():
        typer.echo(f"{r.file}: {d}: {c['raw_rows']} rows -> {c['staged_rows']} staged, "
                   f"{c['quarantined_rows']} quarantined, {c['duplicate_rows']} duplicates "
                   f"(stg_ga4_conversions dt={d})")  # fmt: skip
    typer.echo("campaign_daily shows them (web_*) after the next campaign_roas run of those days")
