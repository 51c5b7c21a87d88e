"""Fixtures of the brand tests: shops (SQLite, PostgreSQL, MariaDB) and a brand warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from brandkit import CAMPAIGNS_YAML, Brand, Shop, server_shop, write_campaigns


@pytest.fixture()
def sqlite_shop(tmp_path: Path) -> Iterator[Shop]:
    shop = Shop(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    yield shop
    shop.drop()


@pytest.fixture()
def brand(tmp_path: Path, sqlite_shop: Shop) -> Brand:
    return Brand(tmp_path / "wh", sqlite_shop, write_campaigns(tmp_path / "c.yaml", CAMPAIGNS_YAML))


@pytest.fixture()
def postgres_shop() -> Iterator[Shop]:
    yield from server_shop("PostgreSQL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test", 5432)


@pytest.fixture()
def mariadb_shop() -> Iterator[Shop]:
    yield from server_shop("MariaDB", "mysql+pymysql://root:@127.0.0.1:3306/test", 3306)
