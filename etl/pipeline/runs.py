"""Runs: prepare the warehouse, open a run, plan its work, close it with a status that tells the truth."""

from __future__ import annotations

import math
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from etl.records import Queue, RunStatus, SourceSpec
from etl.settings import SEEDS_DIR, Settings
from etl.store import runs, sources
from etl.store.db import transaction
from etl.store.entities import EntityCoverage
from etl.store.queues import FRONTIER, RAW_PAGES
from etl.store.runs import EntityTotal

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

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (XCom)."""
        out = asdict(self)
        out["status"] = str(self.status)
        return out


def worker_id() -> str:
    """A name unique to this process, for leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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


def start_run(url: str, trigger: str, params: dict[str, Any], external_id: str | None = None) -> int:
    """Open a pipeline_runs row; an Airflow retry with the same external id reuses it."""
    with transaction(url) as conn:
        return runs.start(conn, trigger, params, external_id)


def sync_sources(url: str, specs: Sequence[SourceSpec]) -> dict[str, int]:
    """Upsert the configured sources; returns name -> source_id."""
    with transaction(url) as conn:
        return sources.upsert(conn, specs)


def count_pending(url: str, queue: Queue, source_ids: Sequence[int] | None, run_id: int | None = None) -> int:
    """Pending work of a queue for the selected sources (None: all) that run ``run_id`` may still claim."""
    with transaction(url) as conn:
        return QUEUES[Queue(queue)].count_pending(conn, run_id, source_ids)


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


def record_error(url: str, run_id: int, error: str) -> None:
    """Note on an open run why one of its tasks failed (its closing status will say failed)."""
    with transaction(url) as conn:
        runs.record_error(conn, run_id, error[:2000])


def finish_run(url: str, settings: Settings, run_id: int, error: str | None = None) -> RunSummary:
    """Close the run: failed on error, degraded when too many inputs were rejected, else success."""
    with transaction(url) as conn:
        counts = runs.counts(conn, run_id)
        attempted = counts["fetched"] + counts["rejected_fetch"]
        rejected = counts["rejected_fetch"] + counts["rejected_extract"] + counts["rejected_load"]
        status = RunStatus.FAILED if error else RunStatus.SUCCESS
        if not error and attempted and rejected / attempted > settings.degraded_reject_rate:
            status = RunStatus.DEGRADED
        row = runs.finish(conn, run_id, status, error)
    return _summary(row)


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
    return _summary(row)


def _summary(row: runs.RunRow) -> RunSummary:
    return RunSummary(run_id=row.run_id, status=RunStatus(row.status), seconds=round(row.seconds, 3),
                      counts={k: row.count(k) for k in row.counts},
                      stage_timings={k: float(v) for k, v in row.stage_timings.items()}, error=row.error)
