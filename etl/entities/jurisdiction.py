"""The article's country, and the national bodies it names bare (pure, per article).

News copy names a country's institutions without the country: "the Senate", "the House",
"Congress", "the Supreme Court", "the State Department", "the Navy". Who they are depends on whose
news it is: the Senate of a Nigerian story is the Senate of Nigeria, of a US story the United
States Senate. Stored as written, one name "Senate" counts every country's senate as one entity.

:func:`country_counts` counts the countries the article's own mentions name: each country named
(CLDR's English country names, from babel, and the usual short forms "U.S.", "UK", "America"),
each US state and party (for the United States), each people's adjective ("Nigerian", "Indian"),
each country before an organization ("the Nigeria Police"); :func:`jurisdiction_of` adds the one
US state a US story is about. The functions below take that :class:`Jurisdiction` (computed once per
article by etl.entities.ner: the renames between them name no country and no state) and decide
nothing when it is silent.

:func:`national_bodies` renames a body after its country, as encyclopedias title them: for the
United States its federal bodies ("United States Senate", "Supreme Court of the United States",
"United States Department of State"); for another country its legislature and top court ("Senate
of Nigeria", "Supreme Court of India"); whose a bare body is, :func:`_owner` says. A body after a US
state ("Indiana House") stays as written, and so do a bare "Senate" and "House" of an article about
a state's legislature ("Legislature", "General Assembly", "state Senate"); a one-state story's
agencies take the state. :func:`counties`, :func:`america` and :func:`presidential_elections` name
counties, "America" and the US presidential elections the same way.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from etl.entities.mentions import STATE_NAMES, US_STATES, Raw, clean_mention
from etl.settings import SEEDS_DIR

__all__ = ["STANDALONE_CITIES", "Jurisdiction", "america", "article_country", "companies_read_as_places", "counties",
           "countries_read_otherwise", "country_counts", "in_state", "jurisdiction_of", "known_place",
           "national_bodies", "presidential_elections", "towns", "us_towns"]

US = "United States"
UK = "United Kingdom"
# Short forms of country names news copy uses (CLDR names the countries in full).
COUNTRY_ALIASES = {"U.S.": US, "US": US, "USA": US, "U.S.A.": US, "America": US, "United States of America": US,
                   "Washington, D.C.": US,
                   "UK": UK, "U.K.": UK, "Britain": UK, "Great Britain": UK, "Turkey": "Türkiye"}
# People's adjectives the suffix rules of _demonyms do not derive.
IRREGULAR_DEMONYMS = {"American": US, "British": UK, "French": "France", "German": "Germany", "Dutch": "Netherlands",
                      "Spanish": "Spain", "Swiss": "Switzerland", "Turkish": "Türkiye", "Greek": "Greece",
                      "Irish": "Ireland", "Polish": "Poland", "Filipino": "Philippines", "Thai": "Thailand",
                      "Swedish": "Sweden", "Danish": "Denmark", "Finnish": "Finland", "Norwegian": "Norway",
                      "Peruvian": "Peru", "Saudi": "Saudi Arabia", "Emirati": "United Arab Emirates",
                      "Afghan": "Afghanistan", "Nigerian": "Nigeria", "Nigerien": "Niger", "Kiwi": "New Zealand",
                      "Portuguese": "Portugal"}
COUNTED_LABELS = frozenset({"GPE", "NORP", "LOC"})
FULL_STATE_NAMES = frozenset(name for name, _, _ in US_STATES)
AMBIGUOUS_PLACES = frozenset({"Georgia"})  # the country and the US state
BODY_LABELS = frozenset({"ORG", "FAC", "GPE", "NORP"})  # what the model reads a body as

# The United States' federal bodies a story names bare -> their encyclopedia titles.
US_BODIES = {
    "Senate": "United States Senate",
    "House of Representatives": "United States House of Representatives",
    "House": "United States House of Representatives",
    "Congress": "United States Congress",
    "Supreme Court": "Supreme Court of the United States",
    "Navy": "United States Navy", "Army": "United States Army", "Air Force": "United States Air Force",
    "Marine Corps": "United States Marine Corps", "Coast Guard": "United States Coast Guard",
    "National Security Council": "United States National Security Council",
    "Census Bureau": "United States Census Bureau", "Postal Service": "United States Postal Service",
    "Secret Service": "United States Secret Service",
    "State Department": "United States Department of State",
    "Department of State": "United States Department of State",
    "Justice Department": "United States Department of Justice",
    "Department of Justice": "United States Department of Justice",
    "Defense Department": "United States Department of Defense",
    "Department of Defense": "United States Department of Defense",
    "Treasury Department": "United States Department of the Treasury",
    "Department of the Treasury": "United States Department of the Treasury",
    "Commerce Department": "United States Department of Commerce",
    "Department of Commerce": "United States Department of Commerce",
    "Department of Homeland Security": "United States Department of Homeland Security",
    "Homeland Security Department": "United States Department of Homeland Security",
    "Energy Department": "United States Department of Energy",
    "Department of Energy": "United States Department of Energy",
    "Interior Department": "United States Department of the Interior",
    "Department of the Interior": "United States Department of the Interior",
    "Department of Veterans Affairs": "United States Department of Veterans Affairs",
    "Customs and Border Protection": "U.S. Customs and Border Protection",
    "Immigration and Customs Enforcement": "U.S. Immigration and Customs Enforcement",
    "Citizenship and Immigration Services": "U.S. Citizenship and Immigration Services",
    "Border Patrol": "United States Border Patrol",
    "Environmental Protection Agency": "United States Environmental Protection Agency",
    "Fish and Wildlife Service": "United States Fish and Wildlife Service",
    "Geological Survey": "United States Geological Survey", "Forest Service": "United States Forest Service",
    "Capitol Police": "United States Capitol Police",
}
# A state has its own of these (a state senate, house, supreme court, legislature).
STATE_LEVEL = frozenset({"Senate", "House of Representatives", "House", "Supreme Court"})
STATE_LEGISLATURE = re.compile(r"\b(?:Legislature|General Assembly|[Ss]tatehouse|[Ss]tate (?:Senate|House|"
                               r"Supreme Court|[Ll]egislature|[Ss]enators?|[Rr]epresentatives?|lawmakers))\b")
# Another country's legislature and top court: "<body> of <country>".
NATIONAL_BODIES = ("Senate", "House of Representatives", "National Assembly", "Supreme Court", "Parliament",
                   "Constitutional Court")
US_QUALIFIERS = ("U.S.", "US", "United States", "American")
US_PARTIES = frozenset({"Democrats", "Republicans", "Democrat", "Republican", "GOP"})
LEADING_THE = re.compile(r"^[Tt]he\s+")
TITLE_CASE_CONNECTOR = re.compile(r"(?<= )(?:And|Of|The|For)(?= )")
# A state's agencies a story about the state names bare: "the Department of Social Services", "the
# State Police", "the Highway Patrol" -> "<State> Department of Social Services". Not the names of
# federal departments (Agriculture, Labor, Education...: the federal one as often as the state's).
STATE_AGENCY = re.compile(r"^(?:Department of [A-Z][\w'-]*(?: (?:and|of|the|[A-Z][\w'-]*))*|State Police|"
                          r"Highway Patrol|State Patrol)$")
FEDERAL_DEPARTMENTS = frozenset({
    "Department of State", "Department of the Treasury", "Department of Defense", "Department of Justice",
    "Department of the Interior", "Department of Agriculture", "Department of Commerce", "Department of Labor",
    "Department of Health and Human Services", "Department of Housing and Urban Development",
    "Department of Transportation", "Department of Energy", "Department of Education",
    "Department of Veterans Affairs", "Department of Homeland Security"})


def _demonyms(country: str) -> set[str]:
    """People's adjectives a country's name forms by suffix: Nigeria -> Nigerian, Egypt ->
    Egyptian, Canada -> Canadian, China -> Chinese, Japan -> Japanese, Pakistan -> Pakistani."""
    stem = country[:-1]
    return {country + "n", country + "an", country + "ian", stem + "an", stem + "ian", country + "ese", stem + "ese",
            country + "i"}


@lru_cache(maxsize=1)
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """(name -> country, adjective -> country): CLDR's English names of countries (two-letter
    territories; composite names such as "Congo - Kinshasa" left out), their short forms, and the
    adjectives derived from them that name one country only."""
    from babel import Locale

    names = {name: name for code, name in Locale("en").territories.items()
             if len(code) == 2 and code.isalpha() and not re.search(r"[-(&,]| SAR\b|Pseudo", name)}
    names.update(COUNTRY_ALIASES)
    derived: dict[str, set[str]] = {}
    for country in set(names.values()):
        for adjective in _demonyms(country):
            derived.setdefault(adjective, set()).add(country)
    adjectives = {adj: next(iter(c)) for adj, c in derived.items() if len(c) == 1 and adj not in names}
    adjectives.update(IRREGULAR_DEMONYMS)
    return names, adjectives


def _country_of(text: str, label: str) -> str | None:
    names, adjectives = _countries()
    text = LEADING_THE.sub("", text.strip())
    if text in AMBIGUOUS_PLACES:
        return None
    if label == "GPE" and text in names:
        return names[text]
    if label in ("GPE", "LOC") and text in FULL_STATE_NAMES:  # a state by name, not "Ga." or "IN"
        return US
    if label == "NORP" and text in US_PARTIES:
        return US
    if label == "NORP":
        return adjectives.get(text) or adjectives.get(text[:-1]) if text.endswith("s") else adjectives.get(text)
    return None


def country_counts(raws: Sequence[Raw]) -> Counter[str]:
    """How often the article names each country: by name, by its people's adjective, for the United
    States also by a state, its capital or its two parties, and before an organization's name
    ("Nigerian Senate", "Nigeria Police")."""
    counts: Counter[str] = Counter()
    for text, label, _ in raws:
        if label in COUNTED_LABELS:
            country = _country_of(text, label)
        elif label in BODY_LABELS:
            head, _ = _split_qualifier(LEADING_THE.sub("", text))
            country = _country_of_qualifier(head) if head is not None else None
        else:
            country = None
        if country is not None:
            counts[country] += 1
    return counts


def _dominant(counts: Counter[str], at_least: int = 1) -> str | None:
    """The key counted most, at least ``at_least`` times and twice as often as any other."""
    ranked = counts.most_common(2)
    if not ranked or ranked[0][1] < at_least or len(ranked) == 2 and ranked[0][1] < 2 * ranked[1][1]:
        return None
    return ranked[0][0]


def _us_story(counts: Counter[str]) -> bool:
    """The article names the United States at least two thirds as often as the country it names
    most (news copy names the US bodies and elections bare even in a story mostly about another
    country: "the Senate" of a story on Ukraine)."""
    return counts[US] > 0 and 3 * counts[US] >= 2 * counts.most_common(1)[0][1]


def article_country(raws: Sequence[Raw]) -> str | None:
    """The country the article names most, at least twice as often as any other (else None)."""
    return _dominant(country_counts(raws))


def _with_the(country: str) -> str:
    """"the Philippines", "the United Kingdom", "the Netherlands"; "Nigeria", "India"."""
    plural = country.endswith(("s", "Islands")) and not country.endswith(("Laos", "Belarus", "Mauritius", "Cyprus"))
    return f"the {country}" if plural or re.search(r"\b(?:United|Republic|Kingdom|Union|Emirates)\b", country) \
        else country


def _body_name(body: str, country: str) -> str | None:
    body = TITLE_CASE_CONNECTOR.sub(lambda m: m.group(0).lower(), body)  # "Customs And Border Protection"
    if country == US:
        return US_BODIES.get(body)
    return f"{body} of {_with_the(country)}" if body in NATIONAL_BODIES else None


def _split_qualifier(text: str) -> tuple[str | None, str]:
    """("U.S.", "Senate") of "U.S. Senate", ("Nigerian", "Senate") of "Nigerian Senate", (None,
    "Senate") of "Senate": the qualifier is a country's name or adjective or a US state."""
    names, adjectives = _countries()
    words = text.split()
    for cut in (1, 2, 3):
        if cut < len(words):
            head, rest = " ".join(words[:cut]), " ".join(words[cut:])
            if head in names or head in adjectives or head in US_QUALIFIERS or head in FULL_STATE_NAMES:
                return head, rest
    return None, text


