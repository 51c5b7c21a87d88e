"""warehouse_maintenance: weekly compaction and vacuum of the warehouse's Delta tables.

Wiring only: one task, one call into ``pipeline.flows.maintenance``. Sundays 04:00 UTC, after the
nightly runs (a compaction commit and a nightly write of the same table-day would conflict: the
loser fails with a clear error and its retry succeeds).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, task

from pipeline.airflow_common import default_args

with DAG(
    dag_id="warehouse_maintenance",
    description="Compact small files and vacuum old versions of every warehouse table",
    schedule=CronDataIntervalTimetable("0 4 * * 0", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["clout"],
) as dag:

    @task
    def compact_and_vacuum() -> dict:  # type: ignore[type-arg]
        from pipeline.flows.maintenance import maintain

        return maintain()

    compact_and_vacuum()
