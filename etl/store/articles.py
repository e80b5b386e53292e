"""articles and their links (authors, keywords, entity evidence, LSH bands): upserts keyed by ``url_hash``.

An article's key is ``url_hash(canonical_url)`` (``etl.urls.url_hash``): two addresses of one story
are one article. A reload replaces the article's links, so re-running a batch changes nothing.

A page may only land on another URL's article when it tells the same story (:func:`canonical_keys`):
a page whose rel=canonical names an article of its site holding a substantially different text is
kept under its own URL, with the canonical it gave in ``conflicting_canonical_url``, and counted
(``canonical_conflicts``); the article it named is never overwritten.
The entities an article counts (article_entities) are derived by the resolution step, not here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from etl.dedup import BANDS, DUPLICATE_JACCARD, Fingerprint, fingerprint
from etl.records import Article, EntityMention
from etl.store import entities, locks
from etl.store.db import Conn
from etl.store.names import ids_of
from etl.store.sqlfiles import copy_rows, sql_text
from etl.urls import url_hash


@dataclass(frozen=True)
class LoadItem:
    """One extracted article ready to load, with where it came from."""

    article: Article
    entities: list[EntityMention]
    source_id: int
    raw_page_id: int | None
    # content hash, MinHash signature and LSH buckets of the text: computed beside extraction (the process
    # stage), outside the load transaction; None: computed by load_articles before it takes the dedup lock
    fingerprint: Fingerprint | None = None

    def fingerprinted(self) -> LoadItem:
        if self.fingerprint is not None:
            return self
        return replace(self, fingerprint=fingerprint(self.article.text))

    @property
    def fp(self) -> Fingerprint:
        assert self.fingerprint is not None, "load_articles fingerprints every item first"
        return self.fingerprint


@dataclass
class LoadResult:
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    article_ids: tuple[int, ...] = ()
    canonical_conflicts: int = 0  # pages kept under their own URL: their canonical names another story
    fields_dropped: int = 0  # author names and keywords too long to be one (the article still lands)


# Author names and keywords are unique-indexed: a btree entry holds at most ~2.7 kB, so a 10 kB "name"
# failed the whole article. Longer than this (4 bytes a character at most: ~1.2 kB), it is no name.
MAX_NAME_CHARS = 300
# A page may land on the article its rel=canonical names when their texts are this similar (estimated
# Jaccard of word 5-grams): an AMP or print version of the story, a lightly edited one. Different stories
# share few 5-grams (two stories of the test corpus's one template: 0.41). Below it the page is kept
# apart: a false conflict costs an extra article (canonical recorded), a false match a lost story.
SAME_STORY_JACCARD = 0.5


def drop_overlong_fields(items: Sequence[LoadItem]) -> tuple[list[LoadItem], int]:
    """The items with author names and keywords over MAX_NAME_CHARS removed, and how many were."""
    out, dropped = [], 0
    for item in items:
        a = item.article
        authors = [n for n in a.authors if len(n) <= MAX_NAME_CHARS]
        keywords = [k for k in a.keywords if len(k) <= MAX_NAME_CHARS]
        dropped += len(a.authors) - len(authors) + len(a.keywords) - len(keywords)
        if len(authors) != len(a.authors) or len(keywords) != len(a.keywords):
            item = replace(item, article=replace(a, authors=authors, keywords=keywords))
        out.append(item)
    return out, dropped


@dataclass
class _Holder:
    """What holds an article key: a stored article, or a page of this batch placed on it."""

    url: str
    content_hash: str
    minhash: bytes | None = None
    article_id: int | None = None  # stored articles
    canonical_url: str = ""
    batch_index: int | None = None

    def same_story(self, page: Fingerprint) -> bool:
        if self.content_hash == page.content_hash:
            return True
        return self.minhash is not None and page.jaccard(self.minhash) >= SAME_STORY_JACCARD


@dataclass(frozen=True)
class Move:
    """A stored article that claimed another page's URL with another story: it goes to its own URL."""

    article_id: int
    url_hash: str
    canonical_url: str
    conflicting_canonical_url: str


@dataclass
class Placement:
    """Where each page of a batch lands: its key, the canonical URL it is stored with, a conflict noted."""

    keys: list[str] = field(default_factory=list)
    canonical: list[str] = field(default_factory=list)
    conflicting: list[str | None] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    conflicts: int = 0
    stored: dict[str, int] = field(default_factory=dict)  # key -> id of the stored article under it (after moves)


