"""Metadata of a news page: title, dates with precision, authors, language, keywords, images."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from etl.extract import authors as author_rules
from etl.extract import dates, tolerant_json
from etl.extract.textclean import normalize
from etl.urls import canonicalize_url

ARTICLE_TYPES = re.compile(r"Article$|^BlogPosting$|^Report$|^LiveBlogPosting$|^NewsArticle$", re.IGNORECASE)
# Where JSON-LD nests the page's article inside another entity (class: WebPage/ItemPage blocks whose
# mainEntity is the NewsArticle, seen on several news sites).
NESTED_KEYS = frozenset({"@graph", "mainEntity", "mainEntityOfPage", "hasPart", "about", "subjectOf"})
TITLE_SEPARATOR = re.compile(r"(\s+(?:[|·•»~/\u2013\u2014-]{1,2}|::)\s+)")
# Characters a title carries without showing them: soft hyphen, zero-width space, word joiner, BOM
# (class: soft hyphens in og:title and <title>, word joiners in the <h1>, zero-width spaces in title
# metas, on four sites of three sets; see doc/choices.md). ZWJ/ZWNJ stay: they shape scripts.
INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]")
# "Kicker: headline", the kicker a short lead-in (a topic, a quote) before the first colon.
KICKER = re.compile(r"^(?P<kicker>[^:]{2,80}?)\s?:\s+(?P<headline>\S.*)$")
SPACES = re.compile(r"\s+")
KEYWORD_SPLIT = re.compile(r"\s*[,;]\s*")
HOST_WORD = re.compile(r"[^a-z0-9]")
LANG_CODE = re.compile(r"^([a-zA-Z]{2})(?:[-_]|$)")  # ISO 639-1: the warehouse keeps two letters
AUTHOR_META = ("author", "article:author", "byl", "dc.creator", "dcterms.creator", "parsely-author", "sailthru.author")
# Dublin Core names people "Last, First".
DC_AUTHOR_META = frozenset({"dc.creator", "dcterms.creator"})
LAST_FIRST = re.compile(r"^([^,\s]+(?:\s[^,\s]+)?),\s*([^,\s]+(?:\s[^,\s]+)?)$")
# Visible bylines: microdata names first, then elements whose class says byline, then author.
BYLINE_XPATHS = (
    etree.XPath("//*[@itemprop='author']//*[@itemprop='name'] | //*[@itemprop='author'][not(*)]"),
    etree.XPath(
        "//*[contains(translate(@class, 'BYLINE', 'byline'), 'byline')][not(self::img)]"
        "[not(ancestor::*[contains(translate(@class, 'BYLINE', 'byline'), 'byline')])]"
        "[not(ancestor-or-self::form)][not(ancestor::*[contains(@class, 'comment') or contains(@id, 'comment')])]"
    ),
    etree.XPath(
        "//*[contains(translate(@class, 'AUTHOR', 'author'), 'author') or @rel='author'][not(self::img)]"
        "[not(ancestor::*[contains(translate(@class, 'AUTHOR', 'author'), 'author')])]"
        "[not(ancestor-or-self::form)][not(ancestor::*[contains(@class, 'comment') or contains(@id, 'comment')])]"
    ),
)
BYLINE_MAX_CHARS = 120
# py3langid also knows languages without a two-letter code; the warehouse keeps ISO 639-1, so
# varieties map to their macrolanguage and the rest fall back to what the page declares.
DETECTED_TO_ISO_639_1 = {"arz": "ar", "ary": "ar", "yue": "zh", "wuu": "zh", "uzs": "uz", "gug": "gn", "sdh": "ku"}
# Language is detected on the start of the text: this much is plenty, and the cost grows with it.
LANGUAGE_SAMPLE_CHARS = 1500
# Below this many characters the text says too little about its language: <html lang> wins.
LANGUAGE_MIN_CHARS = 200
# A detection this sure overrules a <html lang> that disagrees (templates often keep a default lang).
LANGUAGE_OVERRULE = 0.95


@dataclass
class PageMetadata:
    """Everything the extract stage says about a page besides its body text."""

    title: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    published_at: datetime | None = None
    published_date: date | None = None
    published_precision: str | None = None
    published_source: str | None = None
    modified_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    agency: str | None = None
    language: str | None = None
    declared_language: str | None = None
    keywords: list[str] = field(default_factory=list)
    site_name: str | None = None
    section: str | None = None
    top_image: str | None = None
    headlines: list[str] = field(default_factory=list)


def _text(value: Any) -> str | None:
    """A clean one-line string from a metadata value (HTML entities decoded), or None."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    value = SPACES.sub(" ", html.unescape(value)).strip()
    return value or None


