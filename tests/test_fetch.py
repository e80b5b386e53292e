"""Fetch stage: polite, capped, SSRF-safe HTTP into raw_pages, incremental and crash-safe.

Network tests only talk to the fixture server on 127.0.0.x (tests/webserver.py); the private
and metadata addresses some fixtures point at are refused before any connection, which the
``connects`` audit fixture checks at the socket level.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import brotli
import httpcore
import psycopg
import pytest

from etl.acquire.fetch import fetch_url
from etl.acquire.http import BodyDecoder, HostLimiter, TooLarge, UnsupportedEncoding, decode_body, retry_after_seconds
from etl.acquire.netguard import BlockedAddress, GuardedBackend, HostGuard, is_public
from etl.pipeline import runs as pipeline
from etl.pipeline.fetch import run_fetch
from etl.records import Fetched, Reject, SourceSpec
from etl.settings import Settings
from etl.store import frontier
from etl.store.db import libpq_url

pytest.register_assert_rewrite("tests.webserver")  # its helpers assert too

from tests.webserver import FixtureServer, Reply, net_settings, run_stages  # noqa: E402

# the fixtures `web` (the local hosts) and `connects` (socket audit)
pytest_plugins = ("tests.webserver",)


def gaps(times: Sequence[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in zip(ordered, ordered[1:], strict=False)]


def ran_together(per_host: Sequence[Sequence[float]]) -> bool:
    """The hosts' request times overlap: every host had begun before any host was done (whatever the
    machine's speed, unlike a wall-clock bound)."""
    return max(min(times) for times in per_host) < min(max(times) for times in per_host)


def reason_of(outcome: Fetched | Reject) -> str | None:
    return outcome.reason if isinstance(outcome, Reject) else None


def one(db: psycopg.Connection, query: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    row = db.execute(query, params).fetchone()
    assert row is not None
    return row


def reasons(db: psycopg.Connection, stage: str = "fetch") -> dict[str, str]:
    rows = db.execute("select url, reason from rejects where stage = %s", (stage,)).fetchall()
    return {url: reason for url, reason in rows}


# --- pieces -------------------------------------------------------------------------------------

def test_body_decoder_refuses_bombs_without_inflating_them() -> None:
    page = b"<html>" + b"a" * 10_000
    assert decode_body(gzip.compress(page), "gzip", 20_000) == page
    assert decode_body(brotli.compress(page), "br", 20_000) == page
    assert decode_body(page, "identity", 20_000) == page
    import zlib
    assert decode_body(zlib.compress(page), "deflate", 20_000) == page
    raw_deflate = zlib.compressobj(wbits=-15)
    assert decode_body(raw_deflate.compress(page) + raw_deflate.flush(), "deflate", 20_000) == page
    for encoding, packed in (("gzip", gzip.compress(b"\0" * 10_000_000)),
                             ("br", brotli.compress(b"\0" * 10_000_000))):
        decoder = BodyDecoder(encoding, 1_000_000)
        with pytest.raises(TooLarge):
            decoder.feed(packed)
        assert decoder.size <= 1_000_000 + 65_536  # refused at the cap (plus one output block), not at 10 MB
    with pytest.raises(UnsupportedEncoding):
        BodyDecoder("zstd", 100)


def test_retry_after() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 60) == pytest.approx(60.0)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_host_guard_addresses() -> None:
    for blocked in ("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::1",
                    "fe80::1", "fc00::1", "::ffff:10.0.0.1", "100.64.0.1", "224.0.0.1", "240.0.0.1"):
        assert not is_public(ipaddress.ip_address(blocked)), blocked
    for public in ("93.184.216.34", "8.8.8.8", "2606:4700::1111"):
        assert is_public(ipaddress.ip_address(public)), public
    guard = HostGuard(("127.0.0.2", "10.1.0.0/16", "intranet.example"))
    assert guard.address_allowed("x", ipaddress.ip_address("127.0.0.2"))
    assert guard.address_allowed("x", ipaddress.ip_address("10.1.2.3"))
    assert guard.address_allowed("intranet.example", ipaddress.ip_address("10.9.9.9"))
    assert not guard.address_allowed("x", ipaddress.ip_address("10.2.0.1"))
    with pytest.raises(BlockedAddress):
        guard.check_literal("169.254.169.254")
    with pytest.raises(BlockedAddress):
        asyncio.run(guard.resolve("localhost", 80))  # a name is checked by what it resolves to


