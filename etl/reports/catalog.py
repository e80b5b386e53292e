"""The reports by name: what each answers, the query behind it, the options it takes, how it draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from etl.store.sqlfiles import sql_text

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
    query: str  # file of sql/reporting/
    options: frozenset[str] = frozenset()  # of "since", "entity", "limit"
    default_limit: int = 10
    needs_entity: bool = False
    entity_query: str | None = None  # used instead of ``query`` when --entity is given
    chart: Chart | None = None
    entities: bool = False  # an entity report: it states the entities' coverage of the stories


@dataclass
class ReportResult:
    """Rows of one report run, with their column names."""

    report: Report
    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what a reader must know beside the rows

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


_TOP = frozenset({"since", "limit"})
REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report("daily-volume", "Stories per day, source and language (undated ones on the day first seen).",
               "reporting/queries/select_daily_volume", frozenset({"since"}),
               chart=Chart("line", "day", "articles", "Stories per day", series=("source",))),
        Report("top-entities-daily", "The most salient entities of each day, with the change against the day before.",
               "reporting/queries/select_top_entities_daily", _TOP,
               chart=Chart("barh", "entity", "salience", "Top entities", series=("type",), period="day"),
               entities=True),
        Report("top-entities-weekly", "The most salient entities of each week, with the change against the week "
               "before.", "reporting/queries/select_top_entities_weekly", _TOP,
               chart=Chart("barh", "entity", "salience", "Top entities", series=("type",), period="week"),
               entities=True),
        Report("trending", "Entities that gained the most salience over the week before (trending).",
               "reporting/queries/select_trending", _TOP,
               chart=Chart("barh", "entity", "change", "Trending entities", series=("type",), period="week"),
               entities=True),
        Report("entity-timeline", "Stories, mentions and salience per day of one entity (--entity NAME or alias).",
               "reporting/queries/select_entity_timeline", frozenset({"since", "entity"}), needs_entity=True,
               chart=Chart("line", "day", "articles", "Stories per day", series=("entity", "type")),
               entities=True),
        Report("co-occurrence", "Pairs of entities leading the same stories: counts, lift and PMI (--entity: "
               "one entity's pairs).", "reporting/queries/select_cooccurrence", frozenset({"entity", "limit"}), 20,
               entity_query="reporting/queries/select_cooccurrence_entity",
               chart=Chart("barh", "entity_a", "articles", "Entities leading the same stories",
                           series=("entity_b",)), entities=True),
        Report("top-authors", "The authors with the most stories in each source.",
               "reporting/queries/select_top_authors", frozenset({"limit"}),
               chart=Chart("barh", "author", "articles", "Most productive authors", series=("source",))),
        Report("quality-runs", "Per run: pages attempted, reject rate, and the duplicate / no date / no author / "
               "empty body shares of what it wrote.", "reporting/queries/select_quality_runs", _TOP, 20,
               chart=Chart("line", "started_at", "reject_rate", "Reject rate per run")),
        Report("quality-sources", "Per source: reject rate and reasons, duplicate rate, and the shares of stories "
               "with no date / no author / empty body.", "reporting/queries/select_quality_sources"),
        Report("rejects", "Rejects per run, stage and reason: count, share of the run's rejects, rate of its pages.",
               "reporting/queries/select_rejects", _TOP, 50),
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


def report_params(report: Report, since: date | None, entity: str | None, limit: int | None,
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


def report_query(report: Report, params: dict[str, Any]) -> str:
    """The file of sql/ a report runs with these parameters (its --entity variant when it has one)."""
    return report.entity_query if params.get("entity") and report.entity_query else report.query


def report_sql(report: Report, params: dict[str, Any]) -> str:
    """The SQL a report runs with these parameters."""
    return sql_text(report_query(report, params))
