"""Resolution across articles, from evidence (pure): which entity each name of each article counts as.

Input: what the entity stage found in each article (its entities after in-article normalization,
each with the short forms it absorbed there), the manual and seed aliases (overrides) and a
blocklist. Output: for every name key, its canonical key and that canonical's entity (name, type).
The warehouse runs the same rules incrementally (etl/pipeline/resolve.py): only the keys a run
touched are decided again, with these functions, and the result is the one :func:`resolve` gives
over the whole warehouse (tests/test_entity_resolution.py checks it).

Rules:

* names are compared by :func:`name_key` (spaces collapsed, ASCII letters in lower case: the SQL
  function ``entity_key`` computes the same key);
* an override (a seed or manual alias: spelling + mention label -> canonical entity) wins for the
  mentions it matches: the exact spelling first, else the same key when neither side is all
  capitals ("US" is not "Us"); a manual alias beats a seed;
* a name on the blocklist as ``entity`` is no entity anywhere; as ``alias`` it never becomes a
  warehouse-wide alias (it stays itself);
* a short form S becomes a warehouse-wide alias of a longer name L only when, in every article where
  S was absorbed into a longer name, that name was L, in at least ``min_support`` articles, and L is
  itself an entity of at least ``min_support`` articles (a headline fragment seen once, "NASA Picks
  SpaceX", never becomes a canonical); one article is enough when L is the only name S was absorbed
  into anywhere and S is the surname of the person L while S alone is mostly a PERSON ("Schiff" of
  "Adam Schiff"), or S spells the initials of L, no person ("AP" of "Associated Press"); a short
  form absorbed into two names anywhere ("Biden": Joe / Hunter) is ambiguous and stays itself
  everywhere; a person's first name is never an alias ("Joe" of "Joe Biden", "Taylor" of "Taylor
  Swift");
* a name ending in "'s" (the entity stage keeps it only when every occurrence of the article has
  it: "Macy's", "Aisha's") is an alias of the name without it as soon as any article holds that
  name ("Singapore's" -> "Singapore"); a name ending in "'s" that stays a canonical keeps its "'s"
  only when at least ``min_support`` articles hold it (evidence that the "'s" is part of the name:
  "McDonald's", written so in every article and never without), and is then an organization (a
  business named after its founder); else its display name loses the "'s";
* aliases chain (S -> L -> L') to the last name, the canonical key;
* a canonical's display name is its most frequent spelling among its mentions no override took
  (any of its spellings when overrides took them all); its type is the majority over the
  mentions of every name resolved to it (weighted by mention count; ties: the alphabetically first
  type), overridden mentions and blocked names left out; when that display name and type match an
  override, the canonical is the override's entity;
* the result depends only on the multiset of evidence, not on its order: everything is counted,
  then decided per key.
"""

from __future__ import annotations

import re
import string
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["MIN_SUPPORT", "ArticleEvidence", "Blocklist", "CanonicalEntity", "EntityEvidence", "Override",
           "Overrides", "Resolution", "ShortFormEvidence", "canonical_entity", "changed_aliases", "decide_alias",
           "display_name", "follow", "is_first_name", "majority", "name_key", "pick_spelling", "possessive_base",
           "possessive_keys", "resolve"]

MIN_SUPPORT = 2
_SPACE = " \t\n\r\f\v"
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def name_key(name: str) -> str:
    """The key names are compared by: ASCII white space collapsed to one space and trimmed, ASCII
    letters in lower case. ``entity_key(text)`` in SQL (sql/migrations/0005_entity_resolution.sql)
    is the same function, so keys computed in either place agree."""
    return _SPACES.sub(" ", name.strip(_SPACE)).translate(_LOWER)


@dataclass(frozen=True)
class EntityEvidence:
    """One entity of one article: its name and label there, mention count, and the short forms
    that resolved to it inside the article (one entity per name key in an article)."""

    name: str
    label: str
    mentions: int = 1
    short_forms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleEvidence:
    article: str
    entities: tuple[EntityEvidence, ...]


