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

import numpy as np

from etl.dedup import BANDS, DUPLICATE_JACCARD, band_buckets, content_hash, estimated_jaccard, signature
from etl.records import Article, EntityMention
from etl.store import entities, locks
from etl.store.db import Conn
from etl.store.names import ids_of
from etl.store.sqlfiles import sql_text
from etl.urls import url_hash


@dataclass(frozen=True)
class LoadItem:
    """One extracted article ready to load, with where it came from."""

    article: Article
    entities: list[EntityMention]
    source_id: int
    raw_page_id: int | None


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
    text: str | None = None  # batch pages: their signature is computed when a comparison needs it
    minhash: bytes | None = None
    article_id: int | None = None  # stored articles
    canonical_url: str = ""
    batch_index: int | None = None

    def same_story(self, text: str) -> bool:
        if self.content_hash == content_hash(text):
            return True
        other = signature(self.text) if self.text is not None else (
            np.frombuffer(self.minhash, dtype=np.uint32) if self.minhash else None)
        return other is not None and estimated_jaccard(signature(text), other) >= SAME_STORY_JACCARD


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


def canonical_keys(conn: Conn, items: Sequence[LoadItem]) -> Placement:
    """Each page's article key, so that no page overwrites another page's story.

    A page is keyed by its canonical URL (another URL of its site when it says rel=canonical). It lands
    there when nothing holds that key, when the holder came from the page's own URL, or when the holder
    tells the same story (same content_hash, or MinHash Jaccard >= SAME_STORY_JACCARD). Otherwise it is a
    canonical conflict: the page is keyed by its own URL and the canonical it gave is recorded. When a
    page is its own canonical and its key is held by another page that had named it with a different
    story, that page moves to its own URL (the page at a URL owns that URL's key). Holders are the stored
    articles and the pages placed before in the same batch, in batch order.
    """
    own = [url_hash(item.article.url) for item in items]
    named = [url_hash(item.article.canonical_url) for item in items]
    holders: dict[str, _Holder] = {
        key: _Holder(url, hash_, minhash=bytes(minhash) if minhash is not None else None, article_id=aid,
                     canonical_url=canonical)
        for key, aid, url, canonical, hash_, minhash in conn.execute(
            sql_text("store/articles/holders"), {"url_hashes": sorted(set(own) | set(named))})
    }
    placed = Placement()
    for index, item in enumerate(items):
        a = item.article
        key, canonical, conflicting = named[index], a.canonical_url, None
        holder = holders.get(key)
        if key != own[index]:  # the page names another URL of its site
            if holder is not None and url_hash(holder.url) != own[index] and not holder.same_story(a.text):
                key, canonical, conflicting = own[index], a.url, a.canonical_url
                placed.conflicts += 1
        elif holder is not None and url_hash(holder.url) != key and not holder.same_story(a.text):
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
            # else: that page is stored under its own URL already; this older copy of it is overwritten
        placed.keys.append(key)
        placed.canonical.append(canonical)
        placed.conflicting.append(conflicting)
        holders[key] = _Holder(a.url, content_hash(a.text), text=a.text, canonical_url=canonical, batch_index=index)
    return placed


