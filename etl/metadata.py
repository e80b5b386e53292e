"""Metadata of a news page: title, dates with precision, authors, language, keywords."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import py3langid
from lxml.html import HtmlElement

from etl.urls import canonicalize_url

EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
AGENCIES = {
    "reuters": "Reuters",
    "associated press": "AP",
    "ap": "AP",
    "the associated press": "AP",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "bloomberg": "Bloomberg",
    "dpa": "dpa",
    "upi": "UPI",
}
BYLINE_PREFIX = re.compile(r"^\s*(by|von|par|por|di|door)\s+", re.IGNORECASE)
BYLINE_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bund\b|\bet\b|\by\b|&|\|)\s*", re.IGNORECASE)
AUTHOR_NOISE = re.compile(
    r"(\S+@\S+|https?://\S+|@\w+|\b(staff|senior|chief|special)?\s*(writer|reporter|correspondent|editor)s?\b.*$)",
    re.IGNORECASE,
)
DATE_META_PUBLISHED = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "date",
    "dc.date.issued",
    "dc.date",
    "sailthru.date",
    "parsely-pub-date",
)
DATE_META_MODIFIED = ("article:modified_time", "og:updated_time", "dateModified", "last-modified")
TITLE_SUFFIX = re.compile(r"\s+[|\u2013\u2014-]\s+[^|\u2013\u2014-]{2,40}$")


@dataclass
class PageMetadata:
    title: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    published_at: datetime | None = None
    published_date: date | None = None
    published_precision: str | None = None
    modified_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    agency: str | None = None
    language: str | None = None
    keywords: list[str] = field(default_factory=list)
    site_name: str | None = None
    section: str | None = None
    top_image: str | None = None


def _meta(tree: HtmlElement) -> dict[str, str]:
    """First content of each <meta name|property|itemprop>, keys lowercased."""
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
        content = (node.get("content") or "").strip()
        if key and content and key not in found:
            found[key] = content
    return found


def _json_ld_articles(tree: HtmlElement) -> list[dict[str, Any]]:
    """Article-like objects from JSON-LD blocks (NewsArticle, Article, ReportageNewsArticle...)."""
    out: list[dict[str, Any]] = []
    for node in tree.iter("script"):
        if (node.get("type") or "").lower() != "application/ld+json" or not node.text:
            continue
        try:
            data = json.loads(node.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                kinds = item.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(isinstance(k, str) and k.endswith("Article") for k in kinds):
                    out.append(item)
    return out


def parse_datetime(value: str | None) -> tuple[datetime | None, date | None, str | None]:
    """(timestamp, day, precision) of an ISO-like date string; plausibility checked."""
    if not value:
        return None, None, None
    value = value.strip()
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
        if not match:
            return None, None, None
        try:
            dt = datetime(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None, None, None
        value = match[0]
    if len(value) <= 10:
        day = dt.date()
        if not _plausible(datetime(day.year, day.month, day.day, tzinfo=UTC)):
            return None, None, None
        return None, day, "day"
    if dt.tzinfo is None:
        # A time without an offset: the day is trustworthy, the instant is not.
        return None, dt.date(), "day"
    if not _plausible(dt):
        return None, None, None
    return dt, dt.date(), "time"


def _plausible(dt: datetime) -> bool:
    return EARLIEST_PLAUSIBLE <= dt <= datetime.now(UTC).replace(microsecond=0) + _ONE_DAY


_ONE_DAY = datetime(2000, 1, 2) - datetime(2000, 1, 1)


def clean_authors(raw: list[str]) -> tuple[list[str], str | None]:
    """Split bylines into people, drop roles and handles, keep an agency apart."""
    people: list[str] = []
    agency: str | None = None
    for line in raw:
        for part in BYLINE_SPLIT.split(BYLINE_PREFIX.sub("", line or "")):
            name = AUTHOR_NOISE.sub("", part).strip(" .-–—:")
            if not name:
                continue
            if name.lower() in AGENCIES:
                agency = agency or AGENCIES[name.lower()]
                continue
            if len(name) < 3 or len(name.split()) > 5 or any(ch.isdigit() for ch in name):
                continue
            name = " ".join(w if w.isupper() and len(w) <= 3 else w[:1].upper() + w[1:] for w in name.split())
            if name.lower() not in {p.lower() for p in people}:
                people.append(name)
    return people, agency


def detect_language(text: str, html_lang: str | None) -> str | None:
    """ISO 639-1 code detected from the text, with <html lang> as the fallback."""
    declared = (html_lang or "").split("-")[0].strip().lower()[:2] or None
    sample = text[:5000]
    if len(sample) < 40:
        return declared
    code, _score = py3langid.classify(sample)
    return code or declared


def page_metadata(
    tree: HtmlElement, url: str, doc: Any, body: str, entry: dict[str, Any]
) -> PageMetadata:
    """Everything but the body text, from JSON-LD, meta tags, trafilatura and feed entries."""
    meta = _meta(tree)
    articles = _json_ld_articles(tree)
    ld = articles[0] if articles else {}
    result = PageMetadata()

    title = ld.get("headline") or meta.get("og:title") or getattr(doc, "title", None) or entry.get("title")
    if isinstance(title, str):
        site = meta.get("og:site_name") or getattr(doc, "sitename", None)
        title = title.strip()
        if site and title.endswith(site) and len(title) > len(site) + 3:
            title = TITLE_SUFFIX.sub("", title)
        result.title = title or None

    result.description = meta.get("og:description") or meta.get("description") or getattr(doc, "description", None)
    canonical = None
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            canonical = link.get("href")
            break
    canonical = canonical or meta.get("og:url")
    result.canonical_url = canonicalize_url(canonical, base=url) if canonical else None

    for candidate in (
        ld.get("datePublished"),
        *(meta.get(key) for key in DATE_META_PUBLISHED),
        *(node.get("datetime") for node in tree.iter("time") if node.get("datetime")),
        getattr(doc, "date", None),
        entry.get("published"),
    ):
        if isinstance(candidate, str):
            stamp, day, precision = parse_datetime(candidate)
            if day:
                result.published_at, result.published_date, result.published_precision = stamp, day, precision
                break
    for candidate in (ld.get("dateModified"), *(meta.get(key) for key in DATE_META_MODIFIED)):
        if isinstance(candidate, str):
            stamp, _day, _precision = parse_datetime(candidate)
            if stamp:
                result.modified_at = stamp
                break

    raw_authors: list[str] = []
    ld_author = ld.get("author")
    for item in ld_author if isinstance(ld_author, list) else [ld_author]:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            raw_authors.append(item["name"])
        elif isinstance(item, str):
            raw_authors.append(item)
    if not raw_authors:
        for key in ("author", "article:author", "byl", "dc.creator"):
            if meta.get(key) and not meta[key].startswith("http"):
                raw_authors.append(meta[key])
                break
    if not raw_authors and getattr(doc, "author", None):
        raw_authors = str(doc.author).split(";")
    result.authors, result.agency = clean_authors(raw_authors)

    result.language = detect_language(body, tree.get("lang"))
    raw_keywords = meta.get("news_keywords") or meta.get("keywords") or ""
    keywords = [k.strip().lower() for k in re.split(r"[,;]", raw_keywords) if k.strip()]
    for tag in getattr(doc, "tags", None) or []:
        if isinstance(tag, str) and tag.strip().lower() not in keywords:
            keywords.append(tag.strip().lower())
    result.keywords = [k for k in dict.fromkeys(keywords) if 1 < len(k) <= 80][:30]
    result.site_name = meta.get("og:site_name") or getattr(doc, "sitename", None)
    result.section = meta.get("article:section") or ld.get("articleSection") if isinstance(
        ld.get("articleSection", ""), str
    ) else meta.get("article:section")
    result.top_image = meta.get("og:image") or getattr(doc, "image", None)
    return result
