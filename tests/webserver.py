"""Local fixture web server: one ThreadingHTTPServer per 127.0.0.x address, with behaviours on demand.

Several "hosts" are distinct loopback addresses (127.0.0.1, 127.0.0.2, ...: all route to lo on
Linux), each on its own ephemeral port, so per-host politeness is observable. Every request is
recorded (address, path, time, conditional headers). Static files come from
tests/fixtures/sites/<site>/ with ``{{BASE}}`` / ``{{BASE:n}}`` replaced by the base URL of this
host / host n; a ``.gz`` path serves the gzip of the file without ``.gz``. Static answers carry
an ETag and Last-Modified and honour conditional requests.

Dynamic paths (on every host):
  /status/<code>            that status (429/503 carry ``Retry-After: 1``)
  /flaky/<code>/<name>      <code> on the first request of that path, an article after
  /redirect/<n>/<name>      a chain of n redirects ending at /gen/<name>.html
  /loop/a, /loop/b          a redirect loop
  /to?url=<u>               a 302 to any URL (e.g. a private address)
  /slow/<seconds>           waits before answering
  /drip/<seconds>           sends the body a byte per ``seconds`` (read timeout)
  /big/<bytes>              a chunked HTML page of that size (no Content-Length)
  /bomb                     a gzip bomb: 20 KB on the wire, 20 MB once decoded
  /binary.html              PNG bytes served as text/html
  /gen/<name>.html          a generated article
  /list/<n>                 n generated page URLs of this host, one per line
  /__requests[?reset]       the requests seen so far as JSON [host, path, monotonic time]

Run ``python -m tests.webserver --hosts 20`` to serve generated pages from another process
(the fetch benchmark does): it prints one base URL per line, then serves until killed.
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
PLACEHOLDER = re.compile(r"\{\{BASE(?::(\d+))?\}\}")
LAST_MODIFIED = email.utils.formatdate(1_700_000_000, usegmt=True)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def article_html(name: str, host: str = "") -> bytes:
    """A small but real-looking news article (enough text for extraction)."""
    para = (f"<p>Story {name} reports on the city council meeting where members debated the budget "
            "for schools, roads and parks at length before a late vote on Tuesday evening.</p>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Story {name}</title></head>"
            f"<body><article><h1>Story {name}</h1>{para * 4}</article></body></html>").encode()


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    host: int
    path: str
    at: float
    headers: dict[str, str]

    @property
    def conditional(self) -> bool:
        return "if-none-match" in self.headers or "if-modified-since" in self.headers


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    drip: float = 0.0
    chunked: bool = False


Handler = Callable[["FixtureServer", int, str, dict[str, str]], Reply]


class FixtureServer:
    """Servers on 127.0.0.1..N; ``sites`` maps a host number to a folder under tests/fixtures/sites."""

    def __init__(self, hosts: int = 3, sites: dict[int, str] | None = None) -> None:
        self.sites = sites or {}
        self.servers: list[ThreadingHTTPServer] = []
        self.threads: list[threading.Thread] = []
        self.requests: list[Seen] = []
        self.routes: dict[tuple[int | None, str], Reply | Handler] = {}
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self._bomb: bytes | None = None
        for number in range(1, hosts + 1):
            server = _QuietServer((f"127.0.0.{number}", 0), _make_handler(self, number))
            server.daemon_threads = True
            self.servers.append(server)

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> FixtureServer:
        for server in self.servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addressing --------------------------------------------------------------------
    def base(self, host: int = 1) -> str:
        address, port = self.servers[host - 1].server_address[:2]
        return f"http://{address!s}:{port}"

    def url(self, path: str, host: int = 1) -> str:
        return self.base(host) + path

    @property
    def hosts(self) -> list[str]:
        return [f"127.0.0.{n}" for n in range(1, len(self.servers) + 1)]

    def route(self, path: str, reply: Reply | Handler, host: int | None = None) -> None:
        """Answer ``path`` (on one host, or all) with a fixed Reply or a handler."""
        self.routes[(host, path)] = reply

    # --- what happened -------------------------------------------------------------------
    def seen(self, host: int | None = None, path: str | None = None) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests
                    if (host is None or r.host == host) and (path is None or r.path == path)]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.counts.clear()

    # --- answers -------------------------------------------------------------------------
    def answer(self, host: int, raw_path: str, headers: dict[str, str]) -> Reply:
        path = urlsplit(raw_path).path
        query = parse_qs(urlsplit(raw_path).query)
        with self.lock:
            self.counts[f"{host}:{path}"] = count = self.counts.get(f"{host}:{path}", 0) + 1
        if path == "/__requests":  # what the server saw, for a benchmark in another process
            with self.lock:
                seen = [[r.host, r.path, r.at] for r in self.requests if r.path != "/__requests"]
                if "reset" in query:
                    self.requests.clear()
            return Reply(200, {"Content-Type": "application/json"}, json.dumps(seen).encode())
        routed = self.routes.get((host, path)) or self.routes.get((None, path))
        if routed is not None:
            return routed(self, host, raw_path, headers) if callable(routed) else routed
        parts = [p for p in path.split("/") if p]
        if path.startswith("/status/"):
            code = int(parts[1])
            extra = {"Retry-After": "1"} if code in (429, 503) else {}
            return Reply(code, extra, b"status page")
        if path.startswith("/flaky/"):
            code = int(parts[1])
            if count == 1:
                return Reply(code, {"Retry-After": "1"} if code in (429, 503) else {}, b"try later")
            return Reply(200, {"Content-Type": "text/html"}, article_html(parts[2]))
        if path.startswith("/redirect/"):
            left, name = int(parts[1]), parts[2]
            target = f"/redirect/{left - 1}/{name}" if left > 1 else f"/gen/{name}.html"
            return Reply(302, {"Location": target})
        if path == "/loop/a":
            return Reply(301, {"Location": "/loop/b"})
        if path == "/loop/b":
            return Reply(301, {"Location": self.url("/loop/a", host)})
        if path == "/to":
            return Reply(302, {"Location": query["url"][0]})
        if path.startswith("/slow/"):
            return Reply(200, {"Content-Type": "text/html"}, article_html("slow"), delay=float(parts[1]))
        if path.startswith("/drip/"):
            return Reply(200, {"Content-Type": "text/html"}, b"<html>" + b" " * 200, drip=float(parts[1]))
        if path.startswith("/big/"):
            size = int(parts[1])
            body = b"<html><body>" + b"x" * max(0, size - 12)
            return Reply(200, {"Content-Type": "text/html"}, body, chunked=True)
        if path == "/bomb":
            if self._bomb is None:
                self._bomb = gzip.compress(b"<html>" + b" " * 20_000_000, compresslevel=9)
            return Reply(200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, self._bomb)
        if path == "/binary.html":
            return Reply(200, {"Content-Type": "text/html"}, PNG)
        if path.startswith("/gen/") and path.endswith(".html"):
            return self._static_reply(article_html(parts[-1][:-5]), "text/html", headers)
        if path.startswith("/list/"):
            lines = "".join(f"{self.base(host)}/gen/p{i}.html\n" for i in range(int(parts[1])))
            return self._static_reply(lines.encode(), "text/plain", headers)
        return self._static(host, path, headers)

    def _static(self, host: int, path: str, headers: dict[str, str]) -> Reply:
        site = self.sites.get(host)
        if site is None:
            return Reply(404, {}, b"not found")
        root = SITES / site
        gzipped = path.endswith(".gz") and not (root / path.lstrip("/")).is_file()
        file = root / (path[:-3] if gzipped else path).lstrip("/")
        if not file.is_file() or root not in file.resolve().parents:
            return Reply(404, {}, b"not found")
        body = file.read_bytes()
        if file.suffix in (".xml", ".rss", ".rdf", ".atom", ".txt", ".html"):
            body = PLACEHOLDER.sub(lambda m: self.base(int(m.group(1) or host)), body.decode("latin-1")).encode(
                "latin-1")
        ctype = {".xml": "application/xml", ".rss": "application/rss+xml", ".rdf": "application/rdf+xml",
                 ".atom": "application/atom+xml", ".txt": "text/plain", ".html": "text/html"}.get(
            file.suffix, "application/octet-stream")
        if gzipped:
            body, ctype = gzip.compress(body, mtime=0), "application/gzip"
        return self._static_reply(body, ctype, headers)

    def _static_reply(self, body: bytes, ctype: str, headers: dict[str, str]) -> Reply:
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        fixed = {"Content-Type": ctype, "ETag": etag, "Last-Modified": LAST_MODIFIED}
        if headers.get("if-none-match") == etag or (
            "if-none-match" not in headers and headers.get("if-modified-since") == LAST_MODIFIED
        ):
            return Reply(304, {"ETag": etag, "Last-Modified": LAST_MODIFIED})
        return Reply(200, fixed, body)


class _QuietServer(ThreadingHTTPServer):
    """A client hanging up mid-answer (timeouts, caps) is expected here, not an error to print."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def _make_handler(owner: FixtureServer, number: int) -> type[BaseHTTPRequestHandler]:
    class FixtureHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with owner.lock:
                owner.requests.append(Seen(number, urlsplit(self.path).path, time.monotonic(), headers))
            reply = owner.answer(number, self.path, headers)
            try:
                self._send(reply)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _send(self, reply: Reply) -> None:
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.drip:
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                for index in range(len(reply.body)):
                    self.wfile.write(reply.body[index:index + 1])
                    self.wfile.flush()
                    time.sleep(reply.drip)
                return
            if reply.chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(reply.body), 65536):
                    piece = reply.body[start:start + 65536]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status != 304:
                self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (quiet)
            pass

    return FixtureHandler


