"""frontier: one row per URL ever discovered, keyed by ``url_hash`` of its canonical form; the fetch queue."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg.rows import class_row

from etl.records import DiscoveredUrl, FrontierClaim
from etl.store import locks
from etl.store.db import Conn
from etl.store.queues import FRONTIER
from etl.store.sqlfiles import sql_text
from etl.store.values import as_json
from etl.urls import canonicalize_url, host_of, url_hash

__all__ = ["FRONTIER", "claim", "requeue_refetch", "upsert_discovered"]


def upsert_discovered(conn: Conn, urls: Sequence[DiscoveredUrl], source_id: int, run_id: int) -> tuple[int, int]:
    """Store listed URLs: new ones pending, known ones marked seen. Returns (distinct listed, new)."""
    rows: dict[str, tuple[str, DiscoveredUrl]] = {}
    for item in urls:
        canonical = canonicalize_url(item.url)
        rows.setdefault(url_hash(canonical), (canonical, item))
    if not rows:
        return 0, 0
    keys = list(rows)
    cur = conn.execute(
        sql_text("store/frontier/upsert"),
        {
            "url_hashes": keys,
            "urls": [rows[k][0] for k in keys],
            "source_ids": [source_id] * len(keys),
            "entries": [as_json(rows[k][1].entry) for k in keys],
            "run_ids": [run_id] * len(keys),
            # an archived copy is read from its record, not from the site: no host to be polite to
            "hosts": ["" if rows[k][1].fetch_from else host_of(rows[k][0]) for k in keys],
            "fetch_froms": [rows[k][1].fetch_from for k in keys],
        },
    )
    return len(rows), sum(1 for (new,) in cur if new)


def requeue_refetch(conn: Conn, source_id: int, refetch_hours: float) -> int:
    """Queue recently first-seen fetched pages of a source once more (the refetch policy)."""
    if refetch_hours <= 0:
        return 0
    row = conn.execute(sql_text("store/frontier/requeue_refetch"),
                       {"source_id": source_id, "refetch_hours": refetch_hours}).fetchone()
    return int(row[0]) if row else 0


def claim(conn: Conn, worker: str, run_id: int, *, limit: int, lease_seconds: int, per_host: int,
          busy_hosts: Sequence[str], source_ids: Sequence[int] | None,
          lock_timeout_seconds: float = locks.DEFAULT_TIMEOUT_SECONDS) -> list[FrontierClaim]:
    """Lease due URLs to ``worker``, a few per host, skipping hosts other workers hold.

    Claims are serialized (the ``claims`` lock, for the rest of the transaction) so the host-affinity
    check sees every other worker's claims; a claim takes milliseconds.
    """
    locks.hold(conn, "claims", lock_timeout_seconds)
    with conn.cursor(row_factory=class_row(FrontierClaim)) as cur:
        return cur.execute(
            sql_text("store/frontier/claim"),
            {"worker": worker, "run_id": run_id, "lease_seconds": lease_seconds, "limit": limit,
             "per_host": per_host, "busy_hosts": list(busy_hosts),
             "source_ids": list(source_ids) if source_ids else None},
        ).fetchall()