def _country_of_qualifier(head: str) -> str | None:
    """The country a qualifier names; None for a US state's name (a state's body is not federal)."""
    names, adjectives = _countries()
    if head in US_QUALIFIERS:
        return US
    return names.get(head) or adjectives.get(head)


def _owner(body: str, qualified: Mapping[str, set[str | None]], counts: Counter[str]) -> str | None:
    """Whose is the bare ``body``? The one country the article writes before it ("the Nigerian
    Senate ... the Senate"); else, for a US federal body, the United States in a US story
    (:func:`_us_story`); else the country the article names most, twice as often as any other (the
    Indian press names its Supreme Court bare too)."""
    owners = qualified.get(body, set())
    if owners:
        return next(iter(owners)) if len(owners) == 1 else None
    if body in US_BODIES and _us_story(counts):
        return US
    return _dominant(counts)


def _state_of(raws: Sequence[Raw], counts: Counter[str]) -> str | None:
    """The US state a US story is about: named at least twice, twice as often as any other state,
    in an article whose country is the United States or no other."""
    if any(country != US for country in counts):
        return None
    return _dominant(Counter(t for t, label, _ in raws
                             if label in ("GPE", "LOC") and t in FULL_STATE_NAMES and t not in AMBIGUOUS_PLACES),
                     at_least=2)


