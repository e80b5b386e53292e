"""Schema migrations: Alembic revisions that each apply SQL files from sql/."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from etl.store.db import DatabaseUnavailable, redact, sqlalchemy_url
from etl.store.sqlfiles import sql_text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# One advisory lock id for migrations, so two processes starting at once do not both migrate.
MIGRATION_LOCK_ID = 7_311_001


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


def current_revision(url: str) -> str | None:
    """The revision the warehouse at ``url`` is at (None when empty)."""
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the warehouse at ``url`` to ``revision``; safe to call from many processes at once."""
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("select pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            cfg = _config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except sa.exc.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to the warehouse at {redact(url)}: {str(exc.orig).strip()}. "
            "Check NEWSETL_DATABASE_URL (or unset it to use the embedded server)."
        ) from exc
    finally:
        engine.dispose()
