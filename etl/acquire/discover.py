"""Discover: turn one source (feed, sitemap, URL list, folder, WARC) into the URLs it lists now.

Remote documents go through the polite client with conditional GET: given the validators kept
from earlier runs, an unchanged source costs one 304. What a source gives — URLs, rejects, the new
validators — comes back as one :class:`SourceDiscovery`; ``etl.pipeline.discover`` stores it in
one transaction. Validators are only handed back for a document whose every entry was kept or
rejected one by one: a document cut short (a cap, a parse error, a bug) is read whole next time,
so no URL it lists is hidden behind a 304. A sitemap index's children are kept with its
validators, so a 304 on the index still lets each child be asked.

Caps lose nothing: ``max_entries`` counts the *new* URLs a source gives per run (URLs the frontier
already knows, asked through the injected ``known``, are kept without counting), so a feed or
sitemap longer than the cap yields its next new URLs in the next run, not the same first ones; and
``discover_max_documents`` takes the sitemaps never read (then the longest unread) first, so a big
index is read through over a few runs. What is over a cap is counted, and one reject per source
and cap says so.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from etl.acquire import warcs
from etl.acquire.feeds import UnsafeXml, parse_feed
from etl.acquire.http import PoliteClient, Response, Validators
from etl.acquire.localfiles import LocalRefused, check_regular, local_roots, may_list, read_local
from etl.acquire.sitemaps import SitemapError, parse_sitemap
from etl.records import CachedDocument, CacheUpdate, DiscoveredUrl, Reason, Reject, SourceKind, SourceSpec, Stage
from etl.settings import Settings
from etl.urls import canonicalize_url

log = logging.getLogger(__name__)

REMOTE_SCHEMES = ("http", "https")
NOT_MODIFIED = object()
SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit of URLs per sitemap file
# Which of these canonical URLs the warehouse already knows (the pipeline asks the frontier).
KnownUrls = Callable[[Sequence[str]], Awaitable[set[str]]]
NEVER_READ = datetime.min.replace(tzinfo=timezone.utc)


@dataclass
class SourceDiscovery:
    """Everything one source gave in one run: its URLs, its rejects, the validators to keep."""

    urls: list[DiscoveredUrl] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    cache: list[CacheUpdate] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def parse_when(value: Any) -> datetime | None:
    """A W3C/ISO date or datetime as an aware UTC datetime (a bare date is midnight UTC)."""
    if not value:
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def cutoff_for(spec: SourceSpec, settings: Settings, now: datetime | None = None) -> datetime | None:
    """The oldest entry date a source takes: option ``since``, option ``max_age_days``, or the setting."""
    now = now or datetime.now(timezone.utc)
    if spec.options.get("since"):
        since = parse_when(spec.options["since"])
        if since is None:
            raise ValueError(f"source {spec.name}: since {spec.options['since']!r} is not a date")
        return since
    days = spec.options.get("max_age_days", settings.discover_max_age_days)
    return now - timedelta(days=float(days)) if days and float(days) > 0 else None


def _is_local(location: str) -> bool:
    return urlsplit(location).scheme not in REMOTE_SCHEMES


GLOB_MAGIC = re.compile(r"[*?[]")


def glob_folder(pattern: str) -> Path:
    """The fixed folder of a glob (its leading parts without wildcards); the path itself without any."""
    fixed: list[str] = []
    for part in Path(pattern).parts:
        if GLOB_MAGIC.search(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


class _SourceReader:
    """Reads one source's documents (remote or local) and collects its URLs, bounded by settings."""

    def __init__(self, spec: SourceSpec, settings: Settings, client: PoliteClient | None,
                 cache: Mapping[str, CachedDocument], cutoff: datetime | None, known: KnownUrls | None = None) -> None:
        self.spec = spec
        self.settings = settings
        self.client = client
        self.cache = cache
        self.cutoff = cutoff
        self.known = known
        self.out = SourceDiscovery()
        self.documents = 0
        self.max_entries = int(spec.options.get("max_entries", settings.discover_max_entries))
        self.new = 0  # new URLs taken this run: what max_entries counts
        self.taken: set[str] = set()
        self.roots = local_roots(settings)

    def reject(self, reason: str, url: str, detail: str = "") -> None:
        self.out.rejects.append(Reject(Stage.DISCOVER, reason, url, detail))

    async def document(self, location: str, purpose: str, local_ok: bool) -> bytes | object | None:
        """The bytes of a document, NOT_MODIFIED, or None after recording a reject."""
        if self.documents >= self.settings.discover_max_documents:
            self.out.counts["documents_over_cap"] += 1  # read by a later run: one reject says so at the end
            return None
        self.documents += 1
        scheme = urlsplit(location).scheme.lower()
        if scheme in REMOTE_SCHEMES:
            return await self._remote(location, purpose)
        if not local_ok or scheme not in ("", "file"):
            self.reject("unsupported_scheme", location, f"{purpose} at a {scheme or 'relative'} location")
            return None
        path = Path(unquote(urlsplit(location).path) if scheme == "file" else location)
        try:
            return await asyncio.to_thread(read_local, path, self.roots, self.settings.max_document_bytes)
        except LocalRefused as exc:
            self.reject(exc.reason, location, str(exc))
            return None
        except OSError as exc:
            self.reject("unreadable_document", location, f"{type(exc).__name__}: {exc}")
            return None

    async def _remote(self, location: str, purpose: str) -> bytes | object | None:
        if self.client is None:
            self.reject("unsupported_scheme", location, "no HTTP client")
            return None
        cached = self.cache.get(location)
        validators = Validators(cached.etag, cached.last_modified) if cached else None
        got = await self.client.get(location, purpose=purpose, validators=validators,
                                    max_bytes=self.settings.max_document_bytes)
        if not isinstance(got, Response):
            self.reject(got.reason, location, got.detail)
            return None
        if got.not_modified:
            self.out.counts["documents_not_modified"] += 1
            self.out.cache.append(CacheUpdate(location, 304, purpose))
            return NOT_MODIFIED
        self.out.counts["documents_fetched"] += 1
        self.out.cache.append(CacheUpdate(location, got.status_code, purpose, got.headers.get("etag"),
                                          got.headers.get("last-modified")))
        return got.body

    def forget_validators(self, location: str) -> None:
        """Do not remember a document's validators (it was cut short: read it whole next time)."""
        self.out.cache = [c for c in self.out.cache if c.url != location]

    def candidate(self, url: str, entry: dict[str, Any], base: str, local_ok: bool) -> DiscoveredUrl | None:
        """One listed URL if its scheme and age allow (a bad one is rejected alone); not yet kept."""
        try:
            absolute = canonicalize_url(url, base=base if "://" in base else None)
            scheme = urlsplit(absolute).scheme
        except ValueError as exc:  # "http://[::1/b": one bad entry is rejected, the others are kept
            self.reject(Reason.BAD_URL, url[:500], f"listed by {base or self.spec.location}: {exc}")
            return None
        if scheme not in REMOTE_SCHEMES and not (local_ok and scheme == "file"):
            self.reject("unsupported_scheme", url[:500], f"listed by {base}")
            return None
        if scheme == "file":
            try:
                check_regular(unquote(urlsplit(absolute).path), self.roots)
            except LocalRefused as exc:
                self.reject(exc.reason, absolute[:500], f"listed by {base or self.spec.location}: {exc}")
                return None
            except OSError:
                pass  # missing for now: the fetch says file_not_found if it still is
        if self.cutoff is not None:
            when = parse_when(entry.get("published")) or parse_when(entry.get("modified"))
            if when is not None and when < self.cutoff:
                self.out.counts["discover_skipped_old"] += 1
                return None
        return DiscoveredUrl(url=absolute, entry=entry)

    async def take(self, candidates: Sequence[DiscoveredUrl]) -> bool:
        """Keep a document's URLs: known ones always (seen again), new ones up to the cap of the run.
        False when the cap left some new ones for a later run."""
        fresh = [c for c in candidates if c.url not in self.taken]
        known = await self.known([c.url for c in fresh]) if self.known is not None and fresh else set()
        complete = True
        for item in fresh:
            if item.url in self.taken:  # listed twice by this document
                continue
            if item.url not in known:
                if self.new >= self.max_entries:
                    self.out.counts["discover_over_cap"] += 1
                    complete = False
                    continue
                self.new += 1
            self.taken.add(item.url)
            self.out.urls.append(item)
        return complete

    def add(self, url: str, entry: dict[str, Any], base: str, local_ok: bool, into: list[DiscoveredUrl]) -> None:
        """Check one listed URL and add it to a document's candidates."""
        found = self.candidate(url, entry, base, local_ok)
        if found is not None:
            into.append(found)

    def _caps(self) -> None:
        """One reject per cap the source passed this run, with how much waits for later runs."""
        over = self.out.counts.get("discover_over_cap", 0)
        if over:
            self.reject(Reason.TOO_MANY_ENTRIES, self.spec.location,
                        f"{over} new URLs over the cap of {self.max_entries} this run; later runs take them "
                        "(raise discover_max_entries to take more at once)")
        documents = self.out.counts.get("documents_over_cap", 0)
        if documents:
            self.reject(Reason.TOO_MANY_DOCUMENTS, self.spec.location,
                        f"{documents} documents over the cap of {self.settings.discover_max_documents} this run; "
                        "later runs read them, unread ones first (raise discover_max_documents to read more)")

    async def read(self) -> SourceDiscovery:
        kind = self.spec.kind
        if kind == SourceKind.FILES:
            await self._files()
        elif kind == SourceKind.WARC:
            for listed in await asyncio.to_thread(self._warc):
                await self.take(listed)
        elif kind == SourceKind.URLS:
            await self._url_list()
        elif kind == SourceKind.FEED:
            await self._feed()
        elif kind == SourceKind.SITEMAP:
            await self._sitemaps()
        else:
            self.reject("unsupported_source_kind", self.spec.location, f"kind {kind}")
        self._caps()
        return self.out

    def _listable(self, location: str) -> bool:
        """A folder or glob whose fixed folder may hold readable files; else one reject for the source."""
        try:
            may_list(location if Path(location).is_dir() else glob_folder(location), self.roots)
        except LocalRefused as exc:
            self.reject(exc.reason, location, str(exc))
            return False
        return True

    async def _files(self) -> None:
        pattern = self.spec.location
        if not self._listable(pattern):
            return
        if Path(pattern).is_dir():
            paths = sorted(p for p in Path(pattern).rglob("*") if not p.is_dir())
        else:
            paths = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if not Path(p).is_dir())
        if not paths:
            self.reject("no_files_match", pattern, "the pattern matched no file")
        listed: list[DiscoveredUrl] = []
        for path in paths:
            try:
                real = check_regular(path, self.roots)
            except LocalRefused as exc:  # a symlink out of the root, a FIFO or a device in the folder
                self.reject(exc.reason, Path(os.path.abspath(path)).as_uri(), str(exc))
                continue
            except OSError:  # a broken symlink: no file
                continue
            self.add(real.as_uri(), {}, "", True, listed)
        await self.take(listed)

    def _warc(self) -> list[list[DiscoveredUrl]]:
        """The records of each WARC file, as candidates (kept by ``take``, file by file)."""
        if not self._listable(self.spec.location):
            return []
        paths = warcs.warc_paths(self.spec.location)
        if not paths:
            self.reject("no_files_match", self.spec.location, "the pattern matched no WARC file")
        out: list[list[DiscoveredUrl]] = []
        for path in paths:
            listed: list[DiscoveredUrl] = []
            out.append(listed)
            try:
                for record in warcs.list_records(path, self.roots):
                    if isinstance(record, tuple):
                        self.out.counts[record[0]] += 1
                        continue
                    try:
                        url = canonicalize_url(record.url)
                        scheme = urlsplit(url).scheme
                    except ValueError as exc:
                        self.reject(Reason.BAD_URL, record.url[:500], f"in {path}: {exc}")
                        continue
                    if scheme not in REMOTE_SCHEMES:
                        self.reject("unsupported_scheme", record.url[:500], f"in {path}")
                        continue
                    entry = {"archived": record.date} if record.date else {}
                    listed.append(DiscoveredUrl(url=url, entry=entry, fetch_from=record.locator))
            except warcs.WarcError as exc:
                self.reject(exc.reason, str(path), str(exc))
        return out

    async def _url_list(self) -> None:
        location = self.spec.location
        local = _is_local(location)
        data = await self.document(location, "list", local_ok=True)
        if data is None or data is NOT_MODIFIED:
            return
        assert isinstance(data, bytes)
        try:
            lines = data.decode("utf-8").splitlines()
        except UnicodeDecodeError as exc:
            self.reject("unreadable_url_list", location, str(exc))
            self.forget_validators(location)
            return
        listed: list[DiscoveredUrl] = []
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                self.add(line, {}, location, local, listed)
        if not await self.take(listed):
            self.forget_validators(location)

    async def _feed(self) -> None:
        location = self.spec.location
        local = _is_local(location)
        data = await self.document(location, "feed", local_ok=True)
        if data is None or data is NOT_MODIFIED:
            return
        assert isinstance(data, bytes)
        try:
            feed = await asyncio.to_thread(parse_feed, data, location)
        except UnsafeXml as exc:
            self.reject("xml_entities_forbidden", location, str(exc))
            self.forget_validators(location)
            return
        if feed.error:
            self.reject("feed_parse_error", location, feed.error)
            self.forget_validators(location)
            return
        self.out.counts["feed_entries"] += len(feed.entries)
        listed: list[DiscoveredUrl] = []
        for item in feed.entries:
            self.add(item.url, item.entry, location, local, listed)
        if not await self.take(listed):
            self.forget_validators(location)

    async def _sitemaps(self) -> None:
        root = self.spec.location
        queue: list[tuple[str, int]] = [(root, 0)]
        seen = {canonicalize_url(root) if not _is_local(root) else root}
        while queue:
            location, depth = queue.pop(0)
            local = _is_local(location)
            data = await self.document(location, "sitemap", local_ok=_is_local(root))
            if data is None:
                continue
            if data is NOT_MODIFIED:
                cached_children = (self.cache.get(location) or CachedDocument()).children or ()
                self._enqueue(queue, seen, cached_children, depth, location)
                continue
            assert isinstance(data, bytes)
            try:
                sitemap = await asyncio.to_thread(parse_sitemap, data, self.settings.max_document_bytes,
                                                  max(self.max_entries, SITEMAP_MAX_URLS) + 1)
            except SitemapError as exc:
                self.reject(exc.reason, location, str(exc))
                self.forget_validators(location)
                continue
            if sitemap.kind == "sitemapindex":
                children: list[str] = []
                for child in sitemap.entries:
                    modified = parse_when(child.lastmod)
                    if self.cutoff is not None and modified is not None and modified < self.cutoff:
                        self.out.counts["discover_skipped_old_sitemaps"] += 1
                        continue
                    try:
                        children.append(canonicalize_url(child.loc, base=location if "://" in location else None))
                    except ValueError as exc:
                        self.reject(Reason.BAD_URL, child.loc[:500], f"listed by {location}: {exc}")
                self._set_children(location, tuple(children))
                self._enqueue(queue, seen, children, depth, location)
                continue
            self.out.counts["sitemap_entries"] += len(sitemap.entries)
            listed: list[DiscoveredUrl] = []
            for item in sitemap.entries:
                self.add(item.loc, item.entry(), location, local, listed)
            if not await self.take(listed) or sitemap.truncated:
                self.forget_validators(location)

    def _set_children(self, location: str, children: tuple[str, ...]) -> None:
        for index, update in enumerate(self.out.cache):
            if update.url == location:
                self.out.cache[index] = CacheUpdate(update.url, update.status, update.purpose, update.etag,
                                                    update.last_modified, children)

    def _enqueue(self, queue: list[tuple[str, int]], seen: set[str], children: Sequence[str], depth: int,
                 parent: str) -> None:
        """Queue an index's children: never read first, then the longest unread (the document cap of a run
        then reads a big index through over a few runs instead of its first children every time)."""
        def last_read(child: str) -> datetime:
            cached = self.cache.get(child)
            return cached.checked_at if cached is not None and cached.checked_at is not None else NEVER_READ

        for child in sorted(children, key=last_read):
            if child in seen:
                self.out.counts["sitemap_repeats"] += 1  # an index listing itself or a sibling again
                continue
            seen.add(child)
            if depth + 1 > self.settings.sitemap_max_depth:
                self.reject("sitemap_too_deep", child, f"below {parent}, over depth {self.settings.sitemap_max_depth}")
                continue
            queue.append((child, depth + 1))


