"""http_cache (validators of feeds, sitemaps, lists; robots.txt rules) and fetch_log (one row per HTTP attempt)."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg.types.json import Jsonb

from etl.records import Attempt, CachedDocument, CacheUpdate
from etl.store.db import Conn
from etl.store.sqlfiles import sql_text

RobotsAnswers = dict[str, tuple[int, bytes | None]]


def load(conn: Conn, robots_hours: float, documents: bool = True) -> tuple[dict[str, CachedDocument], RobotsAnswers]:
    """Stored validators of documents, and the robots.txt answers still fresh enough to reuse."""
    docs: dict[str, CachedDocument] = {}
    robots: RobotsAnswers = {}
    rows = conn.execute(sql_text("store/http_cache/load"), {"robots_hours": robots_hours, "documents": documents})
    for url, etag, last_modified, status, purpose, children, body, checked_at in rows:
        if purpose == "robots":
            robots[url] = (int(status or 200), bytes(body) if body is not None else None)
        else:
            docs[url] = CachedDocument(etag, last_modified, tuple(children) if children is not None else None,
                                       checked_at)
    return docs, robots


def save(conn: Conn, updates: Sequence[CacheUpdate]) -> None:
    """Write validators (and robots rules) in the caller's transaction."""
    if not updates:
        return
    conn.execute(
        sql_text("store/http_cache/upsert"),
        {
            "urls": [u.url for u in updates],
            "etags": [u.etag for u in updates],
            "last_modifieds": [u.last_modified for u in updates],
            "statuses": [u.status for u in updates],
            "purposes": [u.purpose for u in updates],
            "children": [Jsonb(list(u.children)) if u.children is not None else None for u in updates],
            "bodies": [u.body for u in updates],
        },
    )


def log_attempts(conn: Conn, attempts: Sequence[Attempt], run_id: int) -> None:
    """Record HTTP attempts in fetch_log (inside the caller's transaction)."""
    if not attempts:
        return
    conn.execute(
        sql_text("store/fetch_log/insert"),
        {
            "run_id": run_id,
            "urls": [a.url for a in attempts],
            "hosts": [a.host for a in attempts],
            "purposes": [a.purpose for a in attempts],
            "attempts": [a.attempt for a in attempts],
            "status_codes": [a.status_code for a in attempts],
            "error_classes": [a.error_class for a in attempts],
            "reasons": [a.reason for a in attempts],
            "bytes": [a.bytes for a in attempts],
            "elapsed_ms": [a.elapsed_ms for a in attempts],
            "conditionals": [a.conditional for a in attempts],
        },
    )