def canonical_keys(conn: Conn, items: Sequence[LoadItem]) -> Placement:
    """Each page's article key, so that no page overwrites another page's story.

    A page is keyed by its canonical URL (another URL of its site when it says rel=canonical). It lands
    there when nothing holds that key, when the holder came from the page's own URL, or when the holder
    tells the same story (same content_hash, or MinHash Jaccard >= SAME_STORY_JACCARD). Otherwise it is a
    canonical conflict: the page is keyed by its own URL and the canonical it gave is recorded. When a
    page is its own canonical and its key is held by another page that had named it with a different
    story, that page moves to its own URL (the page at a URL owns that URL's key). Holders are the stored
    articles and the pages placed before in the same batch, in batch order. One query.
    """
    items = [item.fingerprinted() for item in items]
    own = [url_hash(item.article.url) for item in items]
    named = [url_hash(item.article.canonical_url) for item in items]
    holders: dict[str, _Holder] = {
        key: _Holder(url, hash_, minhash=bytes(minhash) if minhash is not None else None, article_id=aid,
                     canonical_url=canonical)
        for key, aid, url, canonical, hash_, minhash in conn.execute(
            sql_text("store/articles/holders"), {"url_hashes": sorted(set(own) | set(named))})
    }
    placed = Placement(stored={key: h.article_id for key, h in holders.items() if h.article_id is not None})
    for index, item in enumerate(items):
        a, page = item.article, item.fp
        key, canonical, conflicting = named[index], a.canonical_url, None
        holder = holders.get(key)
        if key != own[index]:  # the page names another URL of its site
            if holder is not None and url_hash(holder.url) != own[index] and not holder.same_story(page):
                key, canonical, conflicting = own[index], a.url, a.canonical_url
                placed.conflicts += 1
        elif holder is not None and url_hash(holder.url) != key and not holder.same_story(page):
            placed.conflicts += 1  # the page whose URL this is takes it back from a page that named it
            target = url_hash(holder.url)
            if holder.batch_index is not None:
                j = holder.batch_index
                placed.keys[j], placed.canonical[j] = target, holder.url
                placed.conflicting[j] = items[j].article.canonical_url
                holders.setdefault(target, holder)
            elif holder.article_id is not None and target not in holders:
                placed.moves.append(Move(holder.article_id, target, holder.url, holder.canonical_url))
                holders[target] = holder
                placed.stored.pop(key, None)
                placed.stored[target] = holder.article_id
            # else: that page is stored under its own URL already; this older copy of it is overwritten
        placed.keys.append(key)
        placed.canonical.append(canonical)
        placed.conflicting.append(conflicting)
        holders[key] = _Holder(a.url, page.content_hash, minhash=page.minhash, canonical_url=canonical,
                               batch_index=index)
    return placed


