"""articles and their links (authors, keywords, entity evidence, LSH bands): upserts keyed by ``url_hash``.

An article's key is ``url_hash(canonical_url)`` (``etl.urls.url_hash``): two addresses of one story
are one article. A reload replaces the article's links, so re-running a batch changes nothing. The
entities an article counts (article_entities) are derived by the resolution step, not here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from etl.dedup import BANDS, DUPLICATE_JACCARD, band_buckets, content_hash, estimated_jaccard, signature
from etl.records import Article, EntityMention
from etl.store import entities
from etl.store.db import Conn
from etl.store.names import ids_of
from etl.store.sqlfiles import sql_text
from etl.urls import url_hash

DEDUP_LOCK_ID = 7_311_002  # advisory lock serializing the compare-and-store step across workers


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


def load_articles(conn: Conn, items: Sequence[LoadItem], run_id: int | None) -> LoadResult:
    """Upsert articles, replace their links to authors and keywords and their entity evidence.

    Runs inside the caller's transaction: the batch lands whole or not at all.
    """
    result = LoadResult()
    if not items:
        return result
    # Two pages of one batch may share a canonical URL: the last one wins, as a re-run would.
    by_hash: dict[str, LoadItem] = {}
    for item in items:
        by_hash[url_hash(item.article.canonical_url)] = item
    article_ids: dict[str, int] = {}
    with conn.cursor() as cur:
        for key, item in by_hash.items():
            a = item.article
            cur.execute(
                sql_text("store/articles/upsert"),
                {
                    "url_hash": key,
                    "url": a.url,
                    "canonical_url": a.canonical_url,
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
    result.duplicates = mark_duplicates(conn, sorted(texts.items()))
    result.article_ids = tuple(ids)
    return result



def mark_duplicates(conn: Conn, articles: Sequence[tuple[int, str]]) -> int:
    """Store signatures and bands of (article_id, text) pairs and set ``duplicate_of``.

    Runs inside the caller's transaction, holding a lock until it commits: a copy is a duplicate of
    whatever copy reached the warehouse first (within a batch, of the one with the lower id), and
    points at that copy's root, so chains never form and a root never points at its duplicates.
    """
    conn.execute(sql_text("store/articles/lock_dedup"), {"lock_id": DEDUP_LOCK_ID})
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
