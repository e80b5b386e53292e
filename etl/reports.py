"""Reports: the reporting views by name — listed, queried with parameters, refreshed, rendered, charted."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from etl.settings import Settings
from etl.store.db import connect
from etl.store.sqlfiles import sql_text

__all__ = ["FORMATS", "MATERIALIZED_VIEWS", "REPORTS", "Chart", "Report", "ReportInputError", "ReportResult",
           "draw_chart", "get_report", "parse_since", "refresh_reports", "render", "report_sql", "run_report",
           "stale_views"]

# Refreshed in this order: entity_weekly is built from entity_daily.
MATERIALIZED_VIEWS = ("entity_daily", "entity_weekly", "entity_pairs")
FORMATS = ("table", "csv", "json")
MAX_SERIES = 8  # lines in one chart: more is unreadable


class ReportInputError(ValueError):
    """A report request that cannot be answered (unknown name, bad date, missing --entity...)."""


@dataclass(frozen=True)
class Chart:
    """How a report draws: a line per series over time, or horizontal bars of the latest period."""

    kind: str  # "line" | "barh"
    x: str  # line: the date column; barh: the label column
    y: str  # the value column
    title: str
    series: tuple[str, ...] = ()  # line: columns naming a series; barh: columns added to the label
    period: str | None = None  # barh: only rows of the latest value of this column are drawn


@dataclass(frozen=True)
class Report:
    """One report: the query behind it, which options it takes, and its chart."""

    name: str
    purpose: str
    query: str  # file of sql/reports/
    options: frozenset[str] = frozenset()  # of "since", "entity", "limit"
    default_limit: int = 10
    needs_entity: bool = False
    entity_query: str | None = None  # used instead of ``query`` when --entity is given
    chart: Chart | None = None


@dataclass
class ReportResult:
    """Rows of one report run, with their column names."""

    report: Report
    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


_TOP = frozenset({"since", "limit"})
REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report("daily-volume", "Stories per day, source and language (undated ones on the day first seen).",
               "reports/select_daily_volume", frozenset({"since"}),
               chart=Chart("line", "day", "articles", "Stories per day", series=("source",))),
        Report("top-entities-daily", "The most salient entities of each day, with the change against the day before.",
               "reports/select_top_entities_daily", _TOP,
               chart=Chart("barh", "entity", "salience", "Top entities", series=("type",), period="day")),
        Report("top-entities-weekly", "The most salient entities of each week, with the change against the week "
               "before.", "reports/select_top_entities_weekly", _TOP,
               chart=Chart("barh", "entity", "salience", "Top entities", series=("type",), period="week")),
        Report("trending", "Entities that gained the most salience over the week before (trending).",
               "reports/select_trending", _TOP,
               chart=Chart("barh", "entity", "change", "Trending entities", series=("type",), period="week")),
        Report("entity-timeline", "Stories, mentions and salience per day of one entity (--entity NAME or alias).",
               "reports/select_entity_timeline", frozenset({"since", "entity"}), needs_entity=True,
               chart=Chart("line", "day", "articles", "Stories per day", series=("entity", "type"))),
        Report("co-occurrence", "Pairs of entities leading the same stories: counts, lift and PMI (--entity: "
               "one entity's pairs).", "reports/select_cooccurrence", frozenset({"entity", "limit"}), 20,
               entity_query="reports/select_cooccurrence_entity",
               chart=Chart("barh", "entity_a", "articles", "Entities leading the same stories",
                           series=("entity_b",))),
        Report("top-authors", "The authors with the most stories in each source.",
               "reports/select_top_authors", frozenset({"limit"}),
               chart=Chart("barh", "author", "articles", "Most productive authors", series=("source",))),
        Report("quality-runs", "Per run: pages attempted, reject rate, and the duplicate / no date / no author / "
               "empty body shares of what it wrote.", "reports/select_quality_runs", _TOP, 20,
               chart=Chart("line", "started_at", "reject_rate", "Reject rate per run")),
        Report("quality-sources", "Per source: reject rate and reasons, duplicate rate, and the shares of stories "
               "with no date / no author / empty body.", "reports/select_quality_sources"),
        Report("rejects", "Rejects per run, stage and reason: count, share of the run's rejects, rate of its pages.",
               "reports/select_rejects", _TOP, 50),
    )
}


def get_report(name: str) -> Report:
    """The report called ``name``; an unknown name is an error listing the known ones."""
    try:
        return REPORTS[name]
    except KeyError:
        raise ReportInputError(
            f"unknown report {name!r}; the reports are {', '.join(REPORTS)} (newsetl report --list)"
        ) from None


def parse_since(text: str | None, option: str = "--since") -> date | None:
    """--since or --until as a date (YYYY-MM-DD); anything else is an error saying what is expected."""
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportInputError(f"{option} must be a date like 2024-05-31, got {text!r}") from None


def _params(report: Report, since: date | None, entity: str | None, limit: int | None,
            until: date | None = None) -> dict[str, Any]:
    given = {"since": since is not None, "until": until is not None, "entity": bool(entity),
             "limit": limit is not None}
    for option, present in given.items():
        if present and (option if option != "until" else "since") not in report.options:
            raise ReportInputError(f"report {report.name} does not take --{option}")
    if since and until and until < since:
        raise ReportInputError(f"--until ({until}) is before --since ({since})")
    if report.needs_entity and not entity:
        raise ReportInputError(f"report {report.name} needs --entity NAME (a name or alias, any case)")
    if limit is not None and limit < 1:
        raise ReportInputError(f"--limit must be 1 or more, got {limit}")
    return {"since": since, "until": until, "entity": entity.strip() if entity else None,
            "limit": limit if limit is not None else report.default_limit}


def report_sql(report: Report, params: dict[str, Any]) -> str:
    """The SQL a report runs with these parameters (its --entity variant when it has one)."""
    return sql_text(report.entity_query if params.get("entity") and report.entity_query else report.query)


def run_report(
    conn: psycopg.Connection, name: str, since: date | None = None, entity: str | None = None,
    limit: int | None = None, until: date | None = None,
) -> ReportResult:
    """Run one report's query (parameterized) on ``conn`` and return its rows.

    ``since``/``until`` bound the days (weeks, runs) shown, both included; every report that
    takes --since takes --until."""
    report = get_report(name)
    params = _params(report, since, entity, limit, until)
    cur = conn.execute(report_sql(report, params), params)
    columns = [c.name for c in cur.description or ()]
    return ReportResult(report, columns, cur.fetchall(), params)


def stale_views(conn: psycopg.Connection) -> list[str]:
    """Report materialized views refreshed before the newest article was loaded."""
    return [name for (name,) in conn.execute(sql_text("reports/select_stale_views"))]


def refresh_reports(url: str, settings: Settings, only_stale: bool = False) -> dict[str, float]:
    """Refresh the report materialized views, CONCURRENTLY so readers are never blocked.

    One transaction per view, in dependency order (all views after the first stale one when
    ``only_stale``: a later view is built from an earlier one). An empty view is filled plainly
    (CONCURRENTLY needs a populated view, and builds indexes row by row); each view is analyzed
    after its refresh, so report queries keep their index plans. Each refresh is logged in
    reporting.refresh_log with the newest article id it saw. Returns seconds per view refreshed.
    """
    timings: dict[str, float] = {}
    with connect(url, autocommit=True) as conn:  # each conn.transaction() below is a real transaction
        views = list(MATERIALIZED_VIEWS)
        if only_stale:
            stale = set(stale_views(conn))
            first = next((i for i, v in enumerate(views) if v in stale), len(views))
            views = views[first:]
        for view in views:
            started = time.perf_counter()
            with conn.transaction():
                conn.execute("select set_config('work_mem', %s, true)", (settings.report_refresh_work_mem,))
                row = conn.execute(sql_text("reports/select_view_state"), {"view_name": view}).fetchone()
                mode = sql.SQL("concurrently ") if row and row[0] else sql.SQL("")
                conn.execute(sql.SQL("refresh materialized view {}{}").format(
                    mode, sql.Identifier("reporting", view)))
                # fresh statistics: the report queries' plans (index scans) depend on them
                conn.execute(sql.SQL("analyze {}").format(sql.Identifier("reporting", view)))
                seconds = round(time.perf_counter() - started, 3)
                conn.execute(sql_text("reports/log_refresh"),
                             {"view_name": view, "seconds": seconds, "max_article_id": row[1] if row else None})
            timings[view] = seconds
    return timings


def _plain(value: Any) -> Any:
    """A value as JSON/CSV should show it."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def render(result: ReportResult, fmt: str) -> str:
    """The rows as CSV (header first) or JSON (a list of objects); tables are drawn by the CLI."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else _plain(v) for v in row] for row in result.rows])
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps([{k: _plain(v) for k, v in r.items()} for r in result.records()], ensure_ascii=False,
                          indent=1) + "\n"
    raise ReportInputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")


def cell(value: Any) -> str:
    """A value as a table cell."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return str(value)


