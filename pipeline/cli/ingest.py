"""``clout ingest ...``: file drops into the warehouse. Errors: one line, exit 1."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.cli.common import guard, parse_day

if TYPE_CHECKING:
    import pyarrow as pa

ingest_app = typer.Typer(no_args_is_help=True, help="Load file drops into the warehouse.")


@ingest_app.command("delivery")
def ingest_delivery(
    file: Annotated[Path, typer.Argument(help="ad-manager export (CSV, JSON or Parquet)")],
    day: Annotated[str, typer.Option("--date", help="UTC day the report covers, YYYY-MM-DD")],
    profile: Annotated[
        str, typer.Option(help="built-in profile (facebook, google-ads, tiktok)")
    ] = "facebook",
    mapping: Annotated[
        Path | None, typer.Option(help="mapping file (YAML) for other exports")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="partition name (default: the profile)")
    ] = None,
) -> None:
    """Map, validate and stage an ad delivery report as ``stg_delivery_files``."""
    from pipeline.campaigns.delivery_files import ingest_delivery_file
    from pipeline.config import reload_settings
    from pipeline.flows.influencer_daily import new_run_id, warehouse

    dt = parse_day(day)
    r = guard(
        lambda: ingest_delivery_file(
            warehouse(reload_settings()), file, dt, new_run_id(dt), profile=profile,
            mapping=mapping, source=source,
        )
    )  # fmt: skip
    for p in r.problems:
        typer.echo(f"quarantined: {p}", err=True)
    skipped = f", {r.totals_rows} totals rows skipped" if r.totals_rows else ""
    if r.other_day_rows:
        skipped += f", {r.other_day_rows} rows of other days skipped"
    typer.echo(
        f"{r.file}: {r.rows} rows -> {r.staged_rows} staged, {r.quarantined_rows} quarantined, "
        f"{r.duplicate_rows} duplicates{skipped} (stg_delivery_files dt={r.dt} source={r.source})"
    )


@ingest_app.command("influencers")
def ingest_influencers(
    file: Annotated[Path, typer.Argument(help="influencer list (CSV) from an agency or vendor")],
    day: Annotated[
        str | None, typer.Option("--date", help="day of the list, YYYY-MM-DD (default: today, UTC)")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="mapping file (YAML: our column: their header)")
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option(help="platform of rows that name none (instagram, tiktok, youtube)"),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="partition name (default: the file name)")
    ] = None,
) -> None:
    """Map, validate and stage an influencer list as ``stg_influencer_lists``."""
    from datetime import UTC, datetime

    from pipeline.config import reload_settings
    from pipeline.flows.influencer_daily import new_run_id, warehouse
    from pipeline.staging.influencer_lists import InfluencerListResult, ingest_influencer_list

    dt = parse_day(day) if day else datetime.now(UTC).date()

    def body() -> InfluencerListResult:
        s = reload_settings()
        return ingest_influencer_list(
            warehouse(s), file, dt, new_run_id(dt), s.require_pii_key(), mapping=mapping,
            platform=platform, source=source,
        )  # fmt: skip

    r = guard(body)
    for w in r.warnings:
        typer.echo(f"warning: {w}", err=True)
    for p in r.problems:
        typer.echo(f"quarantined: {p}", err=True)
    typer.echo(
        f"{r.file}: {r.rows} rows -> {r.staged_rows} staged, {r.quarantined_rows} quarantined, "
        f"{r.duplicate_rows} duplicates, {r.blank_rows} blank lines skipped "
        f"(stg_influencer_lists dt={r.dt} source={r.source})"
    )


@ingest_app.command("campaigns")
def ingest_campaigns(
    file: Annotated[Path, typer.Argument(help="campaigns file (YAML or CSV)")],
    day: Annotated[str, typer.Option("--date", help="snapshot day, YYYY-MM-DD")],
) -> None:
    """Validate a campaigns file and store it as the ``stg_campaigns`` snapshot of a day."""
    from pipeline.campaigns.campaigns import load_campaigns
    from pipeline.config import reload_settings
    from pipeline.flows.influencer_daily import new_run_id, warehouse
    from pipeline.warehouse.storage import Partition

    dt = parse_day(day)

    def body() -> pa.Table:
        table = load_campaigns(file)
        warehouse(reload_settings()).write_table(
            Partition.of("staging", "stg_campaigns", dt), table, new_run_id(dt)
        )
        return table

    table = guard(body)
    typer.echo(f"{file}: {table.num_rows} campaign rows -> stg_campaigns dt={dt}")
