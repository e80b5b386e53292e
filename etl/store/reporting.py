"""The reporting schema's queries: report rows, stale views, concurrent refreshes, quality metrics."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql

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


def stale_views(conn: Conn) -> list[str]:
    """Report materialized views refreshed before the newest article was loaded or the newest
    resolution re-derived article entities."""
    return [name for (name,) in conn.execute(sql_text("reporting/queries/select_stale_views"))]


def quality_metrics(url: str, window_days: float) -> tuple[Any, ...]:
    """The figures the data-quality gate holds to its thresholds (one row)."""
    with connect(url) as conn:
        row = conn.execute(sql_text("reporting/queries/select_quality_metrics"),
                           {"window_days": window_days}).fetchone()
    assert row is not None
    return tuple(row)


def refresh_views(url: str, views: Sequence[str], work_mem: str, only_stale: bool = False) -> dict[str, float]:
    """Refresh the report materialized views, CONCURRENTLY so readers are never blocked.

    One transaction per view, in dependency order (all views after the first stale one when
    ``only_stale``: a later view is built from an earlier one). An empty view is filled plainly
    (CONCURRENTLY needs a populated view, and builds indexes row by row); each view is analyzed
    after its refresh, so report queries keep their index plans. Each refresh is logged in
    reporting.refresh_log with the newest article id it saw. Returns seconds per view refreshed.
    """
    try:
        return _refresh(url, views, work_mem, only_stale)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise RefreshNotPermitted(str(exc)) from exc


def _refresh(url: str, views: Sequence[str], work_mem: str, only_stale: bool) -> dict[str, float]:
    timings: dict[str, float] = {}
    with connect(url, autocommit=True) as conn:  # each conn.transaction() below is a real transaction
        views = list(views)
        if only_stale:
            stale = set(stale_views(conn))
            first = next((i for i, v in enumerate(views) if v in stale), len(views))
            views = views[first:]
        for view in views:
            started = time.perf_counter()
            with conn.transaction():
                conn.execute("select set_config('work_mem', %s, true)", (work_mem,))
                row = conn.execute(sql_text("reporting/queries/select_view_state"), {"view_name": view}).fetchone()
                mode = sql.SQL("concurrently ") if row and row[0] else sql.SQL("")
                conn.execute(sql.SQL("refresh materialized view {}{}").format(
                    mode, sql.Identifier("reporting", view)))
                # fresh statistics: the report queries' plans (index scans) depend on them
                conn.execute(sql.SQL("analyze {}").format(sql.Identifier("reporting", view)))
                seconds = round(time.perf_counter() - started, 3)
                conn.execute(sql_text("reporting/queries/log_refresh"),
                             {"view_name": view, "seconds": seconds, "max_article_id": row[1] if row else None,
                              "max_resolution_id": row[2] if row else None})
            timings[view] = seconds
    return timings
