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
from etl.settings import SettingError, Settings, load_settings
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

# Every param has a default, so none is required: each type includes "null" (the trigger form marks a
# field required exactly when its type does not, airflow/ui flexibleForm). `limit` is typed
# integer-or-text so the form renders a text box that keeps what was typed (its number box clamps
# -5 to the minimum 0 silently); -5, "abc" or "-5" are refused with the param's name, here and over
# the REST API, and the task reads digits as the number (etl.params.check_limit).
NEWS_ETL_PARAMS = {
    "sources": Param([], type=["null", "array"], items={"type": "string", "minLength": 1},
                     description="Source names from the sources file to include (empty: all)."),
    "extra_sources": Param([], type=["null", "array"], items=SOURCE_SCHEMA,
                           description="Ad-hoc sources for this run: {name, kind, location}."),
    "limit": Param(None, type=["null", "integer", "string"], minimum=0, maximum=1_000_000,
                   pattern="^[0-9]{1,7}$",
                   description="Fetch at most this many new pages: a whole number >= 0 (empty: no limit)."),
    "reprocess": Param(False, type=["null", "boolean"],
                       description="Re-extract stored pages without discovering or fetching anything."),
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
    from etl.pipeline.tasks import RunFailed, describe, recorded

    try:
        settings = task_settings()
    except SettingError as exc:  # a bad NEWSETL_* value: no retry can fix it
        raise AirflowFailException(str(exc)) from exc
    url = warehouse_url(settings)
    try:
        with recorded(url, run_id, task):
            result = fn(url, settings, *args)
    except (SourcesFileError, BadRequest, SetupError, RunFailed) as exc:
        raise AirflowFailException(str(exc)) from exc
    log.info("%s", describe(task, result))
    return result
