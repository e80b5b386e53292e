"""Initial normalized schema (sql/migrations/0001_initial.sql)."""

from etl.store.migrate import run_sql_file

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0001_initial.sql")


def downgrade() -> None:
    raise NotImplementedError("the warehouse is only migrated forward")
