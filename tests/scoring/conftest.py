"""Fixtures of the scoring tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.warehouse.storage import Warehouse


@pytest.fixture()
def wh(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse")
