"""The pipeline's stages over the warehouse: discover -> fetch -> extract + entities -> load.

Each function here is what one Airflow task or one CLI step calls. They take a database URL
and settings, pass only ids and counts between them, and move page bytes through raw_pages.
Every stage is idempotent: re-running it after a crash or twice in a row changes nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import math
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from etl import migrate
from etl.db import connect
from etl.discover import discover_source
from etl.entities import extract_entities
from etl.extract import extract_page
from etl.fetch import Fetched, fetch_url
from etl.load import LoadItem, as_json, insert_rejects, load_articles
from etl.records import Article, RawPage, Reject, SourceSpec
from etl.settings import Settings
from etl.sqlfiles import sql_text
from etl.urls import canonicalize_url, url_hash

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


def worker_id() -> str:
    """A name unique to this process, for leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class StageResult:
    """Counts of one stage call, returned to the caller (and to XCom: small and JSON-able)."""

    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "seconds": round(self.seconds, 3)}


def prepare_database(url: str) -> None:
    """Migrate the warehouse to the newest schema (safe from many processes at once)."""
    migrate.upgrade(url)


def start_run(url: str, trigger: str, params: dict[str, Any], external_id: str | None = None) -> int:
    """Open a pipeline_runs row; an Airflow retry with the same external id reuses it."""
    with connect(url) as conn, conn.transaction():
        row = conn.execute(
            sql_text("load/start_run"),
            {"trigger": trigger, "external_id": external_id, "params": as_json(params)},
        ).fetchone()
    assert row is not None
    return int(row[0])


def _add_run_stats(conn: psycopg.Connection, run_id: int, counts: Counter[str], stage: str, seconds: float) -> None:
    conn.execute(
        sql_text("load/add_run_stats"),
        {"run_id": run_id, "counts": as_json(dict(counts)), "timings": as_json({stage: seconds})},
    )


def sync_sources(url: str, specs: Sequence[SourceSpec]) -> dict[str, int]:
    """Upsert the configured sources; returns name -> source_id."""
    ids: dict[str, int] = {}
    with connect(url) as conn, conn.transaction():
        for spec in specs:
            row = conn.execute(
                sql_text("load/upsert_source"),
                {"name": spec.name, "kind": spec.kind, "location": spec.location, "options": as_json(spec.options)},
            ).fetchone()
            assert row is not None
            ids[spec.name] = int(row[0])
    return ids


def discover(url: str, settings: Settings, specs: Sequence[SourceSpec], source_ids: dict[str, int], run_id: int) -> StageResult:
    """List each source's URLs into the frontier; new ones become pending, none is ever lost."""
    started = time.perf_counter()
    result = StageResult()
    for spec in specs:
        found, rejects = discover_source(spec, settings)
        sid = source_ids[spec.name]
        rows: dict[str, tuple[str, dict[str, Any]]] = {}
        for item in found:
            canonical = canonicalize_url(item.url)
            rows.setdefault(url_hash(canonical), (canonical, item.entry))
        with connect(url) as conn, conn.transaction():
            inserted = 0
            if rows:
                keys = list(rows)
                cur = conn.execute(
                    sql_text("load/upsert_frontier"),
                    {
                        "url_hashes": keys,
                        "urls": [rows[k][0] for k in keys],
                        "source_ids": [sid] * len(keys),
                        "entries": [as_json(rows[k][1]) for k in keys],
                        "run_ids": [run_id] * len(keys),
                    },
                )
                inserted = sum(1 for (new,) in cur if new)
            insert_rejects(conn, [_with_source(r, sid) for r in rejects], run_id)
            result.counts["discovered"] += len(rows)
            result.counts["discovered_new"] += inserted
            result.counts["rejected_discover"] += len(rejects)
    result.seconds = time.perf_counter() - started
    with connect(url) as conn, conn.transaction():
        _add_run_stats(conn, run_id, result.counts, "discover", result.seconds)
    return result


def _with_source(reject: Reject, source_id: int) -> Reject:
    return Reject(reject.stage, reject.reason, reject.url, reject.detail, reject.url_hash, source_id)


def count_pending(url: str, stage: str, source_ids: Sequence[int] | None) -> int:
    """Pending work of a stage ('fetch' or 'process') for the selected sources."""
    name = "load/count_pending_frontier" if stage == "fetch" else "load/count_pending_raw_pages"
    with connect(url) as conn:
        row = conn.execute(sql_text(name), {"source_ids": list(source_ids) if source_ids else None}).fetchone()
    return int(row[0]) if row else 0


def plan_quotas(pending: int, limit: int | None, batch_size: int, max_tasks: int) -> list[int]:
    """Split the work of a run into at most ``max_tasks`` quotas of whole batches.

    Each quota is what one mapped task (or worker) may claim; claims themselves are made in
    Postgres, so quotas only bound the work, they never assign pages.
    """
    total = pending if limit is None else min(pending, max(limit, 0))
    if total <= 0:
        return []
    batches = math.ceil(total / batch_size)
    tasks = max(1, min(max_tasks, batches))
    per_task = math.ceil(batches / tasks) * batch_size
    quotas = []
    remaining = total
    while remaining > 0:
        quotas.append(min(per_task, remaining))
        remaining -= quotas[-1]
    return quotas


