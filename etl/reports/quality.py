"""Data-quality gate: row counts, null rates and reject rate of the warehouse against Settings thresholds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from etl.settings import Settings
from etl.store import reporting

__all__ = ["Check", "QualityCheckFailed", "assert_quality", "quality_checks"]


class QualityCheckFailed(RuntimeError):
    """One or more checks crossed their threshold; the message lists each with its value."""


@dataclass(frozen=True)
class Check:
    """One check: the measured value, the threshold it is held to, and whether it passed."""

    name: str
    value: float | None
    threshold: float
    ok: bool
    detail: str

    def line(self) -> str:
        shown = "n/a" if self.value is None else f"{self.value:.4g}"
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name} = {shown} ({self.detail})"


def _at_most(name: str, value: float | None, limit: float, what: str, empty: str) -> Check:
    if value is None:
        return Check(name, None, limit, True, f"skipped: {empty}")
    return Check(name, round(value, 6), limit, value <= limit, f"{what}; at most {limit:g}")


def quality_checks(url: str, settings: Settings) -> list[Check]:
    """Measure the warehouse and hold each figure to its threshold from ``settings``.

    * stories: the warehouse holds at least ``quality_min_stories`` non-duplicate articles;
    * reject_rate: the latest finished run rejected at most ``quality_max_reject_rate`` of the
      pages it attempted;
    * duplicate_rate, no_date_rate, no_author_rate, empty_body_rate: over the articles first seen
      in the last ``quality_window_days`` days (skipped, not failed, when there are none: a quiet
      week is not broken data, and the stories check catches an empty warehouse).
    """
    (stories, run_id, reject_rate, recent_articles, recent_stories, duplicate_rate, no_date_rate, no_author_rate,
     empty_body_rate) = reporting.quality_metrics(url, settings.quality_window_days)
    window = f"{recent_stories} stories first seen in the last {settings.quality_window_days:g} days"
    empty = f"no articles first seen in the last {settings.quality_window_days:g} days"
    return [
        Check("stories", float(stories), settings.quality_min_stories, stories >= settings.quality_min_stories,
              f"stories in the warehouse; at least {settings.quality_min_stories}"),
        _at_most("reject_rate", reject_rate, settings.quality_max_reject_rate,
                 f"pages rejected by run {run_id}", "no finished run with pages"),
        _at_most("duplicate_rate", duplicate_rate, settings.quality_max_duplicate_rate,
                 f"near-duplicates among {recent_articles} recent articles", empty),
        _at_most("no_date_rate", no_date_rate, settings.quality_max_no_date_rate, f"undated among {window}", empty),
        _at_most("no_author_rate", no_author_rate, settings.quality_max_no_author_rate,
                 f"without author among {window}", empty),
        _at_most("empty_body_rate", empty_body_rate, settings.quality_max_empty_body_rate,
                 f"with an empty body among {window}", empty),
    ]


def assert_quality(url: str, settings: Settings) -> list[dict[str, Any]]:
    """Run the checks; raise QualityCheckFailed naming every failed one, else return them all."""
    checks = quality_checks(url, settings)
    failed = [c for c in checks if not c.ok]
    if failed:
        raise QualityCheckFailed(
            f"{len(failed)} data-quality check(s) failed: " + "; ".join(c.line() for c in failed)
            + ". Thresholds are NEWSETL_QUALITY_* settings."
        )
    return [asdict(c) for c in checks]
