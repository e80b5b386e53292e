"""Reporting layer: schema, reader role and the report views (sql/migrations/0002_reporting.sql, sql/reports/)."""

from etl.store.migrate import run_sql_file

revision = "0002_reporting"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

# In dependency order. A later change to one of these files needs a new revision that applies it
# again (views use `create or replace`; a materialized view is dropped and created).
REPORT_FILES = (
    "reports/stories.sql",
    "reports/daily_volume.sql",
    "reports/entity_daily.sql",
    "reports/entity_weekly.sql",
    "reports/top_entities_daily.sql",
    "reports/top_entities_weekly.sql",
    "reports/trending_entities.sql",
    "reports/entity_timeline.sql",
    "reports/entity_pairs.sql",
    "reports/cooccurrence.sql",
    "reports/top_authors.sql",
    "reports/quality_runs.sql",
    "reports/quality_sources.sql",
    "reports/rejects_by_reason.sql",
)


def upgrade() -> None:
    run_sql_file("migrations/0002_reporting.sql")
    for name in REPORT_FILES:
        run_sql_file(name)


def downgrade() -> None:
    raise NotImplementedError("the warehouse is only migrated forward")
