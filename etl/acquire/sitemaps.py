"""Sitemap parsing: urlsets, sitemap indexes and Google News sitemaps, plain or gzipped, safely.

The XML parser never resolves entities, never loads a DTD and never touches the network,
and a document that declares entities at all is refused. Documents are parsed
incrementally (iterparse, elements cleared as they are read), so a 50 MB sitemap does not
become a 50 MB tree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from etl.acquire.feeds import forbid_entities
from etl.acquire.http import TooLarge, decode_body

GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(ValueError):
    """Not a sitemap we can read; ``reason`` is the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class SitemapEntry:
    """One <url> (or, in an index, one <sitemap>) of a sitemap."""

    loc: str
    lastmod: str | None = None
    title: str | None = None
    published: str | None = None
    publication: str | None = None
    language: str | None = None

    def entry(self) -> dict[str, Any]:
        """The frontier entry: title, published (news date), modified (lastmod), publication."""
        out: dict[str, Any] = {}
        for key, value in (("title", self.title), ("published", self.published), ("modified", self.lastmod),
                           ("publication", self.publication), ("language", self.language)):
            if value:
                out[key] = value
        return out


@dataclass
class Sitemap:
    """A parsed document: 'urlset' entries are pages, 'sitemapindex' entries are sitemaps."""

    kind: str
    entries: list[SitemapEntry] = field(default_factory=list)
    truncated: bool = False


def unpack(data: bytes, limit: int) -> bytes:
    """The XML of a sitemap: gunzipped when the bytes are gzip, at most ``limit`` bytes."""
    if data[:2] == GZIP_MAGIC:
        try:
            return decode_body(data, "gzip", limit)
        except TooLarge as exc:
            raise SitemapError("too_large", str(exc)) from exc
        except Exception as exc:  # zlib.error and friends: a broken .gz
            raise SitemapError("bad_encoding", f"gzip: {exc}") from exc
    if len(data) > limit:
        raise SitemapError("too_large", f"{len(data)} bytes > {limit}")
    return data


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def parse_sitemap(data: bytes, limit: int, max_entries: int) -> Sitemap:
    """Entries of a sitemap document (gzip or plain); SitemapError when it is not one."""
    xml = unpack(data, limit)
    try:
        forbid_entities(xml)
    except ValueError as exc:
        raise SitemapError("xml_entities_forbidden", str(exc)) from exc
    events = etree.iterparse(
        io.BytesIO(xml), events=("start", "end"), resolve_entities=False, no_network=True,
        huge_tree=False, load_dtd=False, dtd_validation=False, remove_comments=True,
    )
    result: Sitemap | None = None
    try:
        for event, element in events:
            name = _local(element.tag)
            if result is None:
                if event != "start":
                    continue
                if name not in ("urlset", "sitemapindex"):
                    raise SitemapError("not_a_sitemap", f"root element <{name}>")
                result = Sitemap(kind=name)
                continue
            if event != "end" or name not in ("url", "sitemap"):
                continue
            if len(result.entries) >= max_entries:
                result.truncated = True
                break
            loc = _child_text(element, "loc")
            if loc:
                result.entries.append(_entry(element, loc))
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        if result is None or not result.entries:
            raise SitemapError("sitemap_parse_error", str(exc)[:500]) from exc
        result.truncated = True  # keep what was read before the damage
    if result is None:
        raise SitemapError("not_a_sitemap", "no root element")
    return result


def _entry(element: Any, loc: str) -> SitemapEntry:
    title = published = publication = language = None
    for child in element:
        if _local(child.tag) != "news":
            continue
        title = _child_text(child, "title")
        published = _child_text(child, "publication_date")
        for sub in child:
            if _local(sub.tag) == "publication":
                publication = _child_text(sub, "name")
                language = _child_text(sub, "language")
    return SitemapEntry(loc=loc, lastmod=_child_text(element, "lastmod"), title=title, published=published,
                        publication=publication, language=language)