def test_guarded_backend_refuses_before_connecting(connects: Any) -> None:
    backend = GuardedBackend(HostGuard(()))
    for host in ("169.254.169.254", "10.0.0.1", "localhost"):
        with pytest.raises(httpcore.ConnectError, match="ssrf_blocked"):
            asyncio.run(backend.connect_tcp(host, 80, timeout=1))
    assert connects.addresses == []


def test_host_limiter_spaces_each_host_but_runs_hosts_in_parallel() -> None:
    starts: dict[str, list[float]] = {"a": [], "b": [], "c": []}

    async def main() -> float:
        limiter = HostLimiter(0.2, concurrency=8)

        async def hit(host: str) -> None:
            async with limiter.slot(host):
                starts[host].append(time.monotonic())
                await asyncio.sleep(0.01)

        began = time.monotonic()
        await asyncio.gather(*(hit(h) for h in "abc" for _ in range(3)))
        return time.monotonic() - began

    asyncio.run(main())
    assert ran_together(list(starts.values()))  # the hosts in parallel, not one after the other
    for host_starts in starts.values():
        assert min(gaps(host_starts)) >= 0.19


# --- one URL through the polite client ------------------------------------------------------------

def test_fetch_url_outcomes(web: FixtureServer, settings: Settings, connects: Any) -> None:
    s = net_settings(settings, web, max_redirects=3, max_retries=0)
    expected = {
        "/status/404": "http_404",
        "/binary.html": "not_html",
        "/rss1.rdf": "not_html",
        "/big/300000": "too_large",
        "/bomb": "too_large",
        "/loop/a": "redirect_loop",
        "/redirect/5/far": "too_many_redirects",
        "/to?url=http%3A%2F%2F169.254.169.254%2Flatest%2F": "ssrf_blocked",
        "/to?url=http%3A%2F%2F10.0.0.1%2F": "ssrf_blocked",
        "/to?url=file%3A%2F%2F%2Fetc%2Fpasswd": "unsupported_scheme",
        "/private/x.html": "robots_disallowed",
        "/slow/2": "timeout",
        "/drip/0.2": "timeout",
    }
    for path, reason in expected.items():
        got = fetch_url(web.url(path), s)
        assert isinstance(got, Reject) and got.reason == reason, (path, got)
    moved = fetch_url(web.url("/redirect/2/moved"), s)
    assert isinstance(moved, Fetched)
    assert moved.final_url == web.url("/gen/moved.html")
    assert moved.redirects == (web.url("/redirect/2/moved"), web.url("/redirect/1/moved"))
    assert set(connects.addresses) <= {"127.0.0.1"}
    assert all(r.headers["user-agent"] == s.user_agent for r in web.seen())


def test_retries_only_where_they_can_help(web: FixtureServer, settings: Settings) -> None:
    s = net_settings(settings, web, max_retries=2)
    assert isinstance(fetch_url(web.url("/status/404"), s), Reject)
    assert len(web.seen(1, "/status/404")) == 1  # a 4xx is final
    assert reason_of(fetch_url(web.url("/status/500"), s)) == "http_500"
    assert len(web.seen(1, "/status/500")) == 3  # 1 + max_retries
    assert isinstance(fetch_url(web.url("/flaky/429/q"), s), Fetched)
    first, second = web.seen(1, "/flaky/429/q")
    assert second.at - first.at >= 0.95  # Retry-After: 1 honoured
    web.route("/later", Reply(503, {"Retry-After": "3600"}, b"maintenance"))
    started = time.monotonic()
    assert reason_of(fetch_url(web.url("/later"), s)) == "http_503"
    assert len(web.seen(1, "/later")) == 1 and time.monotonic() - started < 60  # over the cap: not waited for


def test_robots_rules(web: FixtureServer, settings: Settings) -> None:
    s = net_settings(settings, web)
    web.route("/robots.txt", Reply(500, {}, b"oops"), host=4)
    assert reason_of(fetch_url(web.url("/gen/x.html", 4), s)) == "robots_unavailable"  # RFC 9309: 5xx = disallow
    assert len(web.seen(4, "/gen/x.html")) == 0
    assert isinstance(fetch_url(web.url("/gen/x.html", 3), s), Fetched)  # no robots.txt: allowed
    other = net_settings(settings, web, user_agent="otherbot/2.0")
    assert reason_of(fetch_url(web.url("/gen/x.html", 1), other)) == "robots_disallowed"
    unruly = fetch_url(web.url("/private/x.html", 1), s.with_overrides(respect_robots=False))
    assert reason_of(unruly) == "http_404" and len(web.seen(1, "/private/x.html")) == 1  # asked, despite robots.txt


# --- whole runs -------------------------------------------------------------------------------------

