"""The polite HTTP client: one pooled httpx client behind robots.txt, per-host spacing and hard caps.

Everything the stages fetch over the network goes through :class:`PoliteClient.get`, which
never raises for a bad URL: it returns a :class:`Response` or a ``Reject`` whose reason is
machine-readable. Each HTTP attempt (and each refusal before one) is kept in
``client.attempts`` for the stage to write to ``fetch_log``.

Politeness, in the order a request meets it:

* the scheme must be http(s) and the host must pass the SSRF guard (``etl.acquire.netguard``),
  before any connection is made and again for every redirect hop;
* robots.txt of the origin (fetched once, cached for the run and in ``http_cache``) must allow
  the URL; its Crawl-delay raises the host's spacing;
* :class:`HostLimiter` lets one request at a time run per host in this process and takes each
  request's start from the host's clock (:class:`HostClock`): one clock per host shared by every
  stage, task and worker process when the pipeline passes its PostgreSQL-backed clock, an
  in-process one otherwise. A start is reserved ``interval`` after the previous one and never
  sooner than ``interval`` after the end of the previous request of this process. A global
  semaphore bounds requests in flight over all hosts, so throughput grows with the number of
  hosts, never with the pressure on one;
* a host that keeps failing (``host_max_failures`` URLs in a row ending in a timeout, a refused
  connection, a 429 or a 5xx, or an unreadable robots.txt) is *parked* for the rest of the run:
  it is asked nothing more, and what was asked of it is answered ``host_parked`` (transient);
* timeouts (connect, read, total), retries with exponential backoff and jitter on timeouts,
  connection errors, 429 and 5xx (Retry-After honoured up to a cap and applied to the whole
  host), manual redirects with a cap and loop detection, a streamed body cut at a byte limit
  both on the wire and after gzip/brotli decoding (a gzip bomb is a ``too_large`` reject).

Charset detection is not done here: the bytes and headers are stored as received (decoded
from their Content-Encoding only) and ``etl.extract.decode`` reads them later.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import logging
import math
import random
import ssl
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

import brotli
import certifi
import httpcore
import httpx

from etl.acquire.netguard import BLOCKED_PREFIX, BlockedAddress, GuardedBackend, HostGuard
from etl.acquire.robots import ALLOW_ALL, MAX_ROBOTS_BYTES, UNAVAILABLE, RobotsRules, robots_url
from etl.records import Attempt, CacheUpdate, Reason, Reject, Stage, http_reason
from etl.settings import Settings
from etl.sniff import looks_binary

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Response headers not kept: they describe the transfer, and the stored body is already decoded.
TRANSFER_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection",
                              "keep-alive", "set-cookie"})
CHUNK = 64 * 1024
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Response:
    """A usable answer: 2xx with its (content-decoded) body, or 304 Not Modified."""

    url: str
    final_url: str
    status_code: int
    headers: dict[str, str]
    body: bytes = b""
    redirects: tuple[str, ...] = ()

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass(frozen=True)
class Validators:
    """What a conditional GET sends: the ETag and Last-Modified of the copy we have."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


class TooLarge(Exception):
    """The body passed the byte cap (on the wire or once decoded)."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding we did not ask for and cannot decode."""


