"""The surface the DAG calls: one function per task, JSON-able values in and out (they travel by XCom).

Page bytes never do: tasks pass run ids, source ids and quotas, and the stages claim their work in
PostgreSQL. Each function is what one task does, so a DAG file is only wiring.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from etl.params import check_day
from etl.pipeline import runs
from etl.records import Queue, RunStatus, SourceSpec
from etl.settings import Settings
from etl.sources import source_kind, sources_for_run

MAX_MAPPED_TASKS = 8
log = logging.getLogger(__name__)


def open_run(url: str, settings: Settings, params: dict[str, Any], external_id: str) -> dict[str, Any]:
    """Migrate, register the run's sources, open its pipeline_runs row (a retry reopens the same row)."""
    specs = sources_for_run(settings.sources_file, params.get("sources") or [], params.get("extra_sources") or [],
                            allow_local=settings.adhoc_local_sources)
    if params.get("reprocess"):  # checked now: a bad day must fail the run before any work
        check_day("reprocess_since", params.get("reprocess_since"))
        check_day("reprocess_until", params.get("reprocess_until"))
    runs.prepare_database(url, settings.lock_timeout_seconds)
    source_ids = runs.sync_sources(url, specs)
    run_id = runs.start_run(url, "airflow", dict(params), external_id=external_id)
    return {
        "run_id": run_id,
        "source_ids": list(source_ids.values()),
        "specs": [{"name": s.name, "kind": str(s.kind), "location": s.location, "options": s.options,
                   "source_id": source_ids[s.name], "run_id": run_id} for s in specs],
    }


def discover(url: str, settings: Settings, source: dict[str, Any]) -> dict[str, Any]:
    """List one source's URLs into the frontier."""
    from etl.pipeline.discover import run_discover

    spec = SourceSpec(source["name"], source_kind(source["kind"], f"source {source['name']}"), source["location"],
                      source["options"])
    return run_discover(url, settings, [spec], {spec.name: source["source_id"]}, source["run_id"]).as_dict()


def plan(url: str, settings: Settings, run: dict[str, Any], queue: Queue,
         params: dict[str, Any]) -> list[dict[str, Any]]:
    """Split a queue's pending work into quotas, one per mapped task (reprocess queues stored pages first)."""
    if queue is Queue.PROCESS and params.get("reprocess"):
        from etl.pipeline.process import requeue_stored_pages

        requeue_stored_pages(url, run["source_ids"], check_day("reprocess_since", params.get("reprocess_since")),
                             check_day("reprocess_until", params.get("reprocess_until")))
    pending = runs.count_pending(url, queue, run["source_ids"], run["run_id"])
    limit = params.get("limit") if queue is Queue.FETCH else None
    quotas = runs.plan_quotas(pending, limit, settings.batch_size, MAX_MAPPED_TASKS)
    return [{"run_id": run["run_id"], "source_ids": run["source_ids"], "quota": q, "of": pending} for q in quotas]


def work(url: str, settings: Settings, queue: Queue, assigned: dict[str, Any]) -> dict[str, Any]:
    """Claim and work a queue's items up to this task's quota."""
    if queue is Queue.FETCH:
        from etl.pipeline.fetch import run_fetch

        return run_fetch(url, settings, assigned["run_id"], assigned["source_ids"], assigned["quota"]).as_dict()
    from etl.pipeline.process import run_process

    return run_process(url, settings, assigned["run_id"], assigned["source_ids"], assigned["quota"]).as_dict()


def resolve_entities(url: str, settings: Settings, run: dict[str, Any]) -> dict[str, Any]:
    """Decide across the warehouse which entity each name counts as, from the evidence the run's
    batches stored (and any left pending by an earlier run); its own step, after every batch."""
    from etl.pipeline.resolve import resolve_entities as resolve

    return resolve(url, run["run_id"]).as_dict()


def publish(url: str, settings: Settings, run: dict[str, Any]) -> dict[str, Any]:
    """Close a run whose tasks all succeeded: success or degraded."""
    summary = runs.finish_run(url, settings, run["run_id"])
    log.info("run %s %s in %ss: %s", summary.run_id, summary.status, summary.seconds, summary.counts)
    return summary.as_dict()


class RunFailed(RuntimeError):
    """A run that had to be closed as failed: its tasks did not all succeed."""


def close(url: str, settings: Settings, run: dict[str, Any]) -> dict[str, Any]:
    """The last task, whatever failed before it: a run still open is closed as failed with the errors its
    tasks recorded. A failed run raises RunFailed (every time: a retry of this task gives the same answer)."""
    summary = runs.close_unfinished(url, run["run_id"]) or runs.summary(url, run["run_id"])
    if summary.status in (RunStatus.FAILED, RunStatus.ABANDONED):
        raise RunFailed(f"run {summary.run_id} is {summary.status}: {summary.error}")
    return summary.as_dict()


@contextmanager
def recorded(url: str, run_id: int | None, task: str) -> Iterator[None]:
    """Run a task's body; if it raises, note the error on the run (its teardown closes it as failed)."""
    try:
        yield
    except Exception as exc:
        if run_id is not None:
            try:
                runs.record_error(url, run_id, f"{task}: {type(exc).__name__}: {exc}")
            except Exception:  # the database may be what failed; the teardown still closes the run
                pass
        raise
