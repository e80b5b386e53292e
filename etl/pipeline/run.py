"""A whole run in one process (the CLI's ``newsetl run``): the same stage functions the DAG maps.

The process owns its run: it is recorded on the run, a run it leaves open when killed is closed as
``abandoned`` by the next run (:func:`etl.pipeline.runs.close_abandoned`), and under
:func:`etl.pipeline.stopping.stopping_on_signals` a SIGTERM (or SIGHUP) stops it cleanly: the claims
are handed back and the run is closed as failed, saying so. With ``workers`` > 1 the process stage
runs in that many worker processes (``etl.pipeline.workers``), started before the fetch and following
it; a stop is forwarded to them, and a worker that fails fails the run.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from etl.params import check_day, check_workers
from etl.pipeline import runs
from etl.pipeline.discover import run_discover
from etl.pipeline.fetch import run_fetch
from etl.pipeline.process import requeue_stored_pages, run_process
from etl.pipeline.resolve import pending_work, resolve_entities
from etl.pipeline.runs import RunSummary
from etl.pipeline.stopping import Terminated, terminated_in
from etl.pipeline.workers import ProcessWorkers
from etl.records import Queue
from etl.settings import Settings
from etl.sources import sources_for_run
from etl.store import entities as entity_rows
from etl.store import runs as run_rows
from etl.store.db import transaction

# A stage progress reporter: called with (stage name, total) and returns a context manager
# yielding a callback that takes the number of items just done.
ProgressFactory = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class RunRequest:
    """What a user asks of one run (CLI options or DAG params)."""

    sources_file: Path
    source_names: tuple[str, ...] = ()
    limit: int | None = None
    reprocess: bool = False
    reprocess_since: str | None = None
    reprocess_until: str | None = None
    workers: int = 1  # processes of the process stage (etl.params.check_workers)

    def params(self) -> dict[str, Any]:
        return {
            "sources_file": str(self.sources_file),
            "sources": list(self.source_names),
            "limit": self.limit,
            "reprocess": self.reprocess,
            "reprocess_since": self.reprocess_since,
            "reprocess_until": self.reprocess_until,
            "workers": self.workers,
        }


def _no_progress(stage: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda n: None)


def run_pipeline(
    url: str,
    settings: Settings,
    request: RunRequest,
    trigger: str = "cli",
    progress: ProgressFactory = _no_progress,
) -> RunSummary:
    """Migrate, discover, fetch, process, resolve entities and close one run; returns the run summary.

    Runs a dead process left open are closed first (``abandoned``), and the summary's notes say so.
    With ``reprocess`` nothing is discovered or fetched: stored pages are extracted again. With
    ``workers`` > 1 the process stage runs in that many processes, alongside the fetch.
    """
    settings = replace(settings, sources_file=request.sources_file)  # local reads: its folder, unless files_roots
    specs = sources_for_run(request.sources_file, request.source_names)
    since = check_day("--since", request.reprocess_since)
    until = check_day("--until", request.reprocess_until)
    check_workers("--workers", request.workers)
    runs.prepare_database(url, settings.lock_timeout_seconds)
    notes = runs.close_abandoned(url)
    run_id = runs.start_run(url, trigger, request.params(), owned=True)
    try:
        source_ids = runs.sync_sources(url, specs)
        selected = list(source_ids.values())
        to_fetch = 0
        if request.reprocess:
            requeue_stored_pages(url, selected, since, until)
        else:
            run_discover(url, settings, specs, source_ids, run_id)
            pending = runs.count_pending(url, Queue.FETCH, selected, run_id)
            to_fetch = pending if request.limit is None else min(pending, request.limit)
        # Worker processes start before the fetch and follow it (none when nothing is new: no model loaded).
        many = request.workers > 1 and bool(to_fetch or runs.count_pending(url, Queue.PROCESS, selected, run_id))
        workers: AbstractContextManager[ProcessWorkers | None] = nullcontext() if not many else \
            ProcessWorkers(url, settings, run_id, selected, request.workers, follow_fetch=not request.reprocess)
        with workers as pool:  # a failure or a stop inside stops the workers (their claims handed back)
            if not request.reprocess:
                with progress("fetch", to_fetch) as advance:
                    run_fetch(url, settings, run_id, selected, quota=to_fetch, progress=advance)
            left = runs.count_pending(url, Queue.PROCESS, selected, run_id)
            with progress("extract+entities+load", left) as advance:
                if pool is None:
                    run_process(url, settings, run_id, selected, progress=advance)
                else:
                    pool.fetched()
                    pool.wait(advance)
        with progress("resolve entities", pending_work(url)) as advance:
            resolve_entities(url, run_id, progress=advance)
    except Terminated as exc:
        runs.finish_run(url, settings, run_id, error=f"{exc}: its claims were handed back")
        raise
    except BaseException as exc:
        if (term := terminated_in(exc)) is not None:  # a signal wrapped in a task group's exception group
            runs.finish_run(url, settings, run_id, error=f"{term}: its claims were handed back")
            raise term from None
        runs.finish_run(url, settings, run_id, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    summary = runs.finish_run(url, settings, run_id)
    with transaction(url) as conn:
        return replace(summary, top_entities=run_rows.top_entities(conn, run_id, 10),
                       entity_coverage=entity_rows.coverage_of_run(conn, run_id), notes=notes)