class BodyDecoder:
    """Undo one Content-Encoding incrementally, never producing more than ``limit`` bytes.

    zlib and brotli are both asked for at most the remaining room plus one byte per call, so
    a small compressed bomb costs at most ``limit`` bytes of memory before it is refused.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        names = [e.strip().lower() for e in encoding.split(",") if e.strip() and e.strip().lower() != "identity"]
        if len(names) > 1:
            raise UnsupportedEncoding(f"stacked content encodings {encoding!r}")
        self.name = names[0] if names else ""
        self._zlib: zlib._Decompress | None = None
        self._brotli: brotli.Decompressor | None = None
        self._deflate_first = True
        if self.name in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.name == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif self.name == "br":
            self._brotli = brotli.Decompressor()
        elif self.name:
            raise UnsupportedEncoding(f"content encoding {encoding!r}")

    def _keep(self, data: bytes) -> None:
        room = self.limit - self.size
        self.size += len(data)
        if self.size > self.limit:
            if room > 0:  # what fits is kept: a caller reading only a prefix (robots.txt) uses it
                self.parts.append(data[:room])
            raise TooLarge(f"over {self.limit} bytes once decoded ({self.name or 'identity'})")
        if data:
            self.parts.append(data)

    def feed(self, data: bytes) -> None:
        if self._zlib is not None:
            if self.name == "deflate" and self._deflate_first and data:
                self._deflate_first = False
                try:  # 'deflate' is zlib-wrapped by the spec, raw by many servers
                    probe = zlib.decompressobj(zlib.MAX_WBITS)
                    probe.decompress(data[:2])
                except zlib.error:
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            buf = data
            while buf and not self._zlib.eof:
                self._keep(self._zlib.decompress(buf, self.limit - self.size + 1))
                buf = self._zlib.unconsumed_tail
        elif self._brotli is not None:
            self._keep(self._brotli.process(data, output_buffer_limit=self.limit - self.size + 1))
            while not self._brotli.can_accept_more_data():
                self._keep(self._brotli.process(b"", output_buffer_limit=self.limit - self.size + 1))
        else:
            self._keep(data)

    def finish(self) -> bytes:
        if self._zlib is not None and not self._zlib.eof:
            self._keep(self._zlib.flush())
        return b"".join(self.parts)


def decode_body(data: bytes, encoding: str, limit: int) -> bytes:
    """Decode a whole body at once (used for gzip sitemaps and tests)."""
    decoder = BodyDecoder(encoding, limit)
    for start in range(0, len(data), CHUNK):
        decoder.feed(data[start:start + CHUNK])
    if not data:
        decoder.feed(b"")
    return decoder.finish()


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds asked by a Retry-After header (delta-seconds or an HTTP date), if readable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = datetime.now(timezone.utc).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


class HostClock(Protocol):
    """What a client shares about hosts with every other client of the run (and other runs).

    The pipeline passes one backed by PostgreSQL (``etl.pipeline.hosts``), so spacing, parking and
    robots.txt answers hold across stages, tasks and worker processes; :class:`LocalClock` keeps
    them in this process only (``fetch_url`` and tests).
    """

    async def reserve(self, host: str, interval: float) -> float | None:
        """Reserve the host's next request slot; the seconds to wait for it, or None when the host is parked."""
        ...

    async def begin(self, host: str, interval: float) -> float:
        """Start a request now (recorded) if the host's previous start is ``interval`` ago; else seconds to wait."""
        ...

    async def sent(self, host: str) -> None:
        """The request that began is being sent now (its connection is up): its start, as the server sees it."""
        ...

    async def hold_off(self, host: str, seconds: float) -> None:
        """No request to ``host`` starts before ``seconds`` from now (a request's end, a backoff, Retry-After)."""
        ...

    async def park(self, host: str, reason: str, detail: str, failures: int) -> None:
        """Ask ``host`` nothing more in this run."""
        ...

    async def robots(self, url: str) -> tuple[int, bytes | None] | None:
        """A robots.txt answer another client stored since this one started (status, body), if any."""
        ...

    async def claim_robots(self, url: str, seconds: float) -> bool:
        """Take the fetch of a robots.txt for ``seconds`` (True), unless another client is fetching it (False)."""
        ...

    async def release_robots(self, url: str) -> None:
        """This client is done fetching a robots.txt (its answer stored, or the fetch failed)."""
        ...

    async def keep_robots(self, url: str, status: int, body: bytes | None) -> None:
        """Store a robots.txt answer at once, for the other clients."""
        ...


