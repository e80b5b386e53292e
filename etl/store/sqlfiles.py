"""SQL lives in sql/ files; this module reads them once and hands them out by name (and runs COPYs)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from etl.settings import SQL_DIR

if TYPE_CHECKING:
    from etl.store.db import Conn


@cache
def sql_text(name: str) -> str:
    """The text of ``sql/<name>`` (``name`` may omit the .sql suffix)."""
    path = SQL_DIR / (name if name.endswith(".sql") else name + ".sql")
    return path.read_text(encoding="utf-8")


def copy_rows(conn: Conn, name: str, types: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write rows with the binary ``copy ... from stdin`` statement of ``sql/<name>``: one statement, the
    fastest way in (no parameter arrays to build and parse); ``types`` are the columns' PostgreSQL types.
    Only for rows that cannot conflict with a key already there (COPY has no ``on conflict``)."""
    written = 0
    with conn.cursor() as cur, cur.copy(sql_text(name)) as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
            written += 1
    return written