@dataclass(frozen=True)
class Jurisdiction:
    """Whose news an article is: the countries its mentions name (:func:`country_counts`) and the
    one US state a US story is about (:func:`_state_of`), None when there is none."""

    countries: Counter[str]
    state: str | None


def jurisdiction_of(raws: Sequence[Raw]) -> Jurisdiction:
    """The article's :class:`Jurisdiction`, from its raw mentions."""
    countries = country_counts(raws)
    return Jurisdiction(countries, _state_of(raws, countries))


def national_bodies(full: str, raws: Sequence[Raw], where: Jurisdiction | None = None) -> list[Raw]:
    """Each organization mention that is a national body, bare or after a country ("Senate",
    "Nigerian Senate", "U.S. Navy"), renamed after its country (see the module's doc); a body after
    a US state ("Indiana House") or whose country the article leaves open stays as written.
    ``where``: the article's :func:`jurisdiction_of`, computed here when not given."""
    where = jurisdiction_of(raws) if where is None else where
    counts = where.countries
    if not counts:
        return list(raws)
    split = {offset: _split_qualifier(clean_mention(text, "ORG"))  # "the Supreme Court's" -> "Supreme Court"
             for text, label, offset in raws if label in BODY_LABELS}
    qualified: dict[str, set[str | None]] = defaultdict(set)
    for head, body in split.values():
        if head is not None:
            qualified[body].add(_country_of_qualifier(head))
    state_politics = STATE_LEGISLATURE.search(full) is not None
    state = where.state
    out: list[Raw] = []
    for text, label, offset in raws:
        if offset in split:
            head, body = split[offset]
            if head is None and state is not None and STATE_AGENCY.match(body) and body not in FEDERAL_DEPARTMENTS:
                out.append((f"{state} {body}", "ORG", offset))
                continue
            country = _country_of_qualifier(head) if head is not None else _owner(body, qualified, counts)
            renamed = _body_name(body, country) if country is not None else None
            if renamed is not None and not (head is None and country == US and body in STATE_LEVEL and state_politics):
                out.append((renamed, "ORG", offset))
                continue
        out.append((text, label, offset))
    return out