def load_articles(conn: Conn, items: Sequence[LoadItem], run_id: int | None, *,
                  lock_timeout_seconds: float = locks.DEFAULT_TIMEOUT_SECONDS) -> LoadResult:
    """Write articles, replace their links to authors and keywords and their entity evidence, mark duplicates.

    Runs inside the caller's transaction: the batch lands whole or not at all. Set-based: a fixed number
    of statements per batch whatever its size, one per table. Under the dedup lock the stored keys are
    known (canonical_keys), so new articles get their ids first and go in by one binary COPY with their
    near-duplicate marks; articles already stored are updated by one statement.
    """
    result = LoadResult()
    if not items:
        return result
    items, result.fields_dropped = drop_overlong_fields(items)
    items = [item.fingerprinted() for item in items]  # before the lock: the process stage computed them already
    # From here to the commit, one batch at a time: the canonical check and the near-duplicate compare must
    # see what a concurrent batch is placing on the same keys and what it stores as copies of a story.
    locks.hold(conn, "dedup", lock_timeout_seconds)
    placed = canonical_keys(conn, items)
    result.canonical_conflicts = placed.conflicts
    if placed.moves:
        conn.execute(sql_text("store/articles/move"), {
            "article_ids": [m.article_id for m in placed.moves], "url_hashes": [m.url_hash for m in placed.moves],
            "canonical_urls": [m.canonical_url for m in placed.moves],
            "conflicting_canonical_urls": [m.conflicting_canonical_url for m in placed.moves]})
    # Two pages of one batch may share a canonical URL (same story): the last one wins, as a re-run would;
    # the key keeps the place of its first page (the order new articles get their ids in).
    landing: dict[str, int] = {}
    for index, key in enumerate(placed.keys):
        landing[key] = index
    keys = list(landing)
    new_keys = [k for k in keys if k not in placed.stored]
    article_ids = {k: placed.stored[k] for k in keys if k in placed.stored}
    if new_keys:
        fresh = sorted(int(i) for (i,) in conn.execute(sql_text("store/articles/new_ids"), {"n": len(new_keys)}))
        article_ids.update(zip(new_keys, fresh, strict=True))
    result.inserted, result.updated = len(new_keys), len(keys) - len(new_keys)
    ids = [article_ids[k] for k in keys]
    chosen = [items[landing[k]] for k in keys]
    roots = duplicate_roots(conn, [(aid, item.fp) for aid, item in zip(ids, chosen, strict=True)])
    rows = [_Row(key, aid, item, placed.canonical[landing[key]], placed.conflicting[landing[key]], roots[aid])
            for key, aid, item in zip(keys, ids, chosen, strict=True)]
    if new_keys:
        copy_rows(conn, "store/articles/copy_new", ARTICLE_TYPES,
                  (row.new_values(run_id) for row in rows if row.key not in placed.stored))
    stored_rows = [row for row in rows if row.key in placed.stored]
    if stored_rows:
        conn.execute(sql_text("store/articles/update_stored"), _update_params(stored_rows, run_id))
        conn.execute(sql_text("store/articles/delete_children"), {"article_ids": [r.article_id for r in stored_rows]})

    author_id = ids_of(conn, "store/authors/upsert", {n for item in chosen for n in item.article.authors},
                        lambda todo: {"names": todo}, lambda row: row[0])
    keyword_id = ids_of(conn, "store/keywords/upsert", {k for item in chosen for k in item.article.keywords},
                         lambda todo: {"keywords": todo}, lambda row: row[0])
    pairs = list(zip(ids, chosen, strict=True))
    copy_rows(conn, "store/articles/copy_author_links", ("int8", "int8", "int2"),
              ((aid, author_id[name], position) for aid, item in pairs
               for position, name in enumerate(dict.fromkeys(item.article.authors))))
    copy_rows(conn, "store/articles/copy_keyword_links", ("int8", "int8"),
              ((aid, keyword_id[kw]) for aid, item in pairs for kw in dict.fromkeys(item.article.keywords)))
    # Entities: the batch stores what each article holds; which entity each name counts as is
    # decided across the warehouse by the resolution step after the process stage.
    entities.store_mentions(conn, {aid: item.entities for aid, item in pairs},
                            first_load={article_ids[k] for k in new_keys})
    copy_rows(conn, "store/articles/copy_lsh_bands", ("int2", "int8", "int8"),
              ((band, bucket, aid) for aid, item in sorted(pairs, key=lambda p: p[0])
               for band, bucket in enumerate(item.fp.buckets)))
    result.duplicates = sum(root is not None for root in roots.values())
    result.article_ids = tuple(ids)
    return result


# The columns of copy_new.sql, in order, as the types whose binary form the server reads (char(n) columns:
# text, the same bytes on the wire).
ARTICLE_TYPES = ("int8", "text", "text", "text", "text", "int8", "int8", "text", "text", "text", "text",
                 "timestamptz", "date", "text", "timestamptz", "int4", "text", "bytea", "int8", "text", "text",
                 "text", "text", "text", "text", "int8")


@dataclass(frozen=True)
class _Row:
    """One article of a batch as it is written."""

    key: str
    article_id: int
    item: LoadItem
    canonical_url: str
    conflicting_canonical_url: str | None
    duplicate_of: int | None

    def new_values(self, run_id: int | None) -> tuple[object, ...]:
        a, fp = self.item.article, self.item.fp
        return (self.article_id, self.key, a.url, self.canonical_url, self.conflicting_canonical_url,
                self.item.source_id, self.item.raw_page_id, a.title, a.description, a.text, a.language,
                a.published_at, a.published_date, a.published_precision, a.modified_at, a.word_count,
                fp.content_hash, fp.minhash, self.duplicate_of, a.site_name, a.section, a.top_image, a.agency,
                a.extractor, a.extractor_version, run_id)


