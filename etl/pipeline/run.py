"""A whole run in one process (the CLI's ``newsetl run``): the same stage functions the DAG maps.

The process owns its run: it is recorded on the run, a run it leaves open when killed is closed as
``abandoned`` by the next run (:func:`etl.pipeline.runs.close_abandoned`), and under
:func:`stopping_on_signals` a SIGTERM (or SIGHUP) stops it cleanly: the claims are handed back and the
run is closed as failed, saying so.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from etl.params import check_day
from etl.pipeline import runs
from etl.pipeline.discover import run_discover
from etl.pipeline.fetch import run_fetch
from etl.pipeline.process import requeue_stored_pages, run_process
from etl.pipeline.resolve import pending_work, resolve_entities
from etl.pipeline.runs import RunSummary
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

    def params(self) -> dict[str, Any]:
        return {
            "sources_file": str(self.sources_file),
            "sources": list(self.source_names),
            "limit": self.limit,
            "reprocess": self.reprocess,
            "reprocess_since": self.reprocess_since,
            "reprocess_until": self.reprocess_until,
        }


class Terminated(BaseException):
    """A signal asked this process to stop (not an Exception: no ``except Exception`` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


@contextmanager
def stopping_on_signals(*signums: int) -> Iterator[None]:
    """While inside, SIGTERM (and the other ``signums``) raise :class:`Terminated` in the main thread, so
    the stage loops hand their claims back and the run is closed as failed instead of left running."""
    wanted = signums or (signal.SIGTERM, signal.SIGHUP)

    fired: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        if fired:  # already stopping: a second signal must not interrupt the closing of the run
            return
        fired.append(signum)
        raise Terminated(signum)

    previous = {s: signal.signal(s, stop) for s in wanted}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


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
    With ``reprocess`` nothing is discovered or fetched: stored pages are extracted again.
    """
    settings = replace(settings, sources_file=request.sources_file)  # local reads: its folder, unless files_roots
    specs = sources_for_run(request.sources_file, request.source_names)
    since = check_day("--since", request.reprocess_since)
    until = check_day("--until", request.reprocess_until)
    runs.prepare_database(url, settings.lock_timeout_seconds)
    notes = runs.close_abandoned(url)
    run_id = runs.start_run(url, trigger, request.params(), owned=True)
    try:
        source_ids = runs.sync_sources(url, specs)
        selected = list(source_ids.values())
        if request.reprocess:
            requeue_stored_pages(url, selected, since, until)
        else:
            run_discover(url, settings, specs, source_ids, run_id)
            pending = runs.count_pending(url, Queue.FETCH, selected, run_id)
            to_fetch = pending if request.limit is None else min(pending, request.limit)
            with progress("fetch", to_fetch) as advance:
                run_fetch(url, settings, run_id, selected, quota=to_fetch, progress=advance)
        with progress("extract+entities+load", runs.count_pending(url, Queue.PROCESS, selected, run_id)) as advance:
            run_process(url, settings, run_id, selected, progress=advance)
        with progress("resolve entities", pending_work(url)) as advance:
            resolve_entities(url, run_id, progress=advance)
    except Terminated as exc:
        runs.finish_run(url, settings, run_id, error=f"{exc}: its claims were handed back")
        raise
    except BaseException as exc:
        runs.finish_run(url, settings, run_id, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    summary = runs.finish_run(url, settings, run_id)
    with transaction(url) as conn:
        return replace(summary, top_entities=run_rows.top_entities(conn, run_id, 10),
                       entity_coverage=entity_rows.coverage_of_run(conn, run_id), notes=notes)
