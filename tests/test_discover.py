"""Discover stage: feeds, sitemaps, URL lists, folders and WARCs become frontier rows, incrementally."""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from etl.acquire.discover import discover_source
from etl.acquire.feeds import UnsafeXml, parse_feed
from etl.acquire.sitemaps import SitemapError, parse_sitemap
from etl.pipeline import runs as pipeline
from etl.pipeline.discover import run_discover
from etl.records import DiscoveredUrl, SourceKind, SourceSpec
from etl.settings import Settings

pytest.register_assert_rewrite("tests.webserver")  # its helpers assert too

from tests.webserver import SITES, FixtureServer, Reply, net_settings, run_stages  # noqa: E402

# the fixtures `web` (the local hosts) and `connects` (socket audit)
pytest_plugins = ("tests.webserver",)

BASE = "http://news.example.com"


def fixture_bytes(name: str, base: str = BASE) -> bytes:
    return (SITES / "news" / name).read_bytes().replace(b"{{BASE}}", base.encode())


# --- parsing ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "version", "first_url", "first_entry"),
    [
        ("rss2.xml", "rss20", f"{BASE}/gen/a1.html?utm_source=rss&utm_medium=feed",
         {"title": "Council passes the budget", "published": "2024-03-05T09:00:00+00:00", "guid": "story-a1"}),
        ("rss091.xml", "rss091n", f"{BASE}/gen/old1.html", {"title": "Harbour reopens"}),
        ("rss1.rdf", "rss10", f"{BASE}/gen/r1.html",
         {"title": "Bridge repairs begin", "published": "2024-03-07T12:30:00+00:00"}),
        ("atom.xml", "atom10", f"{BASE}/gen/at1.html",
         {"title": "Mayor opens market", "published": "2024-03-08T08:00:00+00:00", "guid": "tag:fixture,2024:at1"}),
    ],
)
def test_feed_formats(name: str, version: str, first_url: str, first_entry: dict[str, Any]) -> None:
    feed = parse_feed(fixture_bytes(name), f"{BASE}/{name}")
    assert feed.error is None
    assert feed.version == version
    assert feed.entries[0].url == first_url
    assert first_entry.items() <= feed.entries[0].entry.items()


def test_feed_entry_metadata_falls_back_to_updated_and_resolves_relative_links() -> None:
    atom = parse_feed(fixture_bytes("atom.xml"), f"{BASE}/atom.xml")
    assert atom.entries[1].entry["published"] == "2018-01-02T00:00:00+00:00"  # only <updated>
    rss = parse_feed(fixture_bytes("rss2.xml"), f"{BASE}/rss2.xml")
    assert f"{BASE}/gen/a2.html" in [e.url for e in rss.entries]
    assert "Café prices" in [e.entry.get("title") for e in parse_feed(fixture_bytes("rss091.xml"), BASE).entries]


def test_unsafe_or_broken_feeds() -> None:
    with pytest.raises(UnsafeXml):
        parse_feed(fixture_bytes("xxe.rss"), BASE)
    with pytest.raises(UnsafeXml):
        parse_feed(fixture_bytes("laughs.xml"), BASE)
    assert parse_feed(b"this is not a feed at all", BASE).error
    assert parse_feed(b"", BASE).error


def test_sitemaps_news_and_gzip() -> None:
    news = parse_sitemap(fixture_bytes("sitemap-news.xml"), 10_000_000, 100)
    assert news.kind == "urlset"
    assert news.entries[0].loc == f"{BASE}/gen/n1.html"
    assert news.entries[0].entry() == {"title": "Night trains return", "published": "2024-03-08T07:45:00+01:00",
                                       "publication": "Fixture News", "language": "en"}
    packed = gzip.compress(fixture_bytes("sitemap-pages.xml"))
    pages = parse_sitemap(packed, 10_000_000, 100)
    assert [e.loc for e in pages.entries] == [f"{BASE}/gen/sm1.html", f"{BASE}/gen/sm2.html", f"{BASE}/gen/sm-old.html"]
    assert pages.entries[1].entry() == {"modified": "2024-03-02"}
    index = parse_sitemap(fixture_bytes("sitemap_index.xml"), 10_000_000, 100)
    assert index.kind == "sitemapindex" and len(index.entries) == 4


