"""Feed parsing: RSS 0.9x/1.0/2.0 and Atom bytes into discovered URLs with their entry metadata.

feedparser only ever sees bytes we fetched ourselves (through the polite client), never a
URL, so it cannot make a request of its own. A document that declares XML entities is
refused before parsing (billion laughs, external entities), whatever the parser would do.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import feedparser

from etl.records import DiscoveredUrl

ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


class UnsafeXml(ValueError):
    """The document declares entities: refused (reason xml_entities_forbidden)."""


def forbid_entities(data: bytes) -> None:
    """Raise UnsafeXml when an XML document declares entities (in any of the usual encodings)."""
    head = data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = data.decode("utf-16", "ignore").encode("utf-8")
    if ENTITY_DECLARATION.search(head):
        raise UnsafeXml("the document declares XML entities")


@dataclass
class ParsedFeed:
    """What a feed lists, and whether it could be read at all."""

    entries: list[DiscoveredUrl] = field(default_factory=list)
    title: str | None = None
    version: str = ""
    error: str | None = None


def _iso(parsed: time.struct_time | None) -> str | None:
    """feedparser's UTC struct_time as an ISO 8601 string."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc).isoformat()
    except (OverflowError, ValueError):
        return None


def _entry_link(entry: Any) -> str | None:
    link = entry.get("link")
    if link:
        return str(link)
    for candidate in entry.get("links", []) or []:
        if candidate.get("href") and candidate.get("rel", "alternate") == "alternate":
            return str(candidate["href"])
    guid = entry.get("id")
    if guid and entry.get("guidislink"):
        return str(guid)
    return None


# Numeric character references to code points no text can hold (NUL, lone surrogates, beyond
# U+10FFFF) make feedparser build strings it then cannot encode: they become U+FFFD first.
CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")


def _fix_char_ref(match: re.Match[bytes]) -> bytes:
    ref = match.group(1)
    code = int(ref[1:], 16) if ref[:1] in (b"x", b"X") else int(ref)
    return match.group(0) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else b"&#xFFFD;"


def parse_feed(data: bytes, base_url: str) -> ParsedFeed:
    """Entries of an RSS or Atom document; ``error`` is set when it is not a usable feed.

    Each entry's URL is the item link (resolved against the feed URL); its ``entry`` dict has
    ``title``, ``published`` (ISO 8601, UTC; the updated date when no published one) and
    ``guid`` where the feed gives them.
    """
    forbid_entities(data)
    parsed = feedparser.parse(
        CHAR_REF.sub(_fix_char_ref, data),
        response_headers={"content-location": base_url},
        sanitize_html=False,
        resolve_relative_uris=True,
    )
    result = ParsedFeed(title=parsed.feed.get("title"), version=parsed.get("version") or "")
    if not parsed.entries and (parsed.bozo or not result.version):
        exc = parsed.get("bozo_exception")
        result.error = f"not a feed: {type(exc).__name__ + ': ' + str(exc) if exc else 'no feed elements'}"[:500]
        return result
    for entry in parsed.entries:
        link = _entry_link(entry)
        if not link:
            continue
        meta: dict[str, Any] = {}
        if entry.get("title"):
            meta["title"] = str(entry["title"]).strip()
        published = _iso(entry.get("published_parsed")) or _iso(entry.get("updated_parsed"))
        if published:
            meta["published"] = published
        if entry.get("id"):
            meta["guid"] = str(entry["id"])
        result.entries.append(DiscoveredUrl(url=link.strip(), entry=meta))
    return result
