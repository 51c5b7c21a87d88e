"""The SQL models of ``sql/``: one place that knows where they are."""

from __future__ import annotations

from pathlib import Path

SQL_ROOT = Path(__file__).resolve().parent / "sql"


def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql`` (``name`` may hold a subfolder)."""
    path = SQL_ROOT / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no SQL model {name!r} at {path}")
    return path.read_text()
