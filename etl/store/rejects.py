"""rejects: one row per input that could not be used, with a machine-readable reason."""

from __future__ import annotations

from collections.abc import Sequence

from etl.records import Reject
from etl.store.db import Conn, redact_text
from etl.store.sqlfiles import sql_text
from etl.store.values import storable_text

DETAIL_CHARS = 2000


def insert(conn: Conn, rejects: Sequence[Reject], run_id: int | None) -> None:
    """Record rejects (inside the caller's transaction)."""
    if not rejects:
        return
    conn.execute(
        sql_text("store/rejects/insert"),
        {
            "run_ids": [run_id] * len(rejects),
            "source_ids": [r.source_id for r in rejects],
            "urls": [storable_text(r.url) for r in rejects],
            "url_hashes": [r.url_hash for r in rejects],
            "stages": [str(r.stage) for r in rejects],
            "reasons": [r.reason for r in rejects],
            "details": [storable_text(redact_text((r.detail or "")[:DETAIL_CHARS])) for r in rejects],
        },
    )
