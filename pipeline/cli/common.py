"""What every command shares: one date parser, one error helper, logging, table printing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import typer

T = TypeVar("T")


def parse_day(value: str) -> date:
    """A ``YYYY-MM-DD`` option value as a date (a usage error otherwise)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _known_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    from pipeline.analyst.export import ExportError
    from pipeline.analyst.ga4 import ConversionsError
    from pipeline.analyst.publish import PublishError
    from pipeline.campaigns.campaigns import CampaignsError
    from pipeline.campaigns.delivery_files import DeliveryFileError
    from pipeline.config import ConfigError
    from pipeline.extract.influencer_lists import InfluencerListError
    from pipeline.extract.platform_api import ExtractError
    from pipeline.flows.influencer_daily import RunFailed
    from pipeline.fraud.classify import ClassifyInputError
    from pipeline.scoring.briefs import BriefError
    from pipeline.staging.engine import StageError
    from pipeline.warehouse.storage import DayLocked

    return (
        ConfigError,
        RunFailed,
        ExtractError,
        StageError,
        DayLocked,
        ClassifyInputError,
        CampaignsError,
        DeliveryFileError,
        InfluencerListError,
        BriefError,
        ExportError,
        PublishError,
        ConversionsError,
        duckdb.Error,
        OSError,
        ValueError,
    )


def guard(fn: Callable[[], T]) -> T:
    """Run a command body; known errors become one line on stderr and exit code 1."""
    try:
        return fn()
    except _known_errors() as e:
        typer.echo(f"error: {e}".splitlines()[0], err=True)
        raise typer.Exit(1) from None


def setup_logging(verbose: bool) -> None:
    """INFO logs with ``--verbose``, warnings only otherwise."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def print_table(table: Any, max_rows: int = 50) -> None:
    """Print an Arrow table as aligned, readable text (thousands separators, no scientific
    notation, NULL for null; see :mod:`pipeline.analyst.export`)."""
    from pipeline.analyst.export import table_text

    typer.echo(table_text(table.to_batches(), table.schema, max_rows))
