"""The fetch stage: claimed frontier URLs fetched concurrently and politely, their bytes stored in raw_pages.

URLs are claimed a few per host (round-robin over hosts, never a host another worker holds) and
fetched concurrently through one polite client, while finished ones are settled from the database
thread: throughput is the sum of the hosts' allowed rates, not one host's. Outcomes follow the
loop's policy (``etl.pipeline.loop``): a 200 or a 304 is Done, a timeout or a 5xx is Later, any
other failure is Failed, a crash of our code is Crashed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Sequence

from etl.acquire.fetch import Outcome as FetchOutcome
from etl.acquire.fetch import fetch_claim
from etl.acquire.http import PoliteClient
from etl.pipeline.loop import Done, Failed, Later, Loop, Outcome, StageResult, Worked, crashed
from etl.pipeline.runs import Progress, worker_id
from etl.records import Fetched, FrontierClaim, NotModified, Reason, Reject, Stage
from etl.settings import Settings
from etl.store import frontier, http_cache, raw_pages
from etl.store.db import Conn, transaction
from etl.store.queues import FRONTIER

# URLs of one host a worker holds at once: two keep the host busy while the next claim is made,
# and keep a URL's wait in the worker far below its lease even at the largest Crawl-delay.
PER_HOST_IN_FLIGHT = 2

Page = Fetched | NotModified


class FetchStep:
    """The fetch stage as a loop step."""

    queue = FRONTIER

    def __init__(self, settings: Settings, run_id: int, source_ids: Sequence[int] | None,
                 client: PoliteClient) -> None:
        self.settings = settings
        self.run_id = run_id
        self.source_ids = source_ids
        self.client = client
        self.capacity = max(settings.batch_size, settings.fetch_concurrency * 2)
        self.claim_size = settings.batch_size
        self.host_load: Counter[str] = Counter()
        self.since = time.monotonic()

    def key(self, claim: FrontierClaim) -> str:
        return claim.url_hash

    def claim(self, conn: Conn, worker: str, limit: int) -> list[FrontierClaim]:
        busy = sorted(host for host, n in self.host_load.items() if n >= PER_HOST_IN_FLIGHT)
        return frontier.claim(conn, worker, self.run_id, limit=limit, lease_seconds=self.settings.lease_seconds,
                              per_host=PER_HOST_IN_FLIGHT, busy_hosts=busy, source_ids=self.source_ids,
                              lock_timeout_seconds=self.settings.lock_timeout_seconds)

    def start(self, claims: list[FrontierClaim]) -> list[tuple[Awaitable[Worked[FrontierClaim, Page]], int]]:
        return [(self._one(claim), 1) for claim in claims]

    async def _one(self, claim: FrontierClaim) -> Worked[FrontierClaim, Page]:
        if claim.host:
            self.host_load[claim.host] += 1
        try:
            got = await fetch_claim(claim, self.client, self.settings)
        except Exception as exc:  # a bug must cost one URL an attempt, not the run
            return crashed(Stage.FETCH, [claim], exc)
        finally:
            if claim.host:
                self.host_load[claim.host] -= 1
                if self.host_load[claim.host] <= 0:
                    del self.host_load[claim.host]
        return [(claim, _outcome(got))]

    def store(self, conn: Conn, done: list[tuple[FrontierClaim, Page]]) -> Counter[str]:
        counts = Counter[str]()
        for claim, page in done:
            if isinstance(page, Fetched):
                raw_pages.upsert(conn, claim.url_hash, claim.source_id, page, self.run_id)
                counts["fetched"] += 1
            else:
                counts["not_modified"] += 1
        return counts

    def store_error(self, claim: FrontierClaim, error: BaseException) -> Reject:
        return Reject(Stage.FETCH, Reason.LOAD_ERROR, claim.url, f"{type(error).__name__}: {error}"[:500])

    def after_settle(self, conn: Conn) -> None:
        http_cache.log_attempts(conn, self.client.take_attempts(), self.run_id)
        http_cache.save(conn, self.client.take_robots())

    def timings(self, settle_seconds: float) -> dict[str, float]:
        now = time.monotonic()
        seconds, self.since = now - self.since, now
        return {"fetch": seconds}


def _outcome(got: FetchOutcome) -> Outcome[Page]:
    if isinstance(got, Reject):
        return Later(got) if got.transient else Failed(got)
    return Done(got)


async def _fetch(url: str, settings: Settings, run_id: int, source_ids: Sequence[int] | None,
                 quota: int | None, progress: Progress | None) -> StageResult:
    with transaction(url) as conn:
        robots = http_cache.load(conn, settings.robots_cache_hours, documents=False)[1]
    async with PoliteClient(settings, robots=robots) as client:
        step = FetchStep(settings, run_id, source_ids, client)
        loop = Loop(step, url, settings, run_id, worker_id(), float("inf") if quota is None else quota, progress)
        return await loop.run()


def run_fetch(url: str, settings: Settings, run_id: int, source_ids: Sequence[int] | None = None,
              quota: int | None = None, progress: Progress | None = None) -> StageResult:
    """Claim pending frontier URLs, fetch them politely and concurrently, store raw pages or rejects.

    Counters (added to the run): fetched, not_modified, rejected_fetch (of which fetch_retry_later
    stay pending for a later run and fetch_gave_up were the last attempt), internal_errors, lease_lost.
    """
    return asyncio.run(_fetch(url, settings, run_id, source_ids, quota, progress))

