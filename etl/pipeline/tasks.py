"""The surface the DAG calls: one function per task, JSON-able values in and out (they travel by XCom).

Page bytes never do: tasks pass run ids, source ids and quotas, and the stages claim their work in
PostgreSQL. Each function is what one task does, so a DAG file is only wiring.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from etl.params import check_day, check_limit
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
    check_limit("limit", params.get("limit"))  # checked now: a bad value must fail the run before any work
    if params.get("reprocess"):
        check_day("reprocess_since", params.get("reprocess_since"))
        check_day("reprocess_until", params.get("reprocess_until"))
    runs.prepare_database(url, settings.lock_timeout_seconds)
    for note in runs.close_abandoned(url):
        log.warning("%s", note)
    source_ids = runs.sync_sources(url, specs)
    run_id = runs.start_run(url, "airflow", dict(params), external_id=external_id)
    return {
        "run_id": run_id,
        "reprocess": bool(params.get("reprocess")),
        "source_ids": list(source_ids.values()),
        "specs": [{"name": s.name, "kind": str(s.kind), "location": s.location, "options": s.options,
                   "source_id": source_ids[s.name], "run_id": run_id} for s in specs],
    }


def to_discover(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The sources the discover tasks map over: none when reprocessing (it fetches nothing)."""
    return [] if run.get("reprocess") else list(run["specs"])


def discover(url: str, settings: Settings, source: dict[str, Any]) -> dict[str, Any]:
    """List one source's URLs into the frontier."""
    from etl.pipeline.discover import run_discover

    spec = SourceSpec(source["name"], source_kind(source["kind"], f"source {source['name']}"), source["location"],
                      source["options"])
    return run_discover(url, settings, [spec], {spec.name: source["source_id"]}, source["run_id"]).as_dict()


def plan(url: str, settings: Settings, run: dict[str, Any], queue: Queue,
         params: dict[str, Any]) -> list[dict[str, Any]]:
    """Split a queue's pending work over the mapped tasks (reprocess queues stored pages first, and fetches
    nothing). Fetch work is split by host: each host's URLs go to one task, which claims only its hosts,
    so no task finds its work held by another; each task's quota is the pending URLs of its hosts."""
    if params.get("reprocess"):
        if queue is Queue.FETCH:
            log.info("reprocess: nothing is fetched")
            return []
        from etl.pipeline.process import requeue_stored_pages

        requeue_stored_pages(url, run["source_ids"], check_day("reprocess_since", params.get("reprocess_since")),
                             check_day("reprocess_until", params.get("reprocess_until")))
    if queue is Queue.FETCH:
        by_host = runs.pending_by_host(url, run["run_id"], run["source_ids"])
        pending = sum(by_host.values())
        planned = runs.plan_fetch(by_host, check_limit("limit", params.get("limit")), settings.batch_size,
                                  MAX_MAPPED_TASKS)
        log.info("fetch plan: %d URLs of %d host(s) over %d task(s)", pending, len(by_host), len(planned))
        return [{"run_id": run["run_id"], "source_ids": run["source_ids"], "hosts": hosts, "quota": quota,
                 "of": pending} for hosts, quota in planned]
    pending = runs.count_pending(url, queue, run["source_ids"], run["run_id"])
    quotas = runs.plan_quotas(pending, None, settings.batch_size, MAX_MAPPED_TASKS)
    return [{"run_id": run["run_id"], "source_ids": run["source_ids"], "quota": q, "of": pending} for q in quotas]


def work(url: str, settings: Settings, queue: Queue, assigned: dict[str, Any]) -> dict[str, Any]:
    """Claim and work a queue's items up to this task's quota."""
    if queue is Queue.FETCH:
        from etl.pipeline.fetch import run_fetch

        return run_fetch(url, settings, assigned["run_id"], assigned["source_ids"], assigned["quota"],
                         hosts=assigned.get("hosts")).as_dict()
    from etl.pipeline.process import run_process

    return run_process(url, settings, assigned["run_id"], assigned["source_ids"], assigned["quota"]).as_dict()


def resolve_entities(url: str, settings: Settings, run: dict[str, Any]) -> dict[str, Any]:
    """Decide across the warehouse which entity each name counts as, from the evidence the run's
    batches stored (and any left pending by an earlier run); its own step, after every batch."""
    from etl.pipeline.resolve import resolve_entities as resolve

    return resolve(url, run["run_id"]).as_dict()


def publish(url: str, settings: Settings, run: dict[str, Any]) -> dict[str, Any]:
    """Close a run whose tasks all succeeded: success or degraded. A run that could fetch nothing is closed
    as failed and this task fails (RunFailed): the warehouse asset is not updated for it."""
    summary = runs.finish_run(url, settings, run["run_id"])
    log.info("run %s %s in %ss\n%s", summary.run_id, summary.status, summary.seconds, run_table(summary))
    if summary.status is RunStatus.FAILED:
        raise RunFailed(f"run {summary.run_id} is failed: {summary.error}")
    return summary.as_dict()


def describe(task: str, result: Any) -> str:
    """A task's result as its log's closing lines: one counter a line, aligned (not a dict dump)."""
    if isinstance(result, dict) and isinstance(result.get("counts"), dict):
        counts = {k: v for k, v in result["counts"].items() if v}
        head = f"{task} summary: {sum(v for k, v in counts.items() if k in DONE_KEYS)} items in " \
               f"{float(result.get('seconds', 0)):.1f}s"
        return head + "".join(f"\n  {k:<28} {v:>8}" for k, v in sorted(counts.items())) if counts else \
            head + "\n  (nothing to do)"
    if isinstance(result, list):
        return f"{task} summary: {len(result)} item(s)" + "".join(f"\n  {_brief(item)}" for item in result[:20])
    if isinstance(result, dict) and "run_id" in result and "specs" in result:
        return f"{task} summary: run {result['run_id']}, {len(result['specs'])} source(s)"
    return f"{task} summary: {_brief(result)}"


DONE_KEYS = frozenset({"fetched", "not_modified", "rejected_fetch", "fetch_host_parked", "articles_inserted",
                       "articles_updated", "rejected_extract", "rejected_load", "rejected_entities",
                       "discovered"})


def _brief(item: Any) -> str:
    if isinstance(item, dict) and "quota" in item:
        hosts = item.get("hosts")
        where = f" of {', '.join(h or '(local files)' for h in hosts)}" if hosts is not None else ""
        return f"{item['quota']} of {item.get('of', '?')} pending{where}"
    if isinstance(item, dict) and "name" in item:
        return f"{item['name']} ({item.get('kind')}: {item.get('location')})"
    return str(item)[:300]


def run_table(summary: runs.RunSummary) -> str:
    """A run's counters, rejects by reason and parked hosts, one per line (publish's log, the CLI's notes)."""
    lines = [f"  {k:<28} {v:>8}" for k, v in sorted(summary.counts.items()) if v]
    lines += [f"  rejected {key:<19} {n:>8}" for key, n in summary.rejects.items()]
    lines += [f"  parked host {p['host']}: {p['detail']} ({p['pending']} URLs pending)" for p in summary.parked]
    if summary.error:
        lines += [f"  why: {line}" for line in summary.error.splitlines()]
    return "\n".join(lines)


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
