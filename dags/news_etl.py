"""
### news_etl — fetch the news and load the warehouse

Nightly (and on demand from the trigger form): **discover** each source's URLs (mapped per source), **fetch**
new pages in batches (mapped, limited by the `news_fetch` pool), **process** stored pages — extract, entities,
load — in batches (mapped), **resolve_entities** across the warehouse from the evidence the batches stored, and
**publish** the run, which updates the `news_warehouse` asset that `news_reports` waits on. **close** runs
whatever happened before it: a run a failed or killed task left open is closed as failed, with its errors. Work
is claimed in PostgreSQL with leases, so mapped tasks and retries never handle a page twice; page bytes stay in
`raw_pages` (tasks pass ids).

Params: `sources` (names; empty = all), `extra_sources` (`{name, kind, location}`), `limit` (new
pages to fetch at most), `reprocess` (re-extract stored pages, no discover or fetch; `reprocess_since`,
`reprocess_until`). Each host's pages go to one fetch task.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable
from newsetl_airflow import FETCH_POOL, NEWS_ETL_PARAMS, WAREHOUSE_ASSET, call, external_run_id

from etl.pipeline import tasks
from etl.records import Queue


@dag(
    dag_id="news_etl",
    schedule=CronTriggerTimetable("15 2 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    doc_md=__doc__,
    tags=["newsetl", "etl"],
    default_args={"owner": "newsetl", "retries": 3, "retry_delay": timedelta(seconds=20),
                  "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(minutes=10)},
    params=NEWS_ETL_PARAMS,
)
def news_etl() -> None:
    @task
    def start(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Migrate, register sources, open the pipeline_runs row."""
        return call("start", tasks.open_run, dict(params or {}), external_run_id())

    @task
    def list_sources(run: dict[str, Any]) -> list[dict[str, Any]]:
        return tasks.to_discover(run)  # none when reprocessing

    @task(map_index_template="{{ task.op_kwargs['source']['name'] }}")
    def discover(source: dict[str, Any]) -> dict[str, Any]:
        """List one source's URLs into the frontier."""
        return call("discover", tasks.discover, source, run_id=source["run_id"])

    @task(trigger_rule="none_failed")
    def plan_fetch(run: dict[str, Any], params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Split pending URLs into quotas, one per mapped fetch task."""
        return call("plan_fetch", tasks.plan, run, Queue.FETCH, dict(params or {}), run_id=run["run_id"])

    @task(pool=FETCH_POOL, map_index_template="{{ task.op_kwargs['work']['quota'] }} pages")
    def fetch(work: dict[str, Any]) -> dict[str, Any]:
        """Claim and fetch pending URLs up to this task's quota."""
        return call("fetch", tasks.work, Queue.FETCH, work, run_id=work["run_id"])

    @task(trigger_rule="none_failed")
    def plan_process(run: dict[str, Any], params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Queue stored pages again when reprocessing; split pending pages into quotas."""
        return call("plan_process", tasks.plan, run, Queue.PROCESS, dict(params or {}), run_id=run["run_id"])

    @task(map_index_template="{{ task.op_kwargs['work']['quota'] }} pages")
    def process(work: dict[str, Any]) -> dict[str, Any]:
        """Extract, find entities and load claimed pages, one transaction per batch."""
        return call("process", tasks.work, Queue.PROCESS, work, run_id=work["run_id"])

    @task(trigger_rule="none_failed")
    def resolve_entities(run: dict[str, Any]) -> dict[str, Any]:
        """Which entity each name counts as, decided across the warehouse (after every batch)."""
        return call("resolve_entities", tasks.resolve_entities, run, run_id=run["run_id"])

    @task(trigger_rule="none_failed", outlets=[WAREHOUSE_ASSET])
    def publish(run: dict[str, Any]) -> dict[str, Any]:
        """Close the run (success or degraded) and update the warehouse asset."""
        return call("publish", tasks.publish, run, run_id=run["run_id"])

    @task(trigger_rule="all_done")
    def close(run: dict[str, Any]) -> dict[str, Any]:
        """Whatever failed: a run still open is closed as failed (with the errors its tasks noted) and
        this task fails too, so the DAG run cannot end green."""
        return call("close", tasks.close, run)

    run: Any = start()  # an XComArg: each task below gets its value
    discover.expand(source=list_sources(run)) >> (fetch_plan := plan_fetch(run))
    fetch.expand(work=fetch_plan) >> (process_plan := plan_process(run))
    process.expand(work=process_plan) >> resolve_entities(run) >> publish(run) >> close(run)


news_etl()
