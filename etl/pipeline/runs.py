"""Runs: prepare the warehouse, open a run, plan its work, close it with a status that tells the truth.

A run ends ``success``, ``degraded`` (a source could not be read, a host was parked after an outage,
or the reject share passed ``NEWSETL_DEGRADED_REJECT_RATE``) or ``failed`` (an error stopped it, or
nothing could be fetched: every source refused or unreadable, every page refused). The reasons and
what to do about them are written to the run's ``error`` and shown by the CLI. A CLI run records its
process; a later run closes a run whose process is gone as ``abandoned`` and hands its claims back.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from etl.records import Queue, RunStatus, SourceSpec
from etl.settings import SEEDS_DIR, Settings
from etl.store import frontier, hosts, runs, sources
from etl.store.db import Conn, transaction
from etl.store.entities import EntityCoverage
from etl.store.queues import FRONTIER, RAW_PAGES, QueueTable
from etl.store.runs import EntityTotal, Owner

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
QUEUES = {Queue.FETCH: FRONTIER, Queue.PROCESS: RAW_PAGES}


@dataclass(frozen=True)
class RunSummary:
    """How a run ended: its status, counters and per-stage seconds (and its top entities and their
    coverage of its stories, for the CLI)."""

    run_id: int
    status: RunStatus
    seconds: float
    counts: dict[str, int]
    stage_timings: dict[str, float]
    error: str | None = None
    top_entities: list[EntityTotal] = field(default_factory=list)
    entity_coverage: EntityCoverage | None = None
    rejects: dict[str, int] = field(default_factory=dict)  # "stage:reason" -> rows
    parked: list[dict[str, Any]] = field(default_factory=list)  # hosts parked: host, reason, detail, pending
    notes: list[str] = field(default_factory=list)  # what the run did besides its work (runs it closed)

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (XCom)."""
        out = asdict(self)
        out["status"] = str(self.status)
        return out


def worker_id() -> str:
    """A name unique to this process, for leases: ``machine:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def process_alive(pid: int, started_at: float | None = None) -> bool:
    """True while process ``pid`` of this machine runs (and is the one that started at ``started_at``)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started_at is None or abs(proc.create_time() - started_at) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def worker_gone(worker: str) -> bool:
    """True when ``worker`` (a :func:`worker_id`) is a process of this machine that no longer runs; a
    worker of another machine is never taken for gone (its lease expires instead)."""
    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    return not process_alive(int(parts[1]))


def release_dead_workers(conn: Conn, workers: Sequence[str] | None = None,
                         queues: Sequence[QueueTable] = (FRONTIER, RAW_PAGES)) -> list[str]:
    """Hand back the claims of workers of this machine whose process is gone (of ``workers``, or of
    every holder of the queues), without waiting for their leases; returns the workers released."""
    gone = []
    for queue in queues:
        candidates = queue.holders(conn) if workers is None else workers
        for worker in sorted(set(candidates)):
            if worker_gone(worker) and queue.release(conn, worker):
                gone.append(worker)
                log.warning("handed back the %s claims of %s, a worker whose process is gone", queue.name, worker)
    return sorted(set(gone))


def process_owner() -> Owner:
    """This process, as the owner of a CLI run."""
    return Owner(socket.gethostname(), os.getpid(), psutil.Process().create_time())


def prepare_database(url: str, lock_timeout_seconds: float = Settings.lock_timeout_seconds) -> None:
    """Migrate the warehouse to the newest schema (safe from many processes at once; no lock waited for
    longer than ``lock_timeout_seconds``), then load the seed entity aliases (idempotent)."""
    from etl.store import migrate  # imported here: DAG files import this module while Airflow parses them

    migrate.upgrade(url, lock_timeout_seconds=lock_timeout_seconds)
    load_seeds(url)


def load_seeds(url: str, path: Path = SEEDS_DIR / "entity_aliases.csv") -> int:
    """Load the seed aliases and the seed blocklist (seeds/entity_blocklist.csv) into the warehouse at
    ``url`` (one transaction); returns the alias rows."""
    from etl.seeds import read_alias_seeds, read_blocklist_seeds
    from etl.store import entities

    seeds = read_alias_seeds(path)
    with transaction(url) as conn:
        entities.seed_aliases(conn, seeds)
        entities.seed_blocklist(conn, read_blocklist_seeds())
    return len(seeds)


