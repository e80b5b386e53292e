"""Typed records passed between stages (what a stage takes and what it gives)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class SourceSpec:
    """One configured source, as written in the sources file."""

    name: str
    kind: str  # files | urls | feed | sitemap | warc
    location: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DiscoveredUrl:
    """A URL found by discovery, with what the feed or sitemap said about it."""

    url: str
    entry: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reject:
    """An input that cannot be used, with a machine-readable reason."""

    stage: str
    reason: str
    url: str
    detail: str = ""
    url_hash: str | None = None
    source_id: int | None = None


@dataclass(frozen=True)
class RawPage:
    """A fetched page as stored in raw_pages, handed to the extract stage."""

    raw_page_id: int
    url_hash: str
    url: str
    final_url: str
    source_id: int
    body: bytes
    content_type: str | None
    headers: dict[str, str]
    entry: dict[str, Any] = field(default_factory=dict)


@dataclass
class Article:
    """What the extract and metadata stages make of a page."""

    url: str
    canonical_url: str
    title: str | None
    text: str
    description: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    published_date: date | None = None
    published_precision: str | None = None  # 'day' | 'time'
    modified_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    agency: str | None = None
    keywords: list[str] = field(default_factory=list)
    site_name: str | None = None
    section: str | None = None
    top_image: str | None = None
    extractor: str = "trafilatura"
    extractor_version: str = ""

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class EntityMention:
    """One canonical entity of an article, after in-article normalization."""

    name: str
    label: str
    mention_count: int
    first_offset: int
    in_title: bool
    salience: float
    aliases: tuple[str, ...] = ()