class LocalClock:
    """The host clock of one process: per-host next start times on the monotonic clock."""

    def __init__(self) -> None:
        self.next_start: dict[str, float] = {}
        self.last_start: dict[str, float] = {}
        self.parked: set[str] = set()

    async def reserve(self, host: str, interval: float) -> float | None:
        if host in self.parked:
            return None
        now = time.monotonic()
        start = max(self.next_start.get(host, 0.0), now)
        self.next_start[host] = start + interval
        return start - now

    async def begin(self, host: str, interval: float) -> float:
        now = time.monotonic()
        wait = self.last_start.get(host, -math.inf) + interval - now
        if wait > 0:
            return wait
        self.last_start[host] = now
        return 0.0

    async def sent(self, host: str) -> None:
        self.last_start[host] = max(self.last_start.get(host, -math.inf), time.monotonic())

    async def hold_off(self, host: str, seconds: float) -> None:
        self.next_start[host] = max(self.next_start.get(host, 0.0), time.monotonic() + seconds)

    async def park(self, host: str, reason: str, detail: str, failures: int) -> None:
        self.parked.add(host)

    async def robots(self, url: str) -> tuple[int, bytes | None] | None:
        return None

    async def claim_robots(self, url: str, seconds: float) -> bool:
        return True

    async def release_robots(self, url: str) -> None:
        return None

    async def keep_robots(self, url: str, status: int, body: bytes | None) -> None:
        return None


# A client fetching a robots.txt holds its claim this long beyond its request budget; the other clients
# of the run ask every ROBOTS_POLL_SECONDS whether its answer is stored.
ROBOTS_CLAIM_SLACK = 5.0
ROBOTS_POLL_SECONDS = 0.05

# Added to a host's interval when a request begins: what may pass between starting a request here and
# the server seeing it (a new connection, a busy event loop), so the server still sees the interval.
SPACING_SLACK = 0.02


class HostParked(Exception):
    """The host's clock says it is parked for the rest of the run."""


