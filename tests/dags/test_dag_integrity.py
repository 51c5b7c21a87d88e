"""Every DAG file imports, declares retries and does no work at parse time."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(DAGS.glob("*.py"))


@pytest.fixture(scope="module")
def dagbag(airflow_home: Path):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dag_files_exist() -> None:
    assert DAG_FILES, "no DAG files in dags/"


def test_all_dags_import(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert "influencer_daily" in dagbag.dag_ids


def test_every_task_retries_at_least_twice(dagbag) -> None:  # type: ignore[no-untyped-def]
    for dag_id in dagbag.dag_ids:
        for t in dagbag.get_dag(dag_id).tasks:
            assert t.retries >= 2, f"{dag_id}.{t.task_id} retries={t.retries}"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_no_io_or_heavy_imports_at_parse_time(path: Path, tmp_path: Path) -> None:
    """Import the file under an audit hook: no sockets, no subprocesses, no file writes, and
    none of the heavy data libraries imported."""
    probe = textwrap.dedent(
        f"""
        import sys, runpy
        bad = []
        def hook(event, args):
            if event in ("socket.connect", "subprocess.Popen", "os.system"):
                bad.append((event, str(args)[:100]))
            if event == "open" and len(args) > 1 and isinstance(args[1], str) and any(
                    m in args[1] for m in "wax+"):
                if not str(args[0]).startswith(("/dev/", "{tmp_path}")):
                    bad.append((event, str(args)[:100]))
        runpy.run_path({str(path)!r})
        sys.addaudithook(hook)
        runpy.run_path({str(path)!r})
        heavy = [m for m in ("duckdb", "pipeline.flows.influencer_daily", "great_expectations", "pyarrow")
                 if m in sys.modules]
        print("BAD", bad, "HEAVY", heavy)
        assert not bad and not heavy
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "CLOUT_API_URL": "http://127.0.0.1:9"},
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


def test_a_run_covers_one_utc_calendar_day(dagbag) -> None:  # type: ignore[no-untyped-def]
    """The run that fires at 2026-03-02 00:00 UTC processes 2026-03-01."""
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    # the timetable the scheduler uses (the SDK object is only its definition)
    tt = coerce_to_core_timetable(dagbag.get_dag("influencer_daily").timetable)
    prev = DataInterval(datetime(2026, 2, 28, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    info = tt.next_dagrun_info(
        last_automated_data_interval=prev,
        restriction=TimeRestriction(datetime(2026, 1, 1, tzinfo=UTC), None, catchup=True),
    )
    assert info.data_interval.start == datetime(2026, 3, 1, tzinfo=UTC)
    assert info.data_interval.end == datetime(2026, 3, 2, tzinfo=UTC)
    assert info.run_after == datetime(2026, 3, 2, tzinfo=UTC)