async def discover_async(
    spec: SourceSpec, settings: Settings, client: PoliteClient | None,
    cache: Mapping[str, CachedDocument] | None = None, known: KnownUrls | None = None,
) -> SourceDiscovery:
    """What one source lists now; a broken source becomes rejects, never an exception. ``known`` tells
    which URLs the warehouse already has (they do not count against the entry cap)."""
    try:
        cutoff = cutoff_for(spec, settings)
    except ValueError as exc:
        return SourceDiscovery(rejects=[Reject(Stage.DISCOVER, "bad_source_option", spec.location, str(exc))])
    reader = _SourceReader(spec, settings, client, cache or {}, cutoff, known)
    try:
        return await reader.read()
    except Exception as exc:  # a bug or an odd document must not fail the other sources
        log.exception("discovering %s failed", spec.name)
        reader.reject("discover_error", spec.location, f"{type(exc).__name__}: {exc}"[:1000])
        # Entries after the failure were never seen: no validator of this source may be kept, or
        # the next run's 304 would hide them for as long as the document stays unchanged.
        reader.out.cache = []
        reader.out.counts["discover_incomplete"] += 1
        return reader.out


def discover_source(spec: SourceSpec, settings: Settings) -> tuple[list[DiscoveredUrl], list[Reject]]:
    """URLs listed by one source now, and rejects for what could not be read (no cache, no DB)."""

    async def go() -> SourceDiscovery:
        async with PoliteClient(settings) as client:
            return await discover_async(spec, settings, client)

    found = asyncio.run(go())
    return found.urls, found.rejects
