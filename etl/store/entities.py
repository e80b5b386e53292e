"""Entities: what each article holds (entity_mentions, entity_short_forms, stored at load), the decisions
of the resolution step (entity_resolution, its queue entity_pending and log), the overrides
(entity_aliases: seed and manual; entity_blocklist), the canonical entities and article_entities.

The load writes only evidence (:func:`store_mentions`, in the batch's transaction); every cross-article
decision is made by the resolution step (etl/pipeline/resolve.py) through the functions below, one
statement each, under :func:`lock_resolution`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from etl.entities.resolve import Blocklist, Override, Overrides, ShortFormEvidence, name_key
from etl.records import EntityMention
from etl.seeds import AliasSeed, BlockSeed
from etl.store import locks
from etl.store.db import Conn
from etl.store.names import ids_of
from etl.store.sqlfiles import copy_rows, sql_text


@dataclass(frozen=True)
class Pending:
    """One queued piece of work of the resolution step."""

    pending_id: int
    article_id: int | None
    name_key: str | None
    rebuild: bool


@dataclass(frozen=True)
class Decision:
    """A name key's stored resolution."""

    name_key: str
    alias_of: str | None
    canonical_key: str
    entity_id: int | None
    decided_by: str


@dataclass(frozen=True)
class StoredMention:
    """One row of entity_mentions."""

    article_id: int
    name_key: str
    name: str
    label: str
    mention_count: int
    first_offset: int
    in_title: bool
    salience: float


@dataclass(frozen=True)
class Link:
    """One row of article_entities."""

    article_id: int
    entity_id: int
    mention_count: int
    first_offset: int
    in_title: bool
    salience: float


# --- at load, in the batch's transaction ---------------------------------------------------------


@dataclass
class _Row:
    name: str
    label: str
    count: int
    offset: int
    in_title: bool
    salience: float


def store_mentions(conn: Conn, by_article: Mapping[int, Sequence[EntityMention]],
                   first_load: Collection[int] = ()) -> int:
    """Replace the stored evidence of these articles (their entities and the short forms each
    absorbed) and queue them for the resolution step; returns the mention rows written. Set-based:
    one statement per table (a binary COPY for the new rows). Entities of one article that share a
    name key are one row (the first one's spelling and label). ``first_load``: articles just created,
    with no earlier evidence to compare with."""
    if not by_article:
        return 0
    rows: dict[tuple[int, str], _Row] = {}
    shorts: dict[tuple[int, str, str], str] = {}
    for article_id, ents in sorted(by_article.items()):
        for m in ents:
            key = name_key(m.name)
            row = rows.get((article_id, key))
            if row is None:
                row = rows[(article_id, key)] = _Row(m.name, m.label, m.mention_count, m.first_offset, m.in_title,
                                                     m.salience)
            else:
                row.count += m.mention_count
                row.offset = min(row.offset, m.first_offset)
                row.in_title = row.in_title or m.in_title
                row.salience += m.salience
            for short in m.short_forms:
                skey = name_key(short)
                if skey != key:
                    shorts.setdefault((article_id, skey, key), row.label)
    keys = sorted(rows)
    # the keys each article holds now, to tell which of its old keys it lost (none for a first load)
    keys_now = sorted(k for k in set(rows) | {(a, s) for a, s, _ in shorts} if k[0] not in first_load)
    conn.execute(sql_text("store/entities/clear_mentions"),
                 {"article_ids": sorted(by_article), "new_article_ids": [a for a, _ in keys_now],
                  "new_keys": [k for _, k in keys_now]})
    copy_rows(conn, "store/entities/copy_mentions",
              ("int8", "text", "text", "text", "int4", "int4", "bool", "float4"),
              ((a, k, rows[(a, k)].name, rows[(a, k)].label, rows[(a, k)].count, rows[(a, k)].offset,
                rows[(a, k)].in_title, rows[(a, k)].salience) for a, k in keys))
    if shorts:
        copy_rows(conn, "store/entities/copy_short_forms", ("int8", "text", "text", "text"),
                  ((a, short, long, shorts[(a, short, long)]) for a, short, long in sorted(shorts)))
    return len(keys)


def seed_aliases(conn: Conn, seeds: list[AliasSeed]) -> None:
    """Make the seed aliases those of ``seeds`` (seeds/entity_aliases.csv), creating their canonical
    entities; manual aliases are never touched. What changed is queued for the resolution step (by
    the table's trigger), which re-derives the articles it concerns."""
    conn.execute(
        sql_text("store/entities/seed_aliases"),
        {"aliases": [s.alias for s in seeds], "labels": [s.label for s in seeds],
         "names": [s.canonical for s in seeds], "types": [s.canonical_type for s in seeds]},
    )