def meta_tags(tree: HtmlElement) -> dict[str, str]:
    """First content of each <meta name|property|itemprop|http-equiv>, keys lowercased."""
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or node.get("http-equiv") or "")
        key = key.strip().lower()
        content = (node.get("content") or "").strip()
        if key and content and key not in found:
            found[key] = content
    return found


def meta_all(tree: HtmlElement, key: str) -> list[str]:
    """Every content of a repeatable <meta> (article:tag)."""
    return [
        (node.get("content") or "").strip()
        for node in tree.iter("meta")
        if (node.get("property") or node.get("name") or "").strip().lower() == key and node.get("content")
    ]


def _load_json(text: str) -> Any:
    """JSON-LD as CMSs write it, repaired tolerantly (see tolerant_json)."""
    return tolerant_json.loads(text)


def json_ld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    """All objects of the page's JSON-LD blocks, @graph flattened."""
    out: list[dict[str, Any]] = []
    for node in tree.iter("script"):
        if (node.get("type") or "").strip().lower() != "application/ld+json" or not node.text:
            continue
        stack = [_load_json(node.text.strip())]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                out.append(item)
                # nested entities (WebPage.mainEntity -> NewsArticle, @graph), in document order
                stack.extend(reversed([v for k, v in item.items() if k in NESTED_KEYS and isinstance(v, dict | list)]))
    return out


def _types(item: dict[str, Any]) -> list[str]:
    kinds = item.get("@type")
    return [k for k in (kinds if isinstance(kinds, list) else [kinds]) if isinstance(k, str)]


