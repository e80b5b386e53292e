"""Body text candidates from one parsed tree: trafilatura in several modes and readability."""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from dataclasses import dataclass

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from readability import Document as ReadabilityDocument

# Embedded posts (tweets, Instagram, TikTok) that sit in the article: people count them as body text,
# but their wrappers carry "social"/"embed"/"tweet" classes that the extractors discard.
SOCIAL_EMBED_XPATH = etree.XPath(
    "//blockquote[contains(@class,'twitter-tweet') or contains(@class,'instagram-media')"
    " or contains(@class,'tiktok-embed')]"
)
EMBED_WRAPPER = re.compile(r"social|embed|tweet|twitter|instagram|widget", re.IGNORECASE)
BLOCK_TAGS = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "br", "td"})
MULTI_NEWLINE = re.compile(r"\n\s*\n+")
INLINE_SPACE = re.compile(r"[ \t\u00a0]+")

logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("readability").setLevel(logging.ERROR)
logging.getLogger("readability.readability").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Candidate:
    """One extractor's answer: its name, plain text, and paragraph count."""

    name: str
    text: str

    @property
    def paragraphs(self) -> list[str]:
        return [line for line in self.text.split("\n") if line.strip()]


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
    """Text of an element with a line break around every block element."""
    parts: list[str] = []

    def walk(element: HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in {"script", "style", "noscript"}:
            if element.tail:
                parts.append(element.tail)
            return
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        if element.text and tag:
            parts.append(element.text)
        for child in element:
            walk(child)
        if block:
            parts.append("\n")
        if element.tail:
            parts.append(element.tail)

    walk(node)
    lines = (INLINE_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def readability_text(tree: HtmlElement) -> str:
    """Plain text of readability-lxml's main block, on a copy (readability rewrites the tree)."""
    try:
        summary = ReadabilityDocument(deepcopy(tree), min_text_length=25).summary(html_partial=True)
    except Exception:  # readability raises bare Exceptions (Unparseable and friends) on odd trees
        return ""
    if not summary:
        return ""
    try:
        from lxml import html as lxml_html

        node = lxml_html.fragment_fromstring(summary, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    return html_to_text(node)