def check_chart_path(report: Report, path: Path) -> None:
    """A chart is asked for a report that has one, into a .png file in an existing folder."""
    if report.chart is None:
        with_chart = ", ".join(r.name for r in REPORTS.values() if r.chart)
        raise ReportInputError(f"report {report.name} has no chart; charts exist for {with_chart}")
    if path.suffix.lower() != ".png":
        raise ReportInputError(f"--chart must name a .png file, got {str(path)!r}")
    if not path.resolve().parent.is_dir():
        raise ReportInputError(f"--chart: folder {str(path.resolve().parent)!r} does not exist")


def draw_chart(result: ReportResult, path: Path) -> Path:
    """Draw the report's chart into ``path`` (PNG, matplotlib's Agg backend: no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    chart = result.report.chart
    check_chart_path(result.report, path)
    assert chart is not None
    records = result.records()
    fig = Figure(figsize=(10, 5.6), dpi=120, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if not records:
        ax.text(0.5, 0.5, "no rows", ha="center", va="center", fontsize=14)
        ax.set_axis_off()
        ax.set_title(f"{chart.title}: no data")
    elif chart.kind == "line":
        _draw_lines(ax, chart, records)
    else:
        _draw_bars(ax, chart, records, int(result.params.get("limit") or 10))
    fig.savefig(path)
    return path


def _draw_lines(ax: Any, chart: Chart, records: Sequence[dict[str, Any]]) -> None:
    import matplotlib.dates as mdates
    from matplotlib.ticker import MaxNLocator

    series: dict[str, list[tuple[Any, float]]] = defaultdict(list)
    for r in records:
        key = " / ".join(str(r[c]) for c in chart.series) if chart.series else chart.y
        if r[chart.y] is not None:
            series[key].append((r[chart.x], float(r[chart.y])))
    ranked = sorted(series, key=lambda k: -sum(v for _, v in series[k]))
    shown = ranked[:MAX_SERIES]
    for key in shown:
        points = sorted(series[key], key=lambda p: p[0])
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o" if len(points) < 40 else None,
                linewidth=1.8, markersize=4, label=key)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylabel(chart.y.replace("_", " "), fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.tick_params(labelsize=10)
    if all(float(v).is_integer() for points in series.values() for _, v in points):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    hidden = len(ranked) - len(shown)
    suffix = f" (top {len(shown)} of {len(ranked)} series)" if hidden else ""
    if len(ranked) == 1 and chart.series:
        suffix = f": {ranked[0]}"
    ax.set_title(chart.title + suffix, fontsize=13)
    if chart.series:
        ax.legend(fontsize=9, loc="upper left", frameon=False)
    ax.set_ylim(bottom=0)


def _draw_bars(ax: Any, chart: Chart, records: Sequence[dict[str, Any]], limit: int) -> None:
    title = chart.title
    if chart.period:
        latest = max(r[chart.period] for r in records)
        records = [r for r in records if r[chart.period] == latest]
        title += f", {'week of ' if chart.period == 'week' else ''}{_plain(latest)}"
    rows = sorted(records, key=lambda r: -float(r[chart.y] or 0))[:limit]
    labels = []
    for r in rows:
        extra = " / ".join(str(r[c]) for c in chart.series)
        if chart.x == "entity_a":
            labels.append(f"{r['entity_a']} + {r['entity_b']}")
        else:
            labels.append(f"{r[chart.x]} ({extra})" if extra else str(r[chart.x]))
    values = [float(r[chart.y] or 0) for r in rows]
    bars = ax.barh(range(len(rows)), values, color="#3b6ea8")
    ax.set_yticks(range(len(rows)), labels=[lab if len(lab) <= 48 else lab[:47] + "…" for lab in labels],
                  fontsize=10)
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[cell(v) for v in values], padding=3, fontsize=9)
    ax.set_xlabel(chart.y.replace("_", " "), fontsize=11)
    ax.margins(x=0.12)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(title, fontsize=13)
