"""The host clock of a run, kept in PostgreSQL: one politeness clock per host across stages, tasks and processes.

``etl.acquire.http`` spaces requests through an injected :class:`etl.acquire.http.HostClock`; this is
the one the pipeline injects. Each request reserves its host's next slot in ``host_clock`` in one
atomic statement and waits for it (a queue: first come, first served), then starts only once the
host's previous actual start, by any process, is an interval ago (a compare-and-set on
``last_start``: a predecessor that started late cannot be crowded). So discover and fetch, the
mapped tasks of a DAG run and parallel CLI runs all share each host's spacing. Parking (the circuit
breaker) is recorded per run in ``parked_hosts``, so every task of the run leaves a parked host
alone, and a robots.txt is fetched by one client at a time (a claim in ``robots_fetches``) and its
answer stored the moment it arrives, so a second task asking the same host waits for it and reuses it.

Its calls go through their own connection and thread: a clock call never queues behind a batch's
settle.
"""

from __future__ import annotations

import uuid

from etl.pipeline.loop import DatabaseThread
from etl.store import hosts


class DatabaseClock:
    """``etl.acquire.http.HostClock`` over ``host_clock``, ``parked_hosts`` and ``http_cache`` for run ``run_id``."""

    def __init__(self, url: str, run_id: int, robots_hours: float) -> None:
        self.run_id = run_id
        self.fetcher = uuid.uuid4().hex  # this client, as the holder of robots.txt fetch claims
        self.robots_hours = robots_hours
        self.db = DatabaseThread(url)

    async def reserve(self, host: str, interval: float) -> float | None:
        return await self.db.call(hosts.reserve, host, interval, self.run_id)

    async def begin(self, host: str, interval: float) -> float:
        return await self.db.call(hosts.begin, host, interval)

    async def sent(self, host: str) -> None:
        await self.db.call(hosts.sent, host)

    async def hold_off(self, host: str, seconds: float) -> None:
        await self.db.call(hosts.hold_off, host, seconds)

    async def park(self, host: str, reason: str, detail: str, failures: int) -> None:
        await self.db.call(hosts.park, self.run_id, host, reason, detail, failures)

    async def robots(self, url: str) -> tuple[int, bytes | None] | None:
        return await self.db.call(hosts.robots, url, self.robots_hours)

    async def claim_robots(self, url: str, seconds: float) -> bool:
        return await self.db.call(hosts.claim_robots, url, self.fetcher, seconds)

    async def release_robots(self, url: str) -> None:
        await self.db.call(hosts.release_robots, url, self.fetcher)

    async def keep_robots(self, url: str, status: int, body: bytes | None) -> None:
        await self.db.call(hosts.keep_robots, url, status, body)

    def close(self) -> None:
        self.db.close()