def seed_blocklist(conn: Conn, seeds: list[BlockSeed]) -> None:
    """Make the seed rows of the blocklist those of ``seeds`` (seeds/entity_blocklist.csv); manual
    rows are never touched. What changed is queued for the resolution step (by the table's trigger)."""
    conn.execute(sql_text("store/entities/seed_blocklist"), {
        "names": [s.name for s in seeds], "blocks": [s.blocks for s in seeds], "notes": [s.note for s in seeds]})


# --- the resolution step ---------------------------------------------------------------------------


def lock_resolution(conn: Conn, timeout_seconds: float = locks.DEFAULT_TIMEOUT_SECONDS) -> None:
    """Wait until no other transaction resolves (at most ``timeout_seconds``); held until this transaction
    ends. A row lock of pipeline_locks, which a reader role cannot take or hold (etl/store/locks.py)."""
    locks.hold(conn, "resolve_entities", timeout_seconds)


def queue_all(conn: Conn) -> int:
    """Queue every article for the resolution step; returns how many."""
    return conn.execute(sql_text("store/entities/queue_all")).rowcount


def count_pending(conn: Conn) -> int:
    row = conn.execute(sql_text("store/entities/count_pending")).fetchone()
    return int(row[0]) if row else 0


def take_pending(conn: Conn, limit: int) -> list[Pending]:
    """The oldest ``limit`` pending rows (removed by :func:`finish_pending` when handled)."""
    return [Pending(int(p), a, k, bool(r)) for p, a, k, r in
            conn.execute(sql_text("store/entities/take_pending"), {"limit": limit})]


def finish_pending(conn: Conn, pending_ids: Sequence[int]) -> None:
    conn.execute(sql_text("store/entities/finish_pending"), {"pending_ids": sorted(pending_ids)})


def keys_of_articles(conn: Conn, article_ids: Iterable[int]) -> set[str]:
    """Every name key the stored evidence of these articles names (names and short forms)."""
    return {k for (k,) in conn.execute(sql_text("store/entities/keys_of_articles"),
                                       {"article_ids": sorted(set(article_ids))})}


def short_keys_of(conn: Conn, long_keys: Iterable[str]) -> set[str]:
    """The short forms absorbed anywhere into one of these long names."""
    return {k for (k,) in conn.execute(sql_text("store/entities/short_keys_of"), {"keys": sorted(set(long_keys))})}


def short_form_evidence(conn: Conn, short_keys: Iterable[str]) -> dict[str, dict[str, ShortFormEvidence]]:
    """Short key -> long key -> the articles saying so (and whether the long name was a person)."""
    out: dict[str, dict[str, ShortFormEvidence]] = {}
    for short, long, articles, person in conn.execute(sql_text("store/entities/short_form_evidence"),
                                                      {"keys": sorted(set(short_keys))}):
        out.setdefault(short, {})[long] = ShortFormEvidence(int(articles), bool(person))
    return out


def support(conn: Conn, keys: Iterable[str]) -> dict[str, int]:
    """Name key -> articles holding it as an entity (keys no article holds are left out)."""
    return {k: int(n) for k, n in conn.execute(sql_text("store/entities/support"), {"keys": sorted(set(keys))})}


def decisions(conn: Conn, keys: Iterable[str] = (), alias_of: Iterable[str] = (),
              canonical: Iterable[str] = ()) -> dict[str, Decision]:
    """Stored decisions of these keys, of the aliases of ``alias_of`` and of the keys resolved to
    ``canonical``."""
    rows = conn.execute(sql_text("store/entities/select_resolution"),
                        {"keys": sorted(set(keys)), "alias_of": sorted(set(alias_of)),
                         "canonical": sorted(set(canonical))})
    return {k: Decision(k, a, c, e, d) for k, a, c, e, d in rows}


def votes(conn: Conn, keys: Iterable[str]) -> list[tuple[str, str, str, int]]:
    """(name key, spelling, label, mentions) of these names across the warehouse."""
    return [(k, n, lab, int(c)) for k, n, lab, c in conn.execute(sql_text("store/entities/votes"),
                                                                 {"keys": sorted(set(keys))})]


def overrides(conn: Conn) -> Overrides:
    """The seed and manual aliases, with their entities."""
    return Overrides(Override(alias, label, name, etype, source, int(eid)) for alias, label, name, etype, source, eid
                     in conn.execute(sql_text("store/entities/overrides")))


