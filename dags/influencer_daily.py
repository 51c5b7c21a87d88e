"""influencer_daily: the nightly run, one run per UTC calendar day.

Wiring only: each task is one call into ``pipeline.flows.influencer_daily``. A run's data interval is
[D 00:00 UTC, D+1 00:00 UTC) and it processes calendar day D (its ``data_interval_start``).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, task

from pipeline.airflow_common import default_args, processed_day
from pipeline.contracts import MARTS, PLATFORMS, ROSTER, SOURCE_TABLES, staging_of

with DAG(
    dag_id="influencer_daily",
    description="Extract, validate and stage platform data, build influencer marts, publish",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    default_args=default_args(),
    tags=["clout"],
) as dag:

    @task(outlets=[Asset(t.asset_uri) for t in SOURCE_TABLES.values()])
    def extract(platform: str, **context: object) -> list[dict]:  # type: ignore[type-arg]
        from pipeline.flows.influencer_daily import extract as run_extract

        return run_extract(processed_day(context), platform, str(context["run_id"]))

    landed = extract.expand(platform=list(PLATFORMS))

    staged = []
    for table, source in SOURCE_TABLES.items():

        @task(task_id=f"stage_{table}", outlets=[Asset(staging_of(source).asset_uri)])
        def stage(table: str = table, **context: object) -> dict:  # type: ignore[type-arg]
            from pipeline.flows.influencer_daily import stage as run_stage

            return run_stage(processed_day(context), table, str(context["run_id"]))

        staged.append(stage())

    @task(outlets=[Asset(staging_of(ROSTER).asset_uri)])
    def stage_roster(**context: object) -> dict | None:  # type: ignore[type-arg]
        """The roster's lookups (CLOUT_ROSTER); no-op when no roster landed."""
        from pipeline.flows.influencer_daily import stage_roster as run_stage_roster

        return run_stage_roster(processed_day(context), str(context["run_id"]))

    # the marts read earlier days' marts (spike days, pooled follower samples): one day's marts
    # wait for the previous day's, while extraction and staging of several days run in parallel
    @task(outlets=[Asset(m.asset_uri) for m in MARTS.values()], depends_on_past=True)
    def marts(**context: object) -> dict:  # type: ignore[type-arg]
        from pipeline.flows.influencer_daily import marts as run_marts

        return run_marts(processed_day(context), str(context["run_id"]))

    @task
    def publish(**context: object) -> str:
        from pipeline.flows.influencer_daily import publish as run_publish

        return run_publish(processed_day(context), str(context["run_id"]))

    @task
    def publish_sql(**context: object) -> dict:  # type: ignore[type-arg]
        """Copy the day's marts to CLOUT_PUBLISH_URL (PostgreSQL, for BI tools); no-op if unset."""
        from pipeline.flows.analyst import publish_sql as run_publish_sql

        return run_publish_sql(processed_day(context), str(context["run_id"]), "influencer")

    built = marts()
    for step in staged:
        landed >> step >> built
    landed >> stage_roster() >> built
    built >> publish() >> publish_sql()
