"""Trust boundaries: the reader role's privileges, recorded canonical conflicts (sql/migrations/0004_trust.sql)."""

from etl.store.migrate import run_sql_file

revision = "0004_trust"
down_revision = "0003_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0004_trust.sql")


def downgrade() -> None:
    raise NotImplementedError("the warehouse is only migrated forward")
