"""The SQL files under ``sql/``: the one place that reads them.

``sql/marts/<mart>.sql`` are the mart models, ``sql/intermediate/<view>.sql`` the helper views
the fraud marts register before theirs, ``sql/macros/*.sql`` the DuckDB macros every model may
use (run :func:`macros_sql` on a connection before any model).
"""

from __future__ import annotations

from pathlib import Path

#: The SQL files: package data (``sql/`` at the top of the repository links here).
SQL_ROOT = Path(__file__).resolve().parent / "sql"


def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql``; ``name`` may hold a subfolder (``marts/campaign_daily``)."""
    path = SQL_ROOT / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {name!r} at {path}")
    return path.read_text()


def macros_sql() -> str:
    """Every ``sql/macros/*.sql`` file, in file-name order, as one script of
    ``create or replace temp macro`` statements."""
    return "\n".join(p.read_text() for p in sorted((SQL_ROOT / "macros").glob("*.sql")))
