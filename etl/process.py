"""Process stage: claimed stored pages go through extract -> entities -> load, one transaction a batch."""

from __future__ import annotations

import gzip
import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from etl.db import connect
from etl.entities import extract_entities
from etl.extract import extract_page
from etl.load import LoadItem, insert_rejects, load_articles
from etl.pipeline import Progress, StageResult, add_run_stats, worker_id
from etl.records import Article, RawPage, Reject
from etl.settings import Settings
from etl.sqlfiles import sql_text

log = logging.getLogger(__name__)


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


def run_process(
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
    try:
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
    except BaseException:
        _release_claims(url, me)
        raise
    result.seconds = time.perf_counter() - started
    return result


def _release_claims(url: str, me: str) -> None:
    """Hand back unsettled claims after an error; if even that fails, the lease expiry frees them."""
    try:
        with connect(url) as conn, conn.transaction():
            conn.execute(sql_text("load/release_raw_pages"), {"worker": me})
    except Exception:  # the database may be what failed
        log.warning("could not release claims of %s; they free up when the lease expires", me)


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
            for (p, a), ents in zip(extracted, entities, strict=True)
            if p.raw_page_id in held
        ]
        loaded = load_articles(conn, items, run_id)
        kept_rejects = [r for r in rejects if any(p.url_hash == r.url_hash and p.raw_page_id in held for p in pages)]
        insert_rejects(conn, kept_rejects, run_id)
        batch["articles_inserted"] += loaded.inserted
        batch["articles_updated"] += loaded.updated
        batch["duplicates"] += loaded.duplicates
        batch["rejected_extract"] += len(kept_rejects)
        batch["entities"] += sum(len(e) for e in entities)
        batch["lease_lost"] += len(pages) - len(held)
        timings["load"] = time.perf_counter() - t2
        for stage, seconds in timings.items():
            add_run_stats(conn, run_id, batch if stage == "load" else Counter(), stage, seconds)
    return batch
