"""Fixtures of the analyst tests: one real warehouse per session (see analystkit)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from analystkit import AnalystWarehouse, build_analyst_warehouse


@pytest.fixture(scope="session")
def analyst_wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalystWarehouse]:
    yield from build_analyst_warehouse(tmp_path_factory)
