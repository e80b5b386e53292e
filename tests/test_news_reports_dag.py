"""news_reports really runs (dag.test, real Postgres): it refreshes the report views, then passes a healthy
warehouse and fails loudly on one that crosses a data-quality threshold."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from etl.store.db import libpq_url
from tests.airflow_support import airflow_env, migrate_metadata, run_dag_test
from tests.test_reports import build_warehouse

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Airflow metadata database for the module (migrating it is the slow part)."""
    home = tmp_path_factory.mktemp("airflow-reports")
    migrate_metadata(airflow_env(home, "postgresql://postgres@/none?host=/nonexistent"))
    return home


def _refreshed_rows(url: str) -> int:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute("select count(*) from reporting.entity_daily").fetchone()[0]


def test_news_reports_refreshes_and_passes_a_healthy_warehouse(warehouse_url: str, airflow_home: Path) -> None:
    build_warehouse(warehouse_url)
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        conn.execute("truncate reporting.refresh_log")
        conn.execute("refresh materialized view reporting.entity_daily with no data")  # as if never refreshed
    result = run_dag_test(airflow_env(airflow_home, warehouse_url), "news_reports", {})
    assert result["state"] == "success", result["log"][-6000:]
    assert result["tis"] == {"refresh[-1]": "success", "check_quality[-1]": "success"}
    assert _refreshed_rows(warehouse_url) > 0
    with psycopg.connect(libpq_url(warehouse_url)) as conn:
        assert conn.execute("select count(*) from reporting.refresh_log").fetchone() == (3,)


def test_news_reports_fails_loudly_when_a_threshold_is_crossed(warehouse_url: str, airflow_home: Path) -> None:
    build_warehouse(warehouse_url)  # 1 of 6 stories undated, reject rate 3/11
    env = airflow_env(airflow_home, warehouse_url, NEWSETL_QUALITY_MAX_NO_DATE_RATE="0.1",
                      NEWSETL_QUALITY_MAX_REJECT_RATE="0.25")
    result = run_dag_test(env, "news_reports", {})
    assert result["state"] == "failed"
    assert result["tis"] == {"refresh[-1]": "success", "check_quality[-1]": "failed"}
    assert "2 data-quality check(s) failed" in result["log"]
    assert "no_date_rate = 0.1667" in result["log"] and "reject_rate = 0.2727" in result["log"]