@dataclass(frozen=True)
class Override:
    """A seed or manual alias: mentions spelled ``alias`` and labelled ``label`` are the entity
    ``canonical`` of type ``type`` (``entity_id`` once stored)."""

    alias: str
    label: str
    canonical: str
    type: str
    source: str = "seed"
    entity_id: int | None = None


def _rank(row: Override) -> tuple[int, str, str, str]:
    return (0 if row.source == "manual" else 1, row.alias, row.canonical, row.type)


class Overrides:
    """The overrides by spelling: exact first, else the same key in another case (never when either
    side is all capitals: "US" is not "Us", "WHO" is not "Who"); manual before seed."""

    def __init__(self, rows: Iterable[Override] = ()) -> None:
        self.rows = tuple(sorted(rows, key=_rank))
        self._exact: dict[tuple[str, str], Override] = {}
        self._by_key: dict[tuple[str, str], Override] = {}
        for row in self.rows:  # best first: the first row of a spelling wins
            self._exact.setdefault((row.alias, row.label), row)
            if row.alias != row.alias.upper():
                self._by_key.setdefault((name_key(row.alias), row.label), row)

    def match(self, name: str, label: str) -> Override | None:
        hit = self._exact.get((name, label))
        if hit is not None or name == name.upper():
            return hit
        return self._by_key.get((name_key(name), label))


@dataclass(frozen=True)
class Blocklist:
    """Name keys that never become a warehouse-wide alias (``alias``) or are no entity (``entity``)."""

    alias: frozenset[str] = frozenset()
    entity: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ShortFormEvidence:
    """What the warehouse says of one (short form, long name) pair: in how many articles the short
    form was absorbed into the long name, and whether the long name was a person there."""

    articles: int
    person: bool = False


@dataclass(frozen=True)
class CanonicalEntity:
    """The entity a canonical key stands for, and what decided it (self, seed or manual)."""

    name: str
    type: str
    decided_by: str = "self"
    entity_id: int | None = None


_OWN_S = re.compile(r"^(.*\S)'s$")  # names are stored with a straight apostrophe (clean_mention)


def possessive_base(key: str) -> str | None:
    """The key without its trailing "'s" ("macy's" -> "macy"), None when it has none."""
    m = _OWN_S.match(key)
    return m.group(1) if m else None


def possessive_keys(keys: Iterable[str]) -> set[str]:
    """The keys whose decision reads these keys' support: each one's "'s" form."""
    return {f"{k}'s" for k in keys}


def is_surname(short_key: str, long_key: str, person: bool) -> bool:
    """``short_key`` is the last name of the person ``long_key`` ("schiff" of "adam schiff"), a full
    name of two or three words."""
    words = long_key.split()
    return person and 2 <= len(words) <= 3 and " " not in short_key and words[-1] == short_key


_CONNECTORS = frozenset({"of", "the", "and", "for", "&", "de", "du", "la", "on", "in", "at", "to"})


def spells_initials(short_key: str, long_key: str) -> bool:
    """``short_key`` (2 to 6 letters, dots allowed) is the initials of the words of ``long_key``, a
    name of two words or more, connectors left out ("ap" of "associated press", "nsc" of "national
    security council"), or of the name after its country ("nsc" of "united states national security
    council": etl.entities.jurisdiction names national bodies so)."""
    letters = short_key.replace(".", "")
    if " " in short_key or not 2 <= len(letters) <= 6 or not letters.isalpha():
        return False
    for name in (long_key, _NATIONAL_PREFIX.sub("", long_key)):
        words = [w for w in name.replace("-", " ").split() if w not in _CONNECTORS]
        if len(words) >= 2 and letters == "".join(w[0] for w in words):
            return True
    return False


_NATIONAL_PREFIX = re.compile(r"^(?:united states|united kingdom|u\.s\.|u\.k\.) ")


def is_first_name(short_key: str, long_key: str, person: bool) -> bool:
    """``short_key`` is the first name of the person ``long_key`` ("joe" of "joe biden")."""
    words = long_key.split()
    return person and len(words) > 1 and words[:1] == short_key.split()


