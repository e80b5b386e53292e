"""Seed data: canonical entities and their aliases from seeds/entity_aliases.csv (stored by etl.store.entities)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from etl.entities import ENTITY_TYPES, clean_mention
from etl.entities.resolve import possessive_base
from etl.settings import SEEDS_DIR

__all__ = ["ALIASES_FILE", "BLOCKLIST_FILE", "AliasSeed", "BlockSeed", "SeedFileError", "camel_case", "distinctive",
           "plural_name", "read_alias_seeds", "read_blocklist_seeds", "seed_gazetteer", "seed_labels"]

ALIASES_FILE = SEEDS_DIR / "entity_aliases.csv"
BLOCKLIST_FILE = SEEDS_DIR / "entity_blocklist.csv"
BLOCKS = ("alias", "entity")
# The small model mixes these labels up for countries and organizations ("UAE" tagged ORG,
# "Czechia" ORG, "AU" NORP): a seed alias of one of them answers for a mention labelled with any.
CONFUSABLE = ("GPE", "ORG", "LOC", "NORP")
# The model reads a product as its maker's kind ("Alexa", "Kindle", "Sensex" tagged ORG): a PRODUCT seed
# also answers for ORG-labelled mentions (etl.entities.mentions._same_kind treats the two as one kind).
PRODUCT_LABELS = ("PRODUCT", "ORG")


def seed_labels(etype: str) -> tuple[str, ...]:
    """The mention labels a seed alias of type ``etype`` answers for (the plural rule aside)."""
    if etype in CONFUSABLE:
        return CONFUSABLE
    return PRODUCT_LABELS if etype == "PRODUCT" else (etype,)


def camel_case(name: str) -> bool:
    """One word with a capital after a lower-case letter ("SpaceX", "YouTube", "eBay"), not a Mc/Mac
    or O' surname ("McCarthy", "MacArthur"). No person's name is written so, so an ORG seed spelled
    so also answers for PERSON-labelled mentions (the model reads "SpaceX" as a person)."""
    return " " not in name and re.search(r"[a-z][A-Z]", name) is not None \
        and re.match(r"(?:Mc|Mac|O')[A-Z]", name) is None


def plural_name(name: str) -> bool:
    """The name's last word is a plural in -s ("Steelers", "Red Wings", "49ers"), not a word that only
    ends in s ("Congress", "Campus", "Paris", "Macy's").

    The model reads a plural name as people ("the Steelers": a team, a group), so an ORG seed spelled
    as a plural also answers for PERSON-labelled mentions. No person is written as a plural (a family
    is "the Bidens", never a seed), so no ORG seed may spell a surname ending in -s ("Adams")."""
    words = name.split()
    last = words[-1] if words else ""
    return len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is", "'s"))


class SeedFileError(ValueError):
    """The seed file is malformed; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class AliasSeed:
    """One row of entity_aliases: a spelling and mention label that mean one canonical entity."""

    alias: str
    label: str
    canonical: str
    canonical_type: str


