"""Body text candidates from one parsed tree: trafilatura in two modes and readability, plus page hints."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from copy import deepcopy
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement
from trafilatura.readability_lxml import Document as TrafilaturaReadability

from etl.extract.textclean import WORD, normalize

# Embedded posts (tweets, Instagram, TikTok) that sit in the article: people count them as body text,
# but their wrappers carry "social"/"embed"/"tweet" classes that the extractors discard.
SOCIAL_EMBED_XPATH = etree.XPath(
    "//blockquote[contains(@class,'twitter-tweet') or contains(@class,'instagram-media')"
    " or contains(@class,'tiktok-embed')]"
)
# Where pages print a standfirst: subheadings, header blocks, and dek/summary classes.
DEK_XPATH = etree.XPath(
    "//h2 | //h3 | //h4 | //header//p | //header//div[not(*)]"
    " | //*[contains(@class, 'dek') or contains(@class, 'standfirst') or contains(@class, 'subhead')"
    " or contains(@class, 'sub-headline') or contains(@class, 'abstract') or contains(@class, 'summary')"
    " or contains(@class, 'sapo') or contains(@class, 'chapo') or contains(@class, 'teaser-text')]"
)
# Author boxes: the writer's biography, printed with the article but not part of it (class: a
# biography box after the text, "X is the Senior Editor of ...", on tech, news and blog sites).
AUTHOR_BOX = re.compile(
    r"author[-_]?(?:bio|box|info|about|description|details)|about[-_]?(?:the[-_]?)?author|bio[-_]?box", re.I
)
# A link wrapping a heading or a paragraph is a teaser card for another page (related strips).
TEASER_CARD_XPATH = etree.XPath("//a[.//p or .//h1 or .//h2 or .//h3 or .//h4 or .//h5]")
# Fact boxes: a titled box set into the article ("What else is in the King's Speech?", "Weitere
# Informationen"), its own heading over a list or background text (class: fact/info boxes on news
# sites in several countries; people mark the article's paragraphs, not the box).
FACT_BOX = re.compile(r"(?:^|[\s_-])(?:fact|info)[_-]?box(?:$|[\s_-])", re.IGNORECASE)
FACT_BOX_TITLE = etree.XPath(
    "./*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or contains(@class, 'title')"
    " or contains(@class, 'headline') or contains(@class, 'heading')]"
)
# Key-point boxes: a bulleted digest of the article above it ("Kort fortalt", "Summary", "Key
# Points"), in an element whose class or id says so; the list must be most of the box's text.
SUMMARY_BOX = re.compile(r"summary|key-?points|bullet-?points", re.IGNORECASE)
SUMMARY_LISTS = etree.XPath(".//ul[count(li) >= 2] | .//ol[count(li) >= 2]")
SUMMARY_LIST_SHARE = 0.6
# Link items: a list item of at most this many words whose text is mostly link text (this share of
# its characters) is a link to another story, kicker and all ("Archäologie: <a>Headline</a>").
LINK_ITEM_MAX_WORDS = 25
LINK_ITEM_SHARE = 0.6
LINK_ITEM_MAX_CHARS = 40 * LINK_ITEM_MAX_WORDS  # longer raw text cannot be that few words (a cheap first cut)
LINKED_ITEMS_XPATH = etree.XPath("//li[.//a]")
EMBED_WRAPPER = re.compile(r"social|embed|tweet|twitter|instagram|widget", re.IGNORECASE)
SKIPPED_TAGS = frozenset({"script", "style", "noscript"})
BLOCK_TAGS = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "br", "td"})
INLINE_SPACE = re.compile(r"[ \t\u00a0]+")

logging.getLogger("trafilatura").setLevel(logging.ERROR)


def unwrap_social_embeds(tree: HtmlElement) -> int:
    """Lift embedded tweets out of their social/embed wrappers as plain quotes; returns how many."""
    count = 0
    for quote in SOCIAL_EMBED_XPATH(tree):
        for attr in ("class", "id", "data-lang", "data-theme"):
            quote.attrib.pop(attr, None)
        outer = quote
        parent = quote.getparent()
        # climb wrappers that only exist for the embed (their text is the embed's text)
        while (
            parent is not None
            and parent.tag in {"div", "figure", "aside", "section", "span"}
            and EMBED_WRAPPER.search(f"{parent.get('class', '')} {parent.get('id', '')}")
        ):
            outer = parent
            parent = parent.getparent()
        if outer is not quote and parent is not None:
            tail = outer.tail
            parent.replace(outer, quote)
            quote.tail = tail
        # the author line ("— Name (@handle) date") on its own line, as the embed shows it
        for p in quote.findall("p"):
            if p.tail and p.tail.strip():
                p.tail = "\n" + p.tail
        count += 1
    return count


def drop_teaser_cards(tree: HtmlElement) -> int:
    """Remove links that wrap a heading or paragraph (teaser cards of other stories); returns how many."""
    count = 0
    for link in TEASER_CARD_XPATH(tree):
        parent = link.getparent()
        if parent is None:
            continue
        tail = link.tail
        previous = link.getprevious()
        parent.remove(link)
        if tail:
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        count += 1
    return count


def drop_author_boxes(tree: HtmlElement) -> int:
    """Remove author biography boxes; returns how many."""
    count = 0
    found = []
    for node in tree.iter(etree.Element):  # a Python scan: an XPath over every element costs 3x more
        classes = node.get("class")
        if classes and ("author" in (low := classes.lower()) or "bio" in low) and AUTHOR_BOX.search(classes):
            found.append(node)
    for node in found:
        if node.getparent() is not None:
            node.drop_tree()
            count += 1
    return count


def _boxes(tree: HtmlElement, *words: str) -> list[HtmlElement]:
    """The div, section and aside elements whose class or id holds one of ``words`` (lowercase).

    A Python scan: an XPath testing attributes on every element costs several times more.
    """
    found = []
    for node in tree.iter("div", "section", "aside"):
        key = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
        if any(word in key for word in words):
            found.append(node)
    return found


def drop_fact_boxes(tree: HtmlElement) -> int:
    """Remove fact/info boxes that carry their own heading; returns how many.

    A box without a heading (a class like "placeholder-infobox" round a book's details at the end
    of a review) stays: without a title it is no box set apart from the text. Nor is a box that
    holds the headline (<h1>), the article or main element (a layout class, not a box in the text).
    """
    count = 0
    for node in _boxes(tree, "box"):
        if not FACT_BOX.search(node.get("class") or "") or node.getparent() is None:
            continue
        if not FACT_BOX_TITLE(node) or any(node.find(f".//{tag}") is not None for tag in ("h1", "article", "main")):
            continue
        node.drop_tree()
        count += 1
    return count


def flatten_ruby(tree: HtmlElement) -> int:
    """Write ruby annotations as plain text, the way a reader without ruby support sees them; returns how many.

    Class: Japanese (and Chinese) pages that annotate names and hard words with readings
    (<ruby><rb>...</rb><rp>(</rp><rt>...</rt><rp>)</rp></ruby>); the extractors break the line at
    <rb>, cutting a sentence into three. With <rp> the page says how to print it, "base（reading）";
    without, the reading is furigana over the base and goes.
    """
    rubies = list(tree.iter("ruby"))
    for ruby in rubies:
        if ruby.find(".//rp") is None:
            for reading in ruby.findall(".//rt"):
                reading.drop_tree()
    if rubies:
        etree.strip_tags(tree, "ruby", "rb", "rt", "rp", "rtc")
    return len(rubies)


def drop_summary_boxes(tree: HtmlElement) -> int:
    """Remove key-point boxes (a summary/key-points element that is mostly a list); returns how many.

    Class: bulleted digests of the story set above its text ("Kort fortalt", "Summary", "Key
    Points"; news sites in Norway, South Africa and the US): people mark the paragraphs, not the
    digest that repeats them. A summary element that is prose (a dek) stays: only one whose lists
    hold SUMMARY_LIST_SHARE of its text goes.
    """
    count = 0
    for node in _boxes(tree, "summary", "points"):
        if node.getparent() is None or not SUMMARY_BOX.search(f"{node.get('class', '')} {node.get('id', '')}"):
            continue
        lists = SUMMARY_LISTS(node)
        if not lists:
            continue
        total = len(" ".join(node.text_content().split()))
        listed = sum(len(" ".join(lst.text_content().split())) for lst in lists)
        if total and listed >= SUMMARY_LIST_SHARE * total:
            node.drop_tree()
            count += 1
    return count


def trafilatura_text(tree: HtmlElement, url: str | None, mode: str, fast: bool) -> str:
    """Plain text from trafilatura in ``mode`` (precision | balanced | recall); the tree is copied by it."""
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        favor_precision=mode == "precision",
        favor_recall=mode == "recall",
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
    )
    return ((getattr(doc, "text", None) or "") if doc is not None else "").strip()


def html_to_text(node: HtmlElement) -> str:
    """Text of an element with a line break around every block element (iterative: any depth)."""
    parts: list[str] = []
    skipping = 0
    for event, element in etree.iterwalk(node, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in SKIPPED_TAGS:
            skipping += 1 if event == "start" else -1
            if event == "end" and not skipping and element.tail and element is not node:
                parts.append(element.tail)
            continue
        if skipping:
            continue
        if event == "start":
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if element.text and tag:
                parts.append(element.text)
        else:
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if element.tail and element is not node:
                parts.append(element.tail)
    lines = (INLINE_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def link_texts(tree: HtmlElement) -> frozenset[str]:
    """Normalized texts of the page's links: a body line that is one of them is a link to elsewhere."""
    texts = (normalize(" ".join(a.itertext())) for a in tree.iter("a"))
    return frozenset(t for t in texts if len(t) > 3)


def link_items(tree: HtmlElement, url: str | None = None) -> frozenset[str]:
    """Normalized texts of the page's list items that are mostly a link into the site (LINK_ITEM_SHARE).

    Class: lists of related stories whose items put a kicker before the link ("Interview: <a>...")
    or a date after it, on news sites in several countries: the item is not the link's text, but
    nearly all of it is link. Links to other sites do not count (a list of press coverage, "date:
    <a>Article in Le Monde</a>", is the page's content).
    """
    items = set()
    site = _site_of(url)
    for li in LINKED_ITEMS_XPATH(tree):
        raw = li.text_content()
        if len(raw) > LINK_ITEM_MAX_CHARS:
            continue
        total = len("".join(raw.split()))
        anchors = li.iter("a")
        linked = sum(len("".join(a.text_content().split())) for a in anchors if _links_into_site(a.get("href"), site))
        if not total or linked < LINK_ITEM_SHARE * total:
            continue
        text = normalize(raw)
        if text and len(text.split()) <= LINK_ITEM_MAX_WORDS:
            items.add(text)
    return frozenset(items)


# The host of an absolute or scheme-relative link; a scheme with no host (mailto:, javascript:).
HREF_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//([^/:?#\s\\]*)", re.IGNORECASE)
HREF_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _site_of(url: str | None) -> str | None:
    """The host a link must share to be into the site (www. dropped), "" for a URL without one."""
    if url is None:
        return None
    try:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:  # a malformed page URL: every link counts as the site's
        return ""


def _links_into_site(href: str | None, site: str | None) -> bool:
    """True for a link to the page's own site: relative, or to the same host (subdomains allowed).

    Read with a regex, not urljoin: pages hold thousands of links and urllib costs most of the rule.
    """
    href = (href or "").strip()
    if not site:
        return True
    match = HREF_HOST.match(href)
    if match is None:
        return not HREF_SCHEME.match(href)  # relative; mailto:/javascript: link nowhere
    host = match.group(1).lower().removeprefix("www.")
    return bool(host) and (host == site or host.endswith("." + site) or site.endswith("." + host))


class LinkTexts:
    """:func:`link_texts` (or ``compute``), computed on the first lookup (most pages need none)."""

    def __init__(self, tree: HtmlElement, compute: Callable[[HtmlElement], frozenset[str]] = link_texts) -> None:
        self._tree = tree
        self._compute = compute
        self._texts: frozenset[str] | None = None

    def __contains__(self, text: object) -> bool:
        if self._texts is None:
            self._texts = self._compute(self._tree)
        return text in self._texts

    def __bool__(self) -> bool:
        return True


def standfirst(tree: HtmlElement, description: str | None) -> str | None:
    """The description when the page prints it as a dek (a heading, or a dek/summary block in the header).

    A description that is the first paragraph of the text belongs to the body; one printed as a
    standfirst above it does not (that is how people mark article bodies).
    """
    wanted = normalize(description or "")
    if len(wanted) < 20:
        return None
    for node in DEK_XPATH(tree):
        if normalize(" ".join(node.itertext())) == wanted:
            return description
    return None


def readability_text(tree: HtmlElement) -> str:
    """Plain text of readability's main block, on a copy (readability rewrites the tree it reads).

    trafilatura's port of readability-lxml: as good a second opinion in the vote on the dev set,
    and five times faster (no lxml_html_clean pass, no link rewriting).
    """
    try:
        summary = TrafilaturaReadability(deepcopy(tree), min_text_length=25).summary()
    except Exception:  # the port raises bare Exceptions on odd trees, like the original
        return ""
    if not summary:
        return ""
    try:
        node = lxml_html.fragment_fromstring(summary, create_parent="div")
    except Exception:  # lxml asserts on summaries without a body (framesets) and raises ParserError on others
        return ""
    return html_to_text(node)


# How far above a paragraph of the body its block may be that repeats as siblings.
BLOCK_LEVELS = 4
BLOCK_PROSE_WORDS = 12


def sibling_blocks(tree: HtmlElement, text: str) -> tuple[list[str], list[str]]:
    """Paragraphs of the article's other blocks: (before, after) the block the text came from.

    Class: article bodies cut into several blocks by ad rows or "related" strips, each block in
    an element of the same tag and class (magazine and news sites); extractors keep the block
    they scored best. Only paragraphs of prose (BLOCK_PROSE_WORDS+ words) that the text does
    not hold yet are returned.
    """
    have = normalize(text)
    first = next((line for line in text.split("\n") if len(WORD.findall(line)) >= BLOCK_PROSE_WORDS), None)
    if first is None:
        return [], []
    probe = normalize(first)[:80]
    anchor = next((p for p in tree.iter("p") if normalize(" ".join(p.itertext())).startswith(probe)), None)
    if anchor is None:
        return [], []
    node = anchor
    for _ in range(BLOCK_LEVELS):
        node = node.getparent()
        if node is None or node.getparent() is None:
            break
        signature = (node.tag, node.get("class"))
        if not signature[1]:
            continue
        group = [s for s in node.getparent() if (s.tag, s.get("class")) == signature]
        if len(group) < 2:
            continue
        before: list[str] = []
        after: list[str] = []
        seen_self = False
        for block in group:
            if block is node:
                seen_self = True
                continue
            for p in block.iter("p"):
                para = " ".join(" ".join(p.itertext()).split())
                if len(WORD.findall(para)) >= BLOCK_PROSE_WORDS and normalize(para) not in have:
                    (after if seen_self else before).append(para)
        if before or after:
            return before, after
    return [], []


# Elements whose class says they hold the article's lead (standfirst, intro, excerpt, chapô...).
LEAD_CLASS = re.compile(
    r"(?:^|[\s_-])(?:intro|excerpt|chapo|chapeau|teaser-text|sommario|standfirst|dek|summary|abstract|sapo|lead|lede"
    r"|entry-summary|article-lead|article__intro|c-page-intro)(?:$|[\s_-])",
    re.IGNORECASE,
)
LEAD_XPATH = etree.XPath("//*[@class][self::div or self::p or self::section or self::h2 or self::span]")
LEAD_END = re.compile(r"(?<![.…])[.!?»”\"]\s*$")
LEAD_MIN_WORDS = 8
LEAD_MAX_WORDS = 120


def _body_anchor(tree: HtmlElement, text: str) -> HtmlElement | None:
    first = next((line for line in text.split("\n") if len(WORD.findall(line)) >= BLOCK_PROSE_WORDS), None)
    if first is None:
        return None
    probe = normalize(first)[:80]
    return next((p for p in tree.iter("p") if normalize(" ".join(p.itertext())).startswith(probe)), None)


def printed_lead(tree: HtmlElement, text: str, headlines: tuple[str, ...] = ()) -> str | None:
    """The lead the page prints in an intro/standfirst element above the text, when the text lacks it.

    Class: article leads printed in a header or intro block outside the container the extractors
    pick (class intro/excerpt/chapô/teaser-text/sommario/standfirst/lead), on blogs, magazines and
    news sites in several languages. Only an element before the text's first paragraph and in the
    same article container (their common ancestor is not <body>) counts, holding one to a few
    sentences (not cut short with "..."), no headline (``headlines``, normalized) and no script.
    """
    anchor = _body_anchor(tree, text)
    if anchor is None:
        return None
    have = normalize(text)
    anchor_path = list(anchor.iterancestors())
    for node in LEAD_XPATH(tree):
        if node is anchor or not LEAD_CLASS.search(node.get("class") or ""):
            continue
        lead = " ".join(html_to_text(node).split())
        words = len(WORD.findall(lead))
        if not LEAD_MIN_WORDS <= words <= LEAD_MAX_WORDS or not LEAD_END.search(lead):
            continue
        norm = normalize(lead)
        if norm in have or any(len(h) > 15 and h in norm for h in headlines):
            continue
        if any(a is node for a in anchor_path):
            continue  # a container of the body itself
        common = next((a for a in node.iterancestors() if any(a is b for b in anchor_path)), None)
        if common is None or common.tag in {"body", "html"}:
            continue
        # document order: the lead comes before the body's first paragraph
        order = {id(e): i for i, e in enumerate(common.iter())}
        if order.get(id(node), 1 << 30) < order.get(id(anchor), -1):
            return lead
        return None
    return None
