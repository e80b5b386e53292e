"""The shared vocabulary: typed records passed between layers, and the StrEnums every layer spells alike.

Each vocabulary has one source of truth here. The SQL CHECK constraints, the sources-file validator
and the DAG's param schema are compared with these enums by tests (tests/test_vocabulary.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class SourceKind(StrEnum):
    """What a configured source is, and so how it is read."""

    FILES = "files"  # a folder or glob of local files
    URLS = "urls"  # a list of URLs, one a line (local file or remote document)
    FEED = "feed"  # RSS/Atom
    SITEMAP = "sitemap"  # sitemap, sitemap index, Google News sitemap
    WARC = "warc"  # WARC archives: URLs and their bytes

    @property
    def operator_local(self) -> bool:
        """Kinds whose file: URLs an operator wrote (a folder, a local list): they may be read."""
        return self in (SourceKind.FILES, SourceKind.URLS)


class Stage(StrEnum):
    """The stage an outcome belongs to (rejects.stage, pipeline_runs.stage_timings keys)."""

    DISCOVER = "discover"
    FETCH = "fetch"
    EXTRACT = "extract"
    ENTITIES = "entities"
    LOAD = "load"


class Queue(StrEnum):
    """The two work queues of the warehouse: URLs to fetch (frontier), pages to process (raw_pages)."""

    FETCH = "fetch"
    PROCESS = "process"


class RunStatus(StrEnum):
    """pipeline_runs.status."""

    RUNNING = "running"
    SUCCESS = "success"
    DEGRADED = "degraded"  # finished, but too much was rejected or could not be reached
    FAILED = "failed"  # stopped by an error, or nothing could be done at all
    ABANDONED = "abandoned"  # its process died without closing it (closed by a later run)


class FrontierStatus(StrEnum):
    """frontier.status: a discovered URL's fetch state."""

    PENDING = "pending"
    FETCHED = "fetched"
    REJECTED = "rejected"


class PageStatus(StrEnum):
    """raw_pages.process_status: a stored page's extract/load state."""

    PENDING = "pending"
    DONE = "done"
    REJECTED = "rejected"


class Reason(StrEnum):
    """Reject reasons the pipeline itself gives (the HTTP ones are ``http_<status>``: see http_reason)."""

    INTERNAL_ERROR = "internal_error"  # a bug in our code, after the allowed attempts
    LOAD_ERROR = "load_error"  # the database refused this page's data
    BAD_URL = "bad_url"  # an entry whose URL cannot be parsed
    TIMEOUT = "timeout"
    CONNECT_ERROR = "connect_error"
    DNS_ERROR = "dns_error"
    ROBOTS_UNAVAILABLE = "robots_unavailable"
    OUTSIDE_FILES_ROOTS = "outside_files_roots"  # a local path outside NEWSETL_FILES_ROOTS (or a symlink out)
    SPECIAL_FILE = "special_file"  # /proc, /sys, /dev, a device, FIFO, socket: never read
    HOST_PARKED = "host_parked"  # not asked: its host kept failing and is parked for the rest of the run
    TOO_MANY_DOCUMENTS = "too_many_documents"  # a source's documents over the per-run cap: read by later runs
    TOO_MANY_ENTRIES = "too_many_entries"  # a source's new URLs over the per-run cap: taken by later runs


class SetupError(RuntimeError):
    """Configuration or environment is wrong (a missing model, a bad setting): no retry of the same
    input can fix it, so it stops the stage instead of being charged to the pages at hand."""


def http_reason(status: int) -> str:
    """The reject reason of an HTTP status that is not usable: ``http_404``."""
    return f"http_{status}"


@dataclass(frozen=True)
class SourceSpec:
    """One configured source, as written in the sources file."""

    name: str
    kind: SourceKind
    location: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reject:
    """An input that cannot be used, with a machine-readable reason.

    ``transient`` says the failure may pass (a timeout, a 5xx): the input is tried again in a later
    run instead of being given up. ``status_code`` is the HTTP status when there was one.
    """

    stage: Stage
    reason: str
    url: str
    detail: str = ""
    url_hash: str | None = None
    source_id: int | None = None
    status_code: int | None = None
    transient: bool = False


@dataclass(frozen=True)
class DiscoveredUrl:
    """A URL found by discovery, with what the feed or sitemap said about it."""

    url: str
    entry: dict[str, Any] = field(default_factory=dict)
    fetch_from: str | None = None  # where the bytes are when not at the URL (a WARC record locator)


@dataclass(frozen=True)
class CachedDocument:
    """What http_cache remembers of a feed, sitemap or list URL."""

    etag: str | None = None
    last_modified: str | None = None
    children: tuple[str, ...] | None = None
    checked_at: datetime | None = None  # when it was last asked (the document cap reads the longest unread first)


@dataclass(frozen=True)
class CacheUpdate:
    """A row to write to http_cache once the source's URLs are stored."""

    url: str
    status: int
    purpose: str
    etag: str | None = None
    last_modified: str | None = None
    children: tuple[str, ...] | None = None
    body: bytes | None = None


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt (or a refusal before any), as written to fetch_log."""

    url: str
    host: str
    purpose: str
    attempt: int
    status_code: int | None = None
    error_class: str | None = None
    reason: str | None = None
    bytes: int = 0
    elapsed_ms: int = 0
    conditional: bool = False


@dataclass(frozen=True)
class Fetched:
    """A successful fetch: the bytes and what the transport said about them."""

    url: str
    final_url: str
    body: bytes
    status_code: int | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    redirects: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotModified:
    """A conditional refetch answered 304: the stored page is still current."""

    url: str


@dataclass(frozen=True)
class FrontierClaim:
    """A frontier row leased to one worker (a URL to fetch)."""

    url_hash: str
    url: str
    source_id: int
    entry: dict[str, Any]
    fetch_from: str | None
    host: str
    attempts: int
    source_kind: SourceKind
    etag: str | None
    last_modified: str | None

    def __post_init__(self) -> None:  # rows arrive with the kind as plain text
        object.__setattr__(self, "source_kind", SourceKind(self.source_kind))


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
    attempts: int = 0


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
    """One entity of an article, after in-article normalization: its name and label there, its
    mentions, where it is first named, whether the title names it, its share of the article, and the
    short forms of it the article uses ("Trump" of "Donald Trump": the evidence of resolution across
    articles, etl.entities.resolve)."""

    name: str
    label: str
    mention_count: int
    first_offset: int
    in_title: bool
    salience: float
    short_forms: tuple[str, ...] = ()