def fetch_pending(
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
            for (key, page_url, sid, _entry), outcome in outcomes:
                if key not in held:
                    batch["lease_lost"] += 1
                    continue
                if isinstance(outcome, Fetched):
                    _store_raw_page(conn, key, sid, outcome, run_id)
                    batch["fetched"] += 1
            insert_rejects(conn, [r for r in rejects if r.url_hash in held], run_id)
            batch["rejected_fetch"] += sum(1 for r in rejects if r.url_hash in held)
            _add_run_stats(conn, run_id, batch, "fetch", time.perf_counter() - batch_started)
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


def requeue_stored_pages(
    url: str, source_ids: Sequence[int] | None, since: str | None = None, until: str | None = None
) -> int:
    """Queue stored pages for extraction again (the reprocess parameter); returns how many."""
    with connect(url) as conn, conn.transaction():
        cur = conn.execute(
            sql_text("load/requeue_raw_pages"),
            {"source_ids": list(source_ids) if source_ids else None, "since": since, "until": until},
        )
        return cur.rowcount


def process_pending(
    url: str,
    settings: Settings,
    run_id: int,
    source_ids: Sequence[int] | None = None,
    quota: int | None = None,
    progress: Progress | None = None,
    nlp: Any | None = None,
) -> StageResult:
    """Claim stored pages in batches; extract, find entities and load each batch in one transaction."""
    started = time.perf_counter()
    result = StageResult()
    me = worker_id()
    remaining = quota if quota is not None else math.inf
    while remaining > 0:
        take = int(min(settings.batch_size, remaining))
        with connect(url) as conn, conn.transaction():
            claimed = conn.execute(
                sql_text("load/claim_raw_pages"),
                {"worker": me, "lease_seconds": settings.lease_seconds, "limit": take,
                 "source_ids": list(source_ids) if source_ids else None},
            ).fetchall()
        if not claimed:
            break
        remaining -= len(claimed)
        batch = _process_batch(url, settings, run_id, me, claimed, nlp)
        result.counts.update(batch)
        log.info("process batch of %d: %s", len(claimed), dict(batch))
        if progress:
            progress(len(claimed))
    result.seconds = time.perf_counter() - started
    return result


def _process_batch(
    url: str, settings: Settings, run_id: int, me: str, claimed: Sequence[tuple[Any, ...]], nlp: Any | None
) -> Counter[str]:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    pages = [
        RawPage(raw_page_id=r[0], url_hash=r[1], url=r[2], final_url=r[3], source_id=r[4],
                body=gzip.decompress(r[5]), content_type=r[6], headers=r[7] or {}, entry=r[8] or {})
        for r in claimed
    ]
    extracted: list[tuple[RawPage, Article]] = []
    rejects: list[Reject] = []
    for page in pages:
        outcome = extract_page(page, settings)
        if isinstance(outcome, Reject):
            rejects.append(outcome)
        else:
            extracted.append((page, outcome))
    timings["extract"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    entities = extract_entities([a for _, a in extracted], settings, nlp=nlp) if extracted else []
    timings["entities"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    batch = Counter[str]()
    with connect(url) as conn, conn.transaction():
        done_ids = [p.raw_page_id for p, _ in extracted]
        rejected_ids = [r_page.raw_page_id for r_page in pages if r_page.raw_page_id not in set(done_ids)]
        held: set[int] = set()
        for status, ids in (("done", done_ids), ("rejected", rejected_ids)):
            if ids:
                cur = conn.execute(sql_text("load/settle_raw_pages"),
                                   {"status": status, "raw_page_ids": ids, "worker": me})
                held.update(i for (i,) in cur)
        items = [
            LoadItem(article=a, entities=ents, source_id=p.source_id, raw_page_id=p.raw_page_id)
            for (p, a), ents in zip(extracted, entities)
            if p.raw_page_id in held
        ]
        loaded = load_articles(conn, items, run_id)
        kept_rejects = [r for r in rejects if any(p.url_hash == r.url_hash and p.raw_page_id in held for p in pages)]
        insert_rejects(conn, kept_rejects, run_id)
        batch["articles_inserted"] += loaded.inserted
        batch["articles_updated"] += loaded.updated
        batch["rejected_extract"] += len(kept_rejects)
        batch["entities"] += sum(len(e) for e in entities)
        batch["lease_lost"] += len(pages) - len(held)
        timings["load"] = time.perf_counter() - t2
        for stage, seconds in timings.items():
            _add_run_stats(conn, run_id, batch if stage == "load" else Counter(), stage, seconds)
    return batch


def finish_run(url: str, settings: Settings, run_id: int, error: str | None = None) -> dict[str, Any]:
    """Close the run: failed on error, degraded when too many inputs were rejected."""
    with connect(url) as conn, conn.transaction():
        counts_row = conn.execute(sql_text("queries/run_counts"), {"run_id": run_id}).fetchone()
        counts = Counter({k: int(float(v)) for k, v in (counts_row[0] if counts_row else {}).items()})
        attempted = counts["fetched"] + counts["rejected_fetch"]
        rejected = counts["rejected_fetch"] + counts["rejected_extract"]
        status = "failed" if error else "success"
        if not error and attempted and rejected / attempted > settings.degraded_reject_rate:
            status = "degraded"
        row = conn.execute(
            sql_text("load/finish_run"), {"run_id": run_id, "status": status, "error": error}
        ).fetchone()
    assert row is not None
    return {
        "run_id": row[0],
        "status": row[1],
        "seconds": round((row[3] - row[2]).total_seconds(), 3),
        "counts": row[4],
        "stage_timings": row[5],
    }
