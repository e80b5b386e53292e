"""Entities stage: spaCy NER per language over each article's segments, normalized inside each article.

* ``text``: what NER reads (title and headings apart, boilerplate out, lines never crossed, capitals
  normalised);
* ``ner``: the model per language, the pool, ``extract_entities``;
* ``mentions``: cleaning, junk, type fixes and the merge of one article's mentions into entities;
* ``salience``: each entity's share of its article;
* ``resolve``: resolution across articles from evidence (pure; the warehouse runs it as its own step,
  etl/pipeline/resolve.py).
"""

from etl.entities.mentions import ENTITY_TYPES, clean_mention, is_junk, normalize_mentions, relabel
from etl.entities.ner import (
    KNOWN_MODELS,
    NerModelMissing,
    extract_entities,
    extract_evidence,
    language_models,
    load_model,
    raw_entities,
    shutdown_pool,
)

__all__ = ["ENTITY_TYPES", "KNOWN_MODELS", "NerModelMissing", "clean_mention", "extract_entities", "extract_evidence",
           "is_junk",
           "language_models", "load_model", "normalize_mentions", "raw_entities", "relabel", "shutdown_pool"]
