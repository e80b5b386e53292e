"""Airflow glue shared by the DAG files: the warehouse URL from a connection, settings, run ids, params.

Kept apart from ``etl/`` so that the core never imports Airflow. Nothing heavy is imported here:
the DAG processor imports this module on every parse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from airflow.sdk import Asset, Connection, Param, get_current_context
from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException
from airflow.sdk.log import mask_secret

from etl.params import BadRequest
from etl.records import SetupError, SourceKind
from etl.settings import Settings, load_settings
from etl.sources import SourcesFileError
from etl.store.db import resolve_database_url, secrets_of, url_from_parts

WAREHOUSE_CONN_ID = "news_warehouse"
# Updated by news_etl when a run has loaded; news_reports is scheduled on it.
WAREHOUSE_ASSET = Asset(name="news_warehouse", uri="postgres://news-warehouse:5432/newsetl/public/articles")
FETCH_POOL = "news_fetch"
T = TypeVar("T")

log = logging.getLogger(__name__)

SOURCE_SCHEMA = {
    "type": "object",
    "required": ["name", "kind", "location"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "kind": {"type": "string", "enum": [kind.value for kind in SourceKind]},
        "location": {"type": "string", "minLength": 1, "maxLength": 2000},
    },
}

NEWS_ETL_PARAMS = {
    "sources": Param([], type="array", items={"type": "string", "minLength": 1},
                     description="Source names from the sources file to include (empty: all)."),
    "extra_sources": Param([], type="array", items=SOURCE_SCHEMA,
                           description="Ad-hoc sources for this run: {name, kind, location}."),
    "limit": Param(None, type=["null", "integer"], minimum=0, maximum=1_000_000,
                   description="Fetch at most this many new pages (empty: no limit)."),
    "reprocess": Param(False, type="boolean", description="Re-extract stored pages without fetching."),
    "reprocess_since": Param(None, type=["null", "string"], format="date",
                             description="With reprocess: only pages fetched on or after this day."),
    "reprocess_until": Param(None, type=["null", "string"], format="date",
                             description="With reprocess: only pages fetched before this day."),
}


def warehouse_url(settings: Settings) -> str:
    """The connection ``news_warehouse`` when defined (AIRFLOW_CONN_NEWS_WAREHOUSE or the UI),
    else the CLI's resolution: NEWSETL_DATABASE_URL (a URL or a key=value DSN), else the embedded
    server (left running). Every spelling of its password is masked in the task's logs."""
    try:
        conn = Connection.get(WAREHOUSE_CONN_ID)
    except AirflowNotFoundException:
        url = resolve_database_url(settings, keep_running=True)
    else:
        extra = conn.extra_dejson if conn.extra else {}
        query = {k: str(v) for k, v in extra.items() if k in ("sslmode", "options", "application_name")}
        url = url_from_parts(
            host=conn.host, port=conn.port, login=conn.login, password=conn.password,
            database=conn.schema or settings.database_name, query=query,
        )
    for secret in secrets_of(url):
        mask_secret(secret)
    return url


def task_settings() -> Settings:
    """Settings from NEWSETL_* variables of the worker's environment."""
    return load_settings()


def external_run_id() -> str:
    """dag_id/run_id of the running DAG run: the pipeline_runs row a retried task finds again."""
    context = get_current_context()
    return f"{context['dag'].dag_id}/{context['run_id']}"


def call(task: str, fn: Callable[..., T], *args: Any, run_id: int | None = None) -> T:
    """Run one task's body: ``fn(url, settings, *args)``; its error is noted on the run, and an error
    retrying cannot fix (a bad source name or day, a missing model, a run already failed) fails at once."""
    from etl.pipeline.tasks import RunFailed, recorded

    settings = task_settings()
    url = warehouse_url(settings)
    try:
        with recorded(url, run_id, task):
            result = fn(url, settings, *args)
    except (SourcesFileError, BadRequest, SetupError, RunFailed) as exc:
        raise AirflowFailException(str(exc)) from exc
    log.info("%s summary: %s", task, result)
    return result