def read_alias_seeds(path: Path = ALIASES_FILE) -> list[AliasSeed]:
    """Parse the seed CSV (alias, type, canonical) into alias rows, one per spelling and label.

    Aliases are cleaned like mentions ("the United States" -> "United States"), so they match what
    the entity stage produces. The canonical name is its own alias. Two rows giving one spelling
    two canonical entities are an error: a seed must never be ambiguous.
    """
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.reader(ln for ln in lines if ln.strip())
    header = next(reader, None)
    if header != ["alias", "type", "canonical"]:
        raise SeedFileError(f"seed file {path}: the first row must be 'alias,type,canonical', got {header}")
    seeds: dict[tuple[str, str], AliasSeed] = {}
    for number, row in enumerate(reader, 2):
        if len(row) != 3 or not all(cell.strip() for cell in row):
            raise SeedFileError(f"seed file {path}, data row {number - 1}: expected alias,type,canonical, got {row}")
        alias, etype, canonical = (cell.strip() for cell in row)
        if etype not in ENTITY_TYPES:
            raise SeedFileError(f"seed file {path}, data row {number - 1}: type {etype!r} is not one of "
                                f"{', '.join(sorted(ENTITY_TYPES))}")
        labels = seed_labels(etype)
        owned = etype == "ORG" and possessive_base(canonical) is not None  # "Lowe's": the "'s" is the name's
        # a capitalised "The" of a seed spelling is the name's ("The Associated Press", AP's own style)
        spellings = (clean_mention(alias, etype, brand=owned and possessive_base(alias) is not None,
                                   keep_the=alias.startswith("The ")),
                     clean_mention(canonical, etype, brand=owned))
        for spelling in dict.fromkeys(spellings):
            # the model reads a plural name ("the Steelers"), a name with its own "'s" ("Lowe's", kept by
            # the entity stage only where every occurrence of the article has it) and a camel-case brand
            # ("SpaceX") as people: those ORG spellings answer PERSON mentions too
            as_person = etype == "ORG" and (plural_name(spelling) or camel_case(spelling)) \
                or owned and possessive_base(spelling) is not None
            for label in (*labels, "PERSON") if as_person else labels:
                seed = AliasSeed(spelling, label, canonical, etype)
                known = seeds.get((spelling, label))
                if known and (known.canonical, known.canonical_type) != (canonical, etype):
                    raise SeedFileError(
                        f"seed file {path}: {spelling!r} ({label}) is given for both {known.canonical!r} and "
                        f"{canonical!r}; an ambiguous spelling must be left out"
                    )
                seeds[(spelling, label)] = seed
    return list(seeds.values())


def distinctive(name: str) -> bool:
    """A seed spelling no common word, sentence start or person's name is written as: two words
    or more ("Nintendo Switch", "S&P 500"), or one holding a digit, a symbol or a capital after a
    lower-case letter ("SpaceX", "eBay", "7-Eleven"); not one capitalised word ("Steelers", "Apple")
    nor an all-capitals one ("NASA", "US": initials NER reads, or words in a headline)."""
    if " " in name:
        return True
    return any(c.isdigit() or c in "&+-" for c in name) or camel_case(name)


@lru_cache(maxsize=1)
def seed_gazetteer(path: Path = ALIASES_FILE) -> tuple[tuple[str, str], ...]:
    """(spelling, type) of the seeds' distinctive spellings (:func:`distinctive`), each under its
    canonical's type: the entity stage finds them in the body where NER read nothing
    (etl.entities.ner.extract_evidence ``known``), and the seed then names them."""
    return tuple(sorted({(s.alias, s.canonical_type) for s in read_alias_seeds(path)
                         if s.label == s.canonical_type and distinctive(s.alias)}))


@dataclass(frozen=True)
class BlockSeed:
    """One row of entity_blocklist: a name that never becomes a global alias, or is no entity."""

    name: str
    blocks: str
    note: str


def read_blocklist_seeds(path: Path = BLOCKLIST_FILE) -> list[BlockSeed]:
    """Parse the blocklist seed CSV (name, blocks, note); ``blocks`` is alias or entity."""
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.reader(ln for ln in lines if ln.strip())
    header = next(reader, None)
    if header != ["name", "blocks", "note"]:
        raise SeedFileError(f"seed file {path}: the first row must be 'name,blocks,note', got {header}")
    rows: dict[tuple[str, str], BlockSeed] = {}
    for number, row in enumerate(reader, 1):
        if len(row) != 3 or not row[0].strip() or row[1].strip() not in BLOCKS:
            raise SeedFileError(f"seed file {path}, data row {number}: expected name,blocks,note with blocks one of "
                                f"{', '.join(BLOCKS)}, got {row}")
        seed = BlockSeed(row[0].strip(), row[1].strip(), row[2].strip())
        rows[(seed.name, seed.blocks)] = seed
    return list(rows.values())