def decide_alias(short_key: str, longs: Mapping[str, ShortFormEvidence], support: Mapping[str, int],
                 blocklist: Blocklist, min_support: int = MIN_SUPPORT, short_person: bool = False) -> str | None:
    """The long key a short key is a warehouse-wide alias of, or None (see the module rules).

    ``longs``: every long key the short key was absorbed into anywhere; ``support``: articles holding
    each long key as an entity; ``short_person``: the short key's own mentions are mostly a PERSON."""
    if short_key in blocklist.alias:
        return None
    base = possessive_base(short_key)
    if base is not None and support.get(base, 0) > 0:
        return base  # "singapore's" where an article names "singapore": a possessive
    # a long name held by fewer than min_support articles is no canonical, and no rival either
    # ("Make Trump", a headline fragment seen once, does not make "Trump" ambiguous)
    def one_article_is_enough(long_key: str, evidence: ShortFormEvidence) -> bool:
        # a person's surname ("Schiff" of "Adam Schiff") or the initials of a name that is no
        # person's ("AP" of "Associated Press"): a headline fragment is neither
        return (short_person and is_surname(short_key, long_key, evidence.person)
                or not evidence.person and spells_initials(short_key, long_key))

    names = {k: e for k, e in longs.items() if support.get(k, 0) >= min_support}
    if not names and len(longs) == 1:  # the only name that took the short form anywhere
        names = {k: e for k, e in longs.items() if one_article_is_enough(k, e)}
    if len(names) != 1:
        return None
    [(long_key, evidence)] = names.items()
    if is_first_name(short_key, long_key, evidence.person):
        return None
    if evidence.articles < min_support and not one_article_is_enough(long_key, evidence):
        return None
    return long_key


def follow(key: str, alias_of: Callable[[str], str | None]) -> str:
    """The end of a key's alias chain (itself when it is no alias)."""
    seen = {key}
    while (target := alias_of(key)) is not None and target not in seen:
        key = target
        seen.add(key)
    return key


def majority(votes: Mapping[str, int]) -> str:
    """The label with the largest weight; ties go to the alphabetically first."""
    return min(votes, key=lambda lab: (-votes[lab], lab))


def pick_spelling(spellings: Mapping[str, int]) -> str:
    """The most frequent spelling; ties go to the lexicographically smallest."""
    return min(spellings, key=lambda s: (-spellings[s], s))


def display_name(free: Mapping[str, int] | None, spellings: Mapping[str, int]) -> str:
    """A canonical's display name: its most frequent spelling no override took, else its most
    frequent spelling ("Us" is not shown as "US" because the seed took the capitals)."""
    return pick_spelling(free) if free else pick_spelling(spellings)


def canonical_entity(display: str, votes: Mapping[str, int], overrides: Overrides,
                     support: int | None = None, min_support: int = MIN_SUPPORT) -> CanonicalEntity | None:
    """The entity of a canonical key from its display name and the label votes of the mentions
    resolved to it: an override matching (display, majority type), else itself; None without votes
    (every mention resolved to it is overridden or blocked, so nothing counts as it). ``support``:
    the articles holding the canonical key, read for a name ending in "'s" (see the module rules)."""
    votes = {label: n for label, n in votes.items() if n > 0}
    if not votes:
        return None
    etype = majority(votes)
    if possessive_base(name_key(display)) is not None:
        if (support or 0) >= min_support:
            etype = "ORG"
        else:
            display = display[:-2]
    hit = overrides.match(display, etype)
    if hit is not None:
        return CanonicalEntity(hit.canonical, hit.type, hit.source, hit.entity_id)
    return CanonicalEntity(display, etype)


