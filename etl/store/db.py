"""Where the warehouse lives: an embedded PostgreSQL (pgserver) by default, any server by URL.

Also the two ways code talks to it: psycopg connections for the data path (COPY, upserts)
and SQLAlchemy engines for Alembic migrations.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg

from etl.settings import Settings

log = logging.getLogger(__name__)

Conn: TypeAlias = "psycopg.Connection[Any]"
"""A connection of the data path (what every store function takes, inside the caller's transaction)."""


class ErrorKind(StrEnum):
    """What a database error means for the work that raised it (one policy, see etl/pipeline/loop.py)."""

    CONNECTION = "connection"  # the connection or the server is gone: nothing else can land now
    CONFLICT = "conflict"  # deadlock or serialization failure with a concurrent transaction: retry in place
    RESOURCES = "resources"  # disk full, out of memory: not this data, but not now either
    DATA = "data"  # the server refuses this data (a value too large, a constraint): isolate it


def error_kind(exc: BaseException) -> ErrorKind | None:
    """The kind of a database error, or None when ``exc`` is not one."""
    if isinstance(exc, DatabaseUnavailable):
        return ErrorKind.CONNECTION
    if not isinstance(exc, psycopg.Error):
        return None
    state = exc.sqlstate or ""
    if not state or state[:2] in ("08", "57"):
        return ErrorKind.CONNECTION
    if state[:2] == "40":
        return ErrorKind.CONFLICT
    if state[:2] == "53":
        return ErrorKind.RESOURCES
    return ErrorKind.DATA


class DatabaseUnavailable(RuntimeError):
    """The warehouse cannot be reached or started; the message says what to do."""


@cache
def _embedded_server(pgdata: str):  # type: ignore[no-untyped-def]
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import pgserver  # imported late: it creates a system user when run as root

    os.makedirs(os.path.dirname(pgdata), exist_ok=True)
    # Never stopped by pgserver itself: its last handle stops the server with a fast shutdown, cutting
    # every session (a psql opened with `newsetl db url`). Stopping is ours: stop_embedded_server.
    return pgserver.get_server(pgdata, cleanup_mode=None)


@cache
def _stop_at_exit_when_idle(pgdata: str) -> None:
    atexit.register(stop_embedded_server, pgdata, only_when_idle=True)


def embedded_server_url(settings: Settings, database: str, *, keep_running: bool = False) -> str:
    """Start (or attach to) the embedded server under settings.data_dir and return a libpq URL.

    The server is started once and shared: every newsetl process attaches to the running one. When a
    process exits the server is stopped only when nobody is using it — no other live process holds
    it and no session is connected (a psql of `newsetl db url`, an Airflow task) — else it is left
    running for them; ``newsetl db stop`` stops it. ``keep_running`` (`db url`, Airflow tasks, that
    come and go) never stops it on exit.
    """
    pgdata = str(Path(settings.data_dir).resolve() / "pg")
    try:
        server = _embedded_server(pgdata)
        if not keep_running:
            _stop_at_exit_when_idle(pgdata)
    except Exception as exc:  # pgserver raises bare CalledProcessError / AssertionError
        raise DatabaseUnavailable(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc}. "
            "Set NEWSETL_DATABASE_URL to use another server, or remove the folder to start afresh."
        ) from exc
    admin_url = str(server.get_uri("postgres"))
    ensure_database(admin_url, database)
    return str(server.get_uri(database))