def start_run(url: str, trigger: str, params: dict[str, Any], external_id: str | None = None,
              owned: bool = False) -> int:
    """Open a pipeline_runs row; an Airflow retry with the same external id reuses it. ``owned``: this
    process owns the run (a CLI run), recorded so that a later run can tell if it died unclosed."""
    with transaction(url) as conn:
        return runs.start(conn, trigger, params, external_id, process_owner() if owned else None)


def close_abandoned(url: str) -> list[str]:
    """Close as ``abandoned`` the open runs whose owner process (on this machine) is gone, and hand back
    every claim of a dead worker of this machine; returns one line per run closed."""
    notes = []
    with transaction(url) as conn:
        for run in runs.running_owned(conn, socket.gethostname()):
            if process_alive(run.owner_pid, run.owner_started_at):
                continue
            note = (f"run {run.run_id} was left open by process {run.owner_pid}, which is gone (killed?): "
                    "closed as abandoned")
            runs.finish(conn, run.run_id, RunStatus.ABANDONED,
                        f"its process {socket.gethostname()}:{run.owner_pid} is gone; closed by a later run")
            notes.append(note)
        released = release_dead_workers(conn)
    if released:
        notes.append(f"handed back the claims of {len(released)} dead worker(s): {', '.join(released)}")
    for note in notes:
        log.warning("%s", note)
    return notes


def sync_sources(url: str, specs: Sequence[SourceSpec]) -> dict[str, int]:
    """Upsert the configured sources; returns name -> source_id."""
    with transaction(url) as conn:
        return sources.upsert(conn, specs)


def count_pending(url: str, queue: Queue, source_ids: Sequence[int] | None, run_id: int | None = None) -> int:
    """Pending work of a queue for the selected sources (None: all) that run ``run_id`` may still claim."""
    with transaction(url) as conn:
        return QUEUES[Queue(queue)].count_pending(conn, run_id, source_ids)


def pending_by_host(url: str, run_id: int, source_ids: Sequence[int] | None) -> dict[str, int]:
    """URLs of the selected sources run ``run_id`` may fetch, per host ('' = local reads)."""
    with transaction(url) as conn:
        return frontier.pending_by_host(conn, run_id, source_ids)


def plan_quotas(pending: int, limit: int | None, batch_size: int, max_tasks: int) -> list[int]:
    """Split the work of a run into at most ``max_tasks`` quotas of whole batches.

    Each quota is what one mapped task (or worker) may claim; claims themselves are made in
    Postgres, so quotas only bound the work, they never assign pages.
    """
    total = pending if limit is None else min(pending, max(limit, 0))
    if total <= 0:
        return []
    batches = math.ceil(total / batch_size)
    tasks = max(1, min(max_tasks, batches))
    per_task = math.ceil(batches / tasks) * batch_size
    quotas = []
    remaining = total
    while remaining > 0:
        quotas.append(min(per_task, remaining))
        remaining -= quotas[-1]
    return quotas


def plan_fetch(pending_by_host: Mapping[str, int], limit: int | None, batch_size: int,
               max_tasks: int) -> list[tuple[list[str], int]]:
    """Split the fetch work of a run into at most ``max_tasks`` tasks, each a set of hosts and a quota.

    A host's URLs all go to one task (one host is fetched one request at a time anyway, so two tasks
    on one host would only wait for each other); local reads (host '') have no host and are split in
    whole batches. Tasks are filled largest host first onto the least loaded task. A ``limit`` is
    shared fairly over the hosts first (each gets an equal share, what a small host leaves goes to
    the others).
    """
    shares = {h: n for h, n in pending_by_host.items() if n > 0}
    if limit is not None:
        shares = _fair_shares(shares, max(limit, 0))
    total = sum(shares.values())
    if total <= 0:
        return []
    tasks = max(1, min(max_tasks, math.ceil(total / batch_size)))
    items: list[tuple[str, int]] = [(h, n) for h, n in shares.items() if h and n > 0]
    local = shares.get("", 0)
    while local > 0:
        items.append(("", min(batch_size, local)))
        local -= batch_size
    bins: list[tuple[list[str], int]] = [([], 0) for _ in range(tasks)]
    for host, n in sorted(items, key=lambda item: (-item[1], item[0])):
        index = min(range(tasks), key=lambda i: (bins[i][1], i))
        names, load = bins[index]
        bins[index] = (names if host in names else [*names, host], load + n)
    return [(sorted(names), load) for names, load in bins if load > 0]


