"""The discover stage: each source's URLs into the frontier — new ones pending, none ever lost.

Sources are read concurrently through one polite client whose host clock is the run's, in PostgreSQL
(``etl.pipeline.hosts``): per-host spacing holds across sources, across the mapped discover tasks of a
DAG run and into the fetch stage, and a robots.txt one task fetched is reused by the others. Each
source's URLs, rejects, validators and fetch log land in one transaction, so a run that dies before a
source's URLs are stored has not stored its validators either: the next run gets a 200 again instead
of a 304. The entry cap counts new URLs only (the frontier is asked which are known), so what a cap
leaves out is taken by the next runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Sequence

from etl.acquire.discover import SourceDiscovery, discover_async
from etl.acquire.http import PoliteClient
from etl.pipeline.hosts import DatabaseClock
from etl.pipeline.loop import StageResult
from etl.records import Attempt, CacheUpdate, SourceSpec, Stage
from etl.settings import Settings
from etl.store import frontier, http_cache, rejects, runs
from etl.store.db import transaction


def _store(url: str, settings: Settings, found: SourceDiscovery, source_id: int, run_id: int,
           attempts: Sequence[Attempt], robots: Sequence[CacheUpdate]) -> Counter[str]:
    counts = Counter(found.counts)
    with transaction(url) as conn:
        listed, new = frontier.upsert_discovered(conn, found.urls, source_id, run_id)
        counts["refetch_queued"] += frontier.requeue_refetch(conn, source_id, settings.refetch_within_hours)
        rejects.insert(conn, [dataclasses.replace(r, source_id=source_id) for r in found.rejects], run_id)
        http_cache.save(conn, [*found.cache, *robots])
        http_cache.log_attempts(conn, attempts, run_id)
    counts["discovered"] += listed
    counts["discovered_new"] += new
    counts["rejected_discover"] += len(found.rejects)
    if found.rejects and not found.urls and not (counts["documents_fetched"] + counts["documents_not_modified"]):
        counts["sources_unreadable"] += 1  # nothing of it could be read this run
    return counts


def _known(url: str, urls: Sequence[str]) -> set[str]:
    with transaction(url) as conn:
        return frontier.known(conn, urls)


def run_discover(url: str, settings: Settings, specs: Sequence[SourceSpec], source_ids: dict[str, int],
                 run_id: int) -> StageResult:
    """List each source's URLs into the frontier; returns the counters (also added to the run)."""
    started = time.perf_counter()
    result = StageResult()
    with transaction(url) as conn:
        cache, robots = http_cache.load(conn, settings.robots_cache_hours)

    async def known(urls: Sequence[str]) -> set[str]:
        return await asyncio.to_thread(_known, url, urls)

    async def go() -> None:
        clock = DatabaseClock(url, run_id, settings.robots_cache_hours)
        try:
            async with PoliteClient(settings, robots=robots, clock=clock) as client:
                async def one(spec: SourceSpec) -> tuple[SourceSpec, SourceDiscovery]:
                    return spec, await discover_async(spec, settings, client, cache, known)

                for next_done in asyncio.as_completed([one(spec) for spec in specs]):
                    spec, found = await next_done
                    attempts, robot_rows = client.take_attempts(), client.take_robots()
                    result.counts.update(await asyncio.to_thread(
                        _store, url, settings, found, source_ids[spec.name], run_id, attempts, robot_rows))
                result.counts["hosts_parked"] += len(client.parked)
        finally:
            await asyncio.to_thread(clock.close)

    asyncio.run(go())
    result.seconds = time.perf_counter() - started
    with transaction(url) as conn:
        runs.add_stats(conn, run_id, result.counts, {Stage.DISCOVER: result.seconds})
    return result
