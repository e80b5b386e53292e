"""Run plumbing shared by every stage: runs, counters, sources, pending work and quotas.

The stages themselves live in one module each: ``discover.run_discover``, ``fetch.run_fetch``
and ``process.run_process`` (extract + entities + load). Each is what one Airflow task or one
CLI step calls: it takes a database URL and settings, passes only ids and counts, moves page
bytes through raw_pages, and is idempotent (re-running it after a crash changes nothing).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from etl import seeds
from etl.load import as_json
from etl.records import SourceSpec
from etl.settings import Settings
from etl.store import migrate
from etl.store.db import connect
from etl.store.sqlfiles import sql_text

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


def worker_id() -> str:
    """A name unique to this process, for leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class StageResult:
    """Counts of one stage call, returned to the caller (and to XCom: small and JSON-able)."""

    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "seconds": round(self.seconds, 3)}


def prepare_database(url: str) -> None:
    """Migrate the warehouse to the newest schema (safe from many processes at once), then load the
    seed entity aliases (idempotent: a second call changes nothing)."""
    migrate.upgrade(url)
    seeds.load_seeds(url)


def start_run(url: str, trigger: str, params: dict[str, Any], external_id: str | None = None) -> int:
    """Open a pipeline_runs row; an Airflow retry with the same external id reuses it."""
    with connect(url) as conn, conn.transaction():
        row = conn.execute(
            sql_text("load/start_run"),
            {"trigger": trigger, "external_id": external_id, "params": as_json(params)},
        ).fetchone()
    assert row is not None
    return int(row[0])


def add_run_stats(conn: psycopg.Connection, run_id: int, counts: Counter[str], stage: str, seconds: float) -> None:
    conn.execute(
        sql_text("load/add_run_stats"),
        {"run_id": run_id, "counts": as_json(dict(counts)), "timings": as_json({stage: seconds})},
    )


def sync_sources(url: str, specs: Sequence[SourceSpec]) -> dict[str, int]:
    """Upsert the configured sources; returns name -> source_id."""
    ids: dict[str, int] = {}
    with connect(url) as conn, conn.transaction():
        for spec in specs:
            row = conn.execute(
                sql_text("load/upsert_source"),
                {"name": spec.name, "kind": spec.kind, "location": spec.location, "options": as_json(spec.options)},
            ).fetchone()
            assert row is not None
            ids[spec.name] = int(row[0])
    return ids


def count_pending(url: str, stage: str, source_ids: Sequence[int] | None) -> int:
    """Pending work of a stage ('fetch' or 'process') for the selected sources."""
    name = "load/count_pending_frontier" if stage == "fetch" else "load/count_pending_raw_pages"
    with connect(url) as conn:
        row = conn.execute(sql_text(name), {"source_ids": list(source_ids) if source_ids else None}).fetchone()
    return int(row[0]) if row else 0


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


def finish_run(url: str, settings: Settings, run_id: int, error: str | None = None) -> dict[str, Any]:
    """Close the run: failed on error, degraded when too many inputs were rejected."""
    with connect(url) as conn, conn.transaction():
        counts_row = conn.execute(sql_text("queries/run_counts"), {"run_id": run_id}).fetchone()
        counts = Counter({k: int(float(v)) for k, v in (counts_row[0] if counts_row else {}).items()})
        attempted = counts["fetched"] + counts["rejected_fetch"]
        rejected = counts["rejected_fetch"] + counts["rejected_extract"] + counts["rejected_load"]
        status = "failed" if error else "success"
        if not error and attempted and rejected / attempted > settings.degraded_reject_rate:
            status = "degraded"
        row = conn.execute(
            sql_text("load/finish_run"), {"run_id": run_id, "status": status, "error": error}
        ).fetchone()
    assert row is not None
    return {
        "run_id": row[0],
        "status": row[1],
        "seconds": round((row[3] - row[2]).total_seconds(), 3),
        "counts": row[4],
        "stage_timings": row[5],
    }