def _update_params(rows: Sequence[_Row], run_id: int | None) -> dict[str, object]:
    """update_stored.sql's columns as arrays, one value per stored article of the batch."""
    arts = [row.item.article for row in rows]
    return {
        "article_ids": [row.article_id for row in rows],
        "urls": [a.url for a in arts],
        "canonical_urls": [row.canonical_url for row in rows],
        "conflicting_canonical_urls": [row.conflicting_canonical_url for row in rows],
        "raw_page_ids": [row.item.raw_page_id for row in rows],
        "titles": [a.title for a in arts],
        "descriptions": [a.description for a in arts],
        "texts": [a.text for a in arts],
        "languages": [a.language for a in arts],
        "published_at": [a.published_at for a in arts],
        "published_dates": [a.published_date for a in arts],
        "published_precisions": [a.published_precision for a in arts],
        "modified_at": [a.modified_at for a in arts],
        "word_counts": [a.word_count for a in arts],
        "content_hashes": [row.item.fp.content_hash for row in rows],
        "minhashes": [row.item.fp.minhash for row in rows],
        "duplicate_of": [row.duplicate_of for row in rows],
        "site_names": [a.site_name for a in arts],
        "sections": [a.section for a in arts],
        "top_images": [a.top_image for a in arts],
        "agencies": [a.agency for a in arts],
        "extractors": [a.extractor for a in arts],
        "extractor_versions": [a.extractor_version for a in arts],
        "run_id": run_id,
    }


def duplicate_roots(conn: Conn, articles: Sequence[tuple[int, Fingerprint]]) -> dict[int, int | None]:
    """The earliest copy of its story each of a batch's (article_id, fingerprint) pairs points at (None: it is
    the first); one query. The caller writes the marks (duplicate_of) and the batch's LSH bands.

    Runs inside the caller's transaction, which holds the ``dedup`` lock until it commits (load_articles):
    a copy is a duplicate of whatever copy reached the warehouse first (within a batch, of the one with the
    lower id), and points at that copy's root, so chains never form and a root never points at its
    duplicates. Stored candidates (articles sharing an LSH bucket) come from one query over every bucket
    of the batch, the batch's own articles left out; those are compared in memory, each with the earlier
    ones sharing a bucket with it.
    """
    if not articles:
        return {}
    ordered = sorted(articles, key=lambda pair: pair[0])
    prints = dict(ordered)
    ids = [aid for aid, _ in ordered]
    matches: dict[int, list[int]] = defaultdict(list)
    for _cid, minhash, root, sharing in conn.execute(sql_text("store/articles/find_lsh_candidates"), {
            "article_ids": [aid for aid in ids for _ in range(BANDS)], "bands": list(range(BANDS)) * len(ids),
            "buckets": [bucket for _, page in ordered for bucket in page.buckets], "batch_ids": ids}):
        if minhash is None:
            continue
        stored = bytes(minhash)
        for aid in sharing:
            if root != aid and prints[aid].jaccard(stored) >= DUPLICATE_JACCARD:
                matches[aid].append(int(root))
    roots: dict[int, int | None] = {}
    earlier: dict[tuple[int, int], list[int]] = defaultdict(list)  # (band, bucket) -> batch articles so far
    for aid, page in ordered:
        found = matches[aid]
        for other in sorted({j for band, bucket in enumerate(page.buckets) for j in earlier[(band, bucket)]}):
            root_of_other = roots[other]
            root = other if root_of_other is None else root_of_other
            if root != aid and page.jaccard(prints[other]) >= DUPLICATE_JACCARD:
                found.append(root)
        roots[aid] = min(found) if found else None
        for band, bucket in enumerate(page.buckets):
            earlier[(band, bucket)].append(aid)
    return roots


def entities_of_pages(conn: Conn, hashes: Sequence[str]) -> list[tuple[Any, ...]]:
    """(fetch key, title, text, language, entity, type, mentions, salience) of the articles these pages became."""
    return conn.execute(sql_text("store/articles/entities_of_pages"), {"hashes": sorted(hashes)}).fetchall()


def texts(conn: Conn) -> list[tuple[Any, ...]]:
    """(article_id, title, text, language, fetch key) of every article."""
    return conn.execute(sql_text("store/articles/texts")).fetchall()
