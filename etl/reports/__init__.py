"""Reports: the reporting views by name — listed, queried with parameters, refreshed, rendered, charted.

The catalog (``catalog``) says what each report answers; its rows come from ``etl.store.reporting``;
``render`` and ``charts`` show them; ``quality`` holds the warehouse to its data-quality thresholds.
"""

from __future__ import annotations

from datetime import date

from etl.reports.catalog import (
    FORMATS,
    REPORTS,
    Chart,
    Report,
    ReportInputError,
    ReportResult,
    get_report,
    parse_since,
    report_params,
    report_query,
    report_sql,
)
from etl.reports.charts import check_chart_path, draw_chart
from etl.reports.coverage import coverage_line
from etl.reports.render import cell, render
from etl.settings import Settings
from etl.store import reporting
from etl.store.db import Conn

__all__ = ["FORMATS", "REPORTS", "Chart", "Report", "ReportInputError", "ReportResult",
           "cell", "check_chart_path", "coverage_line", "draw_chart", "get_report", "parse_since", "refresh_reports",
           "render", "report_sql", "run_report", "stale_views"]


def run_report(conn: Conn, name: str, since: date | None = None, entity: str | None = None,
               limit: int | None = None, until: date | None = None) -> ReportResult:
    """Run one report's query (parameterized) on ``conn`` and return its rows.

    ``since``/``until`` bound the days (weeks, runs) shown, both included; every report that
    takes --since takes --until. An entity report notes how many of the period's stories have entities,
    in which languages (a language without an NER model has none)."""
    report = get_report(name)
    params = report_params(report, since, entity, limit, until)
    columns, rows = reporting.query(conn, report_query(report, params), params)
    notes = [coverage_line(reporting.entity_coverage(conn, since, until))] if report.entities else []
    return ReportResult(report, columns, rows, params, notes)


def stale_views(conn: Conn) -> list[str]:
    """The report aggregates out of date: all of them when a write marked a day since its refresh."""
    return reporting.stale_views(conn)


def refresh_reports(url: str, settings: Settings, *, full: bool = False) -> dict[str, float]:
    """Recompute the report aggregates for the days written since their refresh (``full``: every day);
    readers are never blocked. Seconds per aggregate; {} when nothing was out of date."""
    return reporting.refresh_views(url, settings.report_refresh_work_mem, full=full,
                                   lock_timeout_seconds=settings.lock_timeout_seconds)
