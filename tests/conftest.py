"""Shared fixtures. Airflow reads its configuration at first import, so the test session's
AIRFLOW_HOME (a temporary folder with a SQLite metadata DB) is set here, before any test imports
airflow. ``airflow db migrate`` runs at most once per test run, even with pytest-xdist: the
``migrated_airflow_db`` fixture migrates a template DB under a file lock, and each Airflow home
a test needs (this process's, ``clout demo``'s) starts as a copy of it."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from s3kit import S3Server, start_server

from pipeline.airflow_local import airflow_env  # noqa: E402  (no airflow import in there)

_HOME = Path(tempfile.mkdtemp(prefix="clout-airflow-"))
os.environ.update(airflow_env(_HOME))  # before anything imports airflow
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ.setdefault("CLOUT_RETRY_DELAY_S", "1")
for _k in [k for k in os.environ if k.startswith("CLOUT_") and k != "CLOUT_RETRY_DELAY_S"]:
    del os.environ[_k]


#: The longest modules (measured with --durations), started first so that no worker ends alone
#: on one of them; the Makefile's --no-loadscope-reorder keeps this order. The analyst tests'
#: shared warehouse is built by the first of them that runs (under a file lock): test_publish
#: builds it early, so that the other analyst modules, later, find it built instead of one
#: worker idling while the other builds it.
LONGEST_FIRST = (
    "tests/dags/test_airflow_backfill.py",
    "tests/flows/test_backfill.py",
    "tests/analyst/test_publish.py",
    "tests/dags/test_end_to_end.py",
    "tests/test_crash_safety.py",
    "tests/test_cli.py",
)


def _start_rank(item: pytest.Item) -> tuple[int, int]:
    module = item.nodeid.split("::", 1)[0]
    if module in LONGEST_FIRST:
        return (0, LONGEST_FIRST.index(module))
    return (1, 0) if item.get_closest_marker("slow") else (2, 0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the long modules first, then the other slow tests (in their usual
    order): the workers start on the long runs and end together on the short tests."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=_start_rank)  # a stable sort


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_airflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated Airflow metadata DB (SQLite file) to copy, never to open: one per
    test run, shared by the xdist workers (their base temp folders share a parent)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    home = shared / "airflow-template"
    db = home / "airflow.db"
    with (shared / "airflow-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / ".migrated").exists():
            from pipeline.airflow_local import prepare_airflow_home

            shutil.rmtree(home, ignore_errors=True)
            saved = dict(os.environ)
            try:
                prepare_airflow_home(home)  # `airflow db migrate` as `clout demo` runs it
            finally:  # it points this process at ``home``: point it back
                os.environ.clear()
                os.environ.update(saved)
    return db


def _home_from(template: Path, home: Path) -> Path:
    """``home`` as an Airflow home whose metadata DB is a copy of the migrated ``template``
    (``pipeline.airflow_local.prepare_airflow_home`` then finds it migrated)."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, home / "airflow.db")
    (home / ".migrated").touch()
    return home


@pytest.fixture(scope="session")
def make_airflow_home(migrated_airflow_db: Path) -> Callable[[Path], Path]:
    """Turn a folder into a migrated Airflow home (for processes that a test starts)."""
    return lambda home: _home_from(migrated_airflow_db, home)


@pytest.fixture(scope="session")
def airflow_home(migrated_airflow_db: Path) -> Path:
    """This process's Airflow home, migrated, for dag.test() and DagBag."""
    from pipeline.airflow_local import prepare_airflow_home

    prepare_airflow_home(_home_from(migrated_airflow_db, _HOME))
    return _HOME


@pytest.fixture()
def clout_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh warehouse for one test; settings re-read."""
    from pipeline.config import reload_settings

    wh = tmp_path / "warehouse"
    monkeypatch.setenv("CLOUT_WAREHOUSE", str(wh))
    monkeypatch.setenv("CLOUT_PII_KEY", "test-key")
    reload_settings()
    yield wh
    reload_settings()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server on loopback (one per xdist worker), with this process's AWS variables
    pointing at it; skips where it cannot start (fails under CI=true)."""
    try:
        server = start_server(free_port(), tmp_path_factory.mktemp("moto") / "moto.log")
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"the S3 server (moto) is required in CI: {e}") from e
        pytest.skip(f"no S3 server (moto_server from .venv-moto) could start: {e}")
    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    yield server
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
