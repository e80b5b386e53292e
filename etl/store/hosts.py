"""host_clock (one politeness clock per HTTP host) and parked_hosts (hosts a run stopped asking)."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg.rows import class_row

from etl.records import CacheUpdate
from etl.store import http_cache
from etl.store.db import Conn
from etl.store.sqlfiles import sql_text


@dataclass(frozen=True)
class ParkedHost:
    """A host a run parked, why, and how many of its URLs are still pending."""

    host: str
    reason: str
    detail: str
    failures: int
    pending: int


def reserve(conn: Conn, host: str, interval: float, run_id: int | None) -> float | None:
    """Reserve the host's next request slot; the seconds to wait for it, None when ``run_id`` parked the host."""
    row = conn.execute(sql_text("store/host_clock/reserve"),
                       {"host": host, "interval": interval, "run_id": run_id}).fetchone()
    assert row is not None
    parked, wait = row
    return None if parked else float(wait or 0.0)


def begin(conn: Conn, host: str, interval: float) -> float:
    """Start a request to ``host`` now if its previous start is ``interval`` seconds ago (recorded); else
    the seconds to wait before asking again."""
    row = conn.execute(sql_text("store/host_clock/begin"), {"host": host, "interval": interval}).fetchone()
    assert row is not None
    return float(row[0])


def sent(conn: Conn, host: str) -> None:
    """A request to ``host`` is going out now: its start, as the server will see it."""
    conn.execute(sql_text("store/host_clock/sent"), {"host": host})


def hold_off(conn: Conn, host: str, seconds: float) -> None:
    """No request to ``host`` before ``seconds`` from now."""
    conn.execute(sql_text("store/host_clock/hold_off"), {"host": host, "seconds": max(0.0, seconds)})


def park(conn: Conn, run_id: int, host: str, reason: str, detail: str, failures: int) -> None:
    """Park ``host`` for the rest of run ``run_id``."""
    conn.execute(sql_text("store/parked_hosts/insert"),
                 {"run_id": run_id, "host": host, "reason": reason, "detail": detail, "failures": failures})


def parked(conn: Conn, run_id: int) -> list[ParkedHost]:
    """The hosts run ``run_id`` parked."""
    with conn.cursor(row_factory=class_row(ParkedHost)) as cur:
        return cur.execute(sql_text("store/parked_hosts/of_run"), {"run_id": run_id}).fetchall()


def robots(conn: Conn, url: str, robots_hours: float) -> tuple[int, bytes | None] | None:
    """A stored robots.txt answer still fresh enough to reuse."""
    row = conn.execute(sql_text("store/http_cache/robots"), {"url": url, "robots_hours": robots_hours}).fetchone()
    if row is None:
        return None
    status, body = row
    return int(status or 200), bytes(body) if body is not None else None


def claim_robots(conn: Conn, url: str, fetcher: str, seconds: float) -> bool:
    """Claim the fetch of one robots.txt (True), unless another client is fetching it now (False)."""
    return conn.execute(sql_text("store/robots_fetches/claim"),
                        {"url": url, "fetcher": fetcher, "seconds": seconds}).fetchone() is not None


def release_robots(conn: Conn, url: str, fetcher: str) -> None:
    """Give up a robots.txt fetch claim (its answer is stored, or the fetch failed)."""
    conn.execute(sql_text("store/robots_fetches/release"), {"url": url, "fetcher": fetcher})


def keep_robots(conn: Conn, url: str, status: int, body: bytes | None) -> None:
    """Store a robots.txt answer now (the other processes of the run reuse it)."""
    http_cache.save(conn, [CacheUpdate(url, status, "robots", body=body)])
