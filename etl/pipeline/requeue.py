"""``newsetl requeue``: queue again what was given up for a reason that has since been fixed.

A URL rejected at fetch, or a page rejected at extract/entities/load, stays rejected: a later run
does not try it again. After a fix (our bug, a site back up, a raised cap), an operator picks the
rejected rows by their latest reject's reason — optionally one source, rejected since a day — and
makes them pending with fresh attempts. Without ``apply`` it only lists what it would queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.params import BadRequest, check_day
from etl.records import Queue
from etl.store.db import transaction
from etl.store.queues import FRONTIER, RAW_PAGES, Listed

SAMPLE = 20


@dataclass(frozen=True)
class RequeuePlan:
    """What a requeue selects (all of it counted, a sample listed) and how many it queued."""

    queue: Queue
    reason: str
    matched: int
    sample: list[Listed]
    by_source: dict[str, int]
    requeued: int


def requeue(url: str, queue: Queue | str, reason: str, source: str | None = None, since: str | None = None,
            apply: bool = False) -> RequeuePlan:
    """Select rejected rows of ``queue`` by reason (and source, since); queue them when ``apply``."""
    try:
        chosen = Queue(queue)
    except ValueError:
        raise BadRequest(f"--stage {queue!r} is not one of {', '.join(q.value for q in Queue)}") from None
    if not reason.strip():
        raise BadRequest("--reason is empty; give a reject reason such as fetch_error or http_503")
    day = check_day("--since", since)
    table = FRONTIER if chosen is Queue.FETCH else RAW_PAGES
    with transaction(url) as conn:
        rows = table.rejected(conn, reason, source, day)
        requeued = table.requeue(conn, [r.key for r in rows]) if apply else 0
    by_source: dict[str, int] = {}
    for row in rows:
        by_source[row.source] = by_source.get(row.source, 0) + 1
    return RequeuePlan(chosen, reason, len(rows), rows[:SAMPLE], by_source, requeued)
