"""Load stage: one transaction per batch, idempotent upserts keyed by url_hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from etl.dedup import mark_duplicates
from etl.records import Article, EntityMention, Reject
from etl.store.sqlfiles import sql_text
from etl.urls import url_hash

WORDS = re.compile(r"\w+", re.UNICODE)
SURROGATE = re.compile("[\ud800-\udfff]")


def content_hash(text: str) -> str:
    """sha256 of the text's words, casefolded and NFKC-normalized: equal for exact duplicates."""
    normalized = " ".join(WORDS.findall(unicodedata.normalize("NFKC", text).casefold()))
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


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


def insert_rejects(conn: psycopg.Connection, rejects: Sequence[Reject], run_id: int | None) -> None:
    """Record rejects (inside the caller's transaction)."""
    if not rejects:
        return
    conn.execute(
        sql_text("load/insert_rejects"),
        {
            "run_ids": [run_id] * len(rejects),
            "source_ids": [r.source_id for r in rejects],
            "urls": [r.url for r in rejects],
            "url_hashes": [r.url_hash for r in rejects],
            "stages": [r.stage for r in rejects],
            "reasons": [r.reason for r in rejects],
            "details": [(r.detail or "")[:2000] for r in rejects],
        },
    )


def _ids_of(conn: psycopg.Connection, query: str, keys: set[Any], params: Callable[[list[Any]], dict[str, Any]],
            key_of: Callable[[tuple[Any, ...]], Any]) -> dict[Any, int]:
    """Ids of names (authors, keywords, entities), created when missing.

    A name another transaction is creating at the same moment is missing from one statement's
    snapshot (its insert waits, then does nothing); asking again in a new statement finds it.
    """
    found: dict[Any, int] = {}
    for _attempt in range(3):
        todo = sorted(keys - found.keys())
        if not todo:
            break
        found.update((key_of(row), int(row[-1])) for row in conn.execute(sql_text(query), params(todo)))
    missing = keys - found.keys()
    if missing:
        raise RuntimeError(f"{query}: no id for {sorted(missing)[:5]}")
    return found


def resolve_entities(conn: psycopg.Connection, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Entity ids of (name, type) pairs: a known alias wins, else the entity (created when missing)."""
    return _ids_of(conn, "load/resolve_entities", pairs,
                   lambda todo: {"names": [p[0] for p in todo], "types": [p[1] for p in todo]},
                   lambda row: (row[0], row[1]))


def load_articles(conn: psycopg.Connection, items: Sequence[LoadItem], run_id: int | None) -> LoadResult:
    """Upsert articles and replace their links to authors, keywords and entities.

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
                sql_text("load/upsert_article"),
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
    conn.execute(sql_text("load/delete_article_children"), {"article_ids": ids})

    author_id = _ids_of(conn, "load/upsert_authors", {n for item in by_hash.values() for n in item.article.authors},
                        lambda todo: {"names": todo}, lambda row: row[0])
    keyword_id = _ids_of(conn, "load/upsert_keywords", {k for item in by_hash.values() for k in item.article.keywords},
                         lambda todo: {"keywords": todo}, lambda row: row[0])
    entity_id = resolve_entities(conn, {(m.name, m.label) for item in by_hash.values() for m in item.entities})

    links: dict[str, list[object]] = defaultdict(list)
    # every (short form, label, entity) resolved in-article; learn_aliases decides what is kept
    aliases: set[tuple[str, str, int]] = set()
    for key, item in by_hash.items():
        aid = article_ids[key]
        for position, name in enumerate(dict.fromkeys(item.article.authors)):
            links["aa_article"].append(aid)
            links["aa_author"].append(author_id[name])
            links["aa_position"].append(position)
        for kw in dict.fromkeys(item.article.keywords):
            links["ak_article"].append(aid)
            links["ak_keyword"].append(keyword_id[kw])
        # Several spellings can resolve to one entity ("US", "United States"): merge them.
        merged: dict[int, list[float]] = {}
        for m in item.entities:
            eid = entity_id[(m.name, m.label)]
            aliases.update((alias, m.label, eid) for alias in m.aliases)
            if eid in merged:
                count, first, in_title, salience = merged[eid]
                merged[eid] = [count + m.mention_count, min(first, m.first_offset),
                               max(in_title, float(m.in_title)), salience + m.salience]
            else:
                merged[eid] = [m.mention_count, m.first_offset, float(m.in_title), m.salience]
        for eid, (count, first, in_title, salience) in merged.items():
            links["ae_article"].append(aid)
            links["ae_entity"].append(eid)
            links["ae_count"].append(int(count))
            links["ae_offset"].append(int(first))
            links["ae_title"].append(bool(in_title))
            links["ae_salience"].append(salience)
    params = {
        name: links.get(name, [])
        for name in ("aa_article", "aa_author", "aa_position", "ak_article", "ak_keyword",
                     "ae_article", "ae_entity", "ae_count", "ae_offset", "ae_title", "ae_salience")
    }
    conn.execute(sql_text("load/insert_links"), params)
    if aliases:
        learned = sorted(aliases)
        conn.execute(
            sql_text("load/learn_aliases"),
            {"aliases": [k[0] for k in learned], "types": [k[1] for k in learned],
             "entity_ids": [k[2] for k in learned]},
        )
    texts = {article_ids[key]: item.article.text for key, item in by_hash.items()}
    result.duplicates = mark_duplicates(conn, sorted(texts.items())).duplicates
    result.article_ids = tuple(ids)
    return result


def _storable(value: Any) -> Any:
    """The value with what PostgreSQL text cannot hold (NUL, lone surrogates) replaced, recursively."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(v) for v in value]
    return value


def storable_text(text: str) -> str:
    """Text PostgreSQL accepts: NUL removed, lone surrogates replaced by U+FFFD."""
    return SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def as_json(value: object) -> Jsonb:
    """Wrap a value for a jsonb parameter (made storable first: feeds and pages carry NUL bytes)."""
    return Jsonb(_storable(value))
