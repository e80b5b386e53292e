"""Fetch stage: get the bytes of frontier URLs (HTTP, local files, WARC records) into raw_pages.

One event loop runs the stage. It claims URLs from the frontier a few per host (round-robin, see
sql/fetch/claim_frontier.sql), fetches them concurrently through the polite client, and settles
the results in batches from a single database thread while the next requests are already in
flight: throughput is the sum of the hosts' allowed rates, not one host's. Every outcome is
settled: fetched (a 200, or a 304 on a refetch), rejected with a reason, or — for transient
failures (timeouts, 429, 5xx) — left pending with a delay until ``max_fetch_attempts`` runs
have tried. A run that fails midway hands its unsettled claims back, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import psycopg

from etl.acquire import warcs
from etl.acquire.discover import insert_fetch_log, load_http_cache, robots_updates, save_http_cache
from etl.acquire.http import PoliteClient, Response, Validators, is_transient
from etl.load import as_json, insert_rejects
from etl.pipeline import Progress, StageResult, add_run_stats, worker_id
from etl.records import Reject
from etl.settings import Settings
from etl.store.db import libpq_url
from etl.store.sqlfiles import sql_text

log = logging.getLogger(__name__)

T = TypeVar("T")
# Source kinds whose file: URLs were written by the operator (a folder or a local list), so they
# may be read; a file: URL from anywhere else is refused.
LOCAL_KINDS = frozenset({"files", "urls"})
# URLs of one host a worker holds at once: two keep the host busy while the next claim is made,
# and keep a URL's wait in the worker far below its lease even at the largest Crawl-delay.
PER_HOST_IN_FLIGHT = 2
FLUSH_SECONDS = 2.0
# Claims are made at most this often while requests are in flight: often enough to refill a host
# before its next turn, rarely enough that the claim query never becomes the bottleneck.
CLAIM_EVERY_SECONDS = 0.1


@dataclass(frozen=True)
class Fetched:
    """A successful fetch: the bytes and what the transport said about them."""

    url: str
    final_url: str
    body: bytes
    status_code: int | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    redirects: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotModified:
    """A conditional refetch answered 304: the stored page is still current."""

    url: str


@dataclass(frozen=True)
class Claim:
    """A frontier row leased to this worker."""

    url_hash: str
    url: str
    source_id: int
    entry: dict[str, Any]
    fetch_from: str | None
    host: str
    attempts: int
    source_kind: str
    etag: str | None
    last_modified: str | None


Outcome = Fetched | NotModified | Reject


def _fetch_file(url: str, settings: Settings) -> Fetched | Reject:
    path = Path(unquote(urlsplit(url).path))
    try:
        size = path.stat().st_size
        if size > settings.max_page_bytes:
            return Reject("fetch", "too_large", url, f"{size} bytes > {settings.max_page_bytes}")
        body = path.read_bytes()
    except FileNotFoundError:
        return Reject("fetch", "file_not_found", url, str(path))
    except OSError as exc:
        return Reject("fetch", "file_unreadable", url, f"{type(exc).__name__}: {exc}")
    return Fetched(url=url, final_url=url, body=body)


def _fetch_warc(url: str, locator: str, settings: Settings) -> Fetched | Reject:
    try:
        page = warcs.read_record(locator, settings.max_fetch_bytes)
    except warcs.WarcError as exc:
        return Reject("fetch", exc.reason, url, str(exc))
    return Fetched(url=url, final_url=url, body=page.body, status_code=page.status_code,
                   content_type=page.headers.get("content-type"), headers=page.headers)


async def fetch_claim(claim: Claim, client: PoliteClient, settings: Settings) -> Outcome:
    """Fetch one claimed URL from wherever its bytes are; failures are Rejects."""
    if claim.fetch_from:
        return await asyncio.to_thread(_fetch_warc, claim.url, claim.fetch_from, settings)
    scheme = urlsplit(claim.url).scheme.lower()
    if scheme == "file":
        if claim.source_kind not in LOCAL_KINDS:
            return Reject("fetch", "unsupported_scheme", claim.url, f"file: URL from a {claim.source_kind} source")
        return await asyncio.to_thread(_fetch_file, claim.url, settings)
    validators = Validators(claim.etag, claim.last_modified) if (claim.etag or claim.last_modified) else None
    got = await client.get(claim.url, purpose="page", validators=validators, html_only=True)
    if isinstance(got, Reject):
        return got
    if got.not_modified:
        return NotModified(claim.url)
    return _fetched(got)


def _fetched(got: Response) -> Fetched:
    return Fetched(url=got.url, final_url=got.final_url, body=got.body, status_code=got.status_code,
                   content_type=got.content_type, headers=got.headers, redirects=got.redirects)


def fetch_url(url: str, settings: Settings) -> Fetched | Reject:
    """Fetch one URL outside a run (local file or polite HTTP); every failure is a Reject."""
    if urlsplit(url).scheme.lower() == "file":
        return _fetch_file(url, settings)

    async def go() -> Fetched | Reject:
        async with PoliteClient(settings) as client:
            got = await client.get(url, purpose="page", html_only=True)
        return got if isinstance(got, Reject) else _fetched(got)

    return asyncio.run(go())


class _Database:
    """One connection used from one thread: the event loop hands it work and goes on fetching."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch-db")
        self.conn: psycopg.Connection | None = None

    def _conn(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(libpq_url(self.url), connect_timeout=10)
        return self.conn

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            conn = self._conn()
            with conn.transaction():
                return fn(conn, *args)

        return await asyncio.get_running_loop().run_in_executor(self.pool, run)

    def close(self) -> None:
        def shut() -> None:
            if self.conn is not None:
                self.conn.close()

        self.pool.submit(shut).result()
        self.pool.shutdown()


def _claim(conn: psycopg.Connection, me: str, settings: Settings, limit: int, busy: list[str],
           source_ids: Sequence[int] | None) -> list[Claim]:
    conn.execute(sql_text("fetch/lock_claims"))
    rows = conn.execute(
        sql_text("fetch/claim_frontier"),
        {"worker": me, "lease_seconds": settings.lease_seconds, "limit": limit, "per_host": PER_HOST_IN_FLIGHT,
         "busy_hosts": busy, "source_ids": list(source_ids) if source_ids else None},
    ).fetchall()
    return [Claim(r[0], r[1], r[2], r[3] or {}, r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows]


def _settle(conn: psycopg.Connection, me: str, settings: Settings, run_id: int,
            outcomes: Sequence[tuple[Claim, Outcome]], client: PoliteClient, seconds: float) -> Counter[str]:
    """Write one batch of outcomes: frontier status, raw pages, rejects, fetch log, counters."""
    batch = Counter[str]()
    done = [c.url_hash for c, o in outcomes if not isinstance(o, Reject)]
    final = [c.url_hash for c, o in outcomes if isinstance(o, Reject) and not is_transient(o.reason)]
    later = [c.url_hash for c, o in outcomes if isinstance(o, Reject) and is_transient(o.reason)]
    held: set[str] = set()
    given_up: set[str] = set()
    for status, keys in (("fetched", done), ("rejected", final)):
        if keys:
            cur = conn.execute(sql_text("load/settle_frontier"), {"status": status, "url_hashes": keys, "worker": me})
            held.update(k for (k,) in cur)
    if later:
        cur = conn.execute(
            sql_text("fetch/defer_frontier"),
            {"url_hashes": later, "worker": me, "max_attempts": settings.max_fetch_attempts,
             "wait_seconds": settings.retry_failed_after_minutes * 60},
        )
        for key, status in cur:
            held.add(key)
            if status == "rejected":
                given_up.add(key)
    rejects = []
    for claim, outcome in outcomes:
        if claim.url_hash not in held:
            batch["lease_lost"] += 1
            continue
        if isinstance(outcome, Fetched):
            _store_raw_page(conn, claim.url_hash, claim.source_id, outcome, run_id)
            batch["fetched"] += 1
        elif isinstance(outcome, NotModified):
            batch["not_modified"] += 1
        else:
            detail = outcome.detail
            if claim.url_hash in later:
                retry = "gave up" if claim.url_hash in given_up else "will retry in a later run"
                detail = f"{detail} (attempt {claim.attempts} of {settings.max_fetch_attempts}; {retry})"
                batch["fetch_retry_later" if claim.url_hash not in given_up else "fetch_gave_up"] += 1
            rejects.append(Reject("fetch", outcome.reason, claim.url, detail, claim.url_hash, claim.source_id))
    insert_rejects(conn, rejects, run_id)
    batch["rejected_fetch"] += len(rejects)
    insert_fetch_log(conn, client.take_attempts(), run_id)
    save_http_cache(conn, robots_updates(client))
    add_run_stats(conn, run_id, batch, "fetch", seconds)
    return batch


def _release(conn: psycopg.Connection, me: str) -> None:
    conn.execute(sql_text("fetch/release_frontier"), {"worker": me})


def _load_robots(conn: psycopg.Connection, settings: Settings) -> dict[str, tuple[int, bytes | None]]:
    return load_http_cache(conn, settings, documents=False)[1]


async def _run(url: str, settings: Settings, run_id: int, source_ids: Sequence[int] | None,
               quota: int | None, progress: Progress | None) -> StageResult:
    result = StageResult()
    me = worker_id()
    db = _Database(url)
    in_flight: dict[asyncio.Task[Outcome], Claim] = {}
    host_load = Counter[str]()
    finished: list[tuple[Claim, Outcome]] = []
    remaining = quota if quota is not None else math.inf
    max_in_flight = max(settings.batch_size, settings.fetch_concurrency * 2)
    exhausted = False
    last_flush = last_claim = time.monotonic()
    try:
        robots = await db.call(_load_robots, settings)
        async with PoliteClient(settings, robots=robots) as client:

            async def flush() -> None:
                nonlocal finished, last_flush
                now = time.monotonic()
                batch_rows, finished = finished, []
                batch = await db.call(_settle, me, settings, run_id, batch_rows, client, now - last_flush)
                last_flush = now
                result.counts.update(batch)
                log.info("fetch batch: %s", dict(batch))
                if progress:
                    progress(len(batch_rows))

            while True:
                due = not in_flight or time.monotonic() - last_claim >= CLAIM_EVERY_SECONDS
                if due and not exhausted and remaining > 0 and len(in_flight) < max_in_flight:
                    last_claim = time.monotonic()
                    busy = sorted(h for h, n in host_load.items() if n >= PER_HOST_IN_FLIGHT)
                    take = int(min(settings.batch_size, remaining, max_in_flight - len(in_flight)))
                    claims = await db.call(_claim, me, settings, take, busy, source_ids)
                    remaining -= len(claims)
                    if not claims and not busy:
                        exhausted = True
                    for claim in claims:
                        task = asyncio.create_task(fetch_claim(claim, client, settings))
                        in_flight[task] = claim
                        if claim.host:
                            host_load[claim.host] += 1
                if not in_flight:
                    if finished:
                        await flush()
                    if exhausted or remaining <= 0:
                        break
                    continue
                done, _ = await asyncio.wait(in_flight, timeout=CLAIM_EVERY_SECONDS,
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    claim = in_flight.pop(task)
                    if claim.host:
                        host_load[claim.host] -= 1
                        if host_load[claim.host] <= 0:
                            del host_load[claim.host]
                    try:
                        finished.append((claim, task.result()))
                    except Exception as exc:  # a bug must cost one URL, not the run
                        log.exception("fetching %s failed", claim.url)
                        finished.append((claim, Reject("fetch", "fetch_error", claim.url,
                                                       f"{type(exc).__name__}: {exc}"[:1000])))
                if finished and (len(finished) >= settings.batch_size
                                 or time.monotonic() - last_flush >= FLUSH_SECONDS):
                    await flush()
    except BaseException:
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        try:
            await db.call(_release, me)
        except Exception:  # the original error matters more
            log.exception("could not release the claims of %s", me)
        raise
    finally:
        await asyncio.to_thread(db.close)
    return result


def run_fetch(
    url: str,
    settings: Settings,
    run_id: int,
    source_ids: Sequence[int] | None = None,
    quota: int | None = None,
    progress: Progress | None = None,
) -> StageResult:
    """Claim pending frontier URLs, fetch them politely and concurrently, store raw pages or rejects.

    Counters (added to the run): fetched, not_modified, rejected_fetch (of which fetch_retry_later
    stay pending for a later run and fetch_gave_up were the last attempt), lease_lost.
    """
    started = time.perf_counter()
    result = asyncio.run(_run(url, settings, run_id, source_ids, quota, progress))
    result.seconds = time.perf_counter() - started
    return result


def _store_raw_page(conn: psycopg.Connection, key: str, source_id: int, fetched: Fetched, run_id: int) -> None:
    conn.execute(
        sql_text("load/upsert_raw_page"),
        {
            "url_hash": key,
            "url": fetched.url,
            "final_url": fetched.final_url,
            "source_id": source_id,
            "status_code": fetched.status_code,
            "headers": as_json(fetched.headers),
            "content_type": fetched.content_type,
            "body_gz": gzip.compress(fetched.body, compresslevel=5),
            "body_bytes": len(fetched.body),
            "body_sha256": hashlib.sha256(fetched.body).hexdigest(),
            "run_id": run_id,
            "redirects": as_json(list(fetched.redirects)),
        },
    )
