"""The fetch stage: claimed frontier URLs fetched concurrently and politely, their bytes stored in raw_pages.

URLs are claimed a few per host (round-robin over hosts, never a host another worker holds, only the
task's own hosts when the plan gave it some) and fetched concurrently through one polite client whose
host clock is the run's, in PostgreSQL (``etl.pipeline.hosts``), while finished ones are settled from
the database thread: throughput is the sum of the hosts' allowed rates, not one host's. Outcomes
follow the loop's policy (``etl.pipeline.loop``): a 200 or a 304 is Done, a timeout or a 5xx is
Later, any other failure is Failed, a crash of our code is Crashed. A URL of a host the client
parked (it kept failing) is excused: pending for a later run, its attempt taken back — and so are
the URLs of that host the run had already deferred.

A worker whose claim finds nothing waits while URLs of its scope remain that other workers hold
(their host is theirs until they let go); a holder on this machine whose process is gone is
released at once instead of waiting for its lease.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Sequence

from etl.acquire.fetch import Outcome as FetchOutcome
from etl.acquire.fetch import fetch_claim
from etl.acquire.http import PoliteClient
from etl.pipeline.hosts import DatabaseClock
from etl.pipeline.loop import Done, Failed, Later, Loop, Outcome, StageResult, Worked, crashed
from etl.pipeline.runs import Progress, release_dead_workers, worker_id
from etl.records import Fetched, FrontierClaim, NotModified, Reason, Reject, Stage
from etl.settings import Settings
from etl.store import frontier, http_cache, raw_pages
from etl.store.db import Conn, transaction
from etl.store.queues import FRONTIER

# URLs of one host a worker holds at once: two keep the host busy while the next claim is made,
# and keep a URL's wait in the worker far below its lease even at the largest Crawl-delay.
PER_HOST_IN_FLIGHT = 2
# Seconds between claims while another worker holds the hosts this one waits for.
IDLE_WAIT = 1.0
log = logging.getLogger(__name__)

Page = Fetched | NotModified


class FetchStep:
    """The fetch stage as a loop step."""

    queue = FRONTIER

    def __init__(self, settings: Settings, run_id: int, source_ids: Sequence[int] | None,
                 client: PoliteClient, hosts: Sequence[str] | None = None) -> None:
        self.settings = settings
        self.run_id = run_id
        self.source_ids = source_ids
        self.hosts = list(hosts) if hosts is not None else None
        self.client = client
        self.forgiven: set[str] = set()  # parked hosts whose earlier deferrals were taken back
        self.idle_without_holder = 0
        self.waited_for: set[str] = set()
        self.capacity = max(settings.batch_size, settings.fetch_concurrency * 2)
        self.claim_size = settings.batch_size
        self.host_load: Counter[str] = Counter()
        self.since = time.monotonic()

    def key(self, claim: FrontierClaim) -> str:
        return claim.url_hash

    def claim(self, conn: Conn, worker: str, limit: int) -> list[FrontierClaim]:
        busy = sorted(host for host, n in self.host_load.items() if n >= PER_HOST_IN_FLIGHT)
        busy += sorted(set(self.client.parked) - set(busy))  # parked here, maybe not yet in the database
        return frontier.claim(conn, worker, self.run_id, limit=limit, lease_seconds=self.settings.lease_seconds,
                              per_host=PER_HOST_IN_FLIGHT, busy_hosts=busy, source_ids=self.source_ids,
                              hosts=self.hosts, lock_timeout_seconds=self.settings.lock_timeout_seconds)

    def idle(self, conn: Conn, worker: str) -> float | None:
        pending, holders = frontier.waiting(conn, worker, self.run_id, self.source_ids, self.hosts)
        if pending == 0:
            return None
        if release_dead_workers(conn, holders):
            return 0.0
        if not holders:  # a row locked for a moment by another claim: try again, a few times
            self.idle_without_holder += 1
            return 0.2 if self.idle_without_holder <= 5 else None
        self.idle_without_holder = 0
        if new := sorted(set(holders) - self.waited_for):
            log.info("%d URLs of this task's scope wait for hosts held by %s; waiting for them", pending,
                     ", ".join(new))
            self.waited_for.update(new)
        return IDLE_WAIT

    def pending(self, conn: Conn) -> int:
        return frontier.waiting(conn, "", self.run_id, self.source_ids, self.hosts)[0]

    def excused(self, claim: FrontierClaim) -> bool:
        return bool(claim.host) and claim.host in self.client.parked

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

    def after_settle(self, conn: Conn) -> Counter[str]:
        http_cache.log_attempts(conn, self.client.take_attempts(), self.run_id)
        http_cache.save(conn, self.client.take_robots())
        counts = Counter[str]()
        newly = sorted(set(self.client.parked) - self.forgiven)
        if newly:
            counts["hosts_parked"] += len(newly)
            forgiven, given_up = frontier.forgive(conn, self.run_id, newly,
                                                  self.settings.retry_failed_after_minutes * 60)
            if forgiven:  # deferred before the host was parked: the host failed them, not the URL
                counts["fetch_host_parked"] += forgiven
                counts["fetch_gave_up"] -= given_up
                counts["fetch_retry_later"] -= forgiven - given_up
            self.forgiven.update(newly)
        return counts

    def timings(self, settle_seconds: float) -> dict[str, float]:
        now = time.monotonic()
        seconds, self.since = now - self.since, now
        return {"fetch": seconds}


def _outcome(got: FetchOutcome) -> Outcome[Page]:
    if isinstance(got, Reject):
        return Later(got) if got.transient else Failed(got)
    return Done(got)


async def _fetch(url: str, settings: Settings, run_id: int, source_ids: Sequence[int] | None,
                 quota: int | None, progress: Progress | None, hosts: Sequence[str] | None) -> StageResult:
    with transaction(url) as conn:
        robots = http_cache.load(conn, settings.robots_cache_hours, documents=False)[1]
    clock = DatabaseClock(url, run_id, settings.robots_cache_hours)
    try:
        async with PoliteClient(settings, robots=robots, clock=clock) as client:
            step = FetchStep(settings, run_id, source_ids, client, hosts)
            loop = Loop(step, url, settings, run_id, worker_id(), float("inf") if quota is None else quota, progress)
            return await loop.run()
    finally:
        await asyncio.to_thread(clock.close)


def run_fetch(url: str, settings: Settings, run_id: int, source_ids: Sequence[int] | None = None,
              quota: int | None = None, progress: Progress | None = None,
              hosts: Sequence[str] | None = None) -> StageResult:
    """Claim pending frontier URLs (of ``hosts`` only, when given), fetch them politely and concurrently,
    store raw pages or rejects.

    Counters (added to the run): fetched, not_modified, rejected_fetch (of which fetch_retry_later
    stay pending for a later run and fetch_gave_up were the last attempt), internal_errors, lease_lost,
    hosts_parked and fetch_host_parked (URLs left pending, uncharged, because their host is parked).
    """
    return asyncio.run(_fetch(url, settings, run_id, source_ids, quota, progress, hosts))

