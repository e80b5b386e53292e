"""The reporting schema's queries: report rows, the incremental refresh of the report aggregates, quality metrics.

The aggregates the entity reports read (``reporting.entity_daily``, ``entity_weekly``, and the
co-occurrence totals behind ``entity_pairs``) are tables maintained per publication day. Writes to
``articles``, ``article_entities`` and ``entities`` mark the days they change in
``reporting.dirty_days`` (statement-level triggers, sql/migrations/0007_incremental_reports.sql); a
refresh recomputes those days only, in batches of whole ISO weeks, one transaction per batch, and
clears exactly the marks it read. A full rebuild marks every day and takes the same path. Readers
are never blocked (no TRUNCATE, no DDL: they read the committed rows until a batch commits).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import psycopg
from psycopg import sql

from etl.store import locks
from etl.store.db import Conn, connect
from etl.store.entities import EntityCoverage
from etl.store.sqlfiles import sql_text


class NoReportViews(LookupError):
    """The warehouse has no report views (it was never upgraded to the reporting revisions)."""


class RefreshNotPermitted(PermissionError):
    """This role may read the report views but not refresh them."""


def query(conn: Conn, name: str, params: Mapping[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one report query of sql/ (parameterized); returns its column names and rows."""
    try:
        cur = conn.execute(sql_text(name), params)
    except psycopg.errors.UndefinedTable as exc:
        raise NoReportViews(str(exc)) from exc
    return [c.name for c in cur.description or ()], cur.fetchall()


def entity_coverage(conn: Conn, since: Any = None, until: Any = None) -> EntityCoverage:
    """Stories and stories with entities per language, over the days from ``since`` to ``until``."""
    try:
        rows = conn.execute(sql_text("reporting/queries/select_entity_coverage"), {"since": since, "until": until})
    except psycopg.errors.UndefinedTable as exc:
        raise NoReportViews(str(exc)) from exc
    return EntityCoverage.of_rows(rows)


# The report aggregates, in refresh order, with the tables each is made of.
REPORT_AGGREGATES: dict[str, tuple[str, ...]] = {
    "entity_pairs": ("story_leaders", "leader_totals", "pair_totals", "leader_days"),
    "entity_daily": ("entity_daily",),
    "entity_weekly": ("entity_weekly",),  # from entity_daily: after it
}
# The statements recomputing one batch of days (files of sql/reporting/refresh/), in order, each with
# the aggregate its time is counted for. The co-occurrence totals are sums over story_leaders: the new
# leaders of the days' stories are computed into a scratch table, the totals changed by the stories
# whose leaders differ (old ones taken away, new ones added), then story_leaders made equal to the
# new rows, so the totals always match the rows in the same transaction, and a rebuild of unchanged
# days writes nothing there.
REFRESH_STEPS: tuple[tuple[str, str], ...] = (
    ("entity_pairs", "compute_next_leaders"),
    ("entity_pairs", "apply_leader_delta"),
    ("entity_pairs", "apply_pair_delta"),
    ("entity_pairs", "delete_zero_leaders"),
    ("entity_pairs", "delete_zero_pairs"),
    ("entity_pairs", "delete_story_leaders"),
    ("entity_pairs", "insert_story_leaders"),
    ("entity_pairs", "delete_leader_days"),
    ("entity_pairs", "insert_leader_days"),
    ("entity_daily", "merge_entity_daily"),
    ("entity_daily", "update_entity_daily_next"),
    ("entity_weekly", "merge_entity_weekly"),
    ("entity_weekly", "update_entity_weekly_next"),
)
BATCH_DAYS = 28  # days per transaction (whole ISO weeks: a week is summed once per batch)
ANALYZE_AFTER_DAYS = 7  # a refresh of more days than this analyzes the tables it rewrote


def dirty_days(conn: Conn) -> list[date]:
    """The days whose report aggregates are out of date (marked by writes since their last refresh)."""
    return [day for (day,) in conn.execute(sql_text("reporting/refresh/dirty_days"))]


def stale_views(conn: Conn) -> list[str]:
    """The report aggregates a refresh would change (all of them when any day is dirty), sorted."""
    return sorted(REPORT_AGGREGATES) if dirty_days(conn) else []


