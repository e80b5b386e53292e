"""Process stage: claimed stored pages go through extract -> entities -> load, one transaction a batch."""

from __future__ import annotations

import gzip
import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from etl.entities import extract_entities
from etl.extract.page import extract_page
from etl.load import LoadItem, insert_rejects, load_articles
from etl.pipeline import Progress, StageResult, add_run_stats, worker_id
from etl.records import Article, EntityMention, RawPage, Reject
from etl.settings import Settings
from etl.store.db import connect
from etl.store.sqlfiles import sql_text

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
    failures: list[psycopg.Error] = []
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
            try:
                batch = _process_batch(url, settings, run_id, me, claimed, nlp)
            except psycopg.Error as exc:
                if _connection_lost(exc):
                    raise
                # The server could not take this batch now (disk full, out of memory, a lost race):
                # keep its claims so the loop moves on to other pages, and fail at the end so the
                # task is retried for this batch once the others have landed.
                log.warning("batch of %d pages failed (%s: %s); going on with the others",
                            len(claimed), type(exc).__name__, str(exc).strip())
                failures.append(exc)
                continue
            result.counts.update(batch)
            log.info("process batch of %d: %s", len(claimed), dict(batch))
            if progress:
                progress(len(claimed))
        if failures:
            raise failures[0]
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


@dataclass(frozen=True)
class _Prepared:
    """One claimed page after extract + entities: an article to load, or a reject to record."""

    page: RawPage
    article: Article | None = None
    entities: list[EntityMention] = field(default_factory=list)
    reject: Reject | None = None


# SQLSTATE classes that say the server, the connection or a concurrent transaction is in the way,
# not the data: the batch must be retried as a whole (connection exception, operator intervention,
# insufficient resources, serialization failure or deadlock).
TRANSIENT_SQLSTATE_CLASSES = ("08", "57", "53", "40")


CONFLICT_RETRIES = 3  # a deadlock or serialization failure with a concurrent batch: retry in place


def _connection_lost(exc: psycopg.Error) -> bool:
    """The connection or the server is gone: nothing else can land in this process now."""
    return exc.sqlstate is None or exc.sqlstate[:2] in ("08", "57")


def _transient(exc: psycopg.Error) -> bool:
    return exc.sqlstate is None or exc.sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES


def _process_batch(
    url: str, settings: Settings, run_id: int, me: str, claimed: Sequence[tuple[Any, ...]], nlp: Any | None
) -> Counter[str]:
    t0 = time.perf_counter()
    pages = [
        RawPage(raw_page_id=r[0], url_hash=r[1], url=r[2], final_url=r[3], source_id=r[4],
                body=gzip.decompress(r[5]), content_type=r[6], headers=r[7] or {}, entry=r[8] or {})
        for r in claimed
    ]
    outcomes = [(page, extract_page(page, settings)) for page in pages]
    timings = {"extract": time.perf_counter() - t0}
    t1 = time.perf_counter()
    articles = [(page, outcome) for page, outcome in outcomes if isinstance(outcome, Article)]
    entities = extract_entities([a for _, a in articles], settings, nlp=nlp) if articles else []
    found = {page.raw_page_id: ents for (page, _), ents in zip(articles, entities, strict=True)}
    timings["entities"] = time.perf_counter() - t1
    prepared = [
        _Prepared(page, outcome, found[page.raw_page_id]) if isinstance(outcome, Article)
        else _Prepared(page, reject=outcome)
        for page, outcome in outcomes
    ]
    for attempt in range(1, CONFLICT_RETRIES + 1):
        try:
            return _load(url, run_id, me, prepared, timings)
        except psycopg.Error as exc:
            if (exc.sqlstate or "").startswith("40") and attempt < CONFLICT_RETRIES:
                log.info("batch load lost a race with another worker (%s); trying again", exc.sqlstate)
                time.sleep(0.2 * attempt)
                continue
            if _transient(exc):
                raise
            log.warning("batch load failed (%s: %s); loading its %d pages one by one",
                        type(exc).__name__, exc, len(prepared))
            break
    # One page's data broke the batch (an oversized value, a constraint): isolate it, land the rest.
    total = Counter[str]()
    for item in prepared:
        try:
            total.update(_load(url, run_id, me, [item], {}))
        except psycopg.Error as exc:
            if _transient(exc):
                raise
            reject = Reject("load", "load_error", item.page.url, f"{type(exc).__name__}: {exc}"[:500],
                            item.page.url_hash, item.page.source_id)
            total.update(_load(url, run_id, me, [_Prepared(item.page, reject=reject)], {}))
    return total


def _load(url: str, run_id: int, me: str, prepared: Sequence[_Prepared], timings: dict[str, float]) -> Counter[str]:
    """Settle the pages this worker still holds and load them, all in one transaction."""
    started = time.perf_counter()
    batch = Counter[str]()
    with connect(url) as conn, conn.transaction():
        held: set[int] = set()
        for status, ids in (("done", [p.page.raw_page_id for p in prepared if p.article is not None]),
                            ("rejected", [p.page.raw_page_id for p in prepared if p.article is None])):
            if ids:
                cur = conn.execute(sql_text("load/settle_raw_pages"),
                                   {"status": status, "raw_page_ids": ids, "worker": me})
                held.update(i for (i,) in cur)
        mine = [p for p in prepared if p.page.raw_page_id in held]
        items = [LoadItem(article=p.article, entities=p.entities, source_id=p.page.source_id,
                          raw_page_id=p.page.raw_page_id) for p in mine if p.article is not None]
        loaded = load_articles(conn, items, run_id)
        rejects = [p.reject for p in mine if p.reject is not None]
        insert_rejects(conn, rejects, run_id)
        batch["articles_inserted"] += loaded.inserted
        batch["articles_updated"] += loaded.updated
        batch["duplicates"] += loaded.duplicates
        for reject in rejects:
            batch[f"rejected_{reject.stage}"] += 1
        batch["entities"] += sum(len(item.entities) for item in items)
        batch["lease_lost"] += len(prepared) - len(mine)
        timings = dict(timings, load=time.perf_counter() - started)
        for stage, seconds in timings.items():
            add_run_stats(conn, run_id, batch if stage == "load" else Counter(), stage, seconds)
    return batch
