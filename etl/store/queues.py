"""The two work queues, frontier (URLs to fetch) and raw_pages (pages to process), and what they share.

Both are tables of rows leased to one worker at a time (``claimed_by``, ``claim_expires_at``).
A worker settles only rows it still holds, defers rows worth another try to a later run, and hands
back what it did not settle when it stops early. One class serves both: the SQL of each lives in
``sql/store/<table>/`` under the same file names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import class_row

from etl.records import FrontierStatus, PageStatus, Queue
from etl.store.db import Conn
from etl.store.sqlfiles import sql_text


@dataclass(frozen=True)
class Listed:
    """A rejected row that ``newsetl requeue`` would queue again."""

    key: Any
    url: str
    source: str
    reason: str
    rejected_at: datetime


@dataclass(frozen=True)
class QueueTable:
    """One work queue: its table's statements under ``sql/store/<table>/``."""

    table: str
    name: str  # the queue's name in counters: fetch_retry_later, process_gave_up
    done_status: str  # what a settled row becomes
    rejected_status: str = "rejected"

    def _sql(self, name: str) -> str:
        return sql_text(f"store/{self.table}/{name}")

    def settle(self, conn: Conn, worker: str, keys: Sequence[Any], status: str) -> set[Any]:
        """Mark rows done or rejected for good; returns the keys this worker still held."""
        if not keys:
            return set()
        rows = conn.execute(self._sql("settle"), {"keys": list(keys), "worker": worker, "status": status})
        return {key for (key,) in rows}

    def defer(self, conn: Conn, worker: str, keys: Sequence[Any], run_id: int, max_attempts: int,
              wait_seconds: float = 0.0) -> dict[Any, bool]:
        """Leave rows pending for a later run (given up after ``max_attempts``); returns key -> given up."""
        if not keys:
            return {}
        rows = conn.execute(self._sql("defer"), {"keys": list(keys), "worker": worker, "run_id": run_id,
                                                 "max_attempts": max_attempts, "wait_seconds": wait_seconds})
        return {key: bool(given_up) for key, given_up in rows}

    def postpone(self, conn: Conn, worker: str, keys: Sequence[Any], run_id: int, wait_seconds: float) -> set[Any]:
        """Leave rows pending for a later run without charging the attempt (not their fault); returns those held."""
        if not keys:
            return set()
        rows = conn.execute(self._sql("postpone"), {"keys": list(keys), "worker": worker, "run_id": run_id,
                                                    "wait_seconds": wait_seconds})
        return {key for (key,) in rows}

    def holders(self, conn: Conn) -> list[str]:
        """The workers holding leases on this queue now."""
        return [worker for (worker,) in conn.execute(self._sql("holders"))]

    def release(self, conn: Conn, worker: str) -> int:
        """Hand back what this worker claimed and did not settle; returns how many."""
        return conn.execute(self._sql("release"), {"worker": worker}).rowcount

    def count_pending(self, conn: Conn, run_id: int | None, source_ids: Sequence[int] | None) -> int:
        """Rows of the selected sources (None: all) that run ``run_id`` may still claim."""
        row = conn.execute(self._sql("count_pending"),
                           {"run_id": run_id, "source_ids": list(source_ids) if source_ids else None}).fetchone()
        return int(row[0]) if row else 0

    def rejected(self, conn: Conn, reason: str, source: str | None, since: str | None) -> list[Listed]:
        """Rows given up with ``reason`` (their latest reject), for ``newsetl requeue``."""
        with conn.cursor(row_factory=class_row(Listed)) as cur:
            return cur.execute(self._sql("rejected"), {"reason": reason, "source": source, "since": since}).fetchall()

    def requeue(self, conn: Conn, keys: Sequence[Any]) -> int:
        """Make rejected rows pending again with fresh attempts; returns how many."""
        if not keys:
            return 0
        row = conn.execute(self._sql("requeue"), {"keys": list(keys)}).fetchone()
        return int(row[0]) if row else 0


FRONTIER = QueueTable("frontier", Queue.FETCH, FrontierStatus.FETCHED, FrontierStatus.REJECTED)
RAW_PAGES = QueueTable("raw_pages", Queue.PROCESS, PageStatus.DONE, PageStatus.REJECTED)
