"""
### news_etl — fetch the news and load the warehouse

Nightly (and on demand from the trigger form): **discover** each source's URLs (mapped per source),
**fetch** new pages in batches (mapped, limited by the `news_fetch` pool), then **process** stored
pages — extract, entities, load — in batches (mapped), and **publish** the run, which updates the
`news_warehouse` asset that `news_reports` waits on. Work is claimed in PostgreSQL with leases,
so mapped tasks and retries never handle a page twice. Page bytes travel through `raw_pages`,
never through XCom: tasks pass run ids, source ids and quotas.

Params: `sources` (names from the sources file; empty = all), `extra_sources` (ad-hoc sources
`{name, kind, location}`), `limit` (new pages to fetch at most), `reprocess` (re-extract stored
pages, optionally only those fetched between `reprocess_since` and `reprocess_until`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, task
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.trigger import CronTriggerTimetable
from newsetl_airflow import FETCH_POOL, WAREHOUSE_ASSET, external_run_id, task_settings, warehouse_url

from etl import pipeline
from etl.params import BadRequest, check_day
from etl.records import SourceSpec
from etl.runner import sources_for_run
from etl.sources import SourcesFileError

log = logging.getLogger(__name__)
MAX_MAPPED_TASKS = 8

SOURCE_SCHEMA = {
    "type": "object",
    "required": ["name", "kind", "location"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "kind": {"type": "string", "enum": ["files", "urls", "feed", "sitemap", "warc"]},
        "location": {"type": "string", "minLength": 1, "maxLength": 2000},
    },
}


@dag(
    dag_id="news_etl",
    schedule=CronTriggerTimetable("15 2 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    doc_md=__doc__,
    tags=["newsetl", "etl"],
    default_args={
        "owner": "newsetl",
        "retries": 3,
        "retry_delay": timedelta(seconds=20),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=10),
    },
    params={
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
    },
)
def news_etl() -> None:
    @task
    def start(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Migrate, register sources, open the pipeline_runs row."""
        settings = task_settings()
        url = warehouse_url(settings)
        pipeline.prepare_database(url)
        try:
            specs = sources_for_run(settings.sources_file, params["sources"], params["extra_sources"])
        except SourcesFileError as exc:  # a user error: retrying cannot fix it
            raise AirflowFailException(str(exc)) from exc
        source_ids = pipeline.sync_sources(url, specs)
        run_id = pipeline.start_run(url, "airflow", dict(params), external_id=external_run_id())
        log.info("run %s: %d sources", run_id, len(specs))
        return {
            "run_id": run_id,
            "source_ids": list(source_ids.values()),
            "specs": [{"name": s.name, "kind": s.kind, "location": s.location, "options": s.options,
                       "source_id": source_ids[s.name]} for s in specs],
        }

    @task
    def list_sources(run: dict[str, Any]) -> list[dict[str, Any]]:
        return [dict(spec, run_id=run["run_id"]) for spec in run["specs"]]

    @task(map_index_template="{{ task.op_kwargs['source']['name'] }}")
    def discover(source: dict[str, Any]) -> dict[str, Any]:
        """List one source's URLs into the frontier."""
        from etl.acquire.discover import run_discover

        settings = task_settings()
        spec = SourceSpec(source["name"], source["kind"], source["location"], source["options"])
        result = run_discover(warehouse_url(settings), settings, [spec], {spec.name: source["source_id"]},
                              source["run_id"])
        log.info("discover %s: %s", spec.name, result.as_dict())
        return result.as_dict()

    @task(trigger_rule="none_failed")
    def plan_fetch(run: dict[str, Any], params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Split pending URLs into quotas, one per mapped fetch task."""
        settings = task_settings()
        pending = pipeline.count_pending(warehouse_url(settings), "fetch", run["source_ids"])
        quotas = pipeline.plan_quotas(pending, params["limit"], settings.batch_size, MAX_MAPPED_TASKS)
        log.info("fetch plan: %d pending, quotas %s", pending, quotas)
        return [{"run_id": run["run_id"], "source_ids": run["source_ids"], "quota": q} for q in quotas]

    @task(pool=FETCH_POOL, map_index_template="{{ task.op_kwargs['work']['quota'] }} pages")
    def fetch(work: dict[str, Any]) -> dict[str, Any]:
        """Claim and fetch pending URLs up to this task's quota."""
        from etl.acquire.fetch import run_fetch

        settings = task_settings()
        result = run_fetch(warehouse_url(settings), settings, work["run_id"], work["source_ids"], work["quota"])
        log.info("fetch summary: %s", result.as_dict())
        return result.as_dict()

    @task(trigger_rule="none_failed")
    def plan_process(run: dict[str, Any], params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Queue stored pages again when reprocessing; split pending pages into quotas."""
        from etl.process import requeue_stored_pages

        settings = task_settings()
        url = warehouse_url(settings)
        if params["reprocess"]:
            try:
                since = check_day("reprocess_since", params["reprocess_since"])
                until = check_day("reprocess_until", params["reprocess_until"])
            except BadRequest as exc:  # a user error: retrying cannot fix it
                raise AirflowFailException(str(exc)) from exc
            queued = requeue_stored_pages(url, run["source_ids"], since, until)
            log.info("reprocess: %d stored pages queued again", queued)
        pending = pipeline.count_pending(url, "process", run["source_ids"])
        quotas = pipeline.plan_quotas(pending, None, settings.batch_size, MAX_MAPPED_TASKS)
        log.info("process plan: %d pending, quotas %s", pending, quotas)
        return [{"run_id": run["run_id"], "source_ids": run["source_ids"], "quota": q} for q in quotas]

    @task(map_index_template="{{ task.op_kwargs['work']['quota'] }} pages")
    def process(work: dict[str, Any]) -> dict[str, Any]:
        """Extract, find entities and load claimed pages, one transaction per batch."""
        from etl.process import run_process

        settings = task_settings()
        result = run_process(warehouse_url(settings), settings, work["run_id"], work["source_ids"], work["quota"])
        log.info("process summary: %s", result.as_dict())
        return result.as_dict()

    @task(trigger_rule="none_failed", outlets=[WAREHOUSE_ASSET])
    def publish(run: dict[str, Any]) -> dict[str, Any]:
        """Close the run (success or degraded) and update the warehouse asset."""
        settings = task_settings()
        summary = pipeline.finish_run(warehouse_url(settings), settings, run["run_id"])
        log.info("run %s %s in %ss: %s", summary["run_id"], summary["status"], summary["seconds"],
                 summary["counts"])
        return {"run_id": summary["run_id"], "status": summary["status"], "counts": summary["counts"]}

    run = start()
    discovered = discover.expand(source=list_sources(run))
    fetch_plan = plan_fetch(run)
    discovered >> fetch_plan
    fetched = fetch.expand(work=fetch_plan)
    process_plan = plan_process(run)
    fetched >> process_plan
    processed = process.expand(work=process_plan)
    processed >> publish(run)


news_etl()
