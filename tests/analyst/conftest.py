"""Fixtures of the analyst tests: one real warehouse per test run (see analystkit), built by
the first xdist worker that needs it under a file lock, copied by each worker."""

from __future__ import annotations

import fcntl
import os

import pytest
from analystkit import AnalystWarehouse, analyst_warehouse_from


@pytest.fixture(scope="session")
def analyst_wh(tmp_path_factory: pytest.TempPathFactory) -> AnalystWarehouse:
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the workers' base temp folders share this parent
    with (shared / "analyst-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return analyst_warehouse_from(
            shared / "analyst-template", tmp_path_factory.mktemp("analyst")
        )