def _fair_shares(pending: Mapping[str, int], limit: int) -> dict[str, int]:
    """Water-filling: each host gets up to an equal share of ``limit``; what small ones leave is shared again."""
    shares = dict.fromkeys(pending, 0)
    left = min(limit, sum(pending.values()))
    open_hosts = sorted(pending, key=lambda h: (pending[h], h))
    while left > 0 and open_hosts:
        each = max(1, left // len(open_hosts))
        for host in list(open_hosts):
            take = min(each, pending[host] - shares[host], left)
            shares[host] += take
            left -= take
            if shares[host] >= pending[host]:
                open_hosts.remove(host)
            if left <= 0:
                break
    return shares


def record_error(url: str, run_id: int, error: str) -> None:
    """Note on an open run why one of its tasks failed (its closing status will say failed)."""
    with transaction(url) as conn:
        runs.record_error(conn, run_id, error[:2000])


# What to do about the reasons a run could not fetch, shown with the run's status.
HINTS = {
    "ssrf_blocked": "the host resolves to a private, loopback or link-local address; if it is yours, list it "
                    "in NEWSETL_ALLOWED_HOSTS (a host, an IP or a CIDR network)",
    "robots_unavailable": "robots.txt could not be read (the site is down or refusing us): nothing of that site "
                          "is fetched this run, its URLs stay pending and the next run asks again",
    "host_parked": "the host kept failing and was parked for the rest of the run; its URLs stay pending "
                   "(no attempt lost) for the next run",
    "robots_disallowed": "robots.txt disallows these URLs for our User-Agent (NEWSETL_USER_AGENT)",
    "dns_error": "the host name does not resolve: check the source's location, or this machine's DNS",
    "connect_error": "the site refused or dropped the connection; the URLs stay pending for a later run",
    "timeout": "the site did not answer in time (NEWSETL_*_TIMEOUT_SECONDS); the URLs stay pending for a later run",
    "too_many_documents": "over NEWSETL_DISCOVER_MAX_DOCUMENTS documents of one source this run: later runs read "
                          "the rest (raise it to read more at once)",
    "too_many_entries": "over NEWSETL_DISCOVER_MAX_ENTRIES new URLs of one source this run: later runs take the "
                        "rest (raise it to take more at once)",
    "no_files_match": "the source's pattern matched no file: check its location",
    "unsupported_scheme": "only http(s) URLs (and local paths for local sources) can be read",
    "unreadable_document": "a local document could not be read: check the path and its permissions",
    "http_4xx": "the server refused the request or has no such page",
    "http_5xx": "the server failed; the URLs stay pending for a later run",
    "not_html": "the URL is not an HTML page",
}


def hint(reason: str) -> str | None:
    """What to do about a reject reason, when there is something to say."""
    if reason in HINTS:
        return HINTS[reason]
    if reason.startswith("http_") and reason[5:].isdigit():
        return HINTS["http_5xx" if reason[5] == "5" else "http_4xx"]
    return None


def judge(counts: Mapping[str, int], rejects: Mapping[str, int], parked: Sequence[hosts.ParkedHost],
          settings: Settings) -> tuple[RunStatus, str | None]:
    """The status of a run that was not stopped by an error, and why when it is not success."""
    def n(key: str) -> int:
        return int(counts.get(key, 0))

    read = n("documents_fetched") + n("documents_not_modified") + n("discovered")
    fetched = n("fetched") + n("not_modified")
    processed = n("articles_inserted") + n("articles_updated") + n("rejected_extract")
    tried = fetched + n("rejected_fetch") + n("fetch_host_parked")
    problems = []
    status = RunStatus.SUCCESS
    if n("rejected_discover") and not read and not fetched and not processed:
        status = RunStatus.FAILED
        problems.append("nothing could be fetched: every source was refused or unreadable")
    elif tried and not fetched and not processed:
        status = RunStatus.FAILED
        problems.append(f"nothing could be fetched: all {tried} page(s) tried were refused or failed")
    else:
        if parked:
            status = RunStatus.DEGRADED
            left = sum(p.pending for p in parked)
            problems.append(f"{len(parked)} host(s) kept failing and were parked; {left} URL(s) stay pending for "
                            "the next run")
        if n("sources_unreadable"):
            status = RunStatus.DEGRADED
            problems.append(f"{n('sources_unreadable')} source(s) could not be read")
        attempted = n("fetched") + n("rejected_fetch")
        rejected = n("rejected_fetch") + n("rejected_extract") + n("rejected_load")
        if attempted and rejected / attempted > settings.degraded_reject_rate:
            status = RunStatus.DEGRADED
            problems.append(f"{rejected} of {attempted} pages were rejected (over NEWSETL_DEGRADED_REJECT_RATE "
                            f"{settings.degraded_reject_rate:g})")
    if status is RunStatus.SUCCESS:
        return status, None
    lines = ["; ".join(problems)]
    for host in parked:
        lines.append(f"  parked {host.host}: {host.detail} ({host.pending} URLs pending)")
    for key, count in list(rejects.items())[:8]:
        stage, reason = key.split(":", 1)
        why = hint(reason)
        lines.append(f"  {reason} x{count} at {stage}" + (f": {why}" if why else ""))
    return status, "\n".join(lines)


def finish_run(url: str, settings: Settings, run_id: int, error: str | None = None) -> RunSummary:
    """Close the run: failed on error or when nothing could be fetched, degraded on outages, unreadable
    sources or too many rejects, else success; the reasons and their fixes go to the run's error."""
    with transaction(url) as conn:
        counts = runs.counts(conn, run_id)
        rejects = runs.rejects_by_reason(conn, run_id)
        parked = hosts.parked(conn, run_id)
        if parked:
            runs.add_stats(conn, run_id, {"pending_on_parked_hosts": sum(p.pending for p in parked)}, {})
        status, why = (RunStatus.FAILED, None) if error else judge(counts, rejects, parked, settings)
        row = runs.finish(conn, run_id, status, error or why)
    return _summary(row, rejects, parked)


def close_unfinished(url: str, run_id: int) -> RunSummary | None:
    """Teardown of a DAG run: a run still open here means a task failed or was killed before the run
    was published; it is closed as failed with the errors its tasks recorded. None when already closed."""
    with transaction(url) as conn:
        row = runs.get(conn, run_id)
        if row is None or row.status != RunStatus.RUNNING:
            return None
        error = None if row.error else "a task failed or was killed before the run was published; see its log"
        return _summary(runs.finish(conn, run_id, RunStatus.FAILED, error))


def summary(url: str, run_id: int) -> RunSummary:
    """A run as it stands."""
    with transaction(url) as conn:
        row = runs.get(conn, run_id)
        if row is None:
            raise LookupError(f"no run {run_id} in the warehouse")
        return _summary(row, runs.rejects_by_reason(conn, run_id), hosts.parked(conn, run_id))


def _summary(row: runs.RunRow, rejects: Mapping[str, int] | None = None,
             parked: Sequence[hosts.ParkedHost] = ()) -> RunSummary:
    return RunSummary(run_id=row.run_id, status=RunStatus(row.status), seconds=round(row.seconds, 3),
                      counts={k: row.count(k) for k in row.counts},
                      stage_timings={k: float(v) for k, v in row.stage_timings.items()}, error=row.error,
                      rejects=dict(rejects or {}),
                      parked=[{"host": p.host, "reason": p.reason, "detail": p.detail, "pending": p.pending}
                              for p in parked])
