"""Choose the body text: one extractor when it looks right, agreement between three when in doubt."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from etl.extract.textclean import LIST_ITEM, WORD, normalize, word_count

# A line is backed by another candidate when this share of its shingles appears there.
LINE_SUPPORT = 0.5
# The meta description counts as found in a text when this share of its shingles is there.
DESCRIPTION_FOUND = 0.5
DESCRIPTION_MIN_WORDS = 10
# A vote that keeps less than this share of a substantial precise candidate threw away the article.
PRECISE_KEPT = 0.8
PRECISE_MIN_CHARS = 500
# Unbacked lines survive the vote when they read like prose: this many words, ending a sentence.
SENTENCE_MIN_WORDS = 6
SENTENCE_END = re.compile(r"[.!?…\"'”’»)。！？」』）]\s*$")


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
    return not LIST_ITEM.match(line) and word_count(line) >= SENTENCE_MIN_WORDS and bool(
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


def doubt(balanced: str, description: str | None) -> str | None:
    """Why the balanced trafilatura text needs a second opinion, or None when it looks fine.

    Cheap signals only: nothing extracted; a list in the text (related-story lists are where
    the balanced mode errs); or the page's own summary missing from it (a sign of a wrong block).
    """
    if not balanced.strip():
        return "empty"
    if any(LIST_ITEM.match(line) for line in balanced.split("\n")):
        return "list"
    if _description_missing(description, [shingle_set(balanced)]):
        return "summary-missing"
    return None


def _description_missing(description: str | None, texts: list[frozenset[tuple[str, ...]]]) -> bool:
    if len(WORD.findall(description or "")) < DESCRIPTION_MIN_WORDS:
        return False
    wanted = shingle_set(description or "")
    return max((coverage(wanted, t) for t in texts), default=0.0) < DESCRIPTION_FOUND


def choose_body(
    balanced: str,
    precise: Callable[[], str],
    readable: Callable[[], str],
    description: str | None,
    clean: Callable[[str], str] = lambda text: text,
) -> Choice:
    """The body: trafilatura's balanced text unless in doubt, else lines two extractors agree on.

    ``balanced`` comes cleaned; ``precise`` (trafilatura's precision mode) and ``readable``
    (readability) come raw and are cleaned with ``clean`` only when one becomes the body.
    ``precise`` is only called when :func:`doubt` finds a reason, and ``readable`` only when the
    answer still depends on it: a summary both trafilatura modes missed, nothing balanced, or a
    line neither prose nor backed by the precise text. Doubt stays as frequent; on most doubted
    pages it costs one more extraction.
    """
    if doubt(balanced, description) is None:
        return Choice(balanced, "trafilatura")
    p, b = _Text(precise()), _Text(balanced)
    cache: list[_Text] = []

    def read() -> _Text:
        if not cache:
            cache.append(_Text(readable()))
        return cache[0]

    if _description_missing(description, [p.shingles, b.shingles]):
        other = read()
        if other.text and not _description_missing(description, [other.shingles]):
            # both trafilatura modes missed the block holding the summary; readability found it
            base = clean(other.text)
            if base and not _description_missing(description, [shingle_set(base)]):
                return Choice(vote(base, [b.text, p.text]) or base, "readability+vote")
    if not b.text.strip():
        other = read()
        if len(other.text) > len(p.text):
            base, rest, name = clean(other.text), [p.text], "readability"
        else:
            base, rest, name = clean(p.text), [other.text], "trafilatura-precision"
        if not any(rest):
            return Choice(base, name)
        voted = vote(base, rest)
    else:
        base = b.text
        voted = _vote_lazily(base, p, read)
    if len(p.text) > PRECISE_MIN_CHARS and coverage(p.shingles, shingle_set(voted)) < PRECISE_KEPT:
        # the vote kept too little of the precise text: judged again on its cleaned form
        cleaned = _Text(clean(p.text))
        if len(cleaned.text) > PRECISE_MIN_CHARS and coverage(cleaned.shingles, shingle_set(voted)) < PRECISE_KEPT:
            return Choice(cleaned.text, "trafilatura-precision")
    return Choice(voted or base, "vote")


def _vote_lazily(base: str, precise: _Text, read: Callable[[], _Text]) -> str:
    """:func:`vote` of ``base`` against the precise text and readability, readability asked last."""
    kept = []
    for line in base.split("\n"):
        if not line.strip():
            continue
        if _reads_like_prose(line) or (precise.text and precise.backs(line)):
            kept.append(line)
            continue
        other = read()
        if other.text and other.backs(line):
            kept.append(line)
    return "\n".join(kept)
