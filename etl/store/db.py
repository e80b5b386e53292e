"""Where the warehouse lives: an embedded PostgreSQL (pgserver) by default, any server by DSN.

Also the two ways code talks to it: psycopg connections for the data path (COPY, upserts)
and SQLAlchemy engines for Alembic migrations.

A DSN is whatever libpq takes: a URL (``postgresql://`` user, password, host, database, options) or
key=value pairs (``host=... dbname=... user=...`` and a password, quoted or not). Both forms are
accepted everywhere a DSN is taken, and every message and log line shows them through
:func:`redact` / :func:`redact_text`, which follow libpq's own rules (a URL's user info runs to the
last ``@``; a key=value password may be quoted) rather than a URL parser's: a password holding an
unencoded ``/`` or ``#`` is hidden too.
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
from urllib.parse import quote, unquote, urlencode, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

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
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    restrict_server(str(server.get_uri("postgres")))
    return server


def restrict_server(admin_url: str) -> None:
    """On the embedded server the pipeline owns every database: PUBLIC may not connect to (or make
    temporary objects in) ``postgres`` and ``template1``; each warehouse's migration does the same for
    itself (sql/migrations/0004_trust.sql), so a ``news_reader`` login reaches its warehouse only."""
    try:
        with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
            for name in ("postgres", "template1"):
                opened = conn.execute("select has_database_privilege('public', %s, 'connect') "
                                      "or has_database_privilege('public', %s, 'temporary')", (name, name)).fetchone()
                if opened and opened[0]:
                    conn.execute(psycopg.sql.SQL("revoke connect, temporary on database {} from public").format(
                        psycopg.sql.Identifier(name)))
    except psycopg.Error as exc:  # two processes at once ("tuple concurrently updated"): the other one did it
        log.info("could not restrict the embedded server's databases: %s", exc)


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
        url = with_dbname(admin_url, name)
    else:
        url = embedded_server_url(settings, name)
        admin_url = with_dbname(url, "postgres")
    try:
        yield url
    finally:
        with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("drop database if exists {} with (force)").format(
                psycopg.sql.Identifier(name)))


def resolve_database_url(settings: Settings, *, keep_running: bool = False) -> str:
    """The warehouse DSN: NEWSETL_DATABASE_URL when set (a URL or key=value), else the embedded server's."""
    if settings.database_url:
        _remember(settings.database_url)
        return settings.database_url
    return embedded_server_url(settings, settings.database_name, keep_running=keep_running)


URL_SCHEME = re.compile(r"^\s*(?P<scheme>postgres(?:ql)?)(?P<driver>\+[A-Za-z0-9_]+)?://", re.IGNORECASE)
ANY_URL_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://")


def libpq_url(url: str) -> str:
    """A DSN psycopg/libpq accepts: a URL with a SQLAlchemy ``+driver`` suffix (or ``postgres://``) gets the
    plain scheme, the rest of the string untouched; a key=value DSN is returned as it is."""
    _remember(url)
    match = URL_SCHEME.match(url)
    if match is None:
        return url
    return "postgresql://" + url[match.end():]


def dsn_fields(url: str) -> dict[str, str]:
    """The fields of a DSN as libpq reads them (user, password, host, port, dbname, options...)."""
    return {k: str(v) for k, v in conninfo_to_dict(libpq_url(url)).items() if v is not None}


def with_dbname(url: str, database: str) -> str:
    """The same server and login, another database (a key=value DSN)."""
    return make_conninfo(libpq_url(url), dbname=database)


def sqlalchemy_url(url: str) -> str:
    """A URL SQLAlchemy uses with the psycopg 3 driver, from a DSN of either form."""
    import sqlalchemy as sa

    fields = dsn_fields(url)
    port = fields.pop("port", None)
    return sa.engine.URL.create(
        "postgresql+psycopg", username=fields.pop("user", None), password=fields.pop("password", None),
        host=None if (fields.get("host") or "").startswith("/") else fields.pop("host", None),
        port=int(port) if port and port.isdigit() else None, database=fields.pop("dbname", None), query=fields,
    ).render_as_string(hide_password=False)


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


# key=value password: a quoted value (backslash escapes) or a bare one up to whitespace
KV_PASSWORD = re.compile(r"(?i)(?:^|(?<=\s))password\s*=\s*(?P<value>'(?:[^'\\]|\\.)*'?|[^\s']\S*)")
QUERY_PASSWORD = re.compile(r"(?i)[?&]password=(?P<value>[^&\s]*)")
# In free text: a URL's user info runs to the last @ of its whitespace-free run (libpq's rule too)
URL_PASSWORD_IN_TEXT = re.compile(r"(?P<pre>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@?#]*:)(?P<pw>\S*)@")
TEXT_PASSWORD = re.compile(r"(?i)(?P<pre>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|[^\s'&]+)")
JSON_PASSWORD = re.compile(r'(?i)(?P<pre>"password"\s*:\s*)"(?:[^"\\]|\\.)*"')
QUOTED = re.compile(r'"([^"\n]{1,500})"')
MASK = "***"
_known_secrets: set[str] = set()  # passwords of every DSN this process used: never shown anywhere


