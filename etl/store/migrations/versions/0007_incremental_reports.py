"""Report aggregates as tables maintained per dirty day (sql/migrations/0007_incremental_reports.sql)."""

from etl.store.migrate import run_sql_file

revision = "0007_incremental_reports"
down_revision = "0006_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0007_incremental_reports.sql")


def downgrade() -> None:
    raise NotImplementedError("the warehouse is only migrated forward")
