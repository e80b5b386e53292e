"""Airflow glue shared by the DAG files: the warehouse URL from a connection, settings, run ids.

Kept apart from ``etl/`` so that the core never imports Airflow.
"""

from __future__ import annotations

import logging

from airflow.sdk import Asset, Connection, get_current_context
from airflow.sdk.exceptions import AirflowNotFoundException

from etl.settings import Settings, load_settings
from etl.store.db import resolve_database_url, url_from_parts

WAREHOUSE_CONN_ID = "news_warehouse"
# Updated by news_etl when a run has loaded; news_reports is scheduled on it.
WAREHOUSE_ASSET = Asset(name="news_warehouse", uri="postgres://news-warehouse:5432/newsetl/public/articles")
FETCH_POOL = "news_fetch"

log = logging.getLogger(__name__)


def warehouse_url(settings: Settings) -> str:
    """The connection ``news_warehouse`` when defined (AIRFLOW_CONN_NEWS_WAREHOUSE or the UI),
    else the CLI's resolution: NEWSETL_DATABASE_URL, else the embedded server (left running)."""
    try:
        conn = Connection.get(WAREHOUSE_CONN_ID)
    except AirflowNotFoundException:
        return resolve_database_url(settings, keep_running=True)
    extra = conn.extra_dejson if conn.extra else {}
    query = {k: str(v) for k, v in extra.items() if k in ("sslmode", "options", "application_name")}
    return url_from_parts(
        host=conn.host, port=conn.port, login=conn.login, password=conn.password,
        database=conn.schema or settings.database_name, query=query,
    )


def task_settings() -> Settings:
    """Settings from NEWSETL_* variables of the worker's environment."""
    return load_settings()


def external_run_id() -> str:
    """dag_id/run_id of the running DAG run: the pipeline_runs row a retried task finds again."""
    context = get_current_context()
    return f"{context['dag'].dag_id}/{context['run_id']}"
