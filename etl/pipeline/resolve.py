"""The resolution step: which entity every name of every article counts as, decided across the warehouse
from the evidence the loads stored (etl/entities/resolve.py's rules), after the process stage.

It runs as its own step (the last step of ``newsetl run``, the ``resolve_entities`` task of
``news_etl``), never inside a batch's load, so the order batches arrive in cannot matter: the
result is a function of the stored evidence, the overrides and the blocklist.

Incremental: each transaction takes the oldest pending work (articles loaded since, name keys whose
evidence or override changed), under one lock, and decides again only what that work touches:

* T: the keys the pending articles name (names and short forms) and the pending keys;
* D: T and every short key absorbed anywhere into a key of T (its evidence read T's support);
  each key of D held by an article gets its alias decided again (``decide_alias``);
* F: D and, through the stored alias chains, every key whose chain passes a key whose alias
  changed; each gets its canonical again (``follow``);
* A: the canonicals of F and T, before and after; each gets its entity again from the votes of all
  its members (``canonical_entity``);
* the articles whose links are derived again: the pending ones, those holding a key whose entity
  changed, and those holding a key whose override changed.

Everything a decision reads is read whole (a key's evidence, a long key's support, a canonical's
members), so deciding a slice gives what deciding everything gives (tests/test_entity_resolution.py
compares the two), and pending work handled in several transactions ends in the same state.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from etl.entities.resolve import (
    MIN_SUPPORT,
    Blocklist,
    CanonicalEntity,
    Overrides,
    canonical_entity,
    decide_alias,
    display_name,
    follow,
    majority,
    possessive_base,
    possessive_keys,
)
from etl.store import entities as store
from etl.store import runs as run_rows
from etl.store.db import Conn, transaction

CHUNK = 2000  # pending rows handled per transaction
# Articles whose links are derived again per read of their mentions: the articles holding a key whose entity moved
# grow with the warehouse (every article naming "U.S." when its alias changes), their mentions must not be held at once.
REBUILD_SLICE = 500


@dataclass
class ResolutionResult:
    """What one call of :func:`resolve_entities` did (summed over its transactions)."""

    pending: int = 0  # queued rows handled
    keys: int = 0  # name keys decided again
    changed: int = 0  # name keys whose entity changed
    articles: int = 0  # articles whose entity links were derived again
    seconds: float = 0.0
    transactions: int = 0

    def as_dict(self) -> dict[str, float]:
        return {"pending": self.pending, "keys": self.keys, "changed": self.changed, "articles": self.articles,
                "seconds": round(self.seconds, 3), "transactions": self.transactions}


def pending_work(url: str) -> int:
    """Rows the resolution step has still to handle."""
    with transaction(url) as conn:
        return store.count_pending(conn)


def queue_everything(url: str) -> int:
    """Queue every article, so the next resolution decides the whole warehouse again (after the rules
    of etl/entities/resolve.py changed); returns how many."""
    with transaction(url) as conn:
        return store.queue_all(conn)


def resolve_entities(url: str, run_id: int | None = None, chunk: int = CHUNK,
                     progress: Callable[[int], None] | None = None) -> ResolutionResult:
    """Handle all pending resolution work, ``chunk`` pending rows a transaction; returns what it did.
    The run's counters get ``entity_keys_resolved`` / ``entity_articles_resolved`` and its stage
    timings ``resolve`` (in the same transactions)."""
    total = ResolutionResult()
    while True:
        started = time.perf_counter()
        with transaction(url) as conn:
            store.lock_resolution(conn)
            pending = store.take_pending(conn, chunk)
            if not pending:
                break
            step = _resolve_chunk(conn, pending)
            seconds = time.perf_counter() - started
            store.log_resolution(conn, run_id, len(pending), step.keys, step.changed, step.articles, seconds)
            if run_id is not None:
                run_rows.add_stats(conn, run_id, {"entity_keys_resolved": step.keys,
                                                  "entity_articles_resolved": step.articles}, {"resolve": seconds})
        total.pending += len(pending)
        total.keys += step.keys
        total.changed += step.changed
        total.articles += step.articles
        total.seconds += seconds
        total.transactions += 1
        if progress is not None:
            progress(len(pending))
    return total


@dataclass
class _Step:
    keys: int = 0
    changed: int = 0
    articles: int = 0


def _resolve_chunk(conn: Conn, pending: list[store.Pending]) -> _Step:
    articles = {p.article_id for p in pending if p.article_id is not None}
    rebuild_keys = {p.name_key for p in pending if p.name_key is not None and p.rebuild}
    touched = store.keys_of_articles(conn, articles) | {p.name_key for p in pending if p.name_key is not None}
    overrides, blocklist = store.overrides(conn), store.blocklist(conn)

    # D: the touched keys and the short keys whose evidence reads a touched key's support
    # and the "'s" forms of the touched keys (their alias reads the support of the name without it)
    decide = touched | store.short_keys_of(conn, touched) | possessive_keys(touched)
    evidence = store.short_form_evidence(conn, decide)
    bases = {b for k in decide if (b := possessive_base(k)) is not None}
    support = store.support(conn, decide | bases | {long for longs in evidence.values() for long in longs})
    held = {k for k in decide if support.get(k, 0) > 0}  # only keys some article holds get a decision
    stored = store.decisions(conn, keys=decide)
    # the labels of the short keys a person's full name took (a surname alone is read by its label)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    surnames = {k for k in held if any(e.person for e in evidence.get(k, {}).values())}
    for key, _, label, count in store.votes(conn, surnames):
        labels[key][label] += count
    direct: dict[str, str | None] = {
        k: decide_alias(k, evidence.get(k, {}), support, blocklist, MIN_SUPPORT,
                        bool(labels.get(k)) and majority(labels[k]) == "PERSON") for k in held}
    changed_direct = {k for k in held if k not in stored or stored[k].alias_of != direct[k]}

    # F: keys whose canonical may move: D, and every key whose stored alias chain passes a changed
    # alias (walked up from the changed ones, through keys of D too: "acme" -> "acme corp" -> X)
    frontier, upstream = set(changed_direct), set(changed_direct)
    while frontier:
        parents = store.decisions(conn, alias_of=frontier)
        stored.update({k: d for k, d in parents.items() if k not in stored})
        frontier = set(parents) - upstream
        upstream |= frontier
    refollow = held | upstream

    def alias_of(key: str) -> str | None:
        if key in direct:
            return direct[key]
        if key not in stored:
            stored.update(store.decisions(conn, keys=[key]))
        row = stored.get(key)
        return row.alias_of if row is not None else None

    canonical = {k: follow(k, alias_of) for k in refollow}

    # A: the canonicals whose members or votes may have changed
    affected = set(canonical.values()) | {stored[k].canonical_key for k in refollow | touched if k in stored}
    members_stored = store.decisions(conn, canonical=affected)
    stored.update(members_stored)
    members: dict[str, set[str]] = defaultdict(set)
    for key, row in members_stored.items():
        if canonical.get(key, row.canonical_key) == row.canonical_key:
            members[row.canonical_key].add(key)
    for key, target in canonical.items():
        if target in affected:
            members[target].add(key)
    member_keys = {k for ks in members.values() for k in ks}
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    free: dict[str, Counter[str]] = defaultdict(Counter)
    key_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for key, name, label, count in store.votes(conn, member_keys | affected):
        spellings[key][name] += count
        if key not in blocklist.entity and overrides.match(name, label) is None:
            key_votes[key][label] += count
            free[key][name] += count
    # a canonical ending in "'s" reads its own support (kept "'s" or not)
    support.update(store.support(conn, {t for t in affected if possessive_base(t) is not None} - set(support)))
    entity_of: dict[str, CanonicalEntity | None] = {}
    for target in affected:
        votes: Counter[str] = Counter()
        for key in members.get(target, ()):
            votes.update(key_votes.get(key, Counter()))
        entity_of[target] = (canonical_entity(display_name(free.get(target), spellings[target]), votes, overrides,
                                              support.get(target, 0), MIN_SUPPORT)
                             if spellings.get(target) else None)
    own = {(e.name, e.type) for e in entity_of.values() if e is not None and e.entity_id is None}
    ids = store.ensure_entities(conn, own) if own else {}

    # the decisions of every member of an affected canonical (their entity may have moved)
    rows: list[store.Decision] = []
    moved: set[str] = set()  # keys decided before whose entity changed
    for target, keys in members.items():
        entity = entity_of.get(target)
        entity_id = None if entity is None else entity.entity_id or ids[(entity.name, entity.type)]
        for key in keys:
            alias = direct[key] if key in direct else (stored[key].alias_of if key in stored else None)
            decided_by = "evidence" if alias is not None else (entity.decided_by if entity is not None else "self")
            row = store.Decision(key, alias, target, entity_id, decided_by)
            before = stored.get(key)
            if before is not None and before.entity_id != entity_id:
                moved.add(key)
            if before != row:
                rows.append(row)
    store.write_decisions(conn, rows)
    gone = decide - held  # keys no article holds any more
    store.drop_decisions(conn, gone)

    # the articles whose links are derived again (a key decided for the first time is held only by
    # articles that are pending: this transaction's or a later one's)
    rebuild = sorted(articles | set(store.articles_holding(conn, moved | rebuild_keys)))
    old: set[int] = set()
    for at in range(0, len(rebuild), REBUILD_SLICE):  # each article's links depend on its own mentions only
        old |= _rebuild_links(conn, set(rebuild[at : at + REBUILD_SLICE]), overrides, blocklist)
    old |= {e for k in moved | gone if k in stored and (e := stored[k].entity_id) is not None}
    store.collect_entities(conn, old)
    store.finish_pending(conn, [p.pending_id for p in pending])
    return _Step(keys=len(held), changed=len(moved), articles=len(rebuild))


def _rebuild_links(conn: Conn, article_ids: set[int], overrides: Overrides, blocklist: Blocklist) -> set[int]:
    """Derive the article_entities rows of these articles from their mentions and the decisions;
    returns the entity ids their old rows named."""
    if not article_ids:
        return set()
    mentions = store.mentions_of(conn, article_ids)
    decided = store.decisions(conn, keys={m.name_key for m in mentions})
    merged: dict[tuple[int, int], list[float]] = {}
    for m in mentions:
        if m.name_key in blocklist.entity:
            continue
        hit = overrides.match(m.name, m.label)
        entity_id = hit.entity_id if hit is not None else (decided[m.name_key].entity_id
                                                           if m.name_key in decided else None)
        if entity_id is None:
            continue  # a key not decided yet: its own pending row derives this article again
        key = (m.article_id, entity_id)
        if key in merged:
            count, first, in_title, salience = merged[key]
            merged[key] = [count + m.mention_count, min(first, m.first_offset), max(in_title, float(m.in_title)),
                           salience + m.salience]
        else:
            merged[key] = [m.mention_count, m.first_offset, float(m.in_title), m.salience]
    links = [store.Link(a, e, int(c), int(o), bool(t), s) for (a, e), (c, o, t, s) in sorted(merged.items())]
    return store.replace_links(conn, sorted(article_ids), links)
