"""Ids of names (authors, keywords, entities): looked up, created when missing, safe against concurrent creators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from etl.store.db import Conn
from etl.store.sqlfiles import sql_text


def ids_of(conn: Conn, query: str, keys: set[Any], params: Callable[[list[Any]], dict[str, Any]],
           key_of: Callable[[tuple[Any, ...]], Any]) -> dict[Any, int]:
    """Ids of names (authors, keywords, entities), created when missing.

    A name another transaction is creating at the same moment is missing from one statement's
    snapshot (its insert waits, then does nothing); asking again in a new statement finds it.
    """
    found: dict[Any, int] = {}
    for _attempt in range(3):
        todo = sorted(keys - found.keys())
        if not todo:
            break
        found.update((key_of(row), int(row[-1])) for row in conn.execute(sql_text(query), params(todo)))
    missing = keys - found.keys()
    if missing:
        raise RuntimeError(f"{query}: no id for {sorted(missing)[:5]}")
    return found