def news_specs(web: FixtureServer) -> list[SourceSpec]:
    return [SourceSpec("news", "feed", web.url("/rss2.xml")), SourceSpec("slow", "feed", web.url("/feed.xml", 2))]


def test_a_run_over_the_fixture_sites(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection, connects: Any
) -> None:
    s = net_settings(settings, web)
    run_id, found, fetched, summary = run_stages(warehouse_url, s, news_specs(web))
    base, slow = web.base(1), web.base(2)

    assert found.counts["discovered_new"] == 20  # two tracking variants of a1 are one URL
    pages = {u for (u,) in db.execute("select url from raw_pages")}
    assert pages == {f"{base}/gen/a1.html", f"{base}/gen/a2.html", f"{base}/latin1.html", f"{base}/cp1251.html",
                     f"{base}/redirect/2/moved", *(f"{slow}/gen/s{i}.html" for i in range(1, 5))}
    assert reasons(db) == {
        f"{base}/private/secret.html": "robots_disallowed",
        f"{base}/status/404": "http_404",
        f"{base}/status/500": "http_500",
        f"{base}/binary.html": "not_html",
        f"{base}/rss1.rdf": "not_html",
        f"{base}/big/300000": "too_large",
        f"{base}/bomb": "too_large",
        f"{base}/loop/a": "redirect_loop",
        f"{base}/to?url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F": "ssrf_blocked",
        "http://10.0.0.1/admin": "ssrf_blocked",
        "http://169.254.169.254/latest/meta-data/": "ssrf_blocked",
    }
    assert reasons(db, "discover") == {"file:///etc/passwd": "unsupported_scheme"} or \
        list(reasons(db, "discover").values()) == ["unsupported_scheme"]
    assert fetched.counts["fetched"] == 9 and fetched.counts["rejected_fetch"] == 11
    assert fetched.counts["fetch_retry_later"] == 1  # the 500 stays pending for a later run
    assert summary.status == "degraded"  # 11 of 20 rejected > 0.5

    # the stored bytes are the server's bytes, charset left to the decode stage
    latin1 = one(db, "select body_gz, content_type, final_url, redirects from raw_pages where url = %s",
                 (f"{base}/latin1.html",))
    assert gzip.decompress(latin1[0]) == (web_site_file("latin1.html"))
    assert latin1[1] == "text/html"
    moved = one(db, "select final_url, redirects from raw_pages where url = %s", (f"{base}/redirect/2/moved",))
    assert moved == (f"{base}/gen/moved.html", [f"{base}/redirect/2/moved", f"{base}/redirect/1/moved"])

    # requests: each page once, robots.txt once per host, nothing disallowed, nothing private
    counts = Counter((r.host, r.path) for r in web.seen())
    assert counts[(1, "/gen/a1.html")] == 1 and counts[(1, "/status/404")] == 1
    assert counts[(1, "/status/500")] == 2  # max_retries = 1
    assert counts[(1, "/robots.txt")] == 1 and counts[(2, "/robots.txt")] == 1
    assert not [r for r in web.seen() if r.path.startswith("/private/")]
    assert set(connects.addresses) <= {"127.0.0.1", "127.0.0.2"}
    # Crawl-delay 0.4 of host 2 holds between its page requests
    slow_pages = [r.at for r in web.seen(2) if r.path.startswith("/gen/")]
    assert len(slow_pages) == 4 and min(gaps(slow_pages)) >= 0.39
    host1 = [r.at for r in web.seen(1)]
    assert min(gaps(host1)) >= 0.045

    # every attempt is logged, refusals as attempt 0
    log = db.execute("select url, status_code, reason, attempt, purpose, bytes, elapsed_ms from fetch_log "
                     "where run_id = %s", (run_id,)).fetchall()
    by_url: dict[str, list[tuple[Any, ...]]] = {}
    for row in log:
        by_url.setdefault(row[0], []).append(row)
    assert sorted(r[3] for r in by_url[f"{base}/status/500"]) == [1, 2]
    assert [(r[2], r[3]) for r in by_url["http://10.0.0.1/admin"]] == [("ssrf_blocked", 0)]
    assert {r[4] for r in log} == {"feed", "robots", "page"}
    a1 = by_url[f"{base}/gen/a1.html"][0]
    assert a1[1] == 200 and a1[5] > 500 and a1[6] >= 0
    assert db.execute("select count(*) from frontier where status = 'pending' and claimed_by is not null"
                      ).fetchone() == (0,)


