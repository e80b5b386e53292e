"""pipeline_runs: one row per run, its counters (summed per batch) and its final status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import class_row

from etl.records import RunStatus
from etl.store.db import Conn, redact_text
from etl.store.sqlfiles import sql_text
from etl.store.values import as_json


@dataclass(frozen=True)
class RunRow:
    """A run as the warehouse holds it."""

    run_id: int
    trigger: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    seconds: float
    counts: dict[str, Any]
    stage_timings: dict[str, Any]
    error: str | None

    def count(self, name: str) -> int:
        """One counter as an integer (jsonb sums arrive as numbers or numeric strings)."""
        return int(float(self.counts.get(name, 0) or 0))


@dataclass(frozen=True)
class EntityTotal:
    """One entity of a run's articles: in how many it appears and its summed salience."""

    name: str
    type: str
    articles: int
    salience: float


@dataclass(frozen=True)
class Owner:
    """The process owning a CLI run: its machine, pid and start time (epoch seconds: a reused pid differs)."""

    host: str
    pid: int
    started_at: float


@dataclass(frozen=True)
class OwnedRun:
    """A run still open whose owner process ran on this machine."""

    run_id: int
    owner_pid: int
    owner_started_at: float | None


def start(conn: Conn, trigger: str, params: Mapping[str, Any], external_id: str | None = None,
          owner: Owner | None = None) -> int:
    """Open a run; an Airflow retry with the same external id reopens its row."""
    row = conn.execute(
        sql_text("store/runs/start"),
        {"trigger": trigger, "external_id": external_id, "params": as_json(params),
         "owner_host": owner.host if owner else None, "owner_pid": owner.pid if owner else None,
         "owner_started_at": owner.started_at if owner else None},
    ).fetchone()
    assert row is not None
    return int(row[0])


def running_owned(conn: Conn, host: str) -> list[OwnedRun]:
    """Runs still open whose owner process ran on ``host``."""
    with conn.cursor(row_factory=class_row(OwnedRun)) as cur:
        return cur.execute(sql_text("store/runs/running_owned"), {"owner_host": host}).fetchall()


def rejects_by_reason(conn: Conn, run_id: int) -> dict[str, int]:
    """What a run rejected: ``stage:reason`` -> rows, most frequent first."""
    rows = conn.execute(sql_text("store/rejects/of_run"), {"run_id": run_id})
    return {f"{stage}:{reason}": int(n) for stage, reason, n in rows}


def add_stats(conn: Conn, run_id: int, counts: Mapping[str, int], timings: Mapping[str, float]) -> None:
    """Add a batch's counters and per-stage seconds to its run (in the batch's own transaction)."""
    conn.execute(
        sql_text("store/runs/add_stats"),
        {"run_id": run_id, "counts": as_json(dict(counts)), "timings": as_json(dict(timings))},
    )


def record_error(conn: Conn, run_id: int, error: str) -> None:
    """Append an error to a run still open (a failing Airflow task says why before it fails)."""
    conn.execute(sql_text("store/runs/record_error"), {"run_id": run_id, "error": redact_text(error)})


def get(conn: Conn, run_id: int) -> RunRow | None:
    with conn.cursor(row_factory=class_row(RunRow)) as cur:
        return cur.execute(sql_text("store/runs/get"), {"run_id": run_id}).fetchone()


def counts(conn: Conn, run_id: int) -> Counter[str]:
    run = get(conn, run_id)
    return Counter({k: run.count(k) for k in run.counts}) if run else Counter()


def finish(conn: Conn, run_id: int, status: RunStatus, error: str | None = None) -> RunRow:
    """Close a run with its final status (and the error that stopped it, if any)."""
    conn.execute(sql_text("store/runs/finish"), {"run_id": run_id, "status": str(status),
                                                 "error": redact_text(error) if error else error})
    run = get(conn, run_id)
    assert run is not None
    return run


def recent(conn: Conn, limit: int) -> list[RunRow]:
    with conn.cursor(row_factory=class_row(RunRow)) as cur:
        return cur.execute(sql_text("store/runs/recent"), {"limit": limit}).fetchall()


def top_entities(conn: Conn, run_id: int, limit: int = 10) -> list[EntityTotal]:
    """The entities of the stories a run wrote, by summed salience."""
    with conn.cursor(row_factory=class_row(EntityTotal)) as cur:
        return cur.execute(sql_text("store/runs/top_entities"), {"run_id": run_id, "limit": limit}).fetchall()
