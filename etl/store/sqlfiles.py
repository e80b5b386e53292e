"""SQL lives in sql/ files; this module reads them once and hands them out by name."""

from __future__ import annotations

from functools import cache

from etl.settings import SQL_DIR


@cache
def sql_text(name: str) -> str:
    """The text of ``sql/<name>`` (``name`` may omit the .sql suffix)."""
    path = SQL_DIR / (name if name.endswith(".sql") else name + ".sql")
    return path.read_text(encoding="utf-8")
