"""What NER reads: an article cut into the segments that may hold names, and the lines that may not.

Pure functions of one article's title and body (no model). The body is read line by line, so no
entity span can cross a line break or a list bullet:

* a bullet or list number opening a line is cut off (its offset kept);
* boilerplate lines are left out whole: copyright lines, photo credits and captions credits, and
  related-story teasers ("Read more: ...", "RELATED: ...", "Sign up for ...");
* photo credits inside a line ("(AP Photo/Evan Vucci)", "(Getty Images)") are blanked out;
* a heading line (short, most of its words capitalised, no sentence inside) is not read by NER:
  like the title, it only gets the mentions of names the body's sentences hold
  (:func:`find_known`), so headline words do not become names;
* ALL-CAPS runs (datelines "WASHINGTON (AP) —", section heads, names in capitals) are written in
  title case, letter for letter, so "WASHINGTON" is read and counted as "Washington"; a lone
  all-caps word of five letters or fewer is left as it is (NASA, NATO, FIFA).

Offsets stay those of the original text: every change keeps the length of what it changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

BULLET = re.compile(r"^[ \t]*(?:[•·▪►▸‣◦●○■□✓✔➤→*+]|[-–—](?=\s)|\d{1,2}[.)](?=\s))[ \t]*")
COPYRIGHT = re.compile(r"©|\(c\)\s*(?:19|20)\d\d|\bcopyright\b|\ball rights reserved\b", re.IGNORECASE)
PHOTO_LINE = re.compile(
    r"^[\s(\[]*(?:(?:file\s+)?photos?|photograph(?:s|er)?|images?|pictures?|video|graphic|illustration|credits?"
    r"|caption|source)\s*(?:by\b|credit\b|courtesy\b|:|/|\|)", re.IGNORECASE)
# a credit in brackets: "(AP Photo/Evan Vucci)", "[Getty Images]", "(Photo: Jane Doe)", "(Reuters/File)"
PHOTO_CREDIT = re.compile(
    r"[(\[][^()\[\]\n]{0,60}?\b(?:photos?|photograph|images?|pictures?|illustration|file|courtesy|"
    r"getty|shutterstock|istock|afp|epa)\b[^()\[\]\n]{0,60}[)\]]", re.IGNORECASE)
TEASER = re.compile(
    r"^[\s\W]*(?:read\s+(?:more|also|next|the\s+full)|also\s+read|more\s+from|related(?:\s+\w+)?\s*[:|]|see\s+also"
    r"|recommended(?:\s+\w+)?\s*[:|]|trending(?:\s+\w+)?\s*[:|]|more\s*:|click\s+here|sign\s+up|subscribe\b"
    r"|follow\s+(?:us|@)|share\s+this|advertisement\b|sponsored\b|get\s+the\s+latest|download\s+the)",
    re.IGNORECASE)
WORD = re.compile(r"[^\W\d_][\w'’.&-]*")
SMALL_WORDS = frozenset({
    "a", "an", "the", "and", "or", "nor", "but", "of", "in", "on", "at", "to", "for", "by", "with", "from", "as",
    "vs", "vs.", "via", "into", "over", "up", "out", "off", "is", "be", "are", "its", "it's", "his", "her", "than",
})
CAPS_TOKEN = re.compile(r"\b[A-Z][A-Z'’&-]*[A-Z]\b")
CAPS_RUN = re.compile(r"\b[A-Z][A-Z'’&.-]*[A-Z]\b(?:[ ,]+\b[A-Z][A-Z'’&.-]*[A-Z]\b)+")
# "WASHINGTON (AP) —", "LONDON, Feb 12 (Reuters) -", "SAN FRANCISCO —": a dateline opening a line
DATELINE = re.compile(r"^((?:[A-Z][A-Z.'’-]+[ ,]+){0,3}[A-Z][A-Z.'’-]+)(?=\s*(?:,|\(|—|–|-\s|:))")
LONE_CAPS_MIN = 6  # a lone all-caps word this long is a shouted word, not an acronym
HEADING_MAX_WORDS = 14
# The lead: the body's first paragraphs (lines NER reads). Two, not one: news copy often sets the
# opening sentence and the one completing it as paragraphs of their own.
LEAD_PARAGRAPHS = 2


@dataclass(frozen=True)
class Segment:
    """A piece of the article NER reads: its text and the offset of its first character."""

    offset: int
    text: str


@dataclass
class Prepared:
    """One article as the entity stage reads it (offsets into ``title + "\\n\\n" + body``)."""

    title: str
    title_len: int  # characters of the title prefix, blank line included (0 without a title)
    text_len: int
    lead_end: int = 0  # end of the lead (the body's first LEAD_PARAGRAPHS segments); title_len without one
    segments: list[Segment] = field(default_factory=list)  # read by NER
    headings: list[Segment] = field(default_factory=list)  # title and heading lines: known names only
    skipped: int = 0  # boilerplate lines left out

    @cached_property
    def body(self) -> str:
        """The segments NER reads, one per line: the text the article-wide rules search (read after
        :func:`prepare` has built the segments, which nothing changes afterwards)."""
        return "\n".join(segment.text for segment in self.segments)


def _title_case_word(word: str) -> str:
    if "." in word:  # U.S., D.C.: initialisms stay
        return word
    changed = word[0] + word[1:].lower()
    return changed if len(changed) == len(word) else word


def _title_case(match: re.Match[str]) -> str:
    return CAPS_TOKEN.sub(lambda m: _title_case_word(m.group(0)), match.group(0))


def normalise_caps(line: str) -> str:
    """ALL-CAPS runs and datelines in title case, and lone shouted words; same length as ``line``."""
    line = DATELINE.sub(_title_case, line, count=1)
    line = CAPS_RUN.sub(_title_case, line)
    return CAPS_TOKEN.sub(lambda m: _title_case_word(m.group(0)) if len(m.group(0)) >= LONE_CAPS_MIN else m.group(0),
                          line)


def is_heading(line: str) -> bool:
    """A short line set like a headline: at least two words, at least 3/4 of the words that are
    not small words capitalised (or the whole line in capitals), no sentence end inside."""
    words = WORD.findall(line)
    if len(words) > HEADING_MAX_WORDS or re.search(r"[.!?]\s+\S", line.strip()):
        return False
    content = [w for w in words if w.lower() not in SMALL_WORDS]
    if not content:
        return False
    if len(content) == 1:
        return len(words) == 1 and not line.rstrip().endswith((".", "!", "?", '"', "”"))
    capitalised = sum(1 for w in content if w[0].isupper())
    return capitalised / len(content) >= 0.75


def is_boilerplate(line: str) -> bool:
    """Copyright lines, photo credit lines and related-story teasers."""
    return bool(COPYRIGHT.search(line) or PHOTO_LINE.match(line) or TEASER.match(line))


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def prepare(title: str | None, body: str, max_chars: int) -> Prepared:
    """Cut an article into NER segments and heading lines (see the module docstring)."""
    title = (title or "").strip()
    prefix = title + "\n\n" if title else ""
    body = body[: max(0, max_chars - len(prefix))]
    out = Prepared(title=title, title_len=len(prefix), text_len=len(body))
    if title:
        out.headings.append(Segment(0, title))
    position = len(prefix)
    for raw_line in body.split("\n"):
        start = position
        position += len(raw_line) + 1
        bullet = BULLET.match(raw_line)
        cut = bullet.end() if bullet else 0
        line = raw_line[cut:]
        if not line.strip():
            continue
        if is_boilerplate(line):
            out.skipped += 1
            continue
        line = PHOTO_CREDIT.sub(_blank, line)
        if is_heading(line):
            out.headings.append(Segment(start + cut, line))
            continue
        out.segments.append(Segment(start + cut, normalise_caps(line)))
    lead = out.segments[:LEAD_PARAGRAPHS]
    out.lead_end = lead[-1].offset + len(lead[-1].text) if lead else out.title_len
    return out


def find_known(heading: Segment, names: Iterable[str]) -> list[tuple[str, int]]:
    """(name, offset) of every occurrence in a heading line of one of ``names`` (whole words; in any
    case when the heading is in capitals). Longer names first; occurrences never overlap."""
    text = heading.text
    caps = text.upper() == text
    haystack = text.casefold() if caps else text
    taken: list[tuple[int, int]] = []
    found: list[tuple[str, int]] = []
    for name in sorted(set(names), key=lambda n: (-len(n), n)):
        needle = name.casefold() if caps else name
        if len(needle) < 2 or needle not in haystack:  # the substring test spares a regex per name
            continue
        for m in re.finditer(r"(?<![\w])" + re.escape(needle) + r"(?![\w])", haystack):
            span = (m.start(), m.end())
            if any(a < span[1] and span[0] < b for a, b in taken):
                continue
            taken.append(span)
            found.append((name, heading.offset + m.start()))
    return found
