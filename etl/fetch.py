"""Fetch stage: get the bytes of a discovered URL (local files for now)."""

from __future__ import annotations

import gzip
import hashlib
import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg

from etl.db import connect
from etl.load import as_json, insert_rejects
from etl.pipeline import Progress, StageResult, add_run_stats, worker_id
from etl.records import Reject
from etl.settings import Settings
from etl.sqlfiles import sql_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    """A successful fetch: the bytes and what the transport said about them."""

    url: str
    final_url: str
    body: bytes
    status_code: int | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def fetch_url(url: str, settings: Settings) -> Fetched | Reject:
    """Fetch one URL; every failure is a Reject with a reason, never an exception."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        return _fetch_file(url, settings)
    return Reject("fetch", "unsupported_scheme", url, f"scheme {scheme or '(none)'} is not fetched")


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


def run_fetch(
    url: str,
    settings: Settings,
    run_id: int,
    source_ids: Sequence[int] | None = None,
    quota: int | None = None,
    progress: Progress | None = None,
) -> StageResult:
    """Claim pending frontier URLs in batches, fetch them, store raw pages or rejects."""
    started = time.perf_counter()
    result = StageResult()
    me = worker_id()
    remaining = quota if quota is not None else math.inf
    while remaining > 0:
        take = int(min(settings.batch_size, remaining))
        batch_started = time.perf_counter()
        with connect(url) as conn, conn.transaction():
            claimed = conn.execute(
                sql_text("load/claim_frontier"),
                {"worker": me, "lease_seconds": settings.lease_seconds, "limit": take,
                 "source_ids": list(source_ids) if source_ids else None},
            ).fetchall()
        if not claimed:
            break
        remaining -= len(claimed)
        outcomes = [(row, fetch_url(row[1], settings)) for row in claimed]
        batch = Counter[str]()
        with connect(url) as conn, conn.transaction():
            fetched_keys, rejected_keys, rejects = [], [], []
            for (key, page_url, sid, _entry), outcome in outcomes:
                if isinstance(outcome, Fetched):
                    fetched_keys.append(key)
                else:
                    rejected_keys.append(key)
                    rejects.append(Reject("fetch", outcome.reason, page_url, outcome.detail, key, sid))
            held = set()
            for status, keys in (("fetched", fetched_keys), ("rejected", rejected_keys)):
                if keys:
                    cur = conn.execute(sql_text("load/settle_frontier"),
                                       {"status": status, "url_hashes": keys, "worker": me})
                    held.update(k for (k,) in cur)
            for (key, _url, sid, _entry), outcome in outcomes:
                if key not in held:
                    batch["lease_lost"] += 1
                    continue
                if isinstance(outcome, Fetched):
                    _store_raw_page(conn, key, sid, outcome, run_id)
                    batch["fetched"] += 1
            insert_rejects(conn, [r for r in rejects if r.url_hash in held], run_id)
            batch["rejected_fetch"] += sum(1 for r in rejects if r.url_hash in held)
            add_run_stats(conn, run_id, batch, "fetch", time.perf_counter() - batch_started)
        result.counts.update(batch)
        log.info("fetch batch: %s", dict(batch))
        if progress:
            progress(len(claimed))
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
        },
    )
