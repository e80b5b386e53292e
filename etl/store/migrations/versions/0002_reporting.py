"""Reporting layer: schema and reader role (sql/migrations/0002_reporting.sql).

The report views themselves (sql/reporting/views/) are repeatable: ``etl.store.migrate.upgrade``
creates them after the revisions and re-creates them whenever one of their files changes.
"""

from etl.store.migrate import run_sql_file

revision = "0002_reporting"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0002_reporting.sql")


def downgrade() -> None:
    raise NotImplementedError("the warehouse is only migrated forward")
