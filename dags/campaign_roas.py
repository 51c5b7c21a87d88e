"""campaign_roas: campaigns, shop orders and attribution to the campaign marts, nightly.

Wiring only: each task is one call into ``pipeline.brand.run``. Same data interval as
influencer_daily ([D 00:00 UTC, D+1 00:00 UTC), processes day D), on its own cron two hours
later so the day's ``stg_delivery`` has landed; a missing day of delivery simply counts as no
delivery and the next runs rebuild it (every run rebuilds the attribution window).
Idempotent per day: rerunning D rewrites the same partitions.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, task

from pipeline.airflow_common import default_args, processed_day
from pipeline.names import BRAND_MARTS, asset_uri

with DAG(
    dag_id="campaign_roas",
    description="Campaigns, shop orders, attribution and campaign ROAS marts",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # runs rebuild overlapping windows: one at a time
    default_args=default_args(),
    tags=["clout", "brand"],
) as dag:

    @task(outlets=[Asset(asset_uri("staging", "stg_campaigns"))])
    def campaigns(**context: object) -> dict:  # type: ignore[type-arg]
        from pipeline.brand.run import campaigns as run_campaigns

        return run_campaigns(processed_day(context), str(context["run_id"]))

    @task(outlets=[Asset(asset_uri("staging", "stg_orders"))])
    def orders(**context: object) -> dict:  # type: ignore[type-arg]
        from pipeline.brand.run import orders as run_orders

        return run_orders(processed_day(context), str(context["run_id"]))

    @task(outlets=[Asset(asset_uri("marts", m)) for m in BRAND_MARTS])
    def campaign_marts(**context: object) -> dict:  # type: ignore[type-arg]
        from pipeline.brand.run import campaign_marts as run_marts

        return run_marts(processed_day(context), str(context["run_id"]))

    [campaigns(), orders()] >> campaign_marts()
