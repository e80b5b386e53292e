"""Queue attempts and deferrals, the abandoned run status, digests of repeatable SQL (sql/migrations/0003_store.sql)."""

from etl.store.migrate import run_sql_file

revision = "0003_store"
down_revision = "0002_reporting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0003_store.sql")


def downgrade() -> None:
    raise NotImplementedError("the warehouse is only migrated forward")
