"""sources: one row per configured source, upserted from the sources file."""

from __future__ import annotations

from collections.abc import Sequence

from etl.records import SourceSpec
from etl.store.db import Conn
from etl.store.sqlfiles import sql_text
from etl.store.values import as_json


def upsert(conn: Conn, specs: Sequence[SourceSpec]) -> dict[str, int]:
    """Create or update the sources; returns name -> source_id."""
    ids: dict[str, int] = {}
    for spec in specs:
        row = conn.execute(
            sql_text("store/sources/upsert"),
            {"name": spec.name, "kind": str(spec.kind), "location": spec.location, "options": as_json(spec.options)},
        ).fetchone()
        assert row is not None
        ids[spec.name] = int(row[0])
    return ids