def _secret_spans(dsn: str) -> list[tuple[int, int]]:
    """Where passwords are in a DSN's text, by libpq's rules, whatever the DSN's shape or mistakes."""
    spans: list[tuple[int, int]] = []
    start = ANY_URL_SCHEME.match(dsn)
    if start is not None:
        at = dsn.rfind("@")  # user info ends at the last @ (an unencoded / or # before it is the password's)
        colon = dsn.find(":", start.end(), at) if at > start.end() else -1
        if colon != -1 and not any(c in dsn[start.end():colon] for c in "/?#"):
            spans.append((colon + 1, at))
        spans += [m.span("value") for m in QUERY_PASSWORD.finditer(dsn)]
    else:
        spans += [m.span("value") for m in KV_PASSWORD.finditer(dsn)]
    return [(a, b) for a, b in spans if b > a]


def _unquote_kv(value: str) -> str:
    if value.startswith("'"):
        value = value[1:-1] if value.endswith("'") and len(value) > 1 else value[1:]
    return re.sub(r"\\(.)", r"\1", value)


def secrets_of(dsn: str) -> set[str]:
    """Every spelling of a DSN's password: as written, decoded (percent or quotes), as libpq reads it."""
    found: set[str] = set()
    for a, b in _secret_spans(dsn):
        raw = dsn[a:b]
        found |= {raw, unquote(raw), _unquote_kv(raw), quote(unquote(raw), safe="")}
    match = URL_SCHEME.match(dsn)
    try:
        password = conninfo_to_dict(dsn if match is None else "postgresql://" + dsn[match.end():]).get("password")
    except psycopg.Error:  # not valid for libpq: the spans above are all there is
        password = None
    if password:
        found |= {str(password), quote(str(password), safe="")}
    return {s for s in found if len(s) >= 3}


_remembered: set[str] = set()


def _remember(dsn: str) -> None:
    if dsn and dsn not in _remembered:
        _remembered.add(dsn)
        _known_secrets.update(secrets_of(dsn))


def redact(url: str) -> str:
    """The DSN (URL or key=value) with its password replaced, for logs and messages."""
    _remember(url)
    out = url
    for a, b in sorted(_secret_spans(url), reverse=True):
        out = out[:a] + MASK + out[b:]
    return out


def redact_text(text: str, dsn: str | None = None) -> str:
    """Any text with the passwords in it replaced: those of DSNs written in it (URL user info, key=value,
    JSON ``"password"``), of ``dsn``, and of every DSN this process used."""
    secrets = set(_known_secrets)
    if dsn:
        secrets |= secrets_of(dsn)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = URL_PASSWORD_IN_TEXT.sub(lambda m: m.group("pre") + MASK + "@", text)
    text = TEXT_PASSWORD.sub(lambda m: m.group("pre") + MASK, text)
    return JSON_PASSWORD.sub(lambda m: m.group("pre") + f'"{MASK}"', text)


def scrub_error(message: str, dsn: str) -> str:
    """A libpq/psycopg message about ``dsn`` on one line, without its password: libpq quotes the values it
    could not use (a port, a database name), and a password with an unencoded / is cut into such values."""
    spans = _secret_spans(dsn)

    def hide(match: re.Match[str]) -> str:
        value = match.group(1)
        start = dsn.find(value)
        while start != -1:
            if any(start < b and start + len(value) > a for a, b in spans):
                return f'"{MASK}"'
            start = dsn.find(value, start + 1)
        return match.group(0)

    return " ".join(redact_text(QUOTED.sub(hide, message), dsn).split())


def _hint(dsn: str) -> str:
    """Advice when a URL's password holds characters libpq reads as the URL's structure."""
    start = ANY_URL_SCHEME.match(dsn)
    if start is None:
        return ""
    for a, b in _secret_spans(dsn):
        if any(c in dsn[a:b] for c in "/#?@ "):
            return ("The password holds characters a URL must percent-encode (/ %2F, # %23, ? %3F, @ %40, "
                    "space %20), or use the key=value form (host=... dbname=... user=... password=..., the "
                    "password in single quotes). ")
    return ""


def unavailable(url: str, exc: BaseException) -> DatabaseUnavailable:
    """The error for a warehouse that cannot be reached: one line, the DSN redacted, the fix."""
    return DatabaseUnavailable(
        f"cannot connect to the warehouse at {redact(url)}: {scrub_error(str(exc), url)}. {_hint(url)}"
        "Check NEWSETL_DATABASE_URL (or unset it to use the embedded server).")


def open_connection(url: str, *, autocommit: bool = False) -> Conn:
    """A new psycopg connection; a failure is DatabaseUnavailable with the redacted URL."""
    try:
        return psycopg.connect(libpq_url(url), autocommit=autocommit, connect_timeout=10)
    except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:  # unreachable, or not a valid DSN
        raise unavailable(url, exc) from exc


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
