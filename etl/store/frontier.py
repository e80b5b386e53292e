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

__all__ = ["FRONTIER", "claim", "forgive", "known", "pending_by_host", "requeue_refetch", "upsert_discovered",
           "waiting"]


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


def known(conn: Conn, urls: Sequence[str]) -> set[str]:
    """The URLs (canonicalized) the frontier already holds."""
    keys = {url_hash(canonicalize_url(u)): u for u in urls}
    if not keys:
        return set()
    rows = conn.execute(sql_text("store/frontier/known"), {"url_hashes": list(keys)})
    return {keys[key] for (key,) in rows}


def requeue_refetch(conn: Conn, source_id: int, refetch_hours: float) -> int:
    """Queue recently first-seen fetched pages of a source once more (the refetch policy)."""
    if refetch_hours <= 0:
        return 0
    row = conn.execute(sql_text("store/frontier/requeue_refetch"),
                       {"source_id": source_id, "refetch_hours": refetch_hours}).fetchone()
    return int(row[0]) if row else 0


def claim(conn: Conn, worker: str, run_id: int, *, limit: int, lease_seconds: int, per_host: int,
          busy_hosts: Sequence[str], source_ids: Sequence[int] | None,
          hosts: Sequence[str] | None = None,
          lock_timeout_seconds: float = locks.DEFAULT_TIMEOUT_SECONDS) -> list[FrontierClaim]:
    """Lease due URLs to ``worker``, a few per host, skipping hosts other workers hold or the run parked
    (only ``hosts`` when given: '' names local reads).

    Claims are serialized (the ``claims`` lock, for the rest of the transaction) so the host-affinity
    check sees every other worker's claims; a claim takes milliseconds.
    """
    locks.hold(conn, "claims", lock_timeout_seconds)
    with conn.cursor(row_factory=class_row(FrontierClaim)) as cur:
        return cur.execute(
            sql_text("store/frontier/claim"),
            {"worker": worker, "run_id": run_id, "lease_seconds": lease_seconds, "limit": limit,
             "per_host": per_host, "busy_hosts": list(busy_hosts),
             "source_ids": list(source_ids) if source_ids else None,
             "hosts": list(hosts) if hosts is not None else None},
        ).fetchall()


def waiting(conn: Conn, worker: str, run_id: int, source_ids: Sequence[int] | None,
            hosts: Sequence[str] | None) -> tuple[int, list[str]]:
    """URLs of a fetch worker's scope the run may still fetch, and the other workers holding them or their hosts."""
    row = conn.execute(sql_text("store/frontier/waiting"),
                       {"worker": worker, "run_id": run_id, "source_ids": list(source_ids) if source_ids else None,
                        "hosts": list(hosts) if hosts is not None else None}).fetchone()
    assert row is not None
    return int(row[0]), list(row[1])


def pending_by_host(conn: Conn, run_id: int, source_ids: Sequence[int] | None) -> dict[str, int]:
    """URLs the run may fetch, per host ('' = local reads), largest first."""
    rows = conn.execute(sql_text("store/frontier/pending_by_host"),
                        {"run_id": run_id, "source_ids": list(source_ids) if source_ids else None})
    return {host: int(n) for host, n in rows}


def forgive(conn: Conn, run_id: int, hosts: Sequence[str], wait_seconds: float) -> tuple[int, int]:
    """Take back the attempts the run charged to URLs of hosts it has just parked; (forgiven, of them given up)."""
    if not hosts:
        return 0, 0
    rows = conn.execute(sql_text("store/frontier/forgive"),
                        {"run_id": run_id, "hosts": list(hosts), "wait_seconds": wait_seconds}).fetchall()
    return len(rows), sum(1 for (given_up,) in rows if given_up)