def _server_state(pgdata: str) -> Any:
    """pgserver's view of the server under ``pgdata`` (a PostmasterInfo), or None when it is not running."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(Path(pgdata))
    return info if info is not None and info.is_running() else None


def embedded_sessions(pgdata: str) -> int | None:
    """Client sessions connected to the embedded server (besides the one asking); None when it is not running."""
    info = _server_state(pgdata)
    if info is None:
        return None
    with psycopg.connect(libpq_url(str(info.get_uri("postgres"))), autocommit=True, connect_timeout=10) as conn:
        row = conn.execute("select count(*) from pg_stat_activity where backend_type = 'client backend' "
                           "and pid <> pg_backend_pid()").fetchone()
    return int(row[0]) if row else 0


def stop_embedded_server(pgdata: str, *, only_when_idle: bool = False) -> str:
    """Stop the embedded server under ``pgdata``; with ``only_when_idle``, only when no other live process
    holds it and no session is connected. Returns what happened (for the CLI)."""
    import psutil
    from pgserver import PostgresServer
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # made at import time
    from pgserver.utils import DiskList

    try:
        with PostgresServer._lock:  # the lock pgserver takes to start or attach: nobody attaches meanwhile
            info = _server_state(pgdata)
            if info is None:
                return "the embedded PostgreSQL is not running"
            holders = [pid for pid in DiskList(Path(pgdata) / ".handle_pids.json").get()
                       if pid != os.getpid() and psutil.pid_exists(pid)
                       and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
            sessions = embedded_sessions(pgdata) or 0
            if only_when_idle and (holders or sessions):
                log.info("embedded PostgreSQL left running: %d process(es) and %d session(s) use it",
                         len(holders), sessions)
                return f"left running: {len(holders)} process(es) and {sessions} session(s) use it"
            user = "pgserver" if os.geteuid() == 0 else None
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=Path(pgdata), user=user)
            return f"stopped the embedded PostgreSQL in {pgdata}" + (
                f" ({sessions} session(s) were connected)" if sessions else "")
    except Exception as exc:  # at exit a failure to stop must not turn a finished command into an error
        log.warning("could not stop the embedded PostgreSQL in %s: %s", pgdata, exc)
        return f"could not stop the embedded PostgreSQL: {exc}"


def ensure_database(admin_url: str, database: str) -> None:
    """Create ``database`` on the server of ``admin_url`` if it does not exist."""
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(database)))


@contextmanager
def scratch_database(settings: Settings) -> Iterator[str]:
    """A new, empty database for one throwaway run (dropped afterwards); its URL.

    On NEWSETL_DATABASE_URL's server when that is set (the role needs CREATEDB), else on the
    embedded server under data_dir. The name is random, so it is never the warehouse itself.
    """
    name = f"newsetl_scratch_{uuid.uuid4().hex[:12]}"
    if settings.database_url:
        admin_url = settings.database_url
        ensure_database(admin_url, name)
        url = urlunsplit(urlsplit(admin_url)._replace(path="/" + name))
    else:
        url = embedded_server_url(settings, name)
        admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        yield url
    finally:
        with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
            drop = psycopg.sql.SQL("drop database if exists {} with (force)")
            conn.execute(drop.format(psycopg.sql.Identifier(name)))


def resolve_database_url(settings: Settings, *, keep_running: bool = False) -> str:
    """The warehouse URL: NEWSETL_DATABASE_URL when set, else the embedded server's."""
    if settings.database_url:
        return settings.database_url
    return embedded_server_url(settings, settings.database_name, keep_running=keep_running)


def libpq_url(url: str) -> str:
    """A URL psycopg/libpq accepts (drops a SQLAlchemy ``+driver`` suffix)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def sqlalchemy_url(url: str) -> str:
    """A URL SQLAlchemy uses with the psycopg 3 driver."""
    parts = urlsplit(libpq_url(url))
    return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, parts.query, parts.fragment))


def url_from_parts(
    *,
    host: str | None,
    port: int | None = None,
    login: str | None = None,
    password: str | None = None,
    database: str | None = None,
    query: dict[str, str] | None = None,
) -> str:
    """Build a libpq URL from connection fields (a host starting with '/' is a socket folder)."""
    params = dict(query or {})
    netloc = ""
    if login:
        netloc = quote(login, safe="")
        if password:
            netloc += ":" + quote(password, safe="")
        netloc += "@"
    if host and host.startswith("/"):
        params["host"] = host
    elif host:
        netloc += host + (f":{port}" if port else "")
    return urlunsplit(("postgresql", netloc, "/" + (database or ""), urlencode(params), ""))


def redact(url: str) -> str:
    """The URL with its password replaced, for logs and messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        parts = parts._replace(netloc=netloc)
    query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def redact_text(text: str) -> str:
    """Any text with passwords of URLs in it replaced (for error messages)."""
    return PASSWORD_IN_URL.sub(r"\1***@", text)


def open_connection(url: str, *, autocommit: bool = False) -> Conn:
    """A new psycopg connection; a failure is DatabaseUnavailable with the redacted URL."""
    try:
        return psycopg.connect(libpq_url(url), autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to the warehouse at {redact(url)}: {str(exc).strip()}. "
            "Check NEWSETL_DATABASE_URL (or unset it to use the embedded server)."
        ) from exc


@contextmanager
def connect(url: str, *, autocommit: bool = False) -> Iterator[Conn]:
    """A psycopg connection, closed on exit; errors become DatabaseUnavailable with the redacted URL."""
    conn = open_connection(url, autocommit=autocommit)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(url: str) -> Iterator[Conn]:
    """A connection inside one transaction: committed on exit, rolled back on error, then closed."""
    with connect(url) as conn, conn.transaction():
        yield conn


class Database:
    """One connection for one worker, opened on first use and opened again after it was lost.

    A worker (a CLI run, a mapped task) makes many short transactions; one connection for all of
    them saves a connection set-up per batch. Use it from one thread at a time.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Conn | None = None

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = open_connection(self.url)
        with self._conn.transaction():
            yield self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
