"""The ``clout`` command line (DESIGN section 11): one module per command group, assembled here.

Errors end with one line (what, where, how to fix) and exit 1 (:func:`pipeline.cli.common.guard`).
"""

from __future__ import annotations

import warnings

import typer

from pipeline.cli.conversions import ingest_conversions
from pipeline.cli.fraud import fraud_app
from pipeline.cli.ingest import ingest_app
from pipeline.cli.publish import publish_sql
from pipeline.cli.report import report
from pipeline.cli.run import backfill, demo, maintain, query, run
from pipeline.cli.scoring import shortlist
from pipeline.cli.simulate import simulate_app

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="clout: influencer marketing analytics, nightly from platform data to ROAS.",
)
for command in (run, backfill, query, shortlist, demo, report, maintain):
    app.command()(command)
app.command("publish-sql")(publish_sql)
app.add_typer(simulate_app, name="simulate")
app.add_typer(fraud_app, name="fraud")
ingest_app.command("conversions")(ingest_conversions)
app.add_typer(ingest_app, name="ingest")


def main() -> None:
    """Console entry point."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    app(prog_name="clout")
