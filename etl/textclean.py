"""Body text cleanup: drop the boilerplate lines every extractor leaves in a news article."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

WORD = re.compile(r"\w+", re.UNICODE)
LIST_ITEM = re.compile(r"^[-•*·]\s+")
TERMINAL_PUNCT = re.compile(r"[.!?…:;\"'”’»)\]]\s*$")

# Whole lines that are page furniture, not prose (matched on lines of at most SHORT_LINE_WORDS words).
SHORT_LINE_WORDS = 45
PROMO_LINE_WORDS = 90
# All-capital lines this long are teasers linking elsewhere ("SEAN SPICER ELIMINATED FROM ..."), not subheads.
CAPS_TEASER_WORDS = 8
UPPER_LETTER = re.compile(r"[A-Z]")
BOILERPLATE_LINE = re.compile(
    r"""^(?:
      advertisements?|advertising|anzeige|werbung|publicidad|publicit[ée]|pubblicit[àa]|reklama|реклама
    | (?:story|article)\s+continues\s+(?:below|after).* | continue\s+reading(?:\s+(?:below|the\s+main\s+story))?
    | scroll\s+(?:down\s+)?to\s+continue.* | skip\s+(?:advert|ad)\b.*
    | share\s+(?:this|on|via)\b.{0,60} | click\s+to\s+(?:share|email|print)\b.* | share|tweet|pin\s+it|e-?mail|print
    | (?:\d+\s+)?comments?|top\s+rated\s+comments|\(view\s+all\)|\[\s*read\s+all\s+comments\s*\]
    | (?:leave|post|add)\s+a\s+comment.* | join\s+the\s+(?:conversation|discussion).* | tell\s+us\s+what\s+you\s+think.*
    | kommentare?|commentaires?|comentarios?|commenti
    | (?:read|see)\s+(?:more|also|next)\b.{0,200} | related(?:\s+(?:articles?|stories|posts?|content|coverage|news))?\s*:.*
    | more\s*: | more\s+from\b.{0,80} | you\s+(?:may|might)\s+also\s+(?:like|be\s+interested).* | recommended(?:\s+for\s+you)?:?
    | don'?t\s+miss:?.{0,200} | most\s+(?:popular|read|viewed).{0,40} | trending(?:\s+now)?:?
    | lire\s+aussi.* | [àa]\s+lire\s+(?:aussi|[ée]galement).* | voir\s+aussi.* | leer\s+m[áa]s.* | lee\s+tambi[ée]n.*
    | ver\s+tamb[ié][ée]n.* | leia\s+(?:tamb[ée]m|mais).* | veja\s+tamb[ée]m.* | leggi\s+anche.* | \(leggi\s+anche.*
    | mehr\s+zum\s+thema.* | auch\s+interessant.* | lesen\s+sie\s+(?:auch|mehr).* | weiterlesen
    | filed\s+under\s*:.* | tags?\s*:.* | topics?\s*:.* | categories\s*:.* | schlagw[öo]rter\s*:.*
    | source\s*:.{0,60} | (?:image|photo|picture)s?\s*:.{0,80}
    | (?:reading|read)\s+time\s*:?.{0,20} | \d+\s+min(?:ute)?s?\s+read | tempo\s+de\s+leitura.{0,20} | lesezeit.{0,20}
    | (?:(?:click|tap)\s+here\s+to\s+)?(?:get|download)\s+(?:the|our)\s+[\w\s]{1,30}\bapp\b.*
    | thanks\s+for\s+(?:signing\s+up|subscribing).* | sorry!? | there\s+was\s+an\s+error\s+processing.*
    | keep\s+an\s+eye\s+on\s+your\s+inbox.* | something\s+to\s+consider
    | [\w\s'’]{1,25}:\s*https?://\S+
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

# Promotions and author contact blurbs: anywhere in a short line, these words give it away.
PROMO_LINE = re.compile(
    r"""(?:
      \bsubscribe\s+(?:to|now|today|for)\b | \bsign\s+up\s+(?:for|to)\b.{0,60}\bnewsletter
    | \bnewsletters?\b.{0,80}\b(?:inbox|sign\s+up|subscribe)\b | \b(?:inbox|sign\s+up|subscribe)\b.{0,80}\bnewsletters?\b
    | right\s+in\s+your\s+inbox | delivered\s+(?:to|through|straight\s+to)\s+your\s+(?:inbox|letterbox|door)
    | \bfollow\s+(?:us|him|her|them|me)\s+on\s+(?:twitter|facebook|instagram) | ^follow\s+[\w\s.]{1,40}\s+on\s+(?:twitter|facebook|instagram)
    | \bhave\s+a\s+(?:news\s+)?tip\b | \bmay\s+be\s+reached\s+at\b | \breach\s+(?:the\s+)?(?:reporters?|writers?|authors?)\b
    | ^(?:e-?mail|contact)\s+[\w\s.]{1,40}\s+at\s+\S+@ | \bif\s+you\s+enjoyed\s+this\s+article\b | ^listen\s+to\s+\w.{0,40}\blive\b
    | \bas\s+little\s+as\b.{0,40}\bfirst\s+year\b | ^get\s+[\w\s]{1,40}\s+delivered\b
    | ^our\s+standards\s*: | \bwe\s+use\s+income\s+earning\b | \bmay\s+(?:get|earn)\s+a\s+(?:share|commission)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Credit lines agencies put under the text: "(Reporting by A; Editing by B)", "X contributed reporting."
CREDIT_LINE = re.compile(
    r"""^\(?\s*(?:
      (?:additional\s+)?reporting\s+by\b | (?:writing|editing|compiled|edited)\s+by\b
    | [\w\s.,'’-]{2,80}\s+contributed\s+(?:to\s+)?(?:this\s+)?(?:report|reporting|story|article)\b
    | source\s*:\s*[\w\s]{2,40}$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Link teasers: "Headline of another story [PICTURES]".
TEASER_TAG = re.compile(r"\S.{10,}\s\[(?:[A-Z][A-Z ]{2,20}|Video|Photos?|Pictures|Gallery)\]\s*$")
# Section headers that start a list of links to other stories.
LINK_LIST_HEADER = re.compile(
    r"^(?:related(?:\s+\w+){0,2}|more(?:\s+\w+){0,3}|see\s+also|also\s+read|read\s+more|you\s+(?:may|might)\s+also\s+like"
    r"|recommended(?:\s+\w+){0,2}|don'?t\s+miss|story\s+timeline|most\s+(?:popular|read))\s*:?\s*$",
    re.IGNORECASE,
)
# Comment sections: a header after which only reader comments follow.
COMMENTS_HEADER = re.compile(
    r"^(?:\d+\s+)?(?:top\s+rated\s+|reader\s+|latest\s+)?(?:comments?|kommentare?|commentaires?|comentarios?|commenti"
    r"|coment[áa]rios?|reacties)(?:\s*\(\d+\))?\s*:?\s*$",
    re.IGNORECASE,
)
# Lines that only say who wrote it or when: dropped near the top of the body.
BYLINE_LINE = re.compile(
    r"^(?:by|von|par|por|di|door|af|av|przez|от|written\s+by|words\s+by)\s+\S.{0,100}$", re.IGNORECASE
)
DATELINE_LINE = re.compile(
    r"""^(?:
      (?:published|updated|posted|last\s+updated|modified|ver[öo]ffentlicht|aktualisiert|publi[ée]|mis\s+[àa]\s+jour
        |publicado|actualizado|pubblicato|aggiornato|atualizado)\b.{0,80}
    | (?:\w+\s+)?\d{1,2}(?:st|nd|rd|th)?[\s./-]+\w+[\s./,-]+\d{2,4}\b.{0,60}
    | \w+\.?\s+\d{1,2},?\s+\d{4}\b.{0,60}
    | \d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b.{0,40}
    | \d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?.{0,40}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


def normalize(text: str) -> str:
    """Lowercased words only: how lines are compared with titles and descriptions."""
    return " ".join(WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def _words(line: str) -> int:
    return len(WORD.findall(line))


def _is_title(line: str, titles: Iterable[str]) -> bool:
    """True when a line is the headline (exactly, or the headline without the site suffix)."""
    norm = normalize(line)
    if not norm:
        return False
    for title in titles:
        if norm == title or (len(norm) >= 20 and title.startswith(norm) and len(norm) >= 0.6 * len(title)):
            return True
    return False


def _shouted_teaser(line: str, words: int) -> bool:
    """An all-capitals line of 8+ words that is no question and no table row: a link to another story."""
    return (
        words >= CAPS_TEASER_WORDS
        and line.isupper()
        and len(UPPER_LETTER.findall(line)) >= 20
        and not line.rstrip().endswith("?")
        and not line.startswith("|")
    )


def _is_boilerplate(line: str, link_texts: frozenset[str] = frozenset()) -> bool:
    words = _words(line)
    if words == 0:
        return bool(line.strip())
    bare = LIST_ITEM.sub("", line).strip()
    if words <= PROMO_LINE_WORDS and PROMO_LINE.search(bare):
        return True
    if words > SHORT_LINE_WORDS:
        return False
    if link_texts and LIST_ITEM.match(line) and normalize(bare) in link_texts:
        return True  # a list item that is one link: a related-stories list
    if _shouted_teaser(bare, words):
        return True
    return bool(
        BOILERPLATE_LINE.match(bare) or CREDIT_LINE.match(bare) or TEASER_TAG.search(bare)
    )


def _drop_head(lines: list[str], titles: list[str], description: str) -> list[str]:
    """Drop the headline, a standfirst that only repeats the description, bylines and datelines at the top."""
    i = 0
    title_seen = False
    while i < len(lines) and i < 6:
        line = lines[i]
        if _is_title(line, titles):
            title_seen = True
        elif (
            title_seen
            and description
            and normalize(line) == description
            and not TERMINAL_PUNCT.search(line)
            and i + 1 < len(lines)
        ):
            pass  # a dek: the description repeated under the headline, not a sentence of the text
        elif _words(line) <= 14 and (BYLINE_LINE.match(line) or DATELINE_LINE.match(line)):
            pass
        else:
            break
        i += 1
    return lines[i:]


def _drop_link_lists(lines: list[str]) -> list[str]:
    """Drop "Related:" headers with the list items under them, and comment sections at the end."""
    out: list[str] = []
    skipping = False
    for index, line in enumerate(lines):
        bare = line.strip()
        if COMMENTS_HEADER.match(bare) and index >= len(lines) // 2:
            break
        if LINK_LIST_HEADER.match(bare):
            skipping = True
            continue
        if skipping and (LIST_ITEM.match(bare) or (_words(bare) <= 15 and not TERMINAL_PUNCT.search(bare))):
            continue
        skipping = False
        out.append(line)
    return out


def clean_body(
    text: str,
    titles: Iterable[str] = (),
    description: str | None = None,
    link_texts: frozenset[str] = frozenset(),
) -> str:
    """The body without headline, standfirst copy, bylines, promos, share prompts, link lists and credits.

    ``titles`` are the page's headline variants (<title>, og:title, <h1>), ``description`` its meta
    description, ``link_texts`` the normalized texts of its links (see :func:`normalize`).
    """
    title_norms = [t for t in (normalize(t) for t in titles if t) if t]
    desc_norm = normalize(description or "")
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    lines = _drop_head(lines, title_norms, desc_norm)
    lines = _drop_link_lists(lines)
    kept: list[str] = []
    for line in lines:
        if _is_boilerplate(line, link_texts):
            continue
        if kept and normalize(kept[-1]) == normalize(line):
            continue
        kept.append(line)
    return "\n".join(kept)