def test_sitemap_safety_and_limits() -> None:
    with pytest.raises(SitemapError) as laughs:
        parse_sitemap(fixture_bytes("laughs.xml"), 10_000_000, 100)
    assert laughs.value.reason == "xml_entities_forbidden"
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    with pytest.raises(SitemapError) as big:
        parse_sitemap(bomb, 1_000_000, 100)
    assert big.value.reason == "too_large"
    with pytest.raises(SitemapError) as html:
        parse_sitemap(b"<html><body>hi</body></html>", 1_000_000, 100)
    assert html.value.reason == "not_a_sitemap"
    many = b"<urlset>" + b"".join(b"<url><loc>http://e.com/%d</loc></url>" % i for i in range(50)) + b"</urlset>"
    cut = parse_sitemap(many, 1_000_000, 10)
    assert len(cut.entries) == 10 and cut.truncated
    # no entity is ever expanded, even one the parser would know (no DTD loaded, no network)
    external = b'<!DOCTYPE urlset SYSTEM "http://127.0.0.9:1/x.dtd"><urlset><url><loc>http://e.com/a</loc></url></urlset>'
    assert [e.loc for e in parse_sitemap(external, 1_000_000, 10).entries] == ["http://e.com/a"]


# --- discover_source over HTTP ------------------------------------------------------------------

def test_sitemap_index_with_gzip_child_news_child_and_self_reference(web: FixtureServer, settings: Settings) -> None:
    s = net_settings(settings, web)
    urls, rejects = discover_source(SourceSpec("idx", "sitemap", web.url("/sitemap_index.xml")), s)
    assert rejects == []
    got = {u.url.removeprefix(web.base(1)): u.entry for u in urls}
    assert set(got) == {"/gen/sm1.html", "/gen/sm2.html", "/gen/sm-old.html", "/gen/n1.html", "/gen/n2.html",
                        "/gen/arch1.html"}
    assert got["/gen/n1.html"]["title"] == "Night trains return"
    assert got["/gen/n1.html"]["published"] == "2024-03-08T07:45:00+01:00"
    assert len(web.seen(1, "/sitemap_index.xml")) == 1  # the self-reference is not followed again


def test_since_cutoff_skips_old_entries_and_old_child_sitemaps(web: FixtureServer, settings: Settings) -> None:
    s = net_settings(settings, web)
    spec = SourceSpec("idx", "sitemap", web.url("/sitemap_index.xml"), {"since": "2020-01-01"})
    urls, _ = discover_source(spec, s)
    paths = {u.url.removeprefix(web.base(1)) for u in urls}
    assert paths == {"/gen/sm1.html", "/gen/sm2.html", "/gen/n1.html", "/gen/n2.html"}
    assert web.seen(1, "/sitemap-archive-2015.xml") == []  # its lastmod is before the cut-off
    atom, _ = discover_source(SourceSpec("a", "feed", web.url("/atom.xml")),
                              s.with_overrides(discover_max_age_days=365 * 200))
    assert len(atom) == 2
    atom, _ = discover_source(SourceSpec("a", "feed", web.url("/atom.xml"), {"since": "2020-01-01"}), s)
    assert [u.url for u in atom] == [web.url("/gen/at1.html")]


def test_sitemap_depth_is_bounded(web: FixtureServer, settings: Settings) -> None:
    spec = SourceSpec("deep", "sitemap", web.url("/deep-1.xml"))
    urls, rejects = discover_source(spec, net_settings(settings, web, sitemap_max_depth=1))
    assert urls == []
    assert [(r.reason, r.url) for r in rejects] == [("sitemap_too_deep", web.url("/deep-3.xml"))]
    urls, rejects = discover_source(spec, net_settings(settings, web, sitemap_max_depth=2))
    assert [u.url for u in urls] == [web.url("/gen/deep.html")] and rejects == []


