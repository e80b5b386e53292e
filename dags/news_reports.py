"""
### news_reports — bring the report aggregates up to date, then hold the warehouse to its data-quality thresholds

Runs whenever `news_etl` updates the `news_warehouse` asset (its `publish` task). **refresh**
recomputes the report aggregates (`reporting.entity_daily`, `entity_weekly` and the co-occurrence
totals behind `entity_pairs`) for the days the runs wrote since the last refresh only (the
`reporting.dirty_days` marks), one transaction per batch of weeks: analysts reading them are never
blocked and see the previous rows until a batch commits. Trigger it with `full_rebuild: true` to
recompute every day. **check_quality** then measures the warehouse — stories held, the latest run's
reject rate, and the duplicate / no date / no author / empty body shares of recent articles —
against the `NEWSETL_QUALITY_*` thresholds, and fails the run (no retry: the data will not change)
naming every check it crossed. See doc/reporting.md.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import Param, dag, task
from airflow.sdk.exceptions import AirflowFailException
from newsetl_airflow import WAREHOUSE_ASSET, task_settings, warehouse_url

from etl import reports
from etl.reports import quality

log = logging.getLogger(__name__)


@dag(
    dag_id="news_reports",
    schedule=[WAREHOUSE_ASSET],
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    doc_md=__doc__,
    tags=["newsetl", "reports"],
    params={
        "full_rebuild": Param(
            False,
            type=["null", "boolean"],
            description="Recompute the report aggregates of every day, not only the days "
            "written since the last refresh.",
        )
    },
    default_args={
        "owner": "newsetl",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
    },
)
def news_reports() -> None:
    @task
    def refresh(params: dict[str, Any] | None = None) -> dict[str, float]:
        """Recompute the report aggregates of the dirty days (every day with full_rebuild); readers are never
        blocked."""
        settings = task_settings()
        full = bool((params or {}).get("full_rebuild"))
        timings = reports.refresh_reports(warehouse_url(settings), settings, full=full)
        log.info(
            "refreshed report aggregates (%s, seconds): %s",
            "full rebuild" if full else "dirty days",
            timings or "nothing was out of date",
        )
        return timings

    @task
    def check_quality() -> list[dict[str, Any]]:
        """Fail the run when a data-quality threshold is crossed."""
        settings = task_settings()
        try:
            checks = quality.assert_quality(warehouse_url(settings), settings)
        except quality.QualityCheckFailed as exc:
            raise AirflowFailException(str(exc)) from exc
        for check in checks:
            log.info("quality ok: %s = %s (%s)", check["name"], check["value"], check["detail"])
        return checks

    refresh() >> check_quality()


news_reports()
