"""Report charts: a line per series over time, or bars of the latest period (matplotlib, no display)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from etl.reports.catalog import MAX_SERIES, REPORTS, Chart, Report, ReportInputError, ReportResult
from etl.reports.render import _plain, cell


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
