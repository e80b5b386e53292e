"""Varied synthetic copies of a page: copy k of a dev page tells "another story" of the same site.

The scale scenario (``bench.e2e --scale``) serves tens of thousands of pages made from the 171 dev
pages. Served as they are, copy k of a page is the same text at another URL, and near-duplicate
detection (MinHash of word 5-grams, ``etl.dedup``) marks every copy a duplicate of the first: the
warehouse then holds 171 distinct stories, whatever N is. :func:`vary_page` rewrites the words of a
copy instead, deterministically (an RNG seeded by the page id and the copy number): each letter
word of the text outside tags (body text, ``<title>``), of the title and description ``<meta>``
tags and of the JSON-LD ``headline``/``description``/``articleBody`` strings is, with probability
:data:`RATE`, replaced by another word of the same page and the same shape (lower case, Capitalized,
UPPER). Markup, scripts, styles, attributes, numbers and entities are kept byte for byte, so the
extractor sees the same page structure (same boilerplate, same lengths, same link density) with
other words; the texts of two copies share few 5-grams (at RATE 0.3 a 5-gram of words survives
in about a third of cases: estimated Jaccard well under ``DUPLICATE_JACCARD``). Copy 0 is the page
itself. Pure: no I/O.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

RATE = 0.3
TITLE_RATE = 0.6  # in <title>, <h1>, title metas and the JSON-LD headline: and at least one word changes
MIN_CHOICES = 8  # fewer words of a shape on the page: words of that shape are kept
# Combining marks and joiners, part of a word (Devanagari vowel signs, Arabic harakat, accents): not in \w.
MARKS = ("\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
         "\u0900-\u0dff\u0e31-\u0e3a\u0e47-\u0e4e\u1ab0-\u1aff\u1dc0-\u1dff\u200c\u200d\u20d0-\u20ff\ufe20-\ufe2f")
# A whole word of letters (and marks): not inside a longer word or a number, an entity (&amp;), a JSON
# escape (\n) or a byte that is not UTF-8 (kept as a lone surrogate by surrogateescape).
WORD = re.compile(rf"(?<![\w{MARKS}&\\\udc80-\udcff])(?:[^\W\d_]|[{MARKS}]){{3,}}(?![\w{MARKS}\udc80-\udcff])")
TITLED = re.compile(r"<(?:title|h1)\b", re.I)  # text after this tag (up to the next tag) is a title
# Kept verbatim: scripts, styles, comments, tags (with their attributes).
MARKUP = re.compile(r"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]*>", re.S | re.I)
LD_JSON = re.compile(r"(<script\b[^>]*application/ld\+json[^>]*>)(.*?)(</script\s*>)", re.S | re.I)
LD_TEXT = re.compile(r'("((?:h|alternativeH)eadline|description|articleBody)"\s*:\s*")((?:[^"\\]|\\.)*)(")')
META_TEXT = re.compile(r"""\b(?:property|name)\s*=\s*["'](?:og:title|twitter:title|title|og:description|"""
                       r"""twitter:description|description)["']""", re.I)
META_CONTENT = re.compile(r"""(\bcontent\s*=\s*)(["'])(.*?)(\2)""", re.S | re.I)


def _shape(word: str) -> str:
    if word.isupper():
        return "upper"
    if word[0].isupper():
        return "capitalized"
    return "lower" if word.islower() else "uncased"  # scripts without case, or MiXed


@dataclass(frozen=True)
class Vocabulary:
    """The words of a page's text, by shape (sorted: the same choices in every process)."""

    by_shape: dict[str, list[str]]

    @classmethod
    def of(cls, html: str) -> Vocabulary:
        words: dict[str, set[str]] = {}
        for segment in MARKUP.split(html):
            for word in WORD.findall(segment):
                words.setdefault(_shape(word), set()).add(word)
        return cls({shape: sorted(ws) for shape, ws in words.items() if len(ws) >= MIN_CHOICES})


def _rewrite(text: str, vocabulary: Vocabulary, rng: random.Random, title: bool = False) -> str:
    """Each word replaced, at RATE (TITLE_RATE), by a word of its shape; a title always changes."""
    rate = TITLE_RATE if title else RATE
    changed = False

    def swap(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        choices = vocabulary.by_shape.get(_shape(word))
        if not choices or rng.random() >= rate:
            return word
        changed = True
        return rng.choice(choices)

    out = WORD.sub(swap, text)
    if title and not changed:
        words = [m for m in WORD.finditer(text) if len(vocabulary.by_shape.get(_shape(m.group(0)), ())) > 1]
        if words:
            m = rng.choice(words)
            other = rng.choice([w for w in vocabulary.by_shape[_shape(m.group(0))] if w != m.group(0)])
            out = text[: m.start()] + other + text[m.end() :]
    return out


def vary_html(html: str, vocabulary: Vocabulary, seed: str) -> str:
    """The page with its words rewritten (deterministic for a seed); markup kept as it is."""
    rng = random.Random(seed)
    out: list[str] = []
    at, title = 0, False
    for tag in MARKUP.finditer(html):
        out.append(_rewrite(html[at : tag.start()], vocabulary, rng, title))
        out.append(_markup(tag.group(0), vocabulary, rng))
        at, title = tag.end(), bool(TITLED.match(tag.group(0)))
    out.append(_rewrite(html[at:], vocabulary, rng, title))
    return "".join(out)


def _markup(tag: str, vocabulary: Vocabulary, rng: random.Random) -> str:
    """A tag, script or comment: only title/description meta contents and JSON-LD texts change."""
    low = tag[:8].lower()
    if low.startswith("<meta") and META_TEXT.search(tag):
        title = "title" in META_TEXT.search(tag).group(0).lower()  # type: ignore[union-attr]
        return META_CONTENT.sub(lambda m: m.group(1) + m.group(2) + _rewrite(m.group(3), vocabulary, rng, title)
                                + m.group(4), tag, count=1)
    if low.startswith("<script"):
        ld = LD_JSON.fullmatch(tag)
        if ld:
            body = LD_TEXT.sub(lambda m: m.group(1) + _rewrite(m.group(3), vocabulary, rng, "eadline" in m.group(2))
                               + m.group(4), ld.group(2))
            return ld.group(1) + body + ld.group(3)
    return tag


def vary_page(page_id: str, body: bytes, copy: int, vocabulary: Vocabulary | None = None) -> bytes:
    """Copy ``copy`` of a page: the page itself for copy 0, else its words rewritten (seeded by id and copy).

    Bytes that are not UTF-8 are carried through unchanged (surrogateescape)."""
    if copy == 0:
        return body
    html = body.decode("utf-8", "surrogateescape")
    vocabulary = vocabulary or Vocabulary.of(html)
    return vary_html(html, vocabulary, f"{page_id}/{copy}").encode("utf-8", "surrogateescape")
