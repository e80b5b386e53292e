"""One politeness clock per host, hosts parked per run, the owner process of a run (sql/migrations/0006_runs.sql)."""

from etl.store.migrate import run_sql_file

revision = "0006_runs"
down_revision = "0005_entity_resolution"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0006_runs.sql")


def downgrade() -> None:
    raise NotImplementedError("the warehouse is only migrated forward")
