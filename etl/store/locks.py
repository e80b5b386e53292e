"""The pipeline's locks: rows of ``pipeline_locks`` held with ``select ... for update``, each wait bounded.

Before, the migration, claim and dedup steps took advisory locks, which any role may take: a
``news_reader`` login holding ``pg_advisory_lock(7311001)`` stalled every run forever. Locking a row
needs UPDATE on its table, which the reader role does not have (sql/migrations/0004_trust.sql).

Every wait has a timeout (``NEWSETL_LOCK_TIMEOUT_SECONDS``). Past it the step raises
:class:`LockTimeout`, whose one-line message names the session holding the lock — its pid, user,
application name and (when this role may see them) since when it is connected and its state — so an
operator can end it. A lock row's holder is found from the row's ``xmax`` (the locking transaction);
the sessions a migration's DDL waits for (an analyst's transaction still reading a view the upgrade
re-creates) are found with ``pg_blocking_pids`` by :func:`watch_blockers`, which watches from a
second connection while the migration runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from etl.settings import Settings
from etl.store.db import Conn, DatabaseUnavailable, libpq_url, open_connection
from etl.store.sqlfiles import sql_text

DEFAULT_TIMEOUT_SECONDS: float = Settings.lock_timeout_seconds
# Every lock the pipeline takes; a lock a later version adds is created by hold() when missing.
LOCKS = {
    "migrate": "schema migrations and report views: one upgrade at a time",
    "claims": "frontier claims: the host-affinity check sees every other worker's claims",
    "dedup": "article load: canonical check and near-duplicate compare see every other batch's articles",
    "reports": "report refresh: one batch of dirty days recomputed at a time",
}


class LockTimeout(DatabaseUnavailable):
    """A lock was not granted within the lock timeout; the message names who holds it."""


class LockRefused(DatabaseUnavailable):
    """This role may not take the pipeline's locks (a news_reader login running a pipeline command)."""


@dataclass(frozen=True)
class Session:
    """A database session as pg_stat_activity shows it to this role."""

    pid: int
    user: str | None
    application: str | None
    backend_start: datetime | None
    state: str | None
    xact_start: datetime | None

    def describe(self) -> str:
        parts = [f"user {self.user or '?'}", f"application {self.application or '(none)'}"]
        if self.backend_start is not None:
            parts.append(f"connected since {self.backend_start:%Y-%m-%d %H:%M:%S %Z}".rstrip())
        if self.state:
            parts.append(self.state + (f" since {self.xact_start:%H:%M:%S}" if self.xact_start else ""))
        return f"pid {self.pid} ({', '.join(parts)})"


def describe(sessions: Sequence[Session]) -> str:
    if not sessions:
        return "a session that is gone or that this role may not see"
    return "; ".join(s.describe() for s in sessions)


def advice(sessions: Sequence[Session]) -> str:
    if not sessions:
        return "try again"
    pids = ", ".join(str(s.pid) for s in sessions)
    return f"end it if it is stuck (select pg_terminate_backend({pids})), or try again later"


def _sessions(rows: Sequence[tuple[Any, ...]]) -> list[Session]:
    return [Session(*row) for row in rows]


def bootstrap(url: str) -> None:
    """Create ``pipeline_locks`` and its rows when missing (before any migration: it holds the migration lock).

    Two processes creating it at the same moment: one of them loses a race in the catalog
    (unique_violation) and finds the table made by the other when it tries again.
    """
    for attempt in range(3):
        try:
            with open_connection(url, autocommit=True) as conn:
                try:
                    if conn.execute("select to_regclass('public.pipeline_locks')").fetchone() == (None,):
                        conn.execute(sql_text("store/pipeline_locks/create"))
                    ensure(conn, LOCKS)
                except psycopg.errors.InsufficientPrivilege as exc:
                    user = conn.execute("select current_user").fetchone()
                    raise LockRefused(f"role {user[0] if user else '?'} may not create or write pipeline_locks: "
                                      "run pipeline commands as the warehouse's owner, the role that migrates "
                                      "it") from exc
            return
        except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            if attempt == 2:
                raise


def ensure(conn: Conn, locks: dict[str, str]) -> None:
    names = sorted(locks)
    conn.execute(sql_text("store/pipeline_locks/ensure"), {"names": names, "purposes": [locks[n] for n in names]})


def _set_lock_timeout(conn: Conn, value: str) -> None:
    conn.execute("select set_config('lock_timeout', %s, true)", (value,))


def milliseconds(seconds: float) -> str:
    return f"{max(1, int(seconds * 1000))}ms"


def hold(conn: Conn, name: str, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
    """Take the named lock for the rest of the caller's transaction, waiting at most ``timeout_seconds``.

    The wait runs in a savepoint with its own lock_timeout; the caller's lock_timeout is restored after,
    so the statements that follow are not cut short by it.
    """
    before = conn.execute("select current_setting('lock_timeout')").fetchone()
    conn.execute("savepoint newsetl_lock")
    _set_lock_timeout(conn, milliseconds(timeout_seconds))
    try:
        row = conn.execute(sql_text("store/pipeline_locks/lock"), {"name": name}).fetchone()
        if row is None:  # a lock this warehouse does not know yet
            ensure(conn, {name: name})
            conn.execute(sql_text("store/pipeline_locks/lock"), {"name": name})
    except psycopg.errors.InsufficientPrivilege:
        conn.execute("rollback to savepoint newsetl_lock")
        user = conn.execute("select current_user").fetchone()
        raise LockRefused(f"role {user[0] if user else '?'} may not take the {name} lock (no UPDATE on "
                          "pipeline_locks): run pipeline commands as the warehouse's owner, the role that "
                          "migrates it") from None
    except psycopg.errors.LockNotAvailable:
        conn.execute("rollback to savepoint newsetl_lock")
        holders = _sessions(conn.execute(sql_text("store/pipeline_locks/holders"), {"name": name}).fetchall())
        raise LockTimeout(f"gave up waiting for the {name} lock after {timeout_seconds:g}s: it is held by "
                          f"{describe(holders)}; {advice(holders)}") from None
    conn.execute("release savepoint newsetl_lock")
    _set_lock_timeout(conn, str(before[0]) if before else "0")


@dataclass
class Blockers:
    """What :func:`watch_blockers` saw last: the sessions the watched backend was waiting for."""

    sessions: list[Session] = field(default_factory=list)


@contextmanager
def watch_blockers(url: str, pid: int, every_seconds: float) -> Iterator[Blockers]:
    """While the body runs, look every ``every_seconds`` (from a connection of its own, opened only once
    the body has run that long) for the sessions backend ``pid`` waits for."""
    seen = Blockers()
    stop = threading.Event()

    def watch() -> None:
        if stop.wait(every_seconds):
            return
        try:
            with psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=10,
                                 application_name="newsetl lock watch") as conn:
                while True:
                    rows = conn.execute(sql_text("store/pipeline_locks/blockers"), {"pid": pid}).fetchall()
                    if rows:
                        seen.sessions = _sessions(rows)
                    if stop.wait(every_seconds):
                        return
        except psycopg.Error:  # only a better message is lost
            return

    thread = threading.Thread(target=watch, name="newsetl-lock-watch", daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(timeout=15)
