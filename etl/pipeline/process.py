"""The process stage: claimed stored pages go through extract → entities → load, one transaction a batch.

Extraction and NER run in this process on a whole batch (NER batches texts through ``nlp.pipe``),
and so does each article's near-duplicate fingerprint (MinHash signature, LSH buckets: timed as
``dedup``), outside the load transaction; the batch's articles, links, rejects and counters then
land in one transaction, under the loop's error policy (``etl.pipeline.loop``): a page whose
extraction or NER crashes is Crashed (tried again by a later run, then ``internal_error``), a page
the database refuses is a ``load_error``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from etl.dedup import Fingerprint, fingerprint
from etl.entities import extract_entities
from etl.extract.page import extract_page
from etl.pipeline.loop import Done, Failed, Outcome, StageResult, Worked, crashed, drive
from etl.pipeline.runs import Progress, worker_id
from etl.records import Article, EntityMention, RawPage, Reason, Reject, Stage
from etl.seeds import seed_gazetteer
from etl.settings import Settings
from etl.store import articles, raw_pages
from etl.store.db import Conn, transaction
from etl.store.queues import RAW_PAGES


@dataclass(frozen=True)
class Processed:
    """A page's article with its entities, ready to load."""

    article: Article
    entities: list[EntityMention]
    fingerprint: Fingerprint


class Flag(Protocol):
    """Something set once, from another process (a ``multiprocessing.Event``)."""

    def is_set(self) -> bool: ...


class ProcessStep:
    """The process stage as a loop step: one batch in flight at a time.

    With ``fetch_done`` (a worker started while its run still fetches: ``newsetl run --workers N``), a
    claim that finds nothing waits and claims again until the flag is set, then claims once more (pages
    the last fetch batch stored) before it ends.
    """

    queue = RAW_PAGES
    FOLLOW_EVERY = 0.5  # seconds between claims while the fetch stage may still store pages

    def __init__(self, settings: Settings, run_id: int, source_ids: Sequence[int] | None, nlp: Any | None,
                 fetch_done: Flag | None = None) -> None:
        self.settings = settings
        self.run_id = run_id
        self.source_ids = source_ids
        self.nlp = nlp
        self.fetch_done = fetch_done
        self._last_look = fetch_done is None
        self.capacity = self.claim_size = settings.batch_size
        self.seconds: dict[str, float] = {"extract": 0.0, "entities": 0.0, "dedup": 0.0}

    def key(self, page: RawPage) -> int:
        return page.raw_page_id

    def claim(self, conn: Conn, worker: str, limit: int) -> list[RawPage]:
        return raw_pages.claim(conn, worker, self.run_id, limit=limit, lease_seconds=self.settings.lease_seconds,
                               source_ids=self.source_ids)

    def start(self, claims: list[RawPage]) -> list[tuple[Awaitable[Worked[RawPage, Processed]], int]]:
        return [(self._batch(claims), len(claims))]

    async def _batch(self, pages: list[RawPage]) -> Worked[RawPage, Processed]:
        """Extract every page, then find the entities of the articles and their near-duplicate fingerprints
        (blocking: one batch at a time)."""
        t0 = time.perf_counter()
        worked: Worked[RawPage, Processed] = []
        found: list[tuple[RawPage, Article]] = []
        for page in pages:
            try:
                got = extract_page(page, self.settings)
            except Exception as exc:
                worked += crashed(Stage.EXTRACT, [page], exc)
                continue
            if isinstance(got, Reject):
                worked.append((page, Failed(got)))
            else:
                found.append((page, got))
        t1 = time.perf_counter()
        prints: list[Fingerprint] = []
        if found:
            try:
                prints = [fingerprint(article.text) for _, article in found]
            except Exception as exc:
                worked += crashed(Stage.LOAD, [p for p, _ in found], exc)
                found = []
        t2 = time.perf_counter()
        if found:
            try:
                mentions = extract_entities([a for _, a in found], self.settings, nlp=self.nlp, known=seed_gazetteer())
            except Exception as exc:
                worked += crashed(Stage.ENTITIES, [p for p, _ in found], exc)
            else:
                outcomes: list[tuple[RawPage, Outcome[Processed]]] = [
                    (page, Done(Processed(article, ents, fp)))
                    for (page, article), ents, fp in zip(found, mentions, prints, strict=True)
                ]
                worked += outcomes
        self.seconds["extract"] += t1 - t0
        self.seconds["dedup"] += t2 - t1
        self.seconds["entities"] += time.perf_counter() - t2
        return worked

    def store(self, conn: Conn, done: list[tuple[RawPage, Processed]]) -> Counter[str]:
        items = [articles.LoadItem(article=p.article, entities=p.entities, source_id=page.source_id,
                                   raw_page_id=page.raw_page_id, fingerprint=p.fingerprint) for page, p in done]
        loaded = articles.load_articles(conn, items, self.run_id,
                                        lock_timeout_seconds=self.settings.lock_timeout_seconds)
        return Counter(articles_inserted=loaded.inserted, articles_updated=loaded.updated,
                       duplicates=loaded.duplicates, entities=sum(len(i.entities) for i in items),
                       canonical_conflicts=loaded.canonical_conflicts, fields_dropped=loaded.fields_dropped)

    def store_error(self, page: RawPage, error: BaseException) -> Reject:
        return Reject(Stage.LOAD, Reason.LOAD_ERROR, page.url, f"{type(error).__name__}: {error}"[:500])

    def after_settle(self, conn: Conn) -> Counter[str]:
        return Counter()

    def excused(self, claim: RawPage) -> bool:
        return False

    def idle(self, conn: Conn, worker: str) -> float | None:
        if self.fetch_done is not None and not self.fetch_done.is_set():
            return self.FOLLOW_EVERY
        if not self._last_look:  # the flag was set after this claim began: one more look
            self._last_look = True
            return 0.0
        return None

    def pending(self, conn: Conn) -> int:
        return RAW_PAGES.count_pending(conn, self.run_id, self.source_ids)

    def timings(self, settle_seconds: float) -> dict[str, float]:
        out = {**self.seconds, "load": settle_seconds}
        self.seconds = {"extract": 0.0, "entities": 0.0, "dedup": 0.0}
        return out


def run_process(url: str, settings: Settings, run_id: int, source_ids: Sequence[int] | None = None,
                quota: int | None = None, progress: Progress | None = None, nlp: Any | None = None,
                fetch_done: Flag | None = None) -> StageResult:
    """Claim stored pages in batches; extract, find entities and load each batch in one transaction
    (with ``fetch_done``: until it is set and nothing is pending, see :class:`ProcessStep`)."""
    step = ProcessStep(settings, run_id, source_ids, nlp, fetch_done)
    return drive(step, url, settings, run_id, worker_id(), quota, progress)


def requeue_stored_pages(url: str, source_ids: Sequence[int] | None, since: str | None = None,
                         until: str | None = None) -> int:
    """Queue stored pages for extraction again (the reprocess parameter); returns how many."""
    with transaction(url) as conn:
        return raw_pages.requeue_stored(conn, source_ids, since, until)
