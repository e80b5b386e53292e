"""Body text cleanup: drop the boilerplate lines every extractor leaves in a news article."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable
from dataclasses import dataclass

WORD = re.compile(r"\w+", re.UNICODE)
LIST_ITEM = re.compile(r"^[-•*·]\s+")
# Sentence-final punctuation, CJK full-width forms included (class: Japanese and Chinese first
# paragraphs ending in "。" were taken for standfirsts and labels, seen on several news sites).
TERMINAL_PUNCT = re.compile(r"[.!?…:;\"'”’»)\]。！？：；」』）]\s*$")
# Scripts written without spaces: their characters are counted as words, two to a word.
UNSPACED_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
UPPER_LETTER = re.compile(r"[A-Z]")

# Furniture lines are short: the line rules below only look at lines of at most this many words.
SHORT_LINE_WORDS = 45
# Promotions run longer ("Get access to ... for as little as ..."): their rule looks this far.
PROMO_LINE_WORDS = 90
# All-capital lines this long are teasers linking elsewhere ("SEAN SPICER ELIMINATED FROM ..."),
# not subheads (wire-style capital subheads are short: "NISSAN SENTRA").
CAPS_TEASER_WORDS = 8
# A table row with a cell of this many words is a layout row (see _layout_cells).
LAYOUT_CELL_MIN_WORDS = 20
SENTENCE_CELL_WORDS = 6
TABLE_CELL_SPLIT = re.compile(r"(?<!\\)\s\|\s")
# How many lines at the top may be headline, standfirst, byline or dateline.
HEAD_LINES = 6
HEAD_LINE_MAX_WORDS = 14

BOILERPLATE_LINE = re.compile(
    r"""^(?:
      advertisements?|advertising|anzeige|werbung|publicidad|publicit[ée]|pubblicit[àa]|reklama|реклама|광고|广告
    | (?:story|article)\s+continues\s+(?:below|after).* | continue\s+reading(?:\s+(?:below|the\s+main\s+story))?
    | scroll\s+(?:down\s+)?to\s+continue.* | skip\s+(?:advert|ad)\b.*
    | share\s+(?:this|on|via)\b.{0,60} | click\s+to\s+(?:share|email|print)\b.* | share|tweet|pin\s+it|e-?mail|print
    | (?:\d+\s+)?comments?|top\s+rated\s+comments|\(view\s+all\)|\[\s*read\s+all\s+comments\s*\]
    | (?:leave|post|add)\s+a\s+comment.* | join\s+the\s+(?:conversation|discussion).*
    | tell\s+us\s+what\s+you\s+think.* | kommentare?|commentaires?|comentarios?|commenti
    | (?:read|see)\s+(?:more|also|next)\b.{0,200}
    | related(?:\s+(?:articles?|stories|posts?|content|coverage|news))?\s*:.*
    | more\s*: | more\s+from\b.{0,80} | you\s+(?:may|might)\s+also\s+(?:like|be\s+interested).*
    | recommended(?:\s+for\s+you)?:? | don'?t\s+miss:?.{0,200} | most\s+(?:popular|read|viewed).{0,40}
    | trending(?:\s+now)?:? | buyer'?s\s+guide\s*:.{0,80}
    | lire\s+aussi.* | [àa]\s+lire\s+(?:aussi|[ée]galement).* | voir\s+aussi.* | leer\s+m[áa]s.*
    | lee\s+tambi[ée]n.* | ver\s+tamb[ié][ée]n.* | leia\s+(?:tamb[ée]m|mais).* | veja\s+tamb[ée]m.*
    | leggi\s+anche.* | \(leggi\s+anche.* | mehr\s+zum\s+thema.* | auch\s+interessant.* | lesen\s+sie\s+(?:auch|mehr).*
    | weiterlesen | filed\s+under\s*:.* | tags?\s*:.* | topics?\s*:.* | categor(?:y|ies)\s*:.* | schlagw[öo]rter\s*:.*
    | (?:credit|last\s+modified|release\s+date)\s*:.{0,40} | view\s+(?:all\s+)?comments
    | (?:das|dieses)\s+thema\s+(?:k[öo]nnte|d[üu]rfte)\s+(?:dich|sie|euch)\s+(?:auch\s+)?interessieren:?
    | schon\s+gelesen\?? | zum\s+weiterlesen:? | weitere\s+artikel(?:\s+zum\s+thema)?:? | (?:auch|mehr)\s+lesen:?
    | [äa]hnliche\s+artikel:? | kommentierte\s+artikel | teilen\s+mit:? | wird\s+geladen\W* | bewerten:?
    | inhaltsverzeichnis | kategorien:? | quellenangaben:? | anzeige\s*[-–—,:|]\s*.{0,120}
    | (?:le|te|les|os)\s+puede\s+interesar\b.{0,160} | (?:notas|noticias|not[íi]cias|articles?)\s+relacionad[oa]s:?
    | temas:? | s[íi]guenos\s+en\b.{0,80} | sur\s+le\s+m[êe]me\s+sujet:? | potrebbe\s+interessarti:?
    | (?:source|quelle|fuente|fonte|bron|źródło)\s*:.{0,60} | (?:image|photo|picture)s?\s*:.{0,80}
    | (?:©|copyright\b)(?:(?!rights\s+reserved).){0,80}
    | (?:reading|read)\s+time\s*:?.{0,20} | \d+\s+min(?:ute)?s?\s+read | tempo\s+de\s+leitura.{0,20} | lesezeit.{0,20}
    | (?:(?:click|tap)\s+here\s+to\s+)?(?:get|download)\s+(?:the|our)\s+[\w\s]{1,30}\bapp\b.*
    | thanks\s+for\s+(?:signing\s+up|subscribing).* | sorry!? | there\s+was\s+an\s+error\s+processing.*
    | keep\s+an\s+eye\s+on\s+your\s+inbox.* | something\s+to\s+consider
    | [\w\s'’]{1,25}:\s*https?://\S+
    | .*무단\s*전재.* | .*版权所有.* | .*著作権.*
    | .*\|\s*\d{1,2}:\d{2}\s*min\.? | \d{1,2}:\d{2}\s*min\.{0,2}(?:\s*verf[üu]gbar\s+bis\b.{0,30})?
    | \d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[\s\d年月日時分秒:：()（）]*(?:更新|配信|公開|掲載)?[\s)）]*
    | (?:.{0,60}[.!?]\s+)?(?:this|esta?|este|la\s+suite|cet(?:te)?|dieser|diese[rs]?)\b.{0,50}
        (?:s[óo]lo\s+para\s+suscriptores|r[ée]serv[ée]e?s?\s+aux\s+abonn[ée]s|nur\s+f[üu]r\s+abonnent(?:en|innen)
        |\b(?:is|are)\s+(?:only\s+|exclusively\s+)?(?:available\s+)?(?:to|for)\s+subscribers\s+only)\b.{0,40}
    | この記事は.{0,12}(?:会員|有料|購読者).{0,30} | おすすめ(?:情報|記事)? | 関連記事 | あわせて読みたい
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Promotions and author contact blurbs: anywhere in a line, these words give it away.
PROMO_LINE = re.compile(
    r"""(?:
      ^subscribe\b | \bsubscribe\s+(?:now|today|here) | \bsubscribe\s+to\s+(?:our|the\s+[\w.'’]+(?:\s+\w+)?\s+
        (?:newsletter|channel|podcast)) | \bsign\s+up\s+(?:for|to)\b.{0,60}\bnewsletter
    | \bnewsletters?\b.{0,80}\b(?:inbox|sign\s+up|subscribe)\b
    | \b(?:inbox|sign\s+up|subscribe)\b.{0,80}\bnewsletters?\b
    | \bnewsletter\b.{0,160}\b(?:postfach|posteingang|hier\s+entlang|jetzt\s+(?:anmelden|abonnieren))
    | right\s+in\s+your\s+inbox | delivered\s+(?:to|through|straight\s+to)\s+your\s+(?:inbox|letterbox)
    | \bfollow\s+(?:us|him|her|them|me)\s+on\s+(?:twitter|facebook|instagram)
    | ^follow\s+[\w\s.]{1,40}\s+on\s+(?:twitter|facebook|instagram|google\s+news|linkedin|youtube|tiktok
        |threads|bluesky)
    | ^sign\s+up\s+for\b
    | \bhave\s+a\s+(?:news\s+)?tip\s*\? | \bmay\s+be\s+reached\s+at\s+\S+@
    | \breach\s+(?:the\s+)?(?:reporters?|writers?|authors?)\s+(?:at|on|via)\b
    | ^(?:e-?mail|contact)\s+[\w\s.]{1,40}\s+at\s+\S+@
    | \bif\s+you\s+enjoyed\s+this\s+article\b | ^listen\s+to\s+\w.{0,40}\blive\b
    | \bas\s+little\s+as\b.{0,40}\bfirst\s+year\b | ^get\s+[\w\s]{1,40}\s+delivered\b
    | ^our\s+standards\s*: | \bdownload\s+(?:the|our)\s+[\w\s]{0,30}\bapps?\b | \bplease\s+subscribe\b
    | \bsign\s+up\s+here\b
    | \bsubscribe\s+to\s+(?:read|view|continue|unlock)\b | \bby\s+signing\s+up\b
    | \bwe\s+use\s+income\s+earning\b | \bif\s+you\s+buy\s+something\s+through\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Every PROMO_LINE / CAPTION_LINE alternative needs one of these (lowercased) in the line.
PROMO_WORDS = ("subscri", "newsletter", "inbox", "deliver", "follow", "tip", "reach", "@", "enjoyed", "listen",
               "as little as", "standards", "income earning", "buy something", "sign up", "download", "signing up")
CAPTION_WORDS = ("photo", "foto", "image", "picture", "bild", "getty", "shutterstock", "istock", "credit")
# Credit lines agencies put under the text: "(Reporting by A; Editing by B)", "X contributed reporting."
CREDIT_LINE = re.compile(
    r"""^\(?\s*(?:
      (?:additional\s+)?reporting\s+by\b | (?:writing|editing|compiled|edited)\s+by\b
    | [\w\s.,'’-]{2,80}\s+contributed\s+(?:to\s+)?(?:this\s+)?(?:report|reporting|story|article)\b
    | source\s*:\s*[\w\s]{2,40}$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Photo captions and credits: "... (AP Photo/Alan Diaz)", "Photo: Meg Kinnard, AP", "... | Getty Images".
CAPTION_LINE = re.compile(
    r"""(?:
      \((?:AP|AFP|Reuters|EPA|Getty|dpa)?\s*(?:photo|foto|image|picture|credit)s?\b[^)]{0,80}\)\s*$
    | ^(?:photo|photograph|image|picture|foto|bild|titelbild|bildquelle|fotoquelle)(?:\s+credit)?\s*:\s*[^.]{0,60}$
    | ^(?:image|photo|bild)\s+(?:illustrative|d'illustration|anzeigen|vergr[öo]ßern)$
    | (?:^|[|/,]\s*)(?:getty\s+images|shutterstock|istock(?:photo)?)\s*\)?\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Link teasers: "Headline of another story [PICTURES]".
TEASER_TAG = re.compile(r"\S.{10,}\s\[(?:[A-Z][A-Z ]{2,20}|Video|Photos?|Pictures|Gallery)\]\s*$")
# WordPress shortcodes a theme failed to render: "[button link=...]Send us ...[/button]".
SHORTCODE = re.compile(r"\[/[a-z_]+\]|\[[a-z_]+\s+[a-z_]+=", re.IGNORECASE)
# Section headers that start a list of links to other stories.
LINK_LIST_HEADER = re.compile(
    r"^(?:related(?:\s+\w+){0,2}|more(?:\s+\w+){0,3}|see\s+also|also\s+read|read\s+more"
    r"|you\s+(?:may|might)\s+also\s+like|recommended(?:\s+\w+){0,2}|don'?t\s+miss|story\s+timeline"
    r"|most\s+(?:popular|read))\s*:?\s*$",
    re.IGNORECASE,
)
# Comment sections: a header after which only reader comments follow.
COMMENTS_HEADER = re.compile(
    r"^(?:\d+\s+)?(?:top\s+rated\s+|reader\s+|latest\s+)?(?:comments?|kommentare?|commentaires?|comentarios?"
    r"|commenti|coment[áa]rios?|reacties)(?:\s*\(\d+\))?\s*:?\s*$",
    re.IGNORECASE,
)
# Lines that only say who wrote it or when: dropped near the top of the body.
BYLINE_LINE = re.compile(
    r"^(?:by|von|par|por|di|door|af|av|przez|от|written\s+by|words\s+by)\s+(?P<name>\S.{0,100})$", re.IGNORECASE
)
# A sentence ends here; "a.m."/"p.m." and initials ("J.") do not end one.
SENTENCE_STOP = re.compile(r"(?<![ap]\.m)(?<!\b[A-Z])[.!?。！？]\s*$")
DATELINE_LINE = re.compile(
    r"""^(?:
      (?:published|updated|posted|last\s+updated|modified|ver[öo]ffentlicht|aktualisiert|publi[ée]|mis\s+[àa]\s+jour
        |publicado|actualizado|pubblicato|aggiornato|atualizado)\b.{0,80}
    | (?:(?:기사\s*)?(?:입력|수정|등록)|发布时间|發佈時間|更新时间|投稿日|公開日|更新日).{0,60}
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


@dataclass(frozen=True)
class PageHints:
    """What the page itself says that helps recognise furniture in its body text (all normalized).

    ``titles``: the headline's forms (<title>, og:title, <h1>); ``description``: the meta
    description; ``standfirst``: the description when the page prints it as a dek above the
    text (a heading or dek/summary block) — kept in the body since issue 11, recorded for the
    doubt signal; ``link_texts``: texts of the page's links; ``link_items``: texts of its list
    items that are mostly one link (a kicker before it).
    """

    titles: tuple[str, ...] = ()
    description: str = ""
    standfirst: str = ""
    link_texts: Container[str] = frozenset()
    link_items: Container[str] = frozenset()

    @classmethod
    def build(
        cls,
        titles: Iterable[str] = (),
        description: str | None = None,
        standfirst: str | None = None,
        link_texts: Container[str] = frozenset(),
        link_items: Container[str] = frozenset(),
    ) -> PageHints:
        norms = tuple(dict.fromkeys(t for t in (normalize(x) for x in titles if x) if t))
        return cls(norms, normalize(description or ""), normalize(standfirst or ""), link_texts, link_items)


def opens_with(text: str, passage: str | None) -> bool:
    """True when one of the first lines of ``text`` is ``passage`` (compared normalized)."""
    wanted = normalize(passage or "")
    if not wanted:
        return False
    return any(normalize(line) == wanted for line in text.split("\n", HEAD_LINES)[:HEAD_LINES])


def word_count(line: str) -> int:
    """Words of a line; in Chinese and Japanese text, every two characters count as one."""
    unspaced = len(UNSPACED_CHAR.findall(line))
    if not unspaced:
        return len(WORD.findall(line))
    return len(WORD.findall(UNSPACED_CHAR.sub(" ", line))) + (unspaced + 1) // 2


_words = word_count


def _is_title(norm: str, titles: Iterable[str]) -> bool:
    """True when a normalized line is the headline (exactly, or the headline cut before the site name)."""
    if not norm:
        return False
    return any(
        norm == title or (len(norm) >= 20 and title.startswith(norm) and len(norm) >= 0.6 * len(title))
        for title in titles
    )


def _shouted_teaser(line: str, words: int) -> bool:
    """An all-capitals line of 8+ words that is no question and no table row: a link to another story."""
    return (
        words >= CAPS_TEASER_WORDS
        and line.isupper()
        and len(UPPER_LETTER.findall(line)) >= 20
        and not line.rstrip().endswith("?")
        and not line.startswith("|")
    )


def _has_any(lowered: str, needles: tuple[str, ...]) -> bool:
    return any(needle in lowered for needle in needles)


def is_boilerplate(line: str, link_texts: Container[str] = frozenset()) -> bool:
    """True for a line that is page furniture: promotion, share prompt, caption, credit, teaser.

    The unanchored patterns only run on lines holding one of the words they need (PROMO_WORDS,
    CAPTION_WORDS, "["): most lines of a body are prose that holds none.
    """
    words = _words(line)
    if words == 0:
        return bool(line.strip())
    bare = LIST_ITEM.sub("", line).strip()
    if bare.startswith("|") and not TABLE_CELL_SPLIT.search(inner := bare.strip("|").strip()):
        bare = inner  # a one-cell table row reads as its cell
    lowered = bare.lower()
    if words <= PROMO_LINE_WORDS and _has_any(lowered, PROMO_WORDS) and PROMO_LINE.search(bare):
        return True
    if words > SHORT_LINE_WORDS:
        return False
    if link_texts and LIST_ITEM.match(line) and normalize(bare) in link_texts:
        return True  # a list item that is one link: a related-stories list
    bracket = "[" in bare
    return bool(
        _shouted_teaser(bare, words)
        or BOILERPLATE_LINE.match(bare)
        or CREDIT_LINE.match(bare)
        or (_has_any(lowered, CAPTION_WORDS) and CAPTION_LINE.search(bare))
        or (bracket and (TEASER_TAG.search(bare) or SHORTCODE.search(bare)))
    )


def _drop_head(lines: list[str], hints: PageHints) -> list[str]:
    """Drop the headline, an unpunctuated description under it, bylines and datelines at the top."""
    i = 0
    title_seen = False
    while i < len(lines) and i < HEAD_LINES:
        line = lines[i]
        norm = normalize(line)
        if _is_title(norm, hints.titles):
            title_seen = True
        elif (
            title_seen
            and norm
            and norm == hints.description
            and not TERMINAL_PUNCT.search(line)
            and i + 1 < len(lines)
        ):
            pass  # a dek under the headline: the description, not a sentence of the text
        elif _byline_or_dateline(line):
            pass
        elif i + 1 < len(lines) and LIST_ITEM.match(line) and norm in hints.link_texts:
            pass  # a link to another story above the text
        elif _head_label(lines, i, hints):
            pass
        else:
            break
        i += 1
    return lines[i:]


def _head_label(lines: list[str], i: int, hints: PageHints) -> bool:
    """A 1-3 word line at the top followed by more head furniture (a section label, "Top news")."""
    line = lines[i]
    if i + 1 >= len(lines) or _words(line) > 3 or TERMINAL_PUNCT.search(line):
        return False
    following = lines[i + 1]
    norm = normalize(following)
    return bool(
        (LIST_ITEM.match(following) and norm in hints.link_texts)
        or _is_title(norm, hints.titles)
        or _byline_or_dateline(following)
    )


def _byline_or_dateline(line: str) -> bool:
    """A short line naming the author ("By Jane Doe") or the time, not a sentence ("By the time ...")."""
    if _words(line) > HEAD_LINE_MAX_WORDS or SENTENCE_STOP.search(line):
        return False
    if match := BYLINE_LINE.match(line):
        return match["name"][:1].isupper()
    return bool(DATELINE_LINE.match(line))


def _layout_cells(line: str) -> list[str]:
    """A table row that holds prose is a layout table (the page's columns, not data): one line per cell.

    Class: table-based page layouts, where the article, navigation and teasers of other stories
    come out of the extractors as one long "| ... | ... |" row (old CMS and club/association
    sites, archived pages). Data tables (short cells) stay rows.
    """
    if not line.startswith("|") or len(line) < LAYOUT_CELL_MIN_WORDS * 4:
        return [line]
    cells = [c.strip().replace("\\|", "|") for c in TABLE_CELL_SPLIT.split(line.strip("| "))]
    if not any(_words(c) >= LAYOUT_CELL_MIN_WORDS for c in cells):
        return [line]
    return [c for c in cells if c and (_words(c) >= SENTENCE_CELL_WORDS and TERMINAL_PUNCT.search(c)
                                       or _words(c) >= LAYOUT_CELL_MIN_WORDS)]


def _drop_link_lists(lines: list[str]) -> list[str]:
    """Drop "Related:" headers with the list items under them, and comment sections at the end."""
    out: list[str] = []
    skipping = False
    for index, line in enumerate(lines):
        if COMMENTS_HEADER.match(line) and index >= len(lines) // 2:
            break
        if LINK_LIST_HEADER.match(line):
            skipping = True
            continue
        if skipping and (LIST_ITEM.match(line) or (_words(line) <= 15 and not TERMINAL_PUNCT.search(line))):
            continue
        skipping = False
        out.append(line)
    return out


def clean_body(text: str, hints: PageHints | None = None) -> str:
    """The body without headline, standfirst, bylines, promotions, share prompts, captions, link lists, credits."""
    hints = hints or PageHints()
    lines = [part for line in text.split("\n") for part in _layout_cells(line.strip())]
    lines = _drop_head([line for line in lines if line], hints)
    lines = _drop_link_lists(lines)
    kept: list[str] = []
    previous = ""
    for line in lines:
        if is_boilerplate(line, hints.link_texts):
            continue
        norm = normalize(line)
        if norm and norm == previous:
            continue
        kept.append(line)
        previous = norm
    return "\n".join(_drop_link_items(kept, hints.link_items))


# Link items are dropped only while they hold at most this share of the body's words: a post that
# is a list of links (a blog's link roundup) keeps them.
LINK_ITEMS_MAX_SHARE = 0.5


def _drop_link_items(lines: list[str], link_items: Container[str]) -> list[str]:
    """Drop list items that are mostly a link to another story (see extractors.link_items).

    Class: related-story lists set between the paragraphs, each item a kicker and a linked headline
    ("- Interview: Headline"), on news sites in several countries (the items are no link's text, so
    the link-text rule of :func:`is_boilerplate` misses them).
    """
    marked = [bool(LIST_ITEM.match(line)) and normalize(LIST_ITEM.sub("", line)) in link_items for line in lines]
    if not any(marked):
        return lines
    dropped = sum(_words(line) for line, m in zip(lines, marked, strict=True) if m)
    if dropped > LINK_ITEMS_MAX_SHARE * sum(_words(line) for line in lines):
        return lines
    return [line for line, m in zip(lines, marked, strict=True) if not m]