class HostLimiter:
    """One request at a time per host in this process; starts taken from the host's clock.

    The slot reserves the host's next start (``interval`` after the previous reserved start,
    whoever reserved it), waits for it, then *begins*: starts only once the host's previous actual
    start is ``interval`` (plus :data:`SPACING_SLACK`, the jitter between starting and the server
    seeing the request) ago, and records its own — once more when its headers go out, after the
    connection is made, so a slow connect cannot crowd the next request. On the request's end it
    holds the host off for
    ``interval`` more. So the server never sees two requests of any processes closer than the
    interval from start to start, nor two of this process closer than the interval from one's end
    to the next one's start. The global semaphore is taken only once the host's turn has come, so a
    host that must wait never holds a slot another host could use.
    """

    def __init__(self, default_interval: float, concurrency: int, clock: HostClock | None = None) -> None:
        self.default_interval = default_interval
        self.clock: HostClock = clock if clock is not None else LocalClock()
        self.intervals: dict[str, float] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.global_slots = asyncio.Semaphore(max(1, concurrency))

    def set_interval(self, host: str, seconds: float) -> None:
        self.intervals[host] = max(self.default_interval, seconds)

    def interval(self, host: str) -> float:
        return self.intervals.get(host, self.default_interval)

    async def push_back(self, host: str, seconds: float) -> None:
        """No request to ``host`` before ``seconds`` from now (backoff, Retry-After)."""
        await self.clock.hold_off(host, seconds)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Wait for the host's turn, then run the request; raises HostParked when the host is parked."""
        lock = self.locks.setdefault(host, asyncio.Lock())
        async with lock:
            wait = await self.clock.reserve(host, self.interval(host))
            if wait is None:
                raise HostParked(host)
            if wait > 0:
                await asyncio.sleep(wait)
            async with self.global_slots:
                while (wait := await self.clock.begin(host, self.interval(host) + SPACING_SLACK)) > 0:
                    await asyncio.sleep(wait)
                try:
                    yield
                finally:
                    await asyncio.shield(self.clock.hold_off(host, self.interval(host)))


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose sockets go through the SSRF guard."""

    def __init__(self, guard: HostGuard, settings: Settings) -> None:
        super().__init__(trust_env=False)
        context = ssl.create_default_context(cafile=certifi.where())
        if not settings.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        concurrency = max(1, settings.fetch_concurrency)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=concurrency * 2,
            max_keepalive_connections=concurrency * 2,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(guard),
        )


# Refusals before any request that may pass by a later run (the URL stays in the frontier).
TRANSIENT_REFUSALS = frozenset({Reason.DNS_ERROR, Reason.ROBOTS_UNAVAILABLE, Reason.HOST_PARKED})
# Final outcomes of a URL that count against its host (the circuit breaker): the host, not the URL, failed.
HOST_FAILURES = frozenset({Reason.TIMEOUT, Reason.CONNECT_ERROR, Reason.DNS_ERROR})


class _Failure(Exception):
    def __init__(self, reason: str, detail: str, *, retry: bool = False, wait: float | None = None,
                 status: int | None = None, size: int = 0) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.retry, self.wait = reason, detail, retry, wait
        self.status, self.size = status, size

    @property
    def transient(self) -> bool:
        """Worth another try in a later run: a timeout, a lost connection, a 429 or a 5xx."""
        return self.retry or (self.status is not None and (self.status == 429 or self.status >= 500))

    def reject(self, url: str) -> Reject:
        return Reject(Stage.FETCH, self.reason, url, self.detail, status_code=self.status, transient=self.transient)


@dataclass
class RobotsMemo:
    """robots.txt answers of this run; ``fetched`` are the new ones to persist."""

    rules: dict[str, RobotsRules] = field(default_factory=dict)
    fetched: dict[str, tuple[int, bytes | None]] = field(default_factory=dict)


class PoliteClient:
    """Use as ``async with PoliteClient(settings) as client: await client.get(url)``."""

    def __init__(self, settings: Settings, robots: Mapping[str, tuple[int, bytes | None]] | None = None,
                 clock: HostClock | None = None) -> None:
        """``robots`` are cached answers (robots URL -> (status, body)) from earlier runs; ``clock`` is the
        host clock shared with the run's other clients (default: one of this process only)."""
        self.settings = settings
        self.guard = HostGuard(settings.allowed_hosts)
        self.clock: HostClock = clock if clock is not None else LocalClock()
        self.limiter = HostLimiter(settings.min_host_interval_seconds, settings.fetch_concurrency, self.clock)
        self.failures: Counter[str] = Counter()  # URLs in a row whose host failed them, per host
        self.parked: dict[str, str] = {}  # host -> why it is parked for the rest of the run
        self.attempts: list[Attempt] = []
        self.robots = RobotsMemo()
        for url, (status, body) in (robots or {}).items():
            self.robots.rules[url] = _rules_from(status, body)
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> PoliteClient:
        s = self.settings
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(self.guard, s),
            timeout=httpx.Timeout(connect=s.connect_timeout_seconds, read=s.read_timeout_seconds,
                                  write=s.read_timeout_seconds, pool=None),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            follow_redirects=False,
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def take_attempts(self) -> list[Attempt]:
        """The attempts logged since the last call (for the stage to write to fetch_log)."""
        out, self.attempts = self.attempts, []
        return out

    def take_robots(self) -> list[CacheUpdate]:
        """The robots.txt answers fetched since the last call, as http_cache rows to keep."""
        fetched, self.robots.fetched = self.robots.fetched, {}
        return [CacheUpdate(url, status, "robots", body=body) for url, (status, body) in fetched.items()]

    async def get(
        self,
        url: str,
        *,
        purpose: str = "page",
        validators: Validators | None = None,
        max_bytes: int | None = None,
        html_only: bool = False,
        truncate: bool = False,
        reuse: Callable[[], Awaitable[Response | None]] | None = None,
    ) -> Response | Reject:
        """GET ``url`` politely; a Response (2xx or 304) or a Reject, never an exception.

        ``truncate`` keeps the first ``max_bytes`` of a longer body instead of refusing it; ``reuse``
        is asked once the host's turn has come, before the request: an answer it gives is used
        instead (another process fetched the same robots.txt meanwhile).
        """
        limit = max_bytes if max_bytes is not None else self.settings.max_fetch_bytes
        seen = [url]
        current = url
        extra = validators.headers() if validators else {}
        while True:
            outcome = await self._get_one(current, purpose, extra, limit, html_only, truncate,
                                          reuse if current == url else None)
            if not isinstance(outcome, str):
                await self._account(current, outcome)
                if isinstance(outcome, Reject):
                    return dataclasses.replace(outcome, url=url)
                return Response(url, current, outcome.status_code, outcome.headers, outcome.body, tuple(seen[:-1]))
            target = urlunsplit(urlsplit(urljoin(current, outcome))._replace(fragment=""))
            if target in seen:
                return Reject(Stage.FETCH, "redirect_loop", url, " -> ".join([*seen, target])[:1000])
            if len(seen) > self.settings.max_redirects:
                return Reject(Stage.FETCH, "too_many_redirects", url,
                              f"more than {self.settings.max_redirects} redirects: {' -> '.join(seen)}"[:1000])
            seen.append(target)
            current = target
            extra = {}

    async def _account(self, url: str, outcome: Response | Reject) -> None:
        """The circuit breaker: count a URL its host failed; park the host after too many in a row."""
        host = (urlsplit(url).hostname or "").lower()
        if isinstance(outcome, Response) or (outcome.status_code is not None and not outcome.transient):
            self.failures.pop(host, None)  # the host answered
            return
        if not outcome.transient or not (outcome.reason in HOST_FAILURES or outcome.status_code is not None):
            return  # a refusal before any request says nothing about the host
        self.failures[host] += 1
        if self.failures[host] >= self.settings.host_max_failures and host not in self.parked:
            await self._park(host, outcome.reason,
                             f"{self.failures[host]} URLs in a row failed, the last with {outcome.reason}: "
                             f"{outcome.detail}"[:500])

    async def _park(self, host: str, reason: str, detail: str) -> None:
        self.parked[host] = reason
        log.warning("host %s is parked for the rest of this run (%s); its URLs stay pending", host, detail)
        await self.clock.park(host, reason, detail, self.failures[host])

    async def _get_one(
        self, url: str, purpose: str, extra: dict[str, str], limit: int, html_only: bool, truncate: bool = False,
        reuse: Callable[[], Awaitable[Response | None]] | None = None,
    ) -> Response | Reject | str:
        """One hop: a Response, a Reject, or the Location to follow."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            return self._refuse(url, host, purpose, "unsupported_scheme", f"scheme {parts.scheme or '(none)'}")
        if host in self.parked:
            return self._parked(url, host, purpose)
        try:
            self.guard.check_literal(host)
            await self.guard.resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
        except BlockedAddress as exc:
            return self._refuse(url, host, purpose, "ssrf_blocked", str(exc))
        except OSError as exc:
            return self._refuse(url, host, purpose, "dns_error", str(exc))
        if purpose != "robots" and self.settings.respect_robots:
            rules = await self.robots_for(parts.scheme, parts.netloc.lower())
            if rules.state == "unavailable":
                return self._refuse(url, host, purpose, "robots_unavailable", "robots.txt could not be read")
            if host in self.parked:
                return self._parked(url, host, purpose)
            if not rules.allowed(url, self.settings.user_agent):
                return self._refuse(url, host, purpose, "robots_disallowed", "robots.txt disallows this URL")
            delay = rules.crawl_delay(self.settings.user_agent)
            if delay is not None:
                self.limiter.set_interval(host, min(delay, self.settings.max_crawl_delay_seconds))
        attempts = max(0, self.settings.max_retries) + 1
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                async with self.limiter.slot(host):
                    if host in self.parked:  # parked while this request waited for its turn
                        return self._parked(url, host, purpose)
                    if reuse is not None and attempt == 1 and (reused := await reuse()) is not None:
                        return reused
                    started = time.monotonic()
                    try:
                        async with asyncio.timeout(self.settings.total_timeout_seconds):
                            result = await self._exchange(url, extra, limit, html_only, truncate)
                    except TimeoutError as exc:
                        raise _Failure("timeout", f"over the {self.settings.total_timeout_seconds:g}s total budget",
                                       retry=True) from exc
            except HostParked:
                self.parked.setdefault(host, Reason.HOST_PARKED)
                return self._parked(url, host, purpose)
            except _Failure as failure:
                self._log(url, host, purpose, attempt, started, failure.status, failure.reason,
                          failure.reason, failure.size, bool(extra))
                if not failure.retry or attempt == attempts:
                    return failure.reject(url)
                backoff = min(self.settings.retry_backoff_max_seconds,
                              self.settings.retry_backoff_seconds * 2 ** (attempt - 1)) * (0.5 + random.random())
                await self.limiter.push_back(host, failure.wait if failure.wait is not None else backoff)
                continue
            status, headers, body = result
            self._log(url, host, purpose, attempt, started, status, None, None, len(body), bool(extra))
            if status in REDIRECT_CODES:
                return headers["location"]
            return Response(url, url, status, headers, body)
        raise AssertionError("unreachable")

    async def _exchange(
        self, url: str, extra: dict[str, str], limit: int, html_only: bool, truncate: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request and read its body within the caps; failures raise _Failure."""
        assert self._client is not None
        host = (urlsplit(url).hostname or "").lower()

        async def trace(event: str, _info: dict[str, object]) -> None:
            if event.endswith("send_request_headers.started"):  # what the server will see as the start
                await self.clock.sent(host)

        try:
            async with self._client.stream("GET", url, headers=extra, extensions={"trace": trace}) as resp:
                status = resp.status_code
                headers = {k.lower(): v for k, v in resp.headers.items()}
                if status in REDIRECT_CODES and headers.get("location"):
                    return status, headers, b""
                if status == 304:
                    return status, _kept(headers), b""
                if status == 429 or status >= 500:
                    wait = retry_after_seconds(headers.get("retry-after"))
                    if wait is not None and wait > self.settings.max_retry_after_seconds:
                        raise _Failure(http_reason(status), f"Retry-After {wait:.0f}s is over the cap", status=status)
                    raise _Failure(http_reason(status), f"HTTP {status}", retry=True, wait=wait, status=status)
                if status >= 400 or status < 200 or status >= 300:
                    raise _Failure(http_reason(status), f"HTTP {status}", status=status)
                ctype = headers.get("content-type", "").split(";", 1)[0].strip().lower()
                if html_only and ctype and ctype not in HTML_TYPES:
                    raise _Failure("not_html", f"content type {ctype}", status=status)
                length = headers.get("content-length", "")
                if length.isdigit() and int(length) > limit and not truncate:
                    raise _Failure("too_large", f"Content-Length {length} > {limit}", status=status)
                try:
                    decoder = BodyDecoder(headers.get("content-encoding", ""), limit)
                except UnsupportedEncoding as exc:
                    raise _Failure("unsupported_encoding", str(exc), status=status) from exc
                wire = 0
                try:
                    async for chunk in resp.aiter_raw(CHUNK):
                        wire += len(chunk)
                        if truncate:
                            decoder.feed(chunk)  # keeps what fits before it refuses more
                        if wire > limit:
                            raise TooLarge(f"over {limit} bytes on the wire")
                        if not truncate:
                            decoder.feed(chunk)
                    body = decoder.finish()
                except TooLarge as exc:
                    if truncate:  # only the first `limit` bytes are wanted (robots.txt): the rest is not read
                        return status, _kept(headers), b"".join(decoder.parts)[:limit]
                    raise _Failure("too_large", str(exc), status=status, size=wire) from exc
                except (zlib.error, brotli.error) as exc:
                    raise _Failure("bad_encoding", f"{decoder.name}: {exc}", status=status, size=wire) from exc
                if html_only and looks_binary(body):
                    raise _Failure("not_html", f"binary content served as {ctype or 'no type'}", status=status,
                                   size=wire)
                return status, _kept(headers), body
        except _Failure:
            raise
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise _Failure("timeout", f"{type(exc).__name__}: {exc}"[:500], retry=True) from exc
        except httpx.TransportError as exc:
            if str(exc).startswith(BLOCKED_PREFIX):
                raise _Failure("ssrf_blocked", str(exc)) from exc
            raise _Failure("connect_error", f"{type(exc).__name__}: {exc}"[:500], retry=True) from exc
        except httpx.InvalidURL as exc:
            raise _Failure("bad_url", str(exc)) from exc

    def _parked(self, url: str, host: str, purpose: str) -> Reject:
        why = self.parked.get(host, Reason.HOST_PARKED)
        return self._refuse(url, host, purpose, Reason.HOST_PARKED,
                            f"{host} is parked for the rest of this run ({why}); not asked")

    def _refuse(self, url: str, host: str, purpose: str, reason: str, detail: str) -> Reject:
        self.attempts.append(Attempt(url, host, purpose, 0, error_class="refused", reason=reason))
        return Reject(Stage.FETCH, reason, url, detail, transient=reason in TRANSIENT_REFUSALS)

    def _log(self, url: str, host: str, purpose: str, attempt: int, started: float, status: int | None,
             error: str | None, reason: str | None, size: int, conditional: bool) -> None:
        elapsed = int((time.monotonic() - started) * 1000)
        self.attempts.append(Attempt(url, host, purpose, attempt, status, error, reason, size, elapsed, conditional))

    async def robots_for(self, scheme: str, netloc: str) -> RobotsRules:
        """The rules of an origin: from this run's memo, the persisted cache, a client of another process
        that fetched it meanwhile (asked once the host's turn has come), or fetched once.

        RFC 9309: at least the first 500 KiB are read (a longer file is cut, not refused); a 4xx means no
        rules; 5xx, 429 or no answer means full disallow for this run, and parks the host."""
        key = robots_url(scheme, netloc)
        if key in self.robots.rules:
            return self.robots.rules[key]
        async with self._robots_locks.setdefault(key, asyncio.Lock()):
            if key in self.robots.rules:
                return self.robots.rules[key]
            shared: list[tuple[int, bytes | None]] = []

            claim = self.settings.total_timeout_seconds * (self.settings.max_retries + 1) + ROBOTS_CLAIM_SLACK

            async def reuse() -> Response | None:
                """Another client's answer (waiting while one is fetching it), or None: this one fetches."""
                deadline = time.monotonic() + claim
                while True:
                    answer = await self.clock.robots(key)
                    if answer is None and await self.clock.claim_robots(key, claim):
                        # the fetcher may have stored its answer and let its claim go between the look and
                        # the claim (a loaded machine widens that gap): look once more before fetching
                        answer = await self.clock.robots(key)
                        if answer is None:
                            return None
                        await self.clock.release_robots(key)
                    if answer is not None:
                        shared.append(answer)
                        return Response(key, key, answer[0], {}, answer[1] or b"")
                    if time.monotonic() > deadline:
                        return None
                    await asyncio.sleep(ROBOTS_POLL_SECONDS)

            try:
                rules = await self._robots_answer(key, reuse, shared)
            finally:  # stored or failed: the claim goes (after the answer is stored, never before)
                if not shared:
                    await self.clock.release_robots(key)
            self.robots.rules[key] = rules
            return rules

    async def _robots_answer(self, key: str, reuse: Callable[[], Awaitable[Response | None]],
                             shared: list[tuple[int, bytes | None]]) -> RobotsRules:
        """The rules of robots.txt ``key``: another client's answer, or this client's fetch (then stored)."""
        got = await self.get(key, purpose="robots", max_bytes=MAX_ROBOTS_BYTES, truncate=True, reuse=reuse)
        if shared:
            rules = _rules_from(*shared[0])
        elif isinstance(got, Response):
            rules = RobotsRules.parse(got.body)
            await self._keep_robots(key, got.status_code, got.body[:MAX_ROBOTS_BYTES])
        elif got.status_code is not None and 400 <= got.status_code < 500 and got.status_code != 429:
            rules = ALLOW_ALL  # RFC 9309: a 4xx robots.txt means no rules
            await self._keep_robots(key, got.status_code, None)
        elif got.reason in ("ssrf_blocked", Reason.HOST_PARKED):
            rules = ALLOW_ALL  # the page itself is refused by the same guard, or its host is parked
        else:
            rules = UNAVAILABLE  # 5xx, 429, timeouts: full disallow for now, asked again next run
            host = (urlsplit(key).hostname or "").lower()
            if host not in self.parked:
                await self._park(host, Reason.ROBOTS_UNAVAILABLE, f"robots.txt: {got.reason}: {got.detail}"[:500])
        return rules

    async def _keep_robots(self, key: str, status: int, body: bytes | None) -> None:
        self.robots.fetched[key] = (status, body)
        await self.clock.keep_robots(key, status, body)


def _rules_from(status: int, body: bytes | None) -> RobotsRules:
    if 200 <= status < 300 and body is not None:
        return RobotsRules.parse(body)
    return ALLOW_ALL


def _kept(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in TRANSFER_HEADERS}