def test_bad_documents_become_rejects(web: FixtureServer, settings: Settings) -> None:
    s = net_settings(settings, web)
    cases = {
        ("feed", "/xxe.rss"): "xml_entities_forbidden",
        ("sitemap", "/laughs.xml"): "xml_entities_forbidden",
        ("feed", "/notafeed.txt"): "feed_parse_error",
        ("feed", "/status/404"): "http_404",
        ("sitemap", "/rss2.xml"): "not_a_sitemap",
        ("feed", "/private/feed.xml"): "robots_disallowed",
    }
    for (kind, path), reason in cases.items():
        urls, rejects = discover_source(SourceSpec("bad", kind, web.url(path)), s)
        assert urls == [] and [r.reason for r in rejects] == [reason], (path, rejects)
    urls, rejects = discover_source(SourceSpec("meta", "feed", "http://169.254.169.254/latest/feed.xml"), s)
    assert [r.reason for r in rejects] == ["ssrf_blocked"]


def test_remote_feed_cannot_list_local_files(web: FixtureServer, settings: Settings) -> None:
    urls, rejects = discover_source(SourceSpec("news", "feed", web.url("/rss2.xml")), net_settings(settings, web))
    assert not [u for u in urls if u.url.startswith("file:")]
    assert [r.reason for r in rejects] == ["unsupported_scheme"]
    assert rejects[0].url.startswith("file:") and rejects[0].url.endswith("/etc/passwd")


def test_url_lists_local_and_remote(web: FixtureServer, settings: Settings, tmp_path: Path) -> None:
    s = net_settings(settings, web)
    remote, rejects = discover_source(SourceSpec("list", "urls", web.url("/list/3")), s)
    assert [u.url for u in remote] == [web.url(f"/gen/p{i}.html") for i in range(3)] and rejects == []
    listing = tmp_path / "urls.txt"
    listing.write_text("# comment\nhttps://example.com/a?utm_source=x\n\n  https://example.com/b  \n")
    local, _ = discover_source(SourceSpec("list", "urls", str(listing)), s)
    assert [u.url for u in local] == ["https://example.com/a", "https://example.com/b"]
    missing, rejects = discover_source(SourceSpec("list", "urls", str(tmp_path / "nope.txt")), s)
    assert missing == [] and [r.reason for r in rejects] == ["unreadable_document"]


def test_entry_cap(web: FixtureServer, settings: Settings) -> None:
    urls, rejects = discover_source(SourceSpec("list", "urls", web.url("/list/30")),
                                    net_settings(settings, web, discover_max_entries=10))
    assert len(urls) == 10
    assert [r.reason for r in rejects] == ["too_many_entries"]