@dataclass
class Resolution:
    """Every key's direct alias (``alias_of``), canonical key (``canonical_of``) and each
    canonical's entity (``entity_of``), with the overrides and blocklist they were decided under."""

    alias_of: dict[str, str] = field(default_factory=dict)
    canonical_of: dict[str, str] = field(default_factory=dict)
    entity_of: dict[str, CanonicalEntity | None] = field(default_factory=dict)
    overrides: Overrides = field(default_factory=Overrides)
    blocklist: Blocklist = field(default_factory=Blocklist)

    def key_entity(self, key: str) -> CanonicalEntity | None:
        """The entity the (not overridden) mentions of a key count as."""
        return self.entity_of.get(self.canonical_of.get(key, key))

    def resolve_name(self, name: str, label: str) -> tuple[str, str] | None:
        """(entity name, type) a mention counts as; a name never seen keeps its own; None: blocked."""
        key = name_key(name)
        if key in self.blocklist.entity:
            return None
        hit = self.overrides.match(name, label)
        if hit is not None:
            return hit.canonical, hit.type
        entity = self.key_entity(key)
        return (entity.name, entity.type) if entity is not None else (name, label)

    def canonical(self, name: str, label: str = "PERSON") -> str:
        """The entity name a mention of ``name`` (labelled ``label``) counts as."""
        resolved = self.resolve_name(name, label)
        return resolved[0] if resolved else name

    def resolve_article(self, article: ArticleEvidence) -> list[tuple[str, str, int]]:
        """(entity name, type, mentions) of one article's entities, merged, sorted."""
        merged: Counter[tuple[str, str]] = Counter()
        for e in article.entities:
            resolved = self.resolve_name(e.name, e.label)
            if resolved is not None:
                merged[resolved] += e.mentions
        return sorted((name, etype, n) for (name, etype), n in merged.items())


def resolve(
    articles: Iterable[ArticleEvidence],
    overrides: Overrides | None = None,
    blocklist: Blocklist | None = None,
    min_support: int = MIN_SUPPORT,
) -> Resolution:
    """Resolve the evidence of all articles at once (see the module docstring for the rules)."""
    overrides = overrides or Overrides()
    blocklist = blocklist or Blocklist()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)  # every spelling of a key
    free: dict[str, Counter[str]] = defaultdict(Counter)  # the spellings of mentions no override took
    votes: dict[str, Counter[str]] = defaultdict(Counter)  # not overridden, not blocked
    support: Counter[str] = Counter()  # articles holding the key as an entity
    labels: dict[str, Counter[str]] = defaultdict(Counter)  # every mention's label
    pairs: dict[str, dict[str, list[int | bool]]] = defaultdict(dict)  # short key -> long key -> [articles, person]
    for article in articles:
        seen: set[str] = set()
        absorbed: dict[tuple[str, str], bool] = {}
        for e in article.entities:
            key = name_key(e.name)
            seen.add(key)
            spellings[key][e.name] += e.mentions
            labels[key][e.label] += e.mentions
            if key not in blocklist.entity and overrides.match(e.name, e.label) is None:
                votes[key][e.label] += e.mentions
                free[key][e.name] += e.mentions
            for short in e.short_forms:
                skey = name_key(short)
                if skey != key:
                    absorbed[(skey, key)] = absorbed.get((skey, key), False) or e.label == "PERSON"
        support.update(seen)
        for (skey, key), person in absorbed.items():
            entry = pairs[skey].setdefault(key, [0, False])
            entry[0] = int(entry[0]) + 1
            entry[1] = bool(entry[1]) or person
    alias_of: dict[str, str] = {}
    for skey in sorted(set(pairs) | {k for k in support if possessive_base(k) is not None}):
        longs = {lkey: ShortFormEvidence(int(n), bool(p)) for lkey, (n, p) in pairs.get(skey, {}).items()}
        target = decide_alias(skey, longs, support, blocklist, min_support,
                              bool(labels.get(skey)) and majority(labels[skey]) == "PERSON")
        if target is not None:
            alias_of[skey] = target
    canonical_of = {key: follow(key, alias_of.get) for key in sorted(support)}
    canonical_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for key, canonical in canonical_of.items():
        canonical_votes[canonical].update(votes.get(key, Counter()))
        canonical_votes.setdefault(canonical, Counter())
    entity_of = {c: canonical_entity(display_name(free.get(c), spellings[c]), v, overrides, support[c], min_support)
                 for c, v in canonical_votes.items()}
    return Resolution(alias_of=alias_of, canonical_of=canonical_of, entity_of=entity_of, overrides=overrides,
                      blocklist=blocklist)


def changed_aliases(before: Resolution, after: Resolution) -> set[str]:
    """Known name keys whose entity changed between two resolutions: the articles holding them are
    the ones to re-resolve (a key new in ``after`` only has new articles)."""
    return {k for k in before.canonical_of if before.key_entity(k) != after.key_entity(k)}
