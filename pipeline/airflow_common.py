"""What every clout DAG file shares: default task arguments, the day a run processes, and the
failure callback. Import-light (parsed with every DAG file): no Airflow, no data libraries."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any


def on_failure(context: dict[str, Any]) -> None:
    """``on_failure_callback``: one clear log line, and the webhook if configured."""
    from pipeline.flows.influencer_daily import task_failed

    task_failed(context)


def default_args() -> dict[str, Any]:
    """Task defaults: two retries with backoff (``CLOUT_RETRY_DELAY_S``, default 2 minutes,
    shortens the wait in tests and demos) and the failure callback."""
    return {
        "owner": "clout",
        "retries": 2,
        "retry_delay": timedelta(seconds=float(os.environ.get("CLOUT_RETRY_DELAY_S", "120"))),
        "retry_exponential_backoff": True,
        "on_failure_callback": on_failure,
    }


def processed_day(context: dict[str, Any]) -> date:
    """The UTC calendar day a run processes: the start of its data interval."""
    return context["data_interval_start"].in_timezone("UTC").date()  # type: ignore[no-any-return]
