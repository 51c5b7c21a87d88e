"""Shared fixtures. Airflow reads its configuration at first import, so the test session's
AIRFLOW_HOME (a temporary folder with a SQLite metadata DB) is set here, before any test imports
airflow; the DB is migrated lazily by the ``airflow_home`` fixture."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.airflow_local import airflow_env  # noqa: E402  (no airflow import in there)

_HOME = Path(tempfile.mkdtemp(prefix="clout-airflow-"))
os.environ.update(airflow_env(_HOME))  # before anything imports airflow
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ.setdefault("CLOUT_RETRY_DELAY_S", "1")
for _k in [k for k in os.environ if k.startswith("CLOUT_") and k != "CLOUT_RETRY_DELAY_S"]:
    del os.environ[_k]


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """A migrated Airflow home for dag.test() (once per session)."""
    from pipeline.airflow_local import prepare_airflow_home

    prepare_airflow_home(_HOME)
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