def test_files_kind(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "a.html").write_text("<html></html>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_text("<html></html>")
    urls, rejects = discover_source(SourceSpec("dir", "files", str(tmp_path)), settings)
    assert sorted(u.url for u in urls) == [(tmp_path / "a.html").as_uri(), (tmp_path / "sub" / "b.html").as_uri()]
    urls, rejects = discover_source(SourceSpec("dir", "files", str(tmp_path / "*.xml")), settings)
    assert urls == [] and [r.reason for r in rejects] == ["no_files_match"]


# --- WARC ---------------------------------------------------------------------------------------

def write_warc(path: Path) -> None:
    """An archive with one HTML page (gzip content-encoded, chunked), an image, a 404 and a request."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)

        def response(url: str, status: str, ctype: str, body: bytes, extra: Sequence[tuple[str, str]] = ()) -> None:
            headers = StatusAndHeaders(status, [("Content-Type", ctype), *extra], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))

        page = b"<html><head><title>Archived</title></head><body><p>" + "Déjà vu ".encode() * 50 + b"</p></body></html>"
        writer.write_record(writer.create_warc_record("https://archive.example.com/a.html", "request",
                                                      payload=io.BytesIO(b"GET /a.html HTTP/1.1\r\n\r\n")))
        response("https://archive.example.com/a.html?utm_source=x", "200 OK", "text/html; charset=utf-8",
                 gzip.compress(page), [("Content-Encoding", "gzip")])
        response("https://archive.example.com/logo.png", "200 OK", "image/png", b"\x89PNG....")
        response("https://archive.example.com/gone.html", "404 Not Found", "text/html", b"gone")
        response("https://archive.example.com/b.html", "200 OK", "text/html", b"<html><body>second</body></html>")


def test_warc_records_become_pages(warehouse_url: str, settings: Settings, db: psycopg.Connection,
                                   tmp_path: Path) -> None:
    write_warc(tmp_path / "crawl.warc.gz")
    spec = SourceSpec("archive", "warc", str(tmp_path / "*.warc.gz"))
    urls, rejects = discover_source(spec, settings)
    assert rejects == []
    assert [u.url for u in urls] == ["https://archive.example.com/a.html", "https://archive.example.com/b.html"]
    assert all(isinstance(u, DiscoveredUrl) and u.fetch_from and u.fetch_from.startswith("warc:") for u in urls)
    _run_id, found, fetched, _summary = run_stages(warehouse_url, settings, [spec])
    assert found.counts["warc_not_html"] == 1 and found.counts["warc_not_ok"] == 1
    assert fetched.counts["fetched"] == 2
    rows: dict[str, bytes] = dict(db.execute("select url, body_gz from raw_pages order by url").fetchall())
    assert gzip.decompress(rows["https://archive.example.com/a.html"]).startswith(b"<html><head><title>Archived")
    assert "Déjà vu".encode() in gzip.decompress(rows["https://archive.example.com/a.html"])
    assert db.execute("select count(*) from fetch_log").fetchone() == (0,)  # no network at all


# --- run_discover: incremental and crash-safe ------------------------------------------------------

def test_second_discovery_is_conditional_and_finds_nothing_new(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    s = net_settings(settings, web)
    specs = [SourceSpec("idx", "sitemap", web.url("/sitemap_index.xml")),
             SourceSpec("atom", "feed", web.url("/atom.xml"))]
    ids = pipeline.sync_sources(warehouse_url, specs)
    first = run_discover(warehouse_url, s, specs, ids, pipeline.start_run(warehouse_url, "test", {}))
    assert first.counts["discovered_new"] == 8
    web.reset()
    second = run_discover(warehouse_url, s, specs, ids, pipeline.start_run(warehouse_url, "test", {}))
    assert second.counts["discovered_new"] == 0
    assert second.counts["documents_not_modified"] == 5  # the index, its 3 other children, atom
    requests = web.seen()
    assert requests and all(r.conditional for r in requests), [(r.path, r.headers) for r in requests]
    assert {r.path for r in requests} == {"/sitemap_index.xml", "/sitemap-pages.xml.gz", "/sitemap-news.xml",
                                          "/sitemap-archive-2015.xml", "/atom.xml"}
    children = db.execute("select children from http_cache where url = %s", (web.url("/sitemap_index.xml"),))
    assert len((children.fetchone() or [[]])[0]) == 4


def test_validators_are_saved_only_with_the_urls(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    s = net_settings(settings, web)
    specs = [SourceSpec("atom", "feed", web.url("/atom.xml"))]
    ids = pipeline.sync_sources(warehouse_url, specs)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("etl.store.rejects.insert", broken)
    with pytest.raises(RuntimeError):
        run_discover(warehouse_url, s, specs, ids, pipeline.start_run(warehouse_url, "test", {}))
    monkeypatch.undo()
    assert db.execute("select count(*) from http_cache where purpose = 'feed'").fetchone() == (0,)
    assert db.execute("select count(*) from frontier").fetchone() == (0,)
    again = run_discover(warehouse_url, s, specs, ids, pipeline.start_run(warehouse_url, "test", {}))
    assert again.counts["discovered_new"] == 2  # a full GET again, not a 304 that would lose them


def test_one_broken_source_does_not_stop_the_others(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    s = net_settings(settings, web)
    specs = [SourceSpec("bad", "feed", web.url("/status/500")), SourceSpec("atom", "feed", web.url("/atom.xml")),
             SourceSpec("odd", "sitemap", web.url("/sitemap-news.xml"), {"since": "not a date"})]
    ids = pipeline.sync_sources(warehouse_url, specs)
    result = run_discover(warehouse_url, s, specs, ids, pipeline.start_run(warehouse_url, "test", {}))
    assert result.counts["discovered_new"] == 2
    reasons = sorted(r for (r,) in db.execute("select reason from rejects where stage = 'discover'"))
    assert reasons == ["bad_source_option", "http_500"]
    assert db.execute("select count(*) from fetch_log where status_code = 500").fetchone() == (2,)  # one retry


# --- a document's validators are kept only when every entry it lists was kept or rejected -------

def _etagged(body: bytes, etag: str = '"v1"') -> Any:
    """A sitemap that answers 304 to its own ETag."""
    def handler(_server: FixtureServer, _host: int, _path: str, headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == etag:
            return Reply(304, {"ETag": etag})
        return Reply(200, {"Content-Type": "application/xml", "ETag": etag}, body)
    return handler


def _sitemap(*locs: str) -> bytes:
    entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode()


def test_a_bad_sitemap_entry_is_rejected_alone_and_the_others_kept(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    s = net_settings(settings, web)
    good_a, good_c = web.url("/gen/a.html"), web.url("/gen/c.html")
    web.route("/sm.xml", _etagged(_sitemap(good_a, "http://[::1/b", good_c)))
    specs = [SourceSpec("sm", SourceKind.SITEMAP, web.url("/sm.xml"))]
    ids = pipeline.sync_sources(warehouse_url, specs)
    first = run_discover(warehouse_url, s, specs, ids, pipeline.start_run(warehouse_url, "test", {}))
    assert first.counts["discovered_new"] == 2
    assert {u for (u,) in db.execute("select url from frontier")} == {good_a, good_c}
    assert db.execute("select reason, url from rejects where stage = 'discover'").fetchall() == [
        ("bad_url", "http://[::1/b")]
    assert db.execute("select etag from http_cache where purpose = 'sitemap'").fetchall() == [('"v1"',)]
    again = run_discover(warehouse_url, s, specs, ids, pipeline.start_run(warehouse_url, "test", {}))
    assert again.counts["documents_not_modified"] == 1 and again.counts["discovered"] == 0


def test_a_document_cut_short_by_a_crash_keeps_no_validators(
    web: FixtureServer, warehouse_url: str, settings: Settings, db: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reproduced: a crash after /a used to store /a and the ETag, so /c stayed hidden behind 304s."""
    from etl.acquire import discover as reader_module

    s = net_settings(settings, web)
    good_a, good_c = web.url("/gen/a.html"), web.url("/gen/c.html")
    web.route("/sm.xml", _etagged(_sitemap(good_a, good_c)))
    specs = [SourceSpec("sm", SourceKind.SITEMAP, web.url("/sm.xml"))]
    ids = pipeline.sync_sources(warehouse_url, specs)
    original = reader_module._SourceReader.add

    def crash_on_the_second(self: Any, url: str, *args: Any) -> bool:
        if url == good_c:
            raise RuntimeError("a bug in our own code")
        return original(self, url, *args)

    monkeypatch.setattr(reader_module._SourceReader, "add", crash_on_the_second)
    first = run_discover(warehouse_url, s, specs, ids, pipeline.start_run(warehouse_url, "test", {}))
    monkeypatch.undo()
    assert first.counts["discover_incomplete"] == 1
    assert db.execute("select reason from rejects where stage = 'discover'").fetchall() == [("discover_error",)]
    assert db.execute("select count(*) from http_cache where purpose = 'sitemap'").fetchone() == (0,)
    web.reset()
    again = run_discover(warehouse_url, s, specs, ids, pipeline.start_run(warehouse_url, "test", {}))
    assert not any(r.conditional for r in web.seen(path="/sm.xml"))  # a full GET: nothing hidden
    assert again.counts["discovered_new"] == 2  # a document's URLs are kept together: none of the cut one was
    assert {u for (u,) in db.execute("select url from frontier")} == {good_a, good_c}
