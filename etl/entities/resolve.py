"""Resolution across articles, from evidence (pure; phase 2 of issue 12 wires it into the warehouse).

Input: what the entity stage found in each article (its entities after in-article normalization,
with the short forms each absorbed there), manual overrides and a blocklist. Output: the alias ->
canonical map and each canonical entity's type, and a function applying them to one article.

Rules:

* names are compared case-insensitively (the most frequent spelling is shown; ties: the
  lexicographically smallest);
* a short form S becomes a warehouse-wide alias of a longer name L only when, in every article where
  S was absorbed into a longer name, that name was L, in at least ``min_support`` articles; a short
  form absorbed into two different names anywhere ("Biden": Joe / Hunter) is ambiguous and stays
  itself everywhere;
* a person's first name is never a global alias ("Joe" of "Joe Biden", "Taylor" of "Taylor
  Swift"), whatever the evidence; nor is anything on the blocklist;
* L can take aliases only if it is an entity of at least ``min_support`` articles itself, so a
  headline fragment seen once ("NASA Picks SpaceX") never becomes a canonical;
* manual overrides (alias -> canonical, type) win over all of this;
* an entity's type is the majority of its mentions over all articles (weighted by mention count;
  ties: the alphabetically first type), unless an override gives it;
* the result depends only on the multiset of evidence, not on its order: everything is counted,
  then decided over sorted keys.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["ArticleEvidence", "EntityEvidence", "Resolution", "changed_aliases", "resolve"]


@dataclass(frozen=True)
class EntityEvidence:
    """One entity of one article: its name and label there, mention count, and the short forms
    that resolved to it inside the article."""

    name: str
    label: str
    mentions: int = 1
    short_forms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleEvidence:
    article: str
    entities: tuple[EntityEvidence, ...]


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass
class Resolution:
    """The alias map (name key -> canonical key), each canonical key's display name and type."""

    alias_of: dict[str, str] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)
    type_of: dict[str, str] = field(default_factory=dict)

    def canonical(self, name: str) -> str:
        """The canonical display name of a name (itself when nothing maps it)."""
        key = _key(name)
        target = self.alias_of.get(key, key)
        return self.display.get(target, name)

    def resolve_name(self, name: str, label: str) -> tuple[str, str]:
        """(canonical display name, type) of a name; a name never seen keeps its own and ``label``."""
        key = _key(name)
        target = self.alias_of.get(key, key)
        return self.display.get(target, name), self.type_of.get(target, label)

    def resolve_article(self, article: ArticleEvidence) -> list[tuple[str, str, int]]:
        """(canonical name, type, mentions) of one article's entities, merged, sorted by name."""
        merged: Counter[str] = Counter()
        for e in article.entities:
            merged[self.alias_of.get(_key(e.name), _key(e.name))] += e.mentions
        return sorted((self.display[k], self.type_of[k], n) for k, n in merged.items())


def _pick_spelling(spellings: Counter[str]) -> str:
    return min(spellings, key=lambda s: (-spellings[s], s))


def _majority(labels: Counter[str]) -> str:
    return min(labels, key=lambda lab: (-labels[lab], lab))


def resolve(
    articles: Iterable[ArticleEvidence],
    overrides: Mapping[str, tuple[str, str]] | None = None,
    blocklist: Iterable[str] = (),
    min_support: int = 2,
) -> Resolution:
    """Resolve the evidence of all articles (see the module docstring for the rules)."""
    overrides = {_key(a): (c, t) for a, (c, t) in (overrides or {}).items()}
    blocked = {_key(b) for b in blocklist}
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    support: Counter[str] = Counter()  # articles holding the name as an entity
    absorbed: dict[str, Counter[str]] = defaultdict(Counter)  # short key -> long key -> articles
    first_names: set[tuple[str, str]] = set()  # (short key, long key): S is L's first word, L a person
    for article in articles:
        seen: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for e in article.entities:
            key = _key(e.name)
            spellings[key][e.name] += e.mentions
            labels[key][e.label] += e.mentions
            seen.add(key)
            for short in e.short_forms:
                skey = _key(short)
                if skey == key:
                    continue
                spellings[skey][short] += 0
                labels[skey][e.label] += 0
                pairs.add((skey, key))
                if e.label == "PERSON" and key.split()[:1] == skey.split() and len(key.split()) > 1:
                    first_names.add((skey, key))
        support.update(seen)
        for skey, key in pairs:
            absorbed[skey][key] += 1
    alias_of: dict[str, str] = {}
    for skey in sorted(absorbed):
        longs = absorbed[skey]
        if skey in blocked or len(longs) != 1:
            continue
        [(lkey, n)] = longs.items()
        if n < min_support or support[lkey] < min_support or (skey, lkey) in first_names:
            continue
        alias_of[skey] = lkey
    display = {key: _pick_spelling(sp) for key, sp in spellings.items()}
    for akey, (canonical, _etype) in sorted(overrides.items()):
        ckey = _key(canonical)
        display.setdefault(ckey, canonical)
        display[ckey] = canonical
        if akey != ckey:
            alias_of[akey] = ckey
        alias_of.pop(ckey, None)
    # a chain S -> L -> L' ends at L' (an override may have mapped L on)
    for skey in sorted(alias_of):
        target, hops = alias_of[skey], 0
        while target in alias_of and hops < len(alias_of):
            target, hops = alias_of[target], hops + 1
        alias_of[skey] = target
    type_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for key, votes in labels.items():
        type_votes[alias_of.get(key, key)].update(votes)
    type_of = {key: _majority(votes) for key, votes in type_votes.items() if votes}
    for _akey, (canonical, etype) in sorted(overrides.items()):
        type_of[_key(canonical)] = etype
    return Resolution(alias_of=alias_of, display=display, type_of=type_of)


def changed_aliases(before: Resolution, after: Resolution) -> set[str]:
    """Name keys whose canonical changed between two resolutions: the articles holding them are
    the ones to re-resolve."""
    keys = set(before.alias_of) | set(after.alias_of)
    return {k for k in keys if before.alias_of.get(k, k) != after.alias_of.get(k, k)}