def batches(days: Sequence[date], batch_days: int = BATCH_DAYS) -> list[list[date]]:
    """The days in batches of whole ISO weeks (each at least ``batch_days`` days but its last), oldest first."""
    out: list[list[date]] = []
    week: date | None = None
    for day in sorted(set(days)):
        monday = day - timedelta(days=day.weekday())
        if not out or (monday != week and len(out[-1]) >= batch_days):
            out.append([])
        out[-1].append(day)
        week = monday
    return out


def quality_metrics(url: str, window_days: float) -> tuple[Any, ...]:
    """The figures the data-quality gate holds to its thresholds (one row)."""
    with connect(url) as conn:
        row = conn.execute(sql_text("reporting/queries/select_quality_metrics"),
                           {"window_days": window_days}).fetchone()
    assert row is not None
    return tuple(row)


def refresh_views(url: str, work_mem: str, *, full: bool = False,
                  lock_timeout_seconds: float = locks.DEFAULT_TIMEOUT_SECONDS,
                  batch_days: int = BATCH_DAYS) -> dict[str, float]:
    """Bring the report aggregates up to date: recompute the dirty days (``full``: every day).

    One transaction per batch of whole weeks, under the ``reports`` lock (waited for at most
    ``lock_timeout_seconds``, like any table lock a statement needs): the batch's marks are read,
    its days' rows deleted and inserted again (entity_daily, entity_weekly, story_leaders and the
    co-occurrence totals), the day and week after updated (their "previous" figures), and the marks
    read deleted. Readers see the old rows until the batch commits; a write made meanwhile leaves its
    own mark for the next refresh. Each aggregate is logged in reporting.refresh_log. Returns seconds
    per aggregate ({} when no day was dirty).
    """
    try:
        return _refresh(url, work_mem, full, lock_timeout_seconds, batch_days)
    except (psycopg.errors.InsufficientPrivilege, locks.LockRefused) as exc:
        raise RefreshNotPermitted(str(exc)) from exc
    except psycopg.errors.UndefinedTable as exc:  # a warehouse not upgraded to revision 0007 yet
        raise NoReportViews(str(exc)) from exc


def _refresh(url: str, work_mem: str, full: bool, lock_timeout_seconds: float, batch_days: int) -> dict[str, float]:
    timings = dict.fromkeys(REPORT_AGGREGATES, 0.0)
    refreshed = 0
    with connect(url, autocommit=True) as conn:  # each conn.transaction() below is a real transaction
        if full:
            conn.execute(sql_text("reporting/refresh/mark_every_day"))
        days = dirty_days(conn)
        if not days:
            return {}
        conn.execute(sql_text("reporting/refresh/create_next_leaders"))
        for batch in batches(days, batch_days):
            with conn.transaction():
                locks.hold(conn, "reports", lock_timeout_seconds)
                conn.execute("select set_config('work_mem', %s, true), set_config('lock_timeout', %s, true)",
                             (work_mem, locks.milliseconds(lock_timeout_seconds)))
                marks = [m for (m,) in conn.execute(sql_text("reporting/refresh/take_marks"), {"days": batch})]
                if not marks:  # another refresh did these days meanwhile
                    continue
                for aggregate, name in REFRESH_STEPS:
                    started = time.perf_counter()
                    conn.execute(sql_text(f"reporting/refresh/{name}"), {"days": batch})
                    timings[aggregate] += time.perf_counter() - started
                conn.execute(sql_text("reporting/refresh/clear_marks"), {"mark_ids": marks})
            refreshed += len(batch)
        if full or refreshed > ANALYZE_AFTER_DAYS:
            # fresh statistics after a big rewrite: the report queries' plans (index scans) depend on them
            for aggregate, tables in REPORT_AGGREGATES.items():
                started = time.perf_counter()
                for table in tables:
                    conn.execute(sql.SQL("analyze {}").format(sql.Identifier("reporting", table)))
                timings[aggregate] += time.perf_counter() - started
        state = conn.execute(sql_text("reporting/refresh/state")).fetchone()
        assert state is not None
        for aggregate, seconds in timings.items():
            conn.execute(sql_text("reporting/queries/log_refresh"),
                         {"view_name": aggregate, "seconds": round(seconds, 3), "max_article_id": state[0],
                          "max_resolution_id": state[1], "mode": "full" if full else "incremental",
                          "days": refreshed})
    return {aggregate: round(seconds, 3) for aggregate, seconds in timings.items()}
