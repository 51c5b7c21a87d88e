"""Run the real DAGs locally with ``dag.test()`` (``make run``, ``clout demo``, tests).

Airflow reads its configuration when first imported, so ``prepare_airflow_home`` must run before
any ``airflow`` import in the process. The metadata DB is SQLite under the given home.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"


def airflow_env(home: Path) -> dict[str, str]:
    """Environment pointing Airflow at ``home`` (SQLite DB, our dags folder)."""
    home = home.resolve()
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }


def prepare_airflow_home(home: Path) -> dict[str, str]:
    """Point this process's Airflow at ``home`` and migrate its DB (once)."""
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = airflow_env(home)
    os.environ.update(env)
    marker = home / ".migrated"
    if not marker.exists():
        proc = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed in {home}:\n{proc.stderr[-2000:]}")
        marker.touch()
    return env


def load_dag(dag_id: str) -> Any:
    """The DAG object from the dags folder (after ``prepare_airflow_home``)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise KeyError(f"no DAG {dag_id!r} in {DAGS_FOLDER}")
    return dag


def run_dag_for_day(dag: Any, day: date) -> str:
    """Run the DAG for UTC calendar day ``day``; returns the run's state.

    The run is triggered late on ``day + 1``, as the scheduler does after the interval closes:
    the timetable gives it the latest complete data interval, whose start falls on ``day``
    (``influencer_daily``: [day 00:00, day+1 00:00); ``campaign_roas``: [day 02:00, day+1 02:00)).
    """
    from pipeline.flows.influencer_daily import RunFailed

    run_after = datetime.combine(day + timedelta(days=1), time(23, 59, 59), tzinfo=UTC)
    run = dag.test(logical_date=run_after)
    start = run.data_interval_start
    if start is None or start.astimezone(UTC).date() != day:
        raise RunFailed(f"{dag.dag_id}: a run at {run_after} covered {start}, not {day}")
    return str(run.state)
