"""raw_pages: one row per fetched URL (its latest bytes), keyed by the frontier's ``url_hash``; the process queue."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Sequence

from etl.records import Fetched, RawPage
from etl.store.db import Conn
from etl.store.queues import RAW_PAGES
from etl.store.sqlfiles import sql_text
from etl.store.values import as_json

__all__ = ["RAW_PAGES", "claim", "requeue_stored", "upsert"]


def upsert(conn: Conn, key: str, source_id: int, fetched: Fetched, run_id: int) -> None:
    """Store a fetch's bytes under its frontier key; changed bytes queue the page for processing."""
    conn.execute(
        sql_text("store/raw_pages/upsert"),
        {
            "url_hash": key,
            "url": fetched.url,
            "final_url": fetched.final_url,
            "source_id": source_id,
            "status_code": fetched.status_code,
            "headers": as_json(fetched.headers),
            "content_type": fetched.content_type,
            "body_gz": gzip.compress(fetched.body, compresslevel=5),
            "body_bytes": len(fetched.body),
            "body_sha256": hashlib.sha256(fetched.body).hexdigest(),
            "run_id": run_id,
            "redirects": as_json(list(fetched.redirects)),
        },
    )


def claim(conn: Conn, worker: str, run_id: int, *, limit: int, lease_seconds: int,
          source_ids: Sequence[int] | None) -> list[RawPage]:
    """Lease up to ``limit`` pending pages to ``worker``, counting an attempt for each."""
    rows = conn.execute(
        sql_text("store/raw_pages/claim"),
        {"worker": worker, "run_id": run_id, "lease_seconds": lease_seconds, "limit": limit,
         "source_ids": list(source_ids) if source_ids else None},
    ).fetchall()
    return [
        RawPage(raw_page_id=r[0], url_hash=r[1], url=r[2], final_url=r[3], source_id=r[4],
                body=gzip.decompress(r[5]), content_type=r[6], headers=r[7] or {}, entry=r[8] or {},
                attempts=r[9])
        for r in rows
    ]


def requeue_stored(conn: Conn, source_ids: Sequence[int] | None, since: str | None, until: str | None) -> int:
    """Queue stored pages for extraction again (reprocess), optionally by fetch day; returns how many."""
    return conn.execute(
        sql_text("store/raw_pages/requeue_stored"),
        {"source_ids": list(source_ids) if source_ids else None, "since": since, "until": until},
    ).rowcount