def json_ld_articles(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The article-like objects (NewsArticle, Article, BlogPosting, ReportageNewsArticle...)."""
    return [o for o in objects if any(ARTICLE_TYPES.search(k) for k in _types(o))]


def main_article(articles: list[dict[str, Any]], url: str) -> dict[str, Any]:
    """The page's own article among its JSON-LD articles (others are related stories in lists).

    The one whose url, @id or mainEntityOfPage names this page; else the first with a headline.
    """
    wanted = _url_key(url)
    for item in articles:
        entity = item.get("mainEntityOfPage")
        refs = [item.get("url"), item.get("@id"), entity.get("@id") if isinstance(entity, dict) else entity]
        if any(isinstance(ref, str) and _url_key(ref) == wanted for ref in refs):
            return item
    return next((item for item in articles if item.get("headline")), articles[0] if articles else {})


def _url_key(url: str) -> str:
    parts = urlsplit(url.strip())
    return (parts.hostname or "").removeprefix("www.") + parts.path.rstrip("/")


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        return _text(value.get("name"))
    if isinstance(value, list):
        return next((n for n in (_name(v) for v in value) if n), None)
    return _text(value)


def _host_key(url: str) -> str:
    host = _fold(urlsplit(url).hostname or "").lower().removeprefix("www.")
    return HOST_WORD.sub("", host.rsplit(".", 1)[0]) if "." in host else HOST_WORD.sub("", host)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _site_like(segment: str, site_name: str | None, host_key: str) -> bool:
    seg = normalize(_fold(segment))
    if not seg:
        return False
    if site_name and seg == normalize(_fold(site_name)):
        return True
    squashed = seg.replace(" ", "")
    return bool(host_key) and len(squashed) >= 3 and (squashed in host_key or host_key in squashed)


def clean_title(title: str | None, site_name: str | None, url: str, h1: str | None = None) -> str | None:
    """The headline without the site name: "Story | Site", "Story | Site - Tagline", "Site - Story".

    ``h1``, the page's visible headline, also ends a title where the site is not recognisable:
    "Story - Blog name" whose <h1> says "Story" loses " - Blog name" (class: <title>s and og:titles
    ending in a blog, section or organisation name that neither og:site_name nor the host spells,
    seen on dozens of sites of traf-eval and dates-eval, e.g. "| Hertha BSC Blog", "- Calcio",
    "– Tierheim Berlin"). Only a leading part is kept, and never one that is itself the site: a
    page's first <h1> is sometimes its logo.
    """
    title = _text(INVISIBLE.sub("", title) if isinstance(title, str) else title)
    if not title:
        return None
    parts = TITLE_SEPARATOR.split(title)  # text, separator, text, ...
    if len(parts) < 3:
        return title
    host_key = _host_key(url)
    for index in range(2, len(parts), 2):
        if _site_like(parts[index], site_name, host_key):
            parts = parts[:index - 1]  # the site and whatever follows it
            break
    while len(parts) >= 3 and _site_like(parts[0], site_name, host_key):
        parts = parts[2:]
    if h1 and len(parts) >= 3 and (shown := normalize(INVISIBLE.sub("", h1))):
        for end in range(1, len(parts) - 1, 2):
            head = "".join(parts[:end]).strip()
            if normalize(head) == shown and not _site_like(head, site_name, host_key):
                parts = parts[:end]
                break
    return "".join(parts).strip() or title


def _site_from_title(title: str | None, url: str) -> str | None:
    parts = TITLE_SEPARATOR.split(title or "")
    if len(parts) >= 3 and _site_like(parts[-1], None, _host_key(url)):
        return parts[-1].strip()
    return None


def _lang_code(value: str | None) -> str | None:
    match = LANG_CODE.match((value or "").strip())
    return match.group(1).lower() if match else None


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, declared: str | None) -> str | None:
    """ISO 639 code of the text (py3langid), checked against the language the page declares.

    Short texts keep the declared language; a detection that disagrees with the declaration
    wins only when it is nearly certain (templates often keep a default <html lang>).
    """
    declared = _lang_code(declared)
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if len(sample) < LANGUAGE_MIN_CHARS:
        if declared:
            return declared
        if len(sample) < 40:
            return None
    code, probability = _identifier().classify(sample)
    code = DETECTED_TO_ISO_639_1.get(code, code)
    if len(code) != 2 or (declared and code != declared and probability < LANGUAGE_OVERRULE):
        return declared
    return code


def _image(value: Any, url: str) -> str | None:
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    if isinstance(value, list):
        value = next((_image(v, url) for v in value if _image(v, url)), None)
    value = _text(value)
    return urljoin(url, value) if value else None


def _keywords(tree: HtmlElement, meta: dict[str, str], article: dict[str, Any]) -> list[str]:
    raw: list[str] = []
    for key in ("news_keywords", "keywords", "parsely-tags"):
        if meta.get(key):
            raw.extend(KEYWORD_SPLIT.split(meta[key]))
    raw.extend(meta_all(tree, "article:tag"))
    ld_keywords = article.get("keywords")
    if isinstance(ld_keywords, str):
        raw.extend(KEYWORD_SPLIT.split(ld_keywords))
    elif isinstance(ld_keywords, list):
        raw.extend(k for k in ld_keywords if isinstance(k, str))
    cleaned = (SPACES.sub(" ", html.unescape(k)).strip().lower() for k in raw)
    return [k for k in dict.fromkeys(cleaned) if 1 < len(k) <= 80][:30]


def _declared_authors(article: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[str]:
    """Author names the page's JSON-LD article declares, one string per credited entity."""
    found: list[str] = []
    ld_author = article.get("author") or article.get("creator")
    for item in ld_author if isinstance(ld_author, list) else [ld_author]:
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = by_id.get(item["@id"], item)  # a Yoast-style graph points at its Person node
        name = _name(item)
        if name:
            found.append(name)
    return found


def _printed_authors(tree: HtmlElement, meta: dict[str, str]) -> list[str]:
    """Author strings from <meta>, else from byline markup."""
    found: list[str] = []
    for key in AUTHOR_META:
        value = meta.get(key)
        if value and not value.startswith(("http://", "https://", "/")):
            if key in DC_AUTHOR_META and (match := LAST_FIRST.match(value.strip())):
                value = f"{match[2]} {match[1]}"
            return [value]
    for xpath in BYLINE_XPATHS:
        for node in xpath(tree)[:4]:
            text = " ".join(" ".join(node.itertext()).split())
            if 2 < len(text) <= BYLINE_MAX_CHARS and text not in found:
                found.append(text)
        if found:
            return found
    return found


def page_authors(
    tree: HtmlElement, meta: dict[str, str], article: dict[str, Any], by_id: dict[str, dict[str, Any]],
    site_name: str | None, host: str | None,
) -> tuple[list[str], str | None]:
    """People (or the credited organisation) and agency: JSON-LD first, then <meta> and byline markup."""
    declared = _declared_authors(article, by_id)
    if declared:
        people, agency = author_rules.clean_authors(declared, site_name, host, structured=True)
        if people or agency:
            return people, agency
    return author_rules.clean_authors(_printed_authors(tree, meta), site_name, host)


def headlines(tree: HtmlElement, meta: dict[str, str], article: dict[str, Any], with_h1: bool = True) -> list[str]:
    """Every form the headline takes on the page (used to drop it from the top of the body).

    ``with_h1=False`` keeps to the declared titles, for finding the headline element itself
    (a page's first <h1> is sometimes its logo).
    """
    values = [
        _text(article.get("headline")),
        meta.get("og:title"),
        meta.get("twitter:title"),
        _text(tree.findtext(".//title")),
    ]
    if with_h1:
        values.extend(" ".join(" ".join(h.itertext()).split()) for h in tree.iter("h1"))
    return [v for v in dict.fromkeys(html.unescape(v) for v in values if v) if v]


def _links_elsewhere(node: HtmlElement, text: str, url: str) -> bool:
    """Whether the <h1> is all one link to another page: a logo linking home, not this page's headline."""
    links = node.findall(".//a")
    if len(links) != 1 or " ".join(" ".join(links[0].itertext()).split()) != text:
        return False
    slug = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return bool(slug) and slug not in (links[0].get("href") or "")


def _visible_h1(tree: HtmlElement, url: str) -> str | None:
    """Text of the headline element a reader sees: the <h1> of the article (or main), else the first.

    An <h1> that is just a link to another page is skipped (class: blog themes whose <h1> is the
    site's name linking home, seen on several traf-eval blogs).
    """
    nodes = tree.xpath("//article//h1 | //main//h1") or list(tree.iter("h1"))
    for node in nodes:
        text = " ".join(" ".join(node.itertext()).split())
        if text and not _links_elsewhere(node, text, url):
            return text
    return None


def declared_title(
    tree: HtmlElement, meta: dict[str, str], article: dict[str, Any], h1: str | None
) -> str | None:
    """The headline the page declares: JSON-LD headline, og:title, twitter:title, <title>.

    ``h1`` is the page's visible headline (:func:`_visible_h1`). One exception to that order
    (class: a JSON-LD headline with a kicker in front, "Kicker: headline", that the page's <h1>
    does not show, seen on two sites of two sets, see doc/choices.md): when og:title or twitter:title is
    the headline without the kicker and the visible <h1> says the same, that is the headline the
    reader sees. A kicker the <h1> shows too is kept.
    """
    headline = _text(article.get("headline"))
    social = [t for t in (_text(meta.get("og:title")), _text(meta.get("twitter:title"))) if t]
    if headline and social and (match := KICKER.match(headline)):
        rest = normalize(match["headline"])
        if rest and h1 and normalize(h1) == rest:
            shorter = next((t for t in social if normalize(t) == rest), None)
            if shorter:
                return shorter
    return headline or next(iter(social), None) or _text(tree.findtext(".//title"))


def page_metadata(tree: HtmlElement, url: str, entry: dict[str, Any] | None = None) -> PageMetadata:
    """Everything but the body text and its language, from JSON-LD, <meta>, markup and the feed entry."""
    entry = entry or {}
    meta = meta_tags(tree)
    objects = json_ld_objects(tree)
    found = json_ld_articles(objects)
    article = main_article(found, url)
    # the page's own article first: its dates outrank those of related stories listed with it
    articles = [article, *(a for a in found if a is not article)] if article else []
    result = PageMetadata()

    result.site_name = (
        _text(meta.get("og:site_name"))
        or _name(article.get("publisher"))
        or _text(meta.get("application-name"))
        or _site_from_title(tree.findtext(".//title"), url)
    )
    h1 = _visible_h1(tree, url)
    raw_title = declared_title(tree, meta, article, h1) or entry.get("title")
    result.title = clean_title(raw_title, result.site_name, url, h1)
    result.headlines = headlines(tree, meta, article)
    result.description = _text(
        meta.get("og:description") or meta.get("description") or meta.get("twitter:description")
    ) or _text(article.get("description"))

    links = (((link.get("rel") or "").lower(), link.get("href")) for link in tree.iter("link"))
    canonical = next((href for rel, href in links if rel == "canonical" and href), None) or meta.get("og:url")
    try:
        result.canonical_url = canonicalize_url(canonical, base=url) if canonical else None
    except ValueError:
        result.canonical_url = None

    finding = dates.find_published(
        tree,
        url,
        meta,
        articles,
        entry,
        headlines=headlines(tree, meta, article, with_h1=False),
        other_urls=[u for u in (result.canonical_url, meta.get("og:url")) if u],
    )
    if finding.published is not None:
        result.published_date = finding.published.day
        result.published_at = finding.published.instant
        result.published_precision = finding.published.precision
        result.published_source = finding.source
    result.modified_at = finding.modified

    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    result.authors, result.agency = page_authors(
        tree, meta, article, by_id, result.site_name, urlsplit(url).hostname
    )
    result.declared_language = (
        _lang_code(tree.get("lang"))
        or _lang_code(meta.get("content-language"))
        or _lang_code(_text(article.get("inLanguage")))
        or _lang_code(meta.get("og:locale"))
    )
    result.keywords = _keywords(tree, meta, article)
    section = article.get("articleSection")
    result.section = _text(meta.get("article:section")) or _text(section) or _text(meta.get("parsely-section"))
    result.top_image = (
        _image(meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image"), url)
        or _image(article.get("image"), url)
        or _image(next((ln.get("href") for ln in tree.iter("link") if ln.get("rel") == "image_src"), None), url)
    )
    return result