def load_articles(conn: Conn, items: Sequence[LoadItem], run_id: int | None, *,
                  lock_timeout_seconds: float = locks.DEFAULT_TIMEOUT_SECONDS) -> LoadResult:
    """Upsert articles, replace their links to authors and keywords and their entity evidence.

    Runs inside the caller's transaction: the batch lands whole or not at all.
    """
    result = LoadResult()
    if not items:
        return result
    items, result.fields_dropped = drop_overlong_fields(items)
    # From here to the commit, one batch at a time: the canonical check (like the dedup compare below, which
    # takes the same lock again) must see what a concurrent batch is placing on the same keys.
    locks.hold(conn, "dedup", lock_timeout_seconds)
    placed = canonical_keys(conn, items)
    result.canonical_conflicts = placed.conflicts
    for move in placed.moves:
        conn.execute(sql_text("store/articles/move"), {
            "article_id": move.article_id, "url_hash": move.url_hash, "canonical_url": move.canonical_url,
            "conflicting_canonical_url": move.conflicting_canonical_url})
    # Two pages of one batch may share a canonical URL (same story): the last one wins, as a re-run would.
    by_hash: dict[str, LoadItem] = {}
    stored_as: dict[str, tuple[str, str | None]] = {}
    for key, item, canonical, conflicting in zip(placed.keys, items, placed.canonical, placed.conflicting,
                                                 strict=True):
        by_hash[key] = item
        stored_as[key] = (canonical, conflicting)
    article_ids: dict[str, int] = {}
    with conn.cursor() as cur:
        for key, item in by_hash.items():
            a = item.article
            cur.execute(
                sql_text("store/articles/upsert"),
                {
                    "url_hash": key,
                    "url": a.url,
                    "canonical_url": stored_as[key][0],
                    "conflicting_canonical_url": stored_as[key][1],
                    "source_id": item.source_id,
                    "raw_page_id": item.raw_page_id,
                    "title": a.title,
                    "description": a.description,
                    "text": a.text,
                    "language": a.language,
                    "published_at": a.published_at,
                    "published_date": a.published_date,
                    "published_precision": a.published_precision,
                    "modified_at": a.modified_at,
                    "word_count": a.word_count,
                    "content_hash": content_hash(a.text),
                    "minhash": None,  # set by mark_duplicates below
                    "site_name": a.site_name,
                    "section": a.section,
                    "top_image": a.top_image,
                    "agency": a.agency,
                    "extractor": a.extractor,
                    "extractor_version": a.extractor_version,
                    "run_id": run_id,
                },
            )
            row = cur.fetchone()
            assert row is not None
            article_ids[key] = row[0]
            if row[1]:
                result.inserted += 1
            else:
                result.updated += 1
    ids = list(article_ids.values())
    conn.execute(sql_text("store/articles/delete_children"), {"article_ids": ids})

    author_id = ids_of(conn, "store/authors/upsert", {n for item in by_hash.values() for n in item.article.authors},
                        lambda todo: {"names": todo}, lambda row: row[0])
    keyword_id = ids_of(conn, "store/keywords/upsert", {k for item in by_hash.values() for k in item.article.keywords},
                         lambda todo: {"keywords": todo}, lambda row: row[0])
    links: dict[str, list[object]] = defaultdict(list)
    for key, item in by_hash.items():
        aid = article_ids[key]
        for position, name in enumerate(dict.fromkeys(item.article.authors)):
            links["aa_article"].append(aid)
            links["aa_author"].append(author_id[name])
            links["aa_position"].append(position)
        for kw in dict.fromkeys(item.article.keywords):
            links["ak_article"].append(aid)
            links["ak_keyword"].append(keyword_id[kw])
    params = {name: links.get(name, []) for name in ("aa_article", "aa_author", "aa_position", "ak_article",
                                                      "ak_keyword")}
    conn.execute(sql_text("store/articles/insert_links"), params)
    # Entities: the batch stores what each article holds; which entity each name counts as is
    # decided across the warehouse by the resolution step after the process stage.
    entities.store_mentions(conn, {article_ids[key]: item.entities for key, item in by_hash.items()})
    texts = {article_ids[key]: item.article.text for key, item in by_hash.items()}
    result.duplicates = mark_duplicates(conn, sorted(texts.items()), lock_timeout_seconds)
    result.article_ids = tuple(ids)
    return result



def mark_duplicates(conn: Conn, articles: Sequence[tuple[int, str]],
                    lock_timeout_seconds: float = locks.DEFAULT_TIMEOUT_SECONDS) -> int:
    """Store signatures and bands of (article_id, text) pairs and set ``duplicate_of``.

    Runs inside the caller's transaction, holding the ``dedup`` lock until it commits: a copy is a
    duplicate of whatever copy reached the warehouse first (within a batch, of the one with the lower
    id), and points at that copy's root, so chains never form and a root never points at its duplicates.
    """
    locks.hold(conn, "dedup", lock_timeout_seconds)
    duplicates = 0
    ids, roots = [], []
    for article_id, text in sorted(articles):
        sig = signature(text)
        buckets = band_buckets(sig)
        candidates = conn.execute(
            sql_text("store/articles/find_lsh_candidates"),
            {"article_id": article_id, "bands": list(range(BANDS)), "buckets": buckets},
        ).fetchall()
        matches = [root for _cid, other, root in candidates
                   if other is not None and root != article_id
                   and estimated_jaccard(sig, np.frombuffer(other, dtype=np.uint32)) >= DUPLICATE_JACCARD]
        root = min(matches) if matches else None
        duplicates += root is not None
        conn.execute(
            sql_text("store/articles/store_lsh_bands"),
            {"article_id": article_id, "minhash": sig.tobytes(), "bands": list(range(BANDS)), "buckets": buckets},
        )
        ids.append(article_id)
        roots.append(root)
    conn.execute(sql_text("store/articles/set_duplicate_of"), {"article_ids": ids, "roots": roots})
    return duplicates


def entities_of_pages(conn: Conn, hashes: Sequence[str]) -> list[tuple[Any, ...]]:
    """(fetch key, title, text, language, entity, type, mentions, salience) of the articles these pages became."""
    return conn.execute(sql_text("store/articles/entities_of_pages"), {"hashes": sorted(hashes)}).fetchall()


def texts(conn: Conn) -> list[tuple[Any, ...]]:
    """(article_id, title, text, language, fetch key) of every article."""
    return conn.execute(sql_text("store/articles/texts")).fetchall()