# "Barry, Berrien, Cass and Van Buren counties": a list of places before "counties" (US local copy).
_PLACE = r"[A-Z][\w.'-]*(?: [A-Z][\w.'-]*)?"
COUNTY_LIST = re.compile(r"((?:" + _PLACE + r", )*" + _PLACE + r",? (?:and|or) " + _PLACE + r") [Cc]ounties\b")
SENTENCE_WORDS = frozenset({"In", "The", "And", "Of", "For", "At", "On", "From", "To", "Both", "Across", "All"})
COUNTY_LABELS = frozenset({"GPE", "LOC", "PERSON", "ORG", "NORP", "FAC"})


def counties(full: str, raws: Sequence[Raw], where: Jurisdiction | None = None) -> list[Raw]:
    """US counties as encyclopedias title them, "<name> County, <State>": each name of a list before
    "counties" is a county (the model reads "Cass" or "Kalamazoo" there as a person; a name it did not
    read is added), and a county of a story about one US state (:func:`_state_of`) named without its
    state ("Kalamazoo County") is that state's. A county written with its state ("Orange County,
    California") was named so by etl.entities.ner already."""
    state = (jurisdiction_of(raws) if where is None else where).state
    suffix = f", {state}" if state is not None else ""
    listed: dict[int, str] = {}  # offset -> county name, for each name of a list
    for m in COUNTY_LIST.finditer(full):
        for part in re.finditer(_PLACE, m.group(1)):
            name, at = part.group(0), m.start(1) + part.start()
            first, _, rest = name.partition(" ")
            if first in SENTENCE_WORDS and rest:  # "In Barry, Cass and Van Buren counties"
                name, at = rest, at + len(first) + 1
            listed[at] = name
    out: list[Raw] = []
    for text, label, offset in raws:
        if offset in listed and text == listed[offset] and label in COUNTY_LABELS:
            out.append((f"{text} County{suffix}", "GPE", offset))
            del listed[offset]
        elif label in ("GPE", "LOC") and text.endswith(" County") and not full.startswith(",", offset + len(text)):
            out.append((f"{LEADING_THE.sub('', text)}{suffix}", "GPE", offset))
        else:
            out.append((text, label, offset))
    covered = [(o, o + len(t)) for t, _, o in raws]
    for offset, name in listed.items():
        if not any(a < offset + len(name) and offset < b for a, b in covered):
            out.append((f"{name} County{suffix}", "GPE", offset))
    return out


