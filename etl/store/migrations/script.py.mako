"""${message}"""

from etl.migrate import run_sql_file

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/${up_revision}.sql")


def downgrade() -> None:
    raise NotImplementedError("the warehouse is only migrated forward")