def web_site_file(name: str) -> bytes:
    from tests.webserver import SITES

    return (SITES / "news" / name).read_bytes()


def test_second_run_makes_only_conditional_feed_requests(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    s = net_settings(settings, web)
    run_stages(warehouse_url, s, news_specs(web))
    web.reset()
    _run_id, found, fetched, summary = run_stages(warehouse_url, s, news_specs(web))
    requests = web.seen()
    assert sorted((r.host, r.path) for r in requests) == [(1, "/rss2.xml"), (2, "/feed.xml")]
    assert all(r.conditional for r in requests)
    assert found.counts["documents_not_modified"] == 2 and found.counts["discovered_new"] == 0
    assert fetched.counts["fetched"] == 0 and fetched.counts["rejected_fetch"] == 0
    assert summary.status == "success"


def test_refetch_policy_uses_conditional_gets(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    s = net_settings(settings, web, refetch_within_hours=1.0)
    specs = [SourceSpec("list", "urls", web.url("/list/4", 3))]
    run_stages(warehouse_url, s, specs)
    web.reset()
    _run_id, found, fetched, _summary = run_stages(warehouse_url, s, specs)
    assert found.counts["refetch_queued"] == 4
    pages = [r for r in web.seen(3) if r.path.startswith("/gen/")]
    assert len(pages) == 4 and all(r.conditional for r in pages)  # each page asked once more, conditionally
    assert fetched.counts["not_modified"] == 4 and fetched.counts["fetched"] == 0
    web.reset()
    run_stages(warehouse_url, s, specs)
    assert [r for r in web.seen(3) if r.path.startswith("/gen/")] == []  # only once


def test_a_run_that_fails_midway_loses_nothing(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    s = net_settings(settings, web, batch_size=5)
    specs = [SourceSpec(f"list{h}", "urls", web.url("/list/8", h)) for h in (3, 4, 5)]

    def crash(done: int) -> None:
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        run_stages(warehouse_url, s, specs, progress=crash)
    stored = one(db, "select count(*) from raw_pages")[0]
    assert 0 < stored < 24
    assert db.execute("select count(*) from frontier where claimed_by is not null").fetchone() == (0,)
    run_stages(warehouse_url, s, specs)
    assert db.execute("select count(*) from raw_pages").fetchone() == (24,)
    assert db.execute("select count(*) from frontier where status <> 'fetched'").fetchone() == (0,)


def test_a_killed_workers_lease_expires(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    """A fetch that finds its URLs leased to another worker waits for them instead of ending with nothing
    (before: it returned at once, empty-handed, and its pages waited for a later run)."""
    s = net_settings(settings, web, lease_seconds=1)
    specs = [SourceSpec("list", "urls", web.url("/list/3", 3))]
    run_id = pipeline.start_run(warehouse_url, "test", {})
    ids = pipeline.sync_sources(warehouse_url, specs)
    from etl.pipeline.discover import run_discover

    run_discover(warehouse_url, s, specs, ids, run_id)
    with psycopg.connect(libpq_url(warehouse_url)) as conn, conn.transaction():
        def claim() -> list:
            return frontier.claim(conn, "dead-worker", run_id, limit=10, lease_seconds=s.lease_seconds, per_host=2,
                                  busy_hosts=[], source_ids=None)

        claimed = claim()
        claimed += claim()  # two per host per claim
        assert len(claimed) == 3  # claimed, then the worker dies (on a machine we cannot see)
    assert run_fetch(warehouse_url, s, run_id).counts["fetched"] == 3  # waited for the lease to lapse


def test_a_dead_local_workers_claims_are_taken_back_at_once(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    import socket
    import subprocess

    s = net_settings(settings, web, lease_seconds=600)
    specs = [SourceSpec("list", "urls", web.url("/list/3", 3))]
    run_id = pipeline.start_run(warehouse_url, "test", {})
    ids = pipeline.sync_sources(warehouse_url, specs)
    from etl.pipeline.discover import run_discover

    run_discover(warehouse_url, s, specs, ids, run_id)
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = f"{socket.gethostname()}:{gone.pid}:deadbeef"  # a worker id of this machine, its process gone
    with psycopg.connect(libpq_url(warehouse_url)) as conn, conn.transaction():
        assert len(frontier.claim(conn, dead, run_id, limit=10, lease_seconds=600, per_host=5, busy_hosts=[],
                                  source_ids=None)) == 3
    started = time.monotonic()
    assert run_fetch(warehouse_url, s, run_id).counts["fetched"] == 3
    assert time.monotonic() - started < 300  # not the 600 s lease
    assert db.execute("select max(fetch_attempts) from frontier").fetchone() == (1,)  # the dead claim given back


def test_transient_failures_wait_then_give_up(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    s = net_settings(settings, web, max_retries=0, max_fetch_attempts=2)
    web.route("/list/x", Reply(200, {"Content-Type": "text/plain"}, f"{web.base(3)}/status/503\n".encode()), host=3)
    specs = [SourceSpec("list", "urls", web.url("/list/x", 3))]
    _run, _found, first, _summary = run_stages(warehouse_url, s, specs)
    assert first.counts["fetch_retry_later"] == 1
    row = db.execute("select status, next_fetch_at > now() from frontier").fetchone()
    assert row == ("pending", True)
    _run, _found, second, _summary = run_stages(warehouse_url, s, specs)
    assert second.counts["rejected_fetch"] == 0  # still waiting
    db.execute("update frontier set next_fetch_at = now() - interval '1 second'")
    _run, _found, third, _summary = run_stages(warehouse_url, s, specs)
    assert third.counts["fetch_gave_up"] == 1
    assert db.execute("select status from frontier").fetchone() == ("rejected",)
    assert list(reasons(db).values()) == ["http_503"]
    assert len(web.seen(3, "/status/503")) == 2


def test_throughput_grows_with_hosts_while_each_host_stays_spaced(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    s = net_settings(settings, web, min_host_interval_seconds=0.3, batch_size=50)
    hosts = (1, 3, 4, 5)
    specs = [SourceSpec(f"list{h}", "urls", web.url("/list/4", h)) for h in hosts]
    _run, _found, fetched, _summary = run_stages(warehouse_url, s, specs)
    assert fetched.counts["fetched"] == 16
    per_host = []
    for h in hosts:
        starts = [r.at for r in web.seen(h) if r.path.startswith("/gen/")]
        assert len(starts) == 4 and min(gaps(starts)) >= 0.29
        per_host.append(starts)
    assert ran_together(per_host)  # one host at a time would need 16 x 0.3 = 4.8 s


def _claim(conn: psycopg.Connection, worker: str, settings: Settings, limit: int, busy: list[str]) -> list:
    return frontier.claim(conn, worker, 0, limit=limit, lease_seconds=settings.lease_seconds, per_host=2,
                          busy_hosts=busy, source_ids=None)


def test_claims_are_round_robin_and_host_affine(warehouse_url: str, settings: Settings) -> None:
    specs = [SourceSpec("a", "urls", "/dev/null")]
    sid = pipeline.sync_sources(warehouse_url, specs)["a"]
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        for i in range(10):
            conn.execute("insert into frontier (url_hash, url, source_id, host) values (%s, %s, %s, 'big.example')",
                         (f"{i:064d}", f"http://big.example/{i}", sid))
        for i in range(2):
            conn.execute("insert into frontier (url_hash, url, source_id, host) values (%s, %s, %s, 'small.example')",
                         (f"{i + 100:064d}", f"http://small.example/{i}", sid))
        with conn.transaction():
            first = _claim(conn, "w1", settings, 3, [])
        assert sorted(c.host for c in first) == ["big.example", "small.example", "small.example"] or \
            Counter(c.host for c in first) == Counter({"big.example": 2, "small.example": 1})
        assert len({c.host for c in first}) == 2  # both hosts served, not three of the big one
        with conn.transaction():
            second = _claim(conn, "w2", settings, 10, [])
        assert second == []  # both hosts are held by w1: a second worker leaves them alone
        with conn.transaction():
            third = _claim(conn, "w1", settings, 10, ["big.example"])
        assert {c.host for c in third} <= {"small.example"}


def test_file_urls_are_read_only_for_local_sources(
    warehouse_url: str, settings: Settings, db: psycopg.Connection, tmp_path: Any
) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body>local</body></html>")
    specs = [SourceSpec("feedish", "feed", "http://127.0.0.1:9/feed.xml"), SourceSpec("dir", "files", str(tmp_path))]
    ids = pipeline.sync_sources(warehouse_url, specs)
    db.execute("insert into frontier (url_hash, url, source_id) values (%s, %s, %s)",
               ("f" * 64, page.as_uri() + "?x", ids["feedish"]))
    run_id = pipeline.start_run(warehouse_url, "test", {})
    from etl.pipeline.discover import run_discover

    run_discover(warehouse_url, settings, specs[1:], ids, run_id)
    result = run_fetch(warehouse_url, settings, run_id)
    assert result.counts["fetched"] == 1
    assert reasons(db) == {page.as_uri() + "?x": "unsupported_scheme"}