def main(argv: list[str] | None = None) -> None:
    """Serve generated pages on --hosts addresses until killed; print one base URL per line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    args = parser.parse_args(argv)
    server = FixtureServer(hosts=args.hosts).start()
    for number in range(1, args.hosts + 1):
        print(server.base(number), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
        sys.exit(0)



# --- pytest fixtures and helpers shared by tests/test_fetch.py and tests/test_discover.py -------
import pytest  # noqa: E402  (only the test half of this module needs it)


class ConnectAudit:
    """Every socket.connect this process makes while enabled (Python audit hook: cannot be bypassed
    by httpx/anyio, which connect through the socket module)."""

    def __init__(self) -> None:
        self.enabled = False
        self.addresses: list[str] = []

    def __call__(self, event: str, args: tuple[object, ...]) -> None:
        if self.enabled and event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and address:
                self.addresses.append(str(address[0]))


AUDIT = ConnectAudit()
sys.addaudithook(AUDIT)


@pytest.fixture
def connects() -> Iterator[ConnectAudit]:
    """Records the addresses connected to during the test."""
    AUDIT.addresses.clear()
    AUDIT.enabled = True
    yield AUDIT
    AUDIT.enabled = False


@pytest.fixture
def web() -> Iterator[FixtureServer]:
    """Five local hosts: 1 = the 'news' site, 2 = the 'slow' site (Crawl-delay 0.4), 3-5 bare."""
    with FixtureServer(hosts=5, sites={1: "news", 2: "slow"}) as server:
        yield server


def net_settings(settings: Any, server: FixtureServer, **changes: Any) -> Any:
    """Test settings: the fixture hosts allowed, small delays, timeouts and caps."""
    base = dict(
        allowed_hosts=tuple(server.hosts),
        min_host_interval_seconds=0.05,
        connect_timeout_seconds=1.0,
        read_timeout_seconds=0.5,
        total_timeout_seconds=1.5,
        max_retries=1,
        retry_backoff_seconds=0.05,
        retry_backoff_max_seconds=0.2,
        max_retry_after_seconds=5.0,
        max_fetch_bytes=200_000,
        max_document_bytes=1_000_000,
        batch_size=10,
        fetch_concurrency=8,
    )
    base.update(changes)
    return settings.with_overrides(**base)


def run_stages(url: str, settings: Any, specs: Sequence[Any], *, progress: Any = None
               ) -> tuple[int, Any, Any, dict[str, Any]]:
    """One run as the runner does it: start, sync sources, discover, fetch, finish."""
    from etl.pipeline import runs as pipeline
    from etl.pipeline.discover import run_discover
    from etl.pipeline.fetch import run_fetch

    run_id = pipeline.start_run(url, "test", {})
    ids = pipeline.sync_sources(url, specs)
    found = run_discover(url, settings, specs, ids, run_id)
    try:
        fetched = run_fetch(url, settings, run_id, list(ids.values()), progress=progress)
    except BaseException as exc:
        pipeline.finish_run(url, settings, run_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return run_id, found, fetched, pipeline.finish_run(url, settings, run_id)


if __name__ == "__main__":
    main()
