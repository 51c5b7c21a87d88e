"""``clout shortlist --brief FILE --date D [--top N]`` (DESIGN section 11).

Errors: one line on stderr, exit 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import guard, parse_day


def shortlist(
    brief: Annotated[Path, typer.Option("--brief", help="brief YAML file")],
    day: Annotated[str, typer.Option("--date", help="UTC day of the data, YYYY-MM-DD")],
    top: Annotated[int | None, typer.Option("--top", min=1, help="at most N accounts")] = None,
) -> None:
    """Rank the accounts that fit a brief and pick the best within its budget."""
    from pipeline.config import reload_settings
    from pipeline.flows.influencer_daily import warehouse
    from pipeline.scoring.briefs import load_brief
    from pipeline.scoring.shortlist import shortlist as make_shortlist

    dt = parse_day(day)
    b = guard(lambda: load_brief(brief))
    table = guard(lambda: make_shortlist(warehouse(reload_settings()), b, dt, top))
    frame = table.to_pandas()
    spent = float(frame["est_post_price"].sum()) if len(frame) else 0.0
    typer.echo(
        f"brief {b.brief_id} on {dt}: {len(frame)} accounts, {spent:,.0f} of "
        f"{b.budget:,.0f} {b.currency} ({b.goal}; prices and CPM in {b.currency})"
    )
    if frame.empty:
        typer.echo("(no account passes the brief's filters on that day; is the day loaded?)")
        return
    digits = {"score": 1, "quality_score": 1, "audience_fit": 3, "niche_fit": 3,
              "authenticity_pct": 1, "est_post_price": 0, "expected_cpm": 2, "cumulative_cost": 0}  # fmt: skip
    typer.echo(frame.round(digits).to_string(index=False))
