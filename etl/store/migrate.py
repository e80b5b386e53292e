"""Schema migrations: Alembic revisions that each apply SQL files from sql/, then the repeatable report views.

Tables change only through numbered revisions (``sql/migrations/NNNN_*.sql``), applied once each.
The report views (``sql/reporting/views/``, one object a file) are repeatable instead: after the
revisions, ``upgrade`` compares the digest of their files (and of the schema revision they were
built on) with the one recorded in ``schema_files`` and, when it differs, drops and re-creates
them all in dependency order. A fresh warehouse and an upgraded one therefore hold the same
objects, whatever was edited in between (tests/test_migrations.py compares them object by object).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from etl.store import locks
from etl.store.db import libpq_url, unavailable
from etl.store.locks import LockTimeout as LockTimeout  # re-exported: what upgrade raises
from etl.store.sqlfiles import sql_text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The report views in dependency order (a view is created after the views it reads). The aggregates
# they read (reporting.entity_daily, entity_weekly, pair_totals, ...) are tables of revision 0007,
# kept up to date by the refresh (etl/store/reporting.py), never dropped with the views.
REPORTING_VIEWS = (
    "stories", "daily_volume", "entity_coverage", "top_entities_daily", "top_entities_weekly", "trending_entities",
    "entity_timeline", "entity_pairs", "cooccurrence", "top_authors", "quality_runs", "quality_sources",
    "rejects_by_reason",
)
REPORTING = "reporting_views"  # their row in schema_files


def run_sql_file(name: str) -> None:
    """Execute one file of sql/ inside the running migration (used by revision modules)."""
    op.execute(sa.text(sql_text(name).replace(":", r"\:")))


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest revision shipped with this code."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def engine_for(url: str) -> sa.Engine:
    """A SQLAlchemy engine (no pool) over a psycopg connection to ``url``, a DSN of either form: libpq
    reads the DSN, so what works for the data path works for Alembic too."""
    dsn = libpq_url(url)
    return sa.create_engine("postgresql+psycopg://", poolclass=sa.pool.NullPool,
                            creator=lambda: psycopg.connect(dsn, connect_timeout=10))


def current_revision(url: str) -> str | None:
    """The revision the warehouse at ``url`` is at (None when empty)."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def reporting_digest(revision: str) -> str:
    """sha256 of the report view files, in order, and of the schema revision they are built on."""
    digest = hashlib.sha256(revision.encode())
    for name in REPORTING_VIEWS:
        digest.update(f"\0{name}\0".encode() + sql_text(f"reporting/views/{name}.sql").encode())
    return digest.hexdigest()


def _drop_reporting_views(conn: sa.Connection) -> None:
    for name in reversed(REPORTING_VIEWS):
        kind = conn.execute(sa.text("select relkind from pg_class where oid = to_regclass(:name)"),
                            {"name": f"reporting.{name}"}).scalar()
        if kind is not None:
            what = "materialized view" if kind == "m" else "view"
            conn.execute(sa.text(f'drop {what} reporting."{name}" cascade'))


def _apply_reporting_views(conn: sa.Connection, revision: str) -> None:
    """(Re-)create the report views when their files or the schema changed since they were made.

    Only at head: the files describe the head schema (an older revision may lack the tables they read)."""
    recorded = conn.execute(sa.text("select to_regclass('public.schema_files')")).scalar()
    if revision != head_revision() or recorded is None:
        return  # not yet at the revision that records them
    wanted = reporting_digest(revision)
    have = conn.execute(sa.text("select sha256 from schema_files where name = :name"), {"name": REPORTING}).scalar()
    if have == wanted:
        return
    _drop_reporting_views(conn)
    for name in REPORTING_VIEWS:
        conn.execute(sa.text(sql_text(f"reporting/views/{name}.sql").replace(":", r"\:")))
    conn.execute(sa.text("insert into schema_files (name, sha256) values (:name, :sha) on conflict (name) do update "
                         "set sha256 = excluded.sha256, applied_at = now()"), {"name": REPORTING, "sha": wanted})


def upgrade(url: str, revision: str = "head", *, lock_timeout_seconds: float = locks.DEFAULT_TIMEOUT_SECONDS) -> None:
    """Migrate the warehouse at ``url`` to ``revision`` and bring the report views in line with their
    files; safe to call from many processes at once (the ``migrate`` row of pipeline_locks).

    No lock is waited for longer than ``lock_timeout_seconds``: neither the migration lock (another
    upgrade) nor the tables and views a revision alters or a view rebuild drops (an analyst's open
    transaction reading them). Past it, :class:`LockTimeout` names the session in the way.
    """
    locks.bootstrap(url)
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            assert isinstance(raw, psycopg.Connection)
            locks.hold(raw, "migrate", lock_timeout_seconds)
            conn.execute(sa.text("select set_config('lock_timeout', :value, true)"),
                         {"value": locks.milliseconds(lock_timeout_seconds)})
            with locks.watch_blockers(url, raw.info.backend_pid, min(1.0, lock_timeout_seconds / 4)) as blockers:
                try:
                    _upgrade(conn, revision)
                except sa.exc.OperationalError as exc:
                    if not isinstance(exc.orig, psycopg.errors.LockNotAvailable):
                        raise
                    raise LockTimeout(
                        f"the migration gave up waiting for a lock on the warehouse's tables or views after "
                        f"{lock_timeout_seconds:g}s: it is held by {locks.describe(blockers.sessions)}; "
                        f"{locks.advice(blockers.sessions)}") from None
    except sa.exc.OperationalError as exc:
        raise unavailable(url, exc.orig or exc) from exc
    finally:
        engine.dispose()


def _upgrade(conn: sa.Connection, revision: str) -> None:
    cfg = _config()
    cfg.attributes["connection"] = conn
    before = MigrationContext.configure(conn).get_current_revision()
    target = ScriptDirectory.from_config(cfg).get_revision(revision)
    if target is not None and before != target.revision:
        _drop_reporting_views(conn)  # revisions may change the tables the views read
    command.upgrade(cfg, revision)
    _apply_reporting_views(conn, MigrationContext.configure(conn).get_current_revision() or "base")
