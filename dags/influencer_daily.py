"""influencer_daily: the nightly run, one run per UTC calendar day.

Wiring only: each task is one call into ``pipeline.run``. A run's data interval is
[D 00:00 UTC, D+1 00:00 UTC) and it processes calendar day D (its ``data_interval_start``).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, task

from pipeline.names import MARTS, PLATFORMS, SOURCE_TABLES, asset_uri, staging_name


def _on_failure(context: dict) -> None:  # type: ignore[type-arg]
    from pipeline.run import task_failed

    task_failed(context)


default_args = {
    "on_failure_callback": _on_failure,
    "owner": "clout",
    "retries": 2,
    # CLOUT_RETRY_DELAY_S shortens the wait in tests and demos (default 2 minutes)
    "retry_delay": timedelta(seconds=float(os.environ.get("CLOUT_RETRY_DELAY_S", "120"))),
    "retry_exponential_backoff": True,
}


def _day(context: dict) -> pendulum.Date:  # type: ignore[type-arg]
    return context["data_interval_start"].in_timezone("UTC").date()


with DAG(
    dag_id="influencer_daily",
    description="Extract, validate and stage platform data, build influencer marts, publish",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    default_args=default_args,
    tags=["clout"],
) as dag:

    @task(outlets=[Asset(asset_uri("raw", t)) for t in SOURCE_TABLES])
    def extract(platform: str, **context: object) -> list[dict]:  # type: ignore[type-arg]
        from pipeline.run import extract as run_extract

        return run_extract(_day(context), platform, str(context["run_id"]))

    landed = extract.expand(platform=list(PLATFORMS))

    staged = []
    for table in SOURCE_TABLES:

        @task(task_id=f"stage_{table}", outlets=[Asset(asset_uri("staging", staging_name(table)))])
        def stage(table: str = table, **context: object) -> dict:  # type: ignore[type-arg]
            from pipeline.run import stage as run_stage

            return run_stage(_day(context), table, str(context["run_id"]))

        staged.append(stage())

    @task(outlets=[Asset(asset_uri("marts", m)) for m in MARTS])
    def marts(**context: object) -> dict:  # type: ignore[type-arg]
        from pipeline.run import marts as run_marts

        return run_marts(_day(context), str(context["run_id"]))

    @task
    def publish(**context: object) -> str:
        from pipeline.run import publish as run_publish

        return run_publish(_day(context), str(context["run_id"]))

    built = marts()
    for step in staged:
        landed >> step >> built
    built >> publish()
