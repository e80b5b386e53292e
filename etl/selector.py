"""Choose the body text among extractor candidates by agreement, line by line when they differ."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from etl.textclean import LIST_ITEM, WORD, normalize

# Candidates covering each other this much (4-gram shingles, both ways) count as the same text.
AGREEMENT = 0.98
# A line is backed by another candidate when this share of its shingles appears there.
LINE_SUPPORT = 0.5
# The meta description counts as found in a text when this share of its shingles is there.
DESCRIPTION_FOUND = 0.5
DESCRIPTION_MIN_WORDS = 10
# A vote that keeps less than this share of the precise candidate threw away the article.
PRECISE_KEPT = 0.8
# Unbacked lines survive the vote when they read like prose: this many words, ending a sentence.
SENTENCE_MIN_WORDS = 6
SENTENCE_END = re.compile(r"[.!?…\"'”’»)]\s*$")


def shingle_set(text: str, n: int = 4) -> frozenset[tuple[str, ...]]:
    """Word n-grams of a text, lowercased (the unit the extractors are compared on)."""
    words = WORD.findall(text.lower())
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def coverage(part: frozenset[tuple[str, ...]], whole: frozenset[tuple[str, ...]]) -> float:
    """Share of ``part``'s shingles found in ``whole`` (1.0 for an empty part)."""
    if not part:
        return 1.0
    return len(part & whole) / len(part)


@dataclass(frozen=True)
class Choice:
    """The chosen body and how it was reached (for the extractor column and diagnostics)."""

    text: str
    method: str


class _Text:
    """A candidate with its shingles and normalized words computed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.shingles = shingle_set(text)
        self.norm = normalize(text)

    def backs(self, line: str) -> bool:
        words = WORD.findall(line.lower())
        if len(words) < 4:
            return " ".join(words) in self.norm
        return coverage(shingle_set(line), self.shingles) >= LINE_SUPPORT


def _reads_like_prose(line: str) -> bool:
    return not LIST_ITEM.match(line) and len(WORD.findall(line)) >= SENTENCE_MIN_WORDS and bool(
        SENTENCE_END.search(line)
    )


def vote(base: str, others: list[str]) -> str:
    """Lines of ``base`` that another candidate also has, or that read like prose on their own."""
    backers = [_Text(o) for o in others if o]
    kept = [
        line
        for line in base.split("\n")
        if line.strip() and (_reads_like_prose(line) or any(b.backs(line) for b in backers))
    ]
    return "\n".join(kept)


def choose_body(precise: str, balanced: str, second_opinion: Callable[[], str], description: str | None) -> Choice:
    """Pick the body from trafilatura's precision and balanced texts, asking readability only on doubt.

    Doubt means the two trafilatura modes disagree, or neither contains the page's own summary
    (a sign both took the wrong block). Then lines are kept when two extractors agree on them.
    """
    p, b = _Text(precise), _Text(balanced)
    desc = shingle_set(description or "") if len(WORD.findall(description or "")) >= DESCRIPTION_MIN_WORDS else None
    desc_missing = desc is not None and max(coverage(desc, p.shingles), coverage(desc, b.shingles)) < DESCRIPTION_FOUND
    agree = coverage(p.shingles, b.shingles) >= AGREEMENT and coverage(b.shingles, p.shingles) >= AGREEMENT
    if agree and not desc_missing and balanced:
        return Choice(balanced, "trafilatura")
    other = _Text(second_opinion())
    if desc_missing and desc is not None and coverage(desc, other.shingles) >= DESCRIPTION_FOUND and other.text:
        voted = vote(other.text, [balanced, precise])
        return Choice(voted or other.text, "readability+vote")
    if not balanced.strip():
        base, rest = (other.text, [precise]) if len(other.text) > len(precise) else (precise, [other.text])
    else:
        base, rest = balanced, [precise, other.text]
    voted = vote(base, rest)
    if precise and len(precise) > 500 and coverage(p.shingles, shingle_set(voted)) < PRECISE_KEPT:
        return Choice(precise, "trafilatura-precision")
    return Choice(voted or base, "vote")
