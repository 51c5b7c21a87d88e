"""campaign_roas: campaigns, shop orders and attribution to the campaign marts, nightly.

Wiring only: each task is one call into ``pipeline.flows.campaign_roas``. Same data interval as
influencer_daily ([D 00:00 UTC, D+1 00:00 UTC), processes day D), on its own cron two hours
later so the day's ``stg_delivery`` has landed; a missing day of delivery simply counts as no
delivery and the next runs rebuild it (every run rebuilds the attribution window).
Idempotent per day: rerunning D rewrites the same partitions.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, task

from pipeline.airflow_common import default_args, processed_day
from pipeline.contracts import CAMPAIGN_MARTS, STG_CAMPAIGNS, STG_ORDERS

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

    @task(outlets=[Asset(STG_CAMPAIGNS.asset_uri)])
    def campaigns(**context: object) -> dict:  # type: ignore[type-arg]
        from pipeline.flows.campaign_roas import campaigns as run_campaigns

        return run_campaigns(processed_day(context), str(context["run_id"]))

    @task(outlets=[Asset(STG_ORDERS.asset_uri)])
    def orders(**context: object) -> dict:  # type: ignore[type-arg]
        from pipeline.flows.campaign_roas import orders as run_orders

        return run_orders(processed_day(context), str(context["run_id"]))

    @task(outlets=[Asset(m.asset_uri) for m in CAMPAIGN_MARTS.values()])
    def campaign_marts(**context: object) -> dict:  # type: ignore[type-arg]
        from pipeline.flows.campaign_roas import campaign_marts as run_marts

        return run_marts(processed_day(context), str(context["run_id"]))

    [campaigns(), orders()] >> campaign_marts()
