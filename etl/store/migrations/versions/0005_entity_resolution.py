"""Entities resolved by evidence across the warehouse: mentions, short forms, the resolution, its queue and
log, the blocklist; learned aliases migrated away (sql/migrations/0005_entity_resolution.sql)."""

from etl.store.migrate import run_sql_file

revision = "0005_entity_resolution"
down_revision = "0004_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0005_entity_resolution.sql")


def downgrade() -> None:
    raise NotImplementedError("the warehouse is only migrated forward")