# The US cities AP style names without their state (its datelines that stand alone), as
# encyclopedias title them: "Honolulu", not "Honolulu, Hawaii".
STANDALONE_CITIES = frozenset({
    "Atlanta", "Baltimore", "Boston", "Chicago", "Cincinnati", "Cleveland", "Dallas", "Denver", "Detroit",
    "Honolulu", "Houston", "Indianapolis", "Las Vegas", "Los Angeles", "Miami", "Milwaukee", "Minneapolis",
    "New Orleans", "New York", "Oklahoma City", "Philadelphia", "Phoenix", "Pittsburgh", "St. Louis",
    "Salt Lake City", "San Antonio", "San Diego", "San Francisco", "Seattle", "Washington",
})


def in_state(place: str, state: str) -> str:
    """A US place's full name, as encyclopedias title it: "McAllen, Texas", "Elkton, Maryland" (the
    place alone is its short form in the article); the cities named alone (STANDALONE_CITIES) and
    states ("Colorado, Washington, Alaska": a list) stay themselves."""
    return place if place in STANDALONE_CITIES or place in STATE_NAMES else f"{place}, {state}"


TOWNS_FILE = SEEDS_DIR / "us_towns.csv"


@lru_cache(maxsize=1)
def us_towns() -> dict[str, frozenset[str]]:
    """US place name -> the states that have a place so named (seeds/us_towns.csv: GeoNames places of
    5,000 people or more, written by tools/us_towns.py, which says what it leaves out)."""
    lines = [ln for ln in TOWNS_FILE.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    states: dict[str, set[str]] = defaultdict(set)
    for name, state in csv.reader(lines[1:]):
        states[name].add(state)
    return {name: frozenset(s) for name, s in states.items()}


def towns(raws: Sequence[Raw], where: Jurisdiction | None = None) -> list[Raw]:
    """A place of a story about one US state (:func:`_state_of`) that the state has (:func:`us_towns`)
    and that the text writes bare is that state's, as encyclopedias title it: "Salina" of a Kansas
    story is "Salina, Kansas", "Sioux Falls" of a South Dakota one "Sioux Falls, South Dakota" (the
    cities named alone stay themselves: :func:`in_state`). Only what NER read as a place: "Ithaca" is
    no person's name here."""
    state = (jurisdiction_of(raws) if where is None else where).state
    if state is None:
        return list(raws)
    places = us_towns()
    return [(in_state(text, state), label, offset) if label == "GPE" and state in places.get(text, ())
            else (text, label, offset) for text, label, offset in raws]


def known_place(name: str) -> bool:
    """A place this module knows by name: a country (CLDR), a US state, a US city named alone or a
    US town of :func:`us_towns`."""
    return name in _countries()[0] or name in FULL_STATE_NAMES or name in STANDALONE_CITIES or name in us_towns()


# Words after which a company's short form is its name ("Fortress Investment Group", "Alden Capital",
# "Emirates Airline"); never a masthead's ("Jerusalem Post", "Straits Times": a place's newspaper).
CORPORATE_WORDS = frozenset({"inc", "inc.", "corp", "corp.", "corporation", "ltd", "ltd.", "llc", "plc", "co", "co.",
                             "company", "group", "holdings", "capital", "partners", "ventures", "investment",
                             "investments", "global", "international", "airline", "airlines", "airways",
                             "securities", "financial", "technologies", "systems", "industries", "enterprises"})


def companies_read_as_places(raws: Sequence[Raw]) -> list[Raw]:
    """A one-word name NER read as a place that no place of :func:`known_place` bears, where the
    article also writes it as the start of a company's name that only adds corporate words
    (:data:`CORPORATE_WORDS`): the company's short form, an ORG at every mention ("Fortress" beside
    "Fortress Investment Group", "Alden" beside "Alden Capital"; never "Chicago" beside "Chicago
    Group", nor a word of a longer place of the article: "Emirates" of "United Arab Emirates")."""
    firsts = {text.split()[0] for text, label, _ in raws if label == "ORG" and len(text.split()) > 1
              and all(w.lower().strip(",") in CORPORATE_WORDS for w in text.split()[1:])}
    in_places = {w for text, label, _ in raws if label in ("GPE", "LOC") and " " in text for w in text.split()}
    short = {text for text, label, _ in raws if label in ("GPE", "LOC") and text in firsts and not known_place(text)
             and text not in in_places}
    return [(t, "ORG" if t in short else label, o) for t, label, o in raws]


def countries_read_otherwise(raws: Sequence[Raw]) -> list[Raw]:
    """A one-word country's name (CLDR's; not one that is also a US state) that NER read as a
    person, a product or an organization is the country, unless a person the article names bears it
    ("Madagascar", "Gibraltar"; never "Jordan" beside "Michael Jordan")."""
    names = _countries()[0]
    people = {w for text, label, _ in raws if label == "PERSON" and " " in text for w in text.split()}
    return [(t, "GPE" if label in ("PERSON", "PRODUCT", "ORG") and " " not in t and t in names
             and t not in people and t not in AMBIGUOUS_PLACES and t not in FULL_STATE_NAMES else label, o)
            for t, label, o in raws]


US_NAMES = frozenset({"U.S.", "US", "USA", "U.S.A.", "United States", "United States of America"})


def america(raws: Sequence[Raw]) -> list[Raw]:
    """"America" (a place) of an article that also names the United States by one of its names is
    the country, not the continents: "America" alone is left as written (etl seeds: the Americas in
    Latin-American copy), but beside "the U.S." it is the same country written two ways."""
    if not any(label == "GPE" and LEADING_THE.sub("", text) in US_NAMES for text, label, _ in raws):
        return list(raws)
    return [(US if label == "GPE" and LEADING_THE.sub("", text) == "America" else text, label, offset)
            for text, label, offset in raws]


# "the 2020 election", "the 2016 presidential race", "the 2024 campaign": a US presidential year's
# election, which the model reads as a date and a common noun.
ELECTION = re.compile(r"\b((?:19|20)\d\d) (?:U\.S\. |US )?(?:presidential )?(?:election|race|campaign)\b")


def presidential_elections(full: str, raws: Sequence[Raw], where: Jurisdiction | None = None) -> list[Raw]:
    """A US story's "<year> election" of a presidential year (a multiple of four), written with
    the year, is the event encyclopedias title "<year> United States presidential election" (EVENT)
    in a US story (:func:`_us_story`, as for its federal bodies); a span the model read there is
    kept as it is."""
    if not _us_story((jurisdiction_of(raws) if where is None else where).countries):
        return list(raws)
    taken = [(o, o + len(t)) for t, _, o in raws]
    out = list(raws)
    for m in ELECTION.finditer(full):
        year = int(m.group(1))
        if year % 4 == 0 and not any(a < m.end() and m.start() < b for a, b in taken):
            out.append((f"{year} United States presidential election", "EVENT", m.start()))
    return out

