"""news_reports really runs (dag.test, real Postgres): it refreshes the report aggregates (the dirty days by
default, every day when asked), then passes a healthy warehouse and fails loudly on one that crosses a
data-quality threshold."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from etl.pipeline.resolve import resolve_entities
from etl.store.articles import LoadItem, load_articles
from etl.store.db import libpq_url
from tests.airflow_support import airflow_env, migrate_metadata, run_dag_test
from tests.test_reports import NEXT_MON, _article, _ents, build_warehouse

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Airflow metadata database for the module (migrating it is the slow part)."""
    home = tmp_path_factory.mktemp("airflow-reports")
    migrate_metadata(airflow_env(home, "postgresql://postgres@/none?host=/nonexistent"))
    return home


def _days_of(url: str, entity: str) -> list[tuple[object, ...]]:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute("select d.day from reporting.entity_daily as d join entities as e using (entity_id) "
                            "where e.name = %s order by d.day", (entity,)).fetchall()


def test_news_reports_refreshes_and_passes_a_healthy_warehouse(warehouse_url: str, airflow_home: Path) -> None:
    build_warehouse(warehouse_url)
    with psycopg.connect(libpq_url(warehouse_url)) as conn, conn.transaction():  # a later load: one dirty day
        sid = conn.execute("select source_id from sources where name = 'alpha'").fetchone()[0]
        load_articles(conn, [LoadItem(_article("n1", NEXT_MON, []), _ents(("Novaland", "GPE", 1.0)), sid, None)],
                      None)
        conn.execute("truncate reporting.refresh_log")
    resolve_entities(warehouse_url)
    assert _days_of(warehouse_url, "Novaland") == []
    result = run_dag_test(airflow_env(airflow_home, warehouse_url), "news_reports", {})
    assert result["state"] == "success", result["log"][-6000:]
    assert result["tis"] == {"refresh[-1]": "success", "check_quality[-1]": "success"}
    assert _days_of(warehouse_url, "Novaland") == [(NEXT_MON,)]
    with psycopg.connect(libpq_url(warehouse_url)) as conn:
        assert conn.execute("select count(*) from reporting.dirty_days").fetchone() == (0,)
        assert conn.execute("select distinct mode, days from reporting.refresh_log").fetchall() == \
            [("incremental", 1)]  # the dirty day only


def test_news_reports_fails_loudly_when_a_threshold_is_crossed(warehouse_url: str, airflow_home: Path) -> None:
    build_warehouse(warehouse_url)  # 1 of 6 stories undated, reject rate 3/11
    env = airflow_env(airflow_home, warehouse_url, NEWSETL_QUALITY_MAX_NO_DATE_RATE="0.1",
                      NEWSETL_QUALITY_MAX_REJECT_RATE="0.25")
    result = run_dag_test(env, "news_reports", {"full_rebuild": True})
    assert result["state"] == "failed"
    assert result["tis"] == {"refresh[-1]": "success", "check_quality[-1]": "failed"}
    assert "2 data-quality check(s) failed" in result["log"]
    assert "no_date_rate = 0.1667" in result["log"] and "reject_rate = 0.2727" in result["log"]
    with psycopg.connect(libpq_url(warehouse_url)) as conn:  # the refresh asked for was a full rebuild
        assert conn.execute("select distinct mode from reporting.refresh_log").fetchall() == [("full",)]
