"""Airflow itself: ``airflow standalone`` (api-server, scheduler, dag-processor, triggerer;
LocalExecutor) with its metadata DB on the machine's PostgreSQL runs ``airflow backfill create``
over several days; the warehouse equals ``clout backfill`` of the same days."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from pipeline.simulator.server import SimulatorThread

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
DAYS = [date(2026, 6, 1), date(2026, 6, 2)]
pytestmark = pytest.mark.slow


def _postgres_or_skip() -> None:
    import psycopg2

    try:
        psycopg2.connect(connect_timeout=3, **PG).close()
    except psycopg2.OperationalError as e:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"PostgreSQL at 127.0.0.1:5432 is required in CI: {e}") from e
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {e}")


def _admin(sql: str) -> None:
    import psycopg2

    con = psycopg2.connect(**PG)
    con.autocommit = True
    try:
        con.cursor().execute(sql)
    finally:
        con.close()


@pytest.fixture(scope="module")
def metadata_db() -> Iterator[str]:
    _postgres_or_skip()
    name = f"clout_af_{uuid.uuid4().hex[:10]}"
    _admin(f"create database {name}")
    yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    _admin(f"drop database if exists {name} with (force)")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _airflow(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), *args],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert proc.returncode == 0, f"airflow {' '.join(args)}:\n{proc.stderr[-3000:]}"
    return proc.stdout


def _wait(what: str, check, timeout: float, proc: subprocess.Popen[bytes], log: Path) -> None:  # type: ignore[no-untyped-def]
    """Poll ``check`` until it is true; a timeout guard only (nothing here asserts a duration)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"airflow standalone exited while waiting for {what}:\n"
                                 + log.read_text()[-3000:])  # fmt: skip
        try:
            if check():
                return
        except (httpx.HTTPError, json.JSONDecodeError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}:\n" + log.read_text()[-3000:])


def test_airflow_backfill_equals_clout_backfill(
    metadata_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.airflow_local import DAGS_FOLDER

    port = _free_port()
    with SimulatorThread(accounts=30, seed=13) as sim:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CLOUT_"))}
        env.update(
            PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",  # standalone runs `airflow`
            AIRFLOW_HOME=str(tmp_path / "airflow"),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_db,
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__PARALLELISM="4",  # 2 cores: a few task processes at a time
            AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",  # the REST API without login
            AIRFLOW__API__PORT=str(port),
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="2",
            # only the backfill's runs: no scheduled run of the latest interval on unpausing
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
            CLOUT_WAREHOUSE=str(tmp_path / "airflow-warehouse"),
            CLOUT_API_URL=sim.url, CLOUT_API_TOKEN=sim.token, CLOUT_PII_KEY="k",
            CLOUT_RETRY_DELAY_S="2",
        )  # fmt: skip
        log = tmp_path / "standalone.log"
        with log.open("wb") as out:  # standalone creates the metadata DB's tables itself
            proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "airflow"), "standalone"],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v2", timeout=10)
        dag = "/dags/influencer_daily"
        try:
            _wait("the api-server", lambda: api.get("/monitor/health").status_code == 200,
                  240, proc, log)  # fmt: skip
            _wait("the DAG to be parsed", lambda: api.get(dag).status_code == 200, 240, proc, log)
            # a paused DAG's runs never start
            api.patch(dag, json={"is_paused": False}).raise_for_status()
            _airflow(env, "backfill", "create", "--dag-id", "influencer_daily",
                     "--from-date", DAYS[0].isoformat(), "--to-date", DAYS[-1].isoformat(),
                     "--reprocess-behavior", "failed")  # fmt: skip

            def runs_done() -> bool:
                runs = api.get(f"{dag}/dagRuns").raise_for_status().json()["dag_runs"]
                assert all(r["dag_run_id"].startswith("backfill__") for r in runs), runs
                states = [r["state"] for r in runs]
                assert "failed" not in states, runs
                return len(runs) == len(DAYS) and all(s == "success" for s in states)

            _wait("the backfill runs", runs_done, 600, proc, log)
        finally:
            api.close()
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

        from pipeline.config import reload_settings
        from pipeline.flows.backfill import backfill
        from pipeline.warehouse.storage import Warehouse

        for k, v in env.items():
            if k.startswith("CLOUT_"):
                monkeypatch.setenv(k, v)
        monkeypatch.setenv("CLOUT_WAREHOUSE", str(tmp_path / "clout-warehouse"))
        reload_settings()
        report = backfill(DAYS[0], DAYS[-1], workers=2)
        reload_settings()
        assert report.ok

    by_airflow = Warehouse(tmp_path / "airflow-warehouse")
    by_clout = Warehouse(tmp_path / "clout-warehouse")
    done = {p.parent.name for p in by_airflow.root.glob("_manifests/meta/runs/dt=*/*.json")}
    assert {f"dt={d}" for d in DAYS} <= done  # a run with interval [D, D+1) built day D
    assert by_airflow.content_digest(DAYS) == by_clout.content_digest(DAYS)