def blocklist(conn: Conn) -> Blocklist:
    rows = conn.execute(sql_text("store/entities/blocklist")).fetchall()
    return Blocklist(alias=frozenset(k for k, b in rows if b == "alias"),
                     entity=frozenset(k for k, b in rows if b == "entity"))


def ensure_entities(conn: Conn, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Entity ids of (name, type) pairs, created when missing."""
    return ids_of(conn, "store/entities/ensure", pairs,
                  lambda todo: {"names": [p[0] for p in todo], "types": [p[1] for p in todo]},
                  lambda row: (row[0], row[1]))


def write_decisions(conn: Conn, rows: Sequence[Decision]) -> None:
    """Store decisions (one statement; unchanged rows are not rewritten)."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda d: d.name_key)
    conn.execute(sql_text("store/entities/write_resolution"), {
        "keys": [d.name_key for d in ordered], "alias_of": [d.alias_of for d in ordered],
        "canonical": [d.canonical_key for d in ordered], "entity_ids": [d.entity_id for d in ordered],
        "decided_by": [d.decided_by for d in ordered]})


def drop_decisions(conn: Conn, keys: Iterable[str]) -> None:
    """Forget the decisions of those keys that no article holds any more."""
    conn.execute(sql_text("store/entities/drop_resolution"), {"keys": sorted(set(keys))})


def articles_holding(conn: Conn, keys: Iterable[str]) -> list[int]:
    return [int(a) for (a,) in conn.execute(sql_text("store/entities/articles_holding"),
                                            {"keys": sorted(set(keys))})]


def mentions_of(conn: Conn, article_ids: Iterable[int]) -> list[StoredMention]:
    return [StoredMention(int(a), k, n, lab, int(c), int(o), bool(t), float(s)) for a, k, n, lab, c, o, t, s in
            conn.execute(sql_text("store/entities/mentions_of"), {"article_ids": sorted(set(article_ids))})]


def replace_links(conn: Conn, article_ids: Sequence[int], links: Sequence[Link]) -> set[int]:
    """Replace the article_entities rows of these articles (two statements); returns the entity ids
    the old rows named."""
    old = {int(e) for (e,) in conn.execute(sql_text("store/entities/replace_links"),
                                           {"article_ids": sorted(set(article_ids))})}
    if links:
        conn.execute(sql_text("store/entities/insert_links"), {
            "article_ids": [link.article_id for link in links], "entity_ids": [link.entity_id for link in links],
            "counts": [link.mention_count for link in links], "offsets": [link.first_offset for link in links],
            "in_title": [link.in_title for link in links], "salience": [link.salience for link in links]})
    return old


def collect_entities(conn: Conn, entity_ids: Iterable[int]) -> None:
    """Delete those of these entities that nothing names any more."""
    conn.execute(sql_text("store/entities/collect"), {"entity_ids": sorted(set(entity_ids))})


def log_resolution(conn: Conn, run_id: int | None, pending: int, keys_decided: int, changed: int, articles: int,
                   seconds: float) -> int:
    row = conn.execute(sql_text("store/entities/log_resolution"), {
        "run_id": run_id, "pending": pending, "keys_decided": keys_decided, "changed": changed,
        "articles": articles, "seconds": round(seconds, 4)}).fetchone()
    assert row is not None
    return int(row[0])


# --- coverage: which stories have entities, in which languages ---------------------------------------


@dataclass(frozen=True)
class LanguageCoverage:
    language: str
    stories: int
    with_entities: int


@dataclass(frozen=True)
class EntityCoverage:
    """Stories (articles that are no near-duplicate) and those with at least one entity, per language."""

    languages: tuple[LanguageCoverage, ...] = ()

    @property
    def stories(self) -> int:
        return sum(lang.stories for lang in self.languages)

    @property
    def with_entities(self) -> int:
        return sum(lang.with_entities for lang in self.languages)

    @classmethod
    def of_rows(cls, rows: Iterable[tuple[object, ...]]) -> EntityCoverage:
        """From (language, stories, stories with entities) rows."""
        return cls(tuple(sorted((LanguageCoverage(str(lang or "unknown").strip(), int(str(n)), int(str(w)))
                                 for lang, n, w in rows), key=lambda c: (-c.stories, c.language))))


def coverage_of_run(conn: Conn, run_id: int) -> EntityCoverage:
    """Entity coverage of the stories a run wrote."""
    return EntityCoverage.of_rows(conn.execute(sql_text("store/entities/coverage_of_run"), {"run_id": run_id}))
