"""entities, entity_aliases, blocked_aliases: canonical entities, their spellings (seed, learned, manual)."""

from __future__ import annotations

from collections.abc import Iterable

from etl.seeds import AliasSeed
from etl.store.db import Conn
from etl.store.names import ids_of
from etl.store.sqlfiles import sql_text


def resolve(conn: Conn, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Entity ids of (name, type) pairs: a known alias wins, else the entity (created when missing)."""
    return ids_of(conn, "store/entities/resolve", pairs,
                  lambda todo: {"names": [p[0] for p in todo], "types": [p[1] for p in todo]},
                  lambda row: (row[0], row[1]))


def learn_aliases(conn: Conn, aliases: Iterable[tuple[str, str, int]]) -> None:
    """Remember (short form, label, entity id) resolved inside articles; ambiguous forms get blocked."""
    learned = sorted(set(aliases))
    if not learned:
        return
    conn.execute(
        sql_text("store/entities/learn_aliases"),
        {"aliases": [k[0] for k in learned], "types": [k[1] for k in learned], "entity_ids": [k[2] for k in learned]},
    )


def seed_aliases(conn: Conn, seeds: list[AliasSeed]) -> None:
    """Upsert the seed entities and aliases, then fold entities that a seed now names into it.

    Runs inside the caller's transaction. A 'manual' alias is never overwritten; a 'learned' one is.
    Entities stored before a seed existed ("US" as its own GPE) are merged into the canonical one:
    their article links move over, so every spelling counts as one entity in the reports.
    """
    if not seeds:
        return
    conn.execute(
        sql_text("store/entities/seed_aliases"),
        {"aliases": [s.alias for s in seeds], "labels": [s.label for s in seeds],
         "names": [s.canonical for s in seeds], "types": [s.canonical_type for s in seeds]},
    )
    conn.execute(sql_text("store/entities/merge_aliased"))
