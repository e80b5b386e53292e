"""Hostile and broken input: nothing raises out of a stage; every input is an article or a reject with a reason.

Property tests (hypothesis) throw random and mutated HTML, feeds and sitemaps at the parsers and
the stages; `make test` runs them with the fixed-seed "ci" profile, `make fuzz` runs the `slow`
variants (named ``test_fuzz_*``) with the "fuzz" profile. Named hostile inputs live in
tests/corpus/ (small) or are generated here (the 50 MB page, the 100,000-entry feed).
"""

from __future__ import annotations

import gzip
import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.acquire.discover import discover_source
from etl.acquire.feeds import ParsedFeed, UnsafeXml, parse_feed
from etl.acquire.fetch import fetch_url
from etl.acquire.sitemaps import Sitemap, SitemapError, parse_sitemap
from etl.extract.page import ExtractTimeout, extract_page, time_budget
from etl.pipeline import runs as pipeline
from etl.pipeline.discover import run_discover
from etl.pipeline.run import RunRequest, run_pipeline
from etl.records import Article, RawPage, Reject, SourceSpec
from etl.settings import Settings, load_settings
from etl.store import migrate
from etl.store.db import libpq_url
from tests.conftest import REPO, drop_database, new_database
from tests.fault_support import article_html, http_server, one

CORPUS = Path(__file__).resolve().parent / "corpus"
PAGES = sorted(CORPUS.glob("page_*.html"))
FEEDS = sorted(CORPUS.glob("feed_*.xml"))
SITEMAPS = sorted(CORPUS.glob("sitemap_*.xml"))
SETTINGS = load_settings(environ={}, extract_timeout_seconds=10.0)


def documented_extract_reasons() -> frozenset[str]:
    """The extract stage's reject reasons as the README lists them (so code and docs stay in step)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Reject reasons of the extract stage:(.*?)(?:\n\n|Discovery:)", text, re.S)
    assert match, "README.md no longer lists the reject reasons of the extract stage"
    return frozenset(re.findall(r"`([a-z_]+)`", match.group(1)))


EXTRACT_REASONS = documented_extract_reasons()
LOL = re.compile(r"(?:lol){4}")  # what a billion-laughs expansion leaves behind
PASSWD = re.compile(r"root:.*:0:0:")


def storable(value: Any) -> bool:
    """PostgreSQL text and jsonb hold neither NUL nor lone surrogates."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(storable(v) for v in value)
    return True


def extract_outcome(body: bytes, content_type: str | None = "text/html", settings: Settings = SETTINGS,
                    entry: dict[str, Any] | None = None) -> Article | Reject:
    """extract_page on a page; asserts the contract: an Article fit to store, or a documented Reject."""
    page = RawPage(raw_page_id=1, url_hash="a" * 64, url="https://example.com/news/p.html",
                   final_url="https://example.com/news/p.html", source_id=1, body=body,
                   content_type=content_type, headers={}, entry=entry or {})
    result = extract_page(page, settings)
    if isinstance(result, Reject):
        assert result.stage == "extract" and result.url_hash == page.url_hash, result
        assert result.reason in EXTRACT_REASONS, f"undocumented reason {result.reason!r}: {result.detail}"
    else:
        assert isinstance(result, Article), type(result)
        assert len(result.text) >= settings.min_text_chars
        fields = {k: getattr(result, k) for k in ("url", "canonical_url", "title", "text", "description",
                                                    "language", "authors", "keywords", "site_name", "section",
                                                    "top_image", "agency")}
        bad = {k: repr(v)[:120] for k, v in fields.items() if not storable(v)}
        assert not bad, f"fields PostgreSQL cannot store (NUL or lone surrogate): {bad}"
    return result


def feed_outcome(data: bytes) -> ParsedFeed | None:
    """parse_feed's contract: a ParsedFeed (maybe with ``error``) or UnsafeXml, nothing else."""
    try:
        feed = parse_feed(data, "https://example.com/feed.xml")
    except UnsafeXml:
        return None
    assert isinstance(feed, ParsedFeed)
    for item in feed.entries:
        assert isinstance(item.url, str) and item.url
        json.dumps(item.entry)
    return feed


def sitemap_outcome(data: bytes, max_entries: int = 1000) -> Sitemap | None:
    """parse_sitemap's contract: a Sitemap or SitemapError with a reason, nothing else."""
    try:
        sitemap = parse_sitemap(data, 50_000_000, max_entries)
    except SitemapError as exc:
        assert re.fullmatch(r"[a-z_]+", exc.reason), exc.reason
        return None
    assert sitemap.kind in ("urlset", "sitemapindex") and len(sitemap.entries) <= max_entries
    return sitemap


# --------------------------------------------------------------------------------------------
# Strategies: random documents and byte-level mutations of real ones
# --------------------------------------------------------------------------------------------

TAGS = ["div", "p", "span", "article", "section", "main", "h1", "h2", "a", "script", "style", "table", "tr", "td",
        "ul", "li", "br", "img", "iframe", "noscript", "template", "svg", "math", "title", "meta", "head", "body",
        "html", "form", "figure", "figcaption", "blockquote", "pre", "time", "header", "footer", "nav", "aside"]
ATTRS = ["class", "id", "href", "src", "lang", "charset", "content", "name", "property", "itemprop", "rel",
         "datetime", "style", "type", "http-equiv"]
NASTY = [b"\x00", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"<", b"</", b">", b"&", b"&#0;", b"&#xD800;",
         b"&#1114112;", b"<![CDATA[", b"]]>", b"<!--", b"-->", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"<!ENTITY",
         b"\xed\xa0\x80", b"\xc3\x28", b"\xe9", b"\x80\x81", b"<script>", b"</script>", b"<title>", b"</title>",
         b"<meta charset='utf-16'>", b"<meta charset='bogus'>", b"\r\n", b"\x1b[31m", b"\x0c", b"&lol;",
         b"<?xml version='1.0' encoding='utf-32'?>", b"\xf0\x9f\x92\xa9", b"'); drop table articles; --"]
ENCODINGS = ["utf-8", "latin-1", "cp1252", "utf-16", "shift_jis", "koi8-r", "gb18030", "utf-32"]
CONTENT_TYPES = [None, "text/html", "text/html; charset=utf-8", "text/html; charset=iso-8859-1",
                 "application/xhtml+xml", "text/plain", "text/html; charset=no-such-charset", "image/png"]

any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=120)  # every code point but surrogates
words = st.lists(st.sampled_from(["Maria", "Lopez", "said", "the", "council", "in", "Chicago", "on", "Tuesday",
                                  "Acme", "Robotics", "budget", "vote", "officials", "reported", "new", "plans"]),
                 min_size=3, max_size=60).map(" ".join)


def _attrs(items: dict[str, str]) -> str:
    return "".join(f" {k}=\"{v}\"" if i % 2 else f" {k}='{v}'" for i, (k, v) in enumerate(items.items()))


def _element(parts: tuple[str, dict[str, str], list[str]]) -> str:
    tag, attrs, children = parts
    return f"<{tag}{_attrs(attrs)}>{''.join(children)}</{tag}>"


leaf = st.one_of(any_text, any_text.map(html.escape), words, words.map(lambda w: f"<p>{w}</p>"))
trees = st.recursive(
    leaf,
    lambda children: st.tuples(st.sampled_from(TAGS), st.dictionaries(st.sampled_from(ATTRS), any_text, max_size=3),
                               st.lists(children, max_size=5)).map(_element),
    max_leaves=40,
)


@st.composite
def html_documents(draw: st.DrawFn, big: bool = False) -> tuple[bytes, str | None]:
    """A random tag soup, sometimes around a real article, in some encoding with some declared charset."""
    parts = draw(st.lists(trees, min_size=1, max_size=12 if big else 4))
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), article_html(draw(st.integers(0, 50))))
    doc = ("<!doctype html>" if draw(st.booleans()) else "") + "".join(parts)
    encoding = draw(st.sampled_from(ENCODINGS))
    return doc.encode(encoding, errors="replace"), draw(st.sampled_from(CONTENT_TYPES))


@st.composite
def mutations(draw: st.DrawFn, base: bytes, max_ops: int = 8) -> bytes:
    """``base`` with a few byte-level edits: nasty tokens inserted, ranges cut, copied, truncated, flipped."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["insert", "delete", "duplicate", "truncate", "flip", "random"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(NASTY))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 200))]
        elif op == "duplicate":
            chunk = data[at:at + draw(st.integers(1, 400))]
            data[at:at] = chunk * draw(st.integers(1, 20))
        elif op == "truncate":
            del data[at:]
        elif op == "flip" and data:
            i = min(at, len(data) - 1)
            data[i] = draw(st.integers(0, 255))
        elif op == "random":
            data[at:at] = draw(st.binary(max_size=64))
    return bytes(data)


def _seed_pages() -> list[bytes]:
    return [p.read_bytes() for p in PAGES] + [article_html(i).encode() for i in range(3)]


SEED_PAGES = _seed_pages()
SEED_FEEDS = [p.read_bytes() for p in FEEDS]
SEED_SITEMAPS = [p.read_bytes() for p in SITEMAPS]


def _rss(items: list[tuple[str, str, str]], atom: bool) -> str:
    if atom:
        body = "".join(f"<entry><title>{t}</title><link href=\"{u}\"/><updated>{d}</updated><id>{u}</id></entry>"
                       for t, u, d in items)
        return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>{body}</feed>'
    body = "".join(f"<item><title>{t}</title><link>{u}</link><pubDate>{d}</pubDate><guid>{u}</guid></item>"
                   for t, u, d in items)
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>{body}</channel></rss>'


url_text = st.one_of(st.sampled_from(["https://example.com/a", "/relative/b", "//example.com/c", "ftp://x/y",
                                      "javascript:alert(1)", "file:///etc/passwd", "https://exa mple.com/ d",
                                      "https://example.com/" + "a" * 3000, "mailto:x@y", ""]), any_text)
dates = st.one_of(st.sampled_from(["Tue, 05 Mar 2024 10:00:00 GMT", "2024-03-05T10:00:00Z", "2024-13-45",
                                   "99999-01-01", "yesterday", ""]), any_text)


@st.composite
def feed_documents(draw: st.DrawFn) -> bytes:
    items = draw(st.lists(st.tuples(st.one_of(any_text, any_text.map(html.escape)), url_text, dates), max_size=8))
    doc = _rss(items, atom=draw(st.booleans())).encode("utf-8", errors="replace")
    return draw(mutations(doc, 4)) if draw(st.booleans()) else doc


@st.composite
def sitemap_documents(draw: st.DrawFn) -> bytes:
    index = draw(st.booleans())
    entries = draw(st.lists(st.tuples(url_text, dates, any_text), max_size=8))
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
    if index:
        body = "".join(f"<sitemap><loc>{html.escape(u)}</loc><lastmod>{html.escape(d)}</lastmod></sitemap>"
                       for u, d, _ in entries)
        doc = f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {ns}>{body}</sitemapindex>'
    else:
        body = "".join(f"<url><loc>{html.escape(u)}</loc><lastmod>{html.escape(d)}</lastmod><news:news><news:title>"
                       f"{html.escape(t)}</news:title><news:publication_date>{html.escape(d)}</news:publication_date>"
                       "</news:news></url>" for u, d, t in entries)
        doc = f'<?xml version="1.0" encoding="UTF-8"?><urlset {ns}>{body}</urlset>'
    data = doc.encode("utf-8", errors="replace")
    if draw(st.booleans()):
        data = draw(mutations(data, 4))
    return gzip.compress(data) if draw(st.booleans()) else data


# --------------------------------------------------------------------------------------------
# Extract: random and mutated pages
# --------------------------------------------------------------------------------------------


@given(html_documents())
def test_random_html_is_an_article_or_a_reject(doc: tuple[bytes, str | None]) -> None:
    extract_outcome(*doc)


@given(st.sampled_from(SEED_PAGES).flatmap(mutations), st.sampled_from(CONTENT_TYPES))
def test_mutated_pages_are_an_article_or_a_reject(body: bytes, content_type: str | None) -> None:
    extract_outcome(body, content_type)


@given(st.binary(max_size=4000), st.sampled_from(CONTENT_TYPES))
def test_random_bytes_are_an_article_or_a_reject(body: bytes, content_type: str | None) -> None:
    extract_outcome(body, content_type)


@pytest.mark.slow
@given(html_documents(big=True))
def test_fuzz_random_html(doc: tuple[bytes, str | None]) -> None:
    extract_outcome(*doc)


@pytest.mark.slow
@given(st.sampled_from(SEED_PAGES).flatmap(lambda b: mutations(b, 30)), st.sampled_from(CONTENT_TYPES))
def test_fuzz_mutated_pages(body: bytes, content_type: str | None) -> None:
    extract_outcome(body, content_type)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_corpus_page_is_an_article_or_a_reject(path: Path) -> None:
    extract_outcome(path.read_bytes())


def test_script_only_page_is_rejected_for_lack_of_text() -> None:
    result = extract_outcome((CORPUS / "page_script_only.html").read_bytes())
    assert isinstance(result, Reject) and result.reason == "no_article_text"


@pytest.mark.parametrize(("opening", "closing"),
                         [("<div>", "</div>"), ("<b>", ""), ("<table><tr><td>", ""), ("<span><i>", "</i></span>")],
                         ids=["div", "unclosed-b", "tables", "span-i"])
def test_10000_levels_of_nesting(opening: str, closing: str) -> None:
    body = ("<html><body>" + opening * 10_000 + article_html(7) + closing * 10_000 + "</body></html>").encode()
    started = time.monotonic()
    extract_outcome(body)
    assert time.monotonic() - started < 30


def test_50_mb_page_is_refused_before_parsing() -> None:
    body = b"<html><body><p>" + b"word " * 10_000_000 + b"</p></body></html>"
    started = time.monotonic()
    result = extract_outcome(body)
    assert isinstance(result, Reject) and result.reason == "too_large"
    assert time.monotonic() - started < 5


def test_50_mb_page_within_the_size_limit_is_cut_by_the_time_budget() -> None:
    """With the size limit raised, the per-page time budget still bounds a 50 MB page."""
    para = article_html(8).split("<article>", 1)[1].split("</article>", 1)[0]
    body = ("<html><body><article>" + para * (50_000_000 // len(para)) + "</article></body></html>").encode()
    settings = SETTINGS.with_overrides(max_page_bytes=60_000_000, extract_timeout_seconds=2.0)
    started = time.process_time()  # CPU time of this process: other work on the machine does not count
    result = extract_outcome(body, settings=settings)
    assert time.process_time() - started < 15
    assert isinstance(result, Article) or result.reason == "extract_timeout", result


def test_a_swallowed_budget_raise_is_raised_again() -> None:
    """Reproduced in CI: the alarm's raise landed inside hypothesis' gc callback, which reports it as
    unraisable and goes on; the 50 MB page then ran 172 s of CPU. Here the first raise is eaten the
    same way (by the code under the budget); the budget must still end the block."""
    swallowed = 0
    started = time.monotonic()
    with pytest.raises(ExtractTimeout), time_budget(0.2):
        while time.monotonic() - started < 30:  # the old alarm fired once: this loop ran to the end
            try:
                while time.monotonic() - started < 30:
                    pass
            except ExtractTimeout:
                if swallowed:
                    raise
                swallowed += 1
    assert swallowed == 1 and time.monotonic() - started < 30


def test_50_mb_page_over_http_is_cut_at_the_byte_limit() -> None:
    body = b"<html><body><p>" + b"word " * 10_000_000 + b"</p></body></html>"
    settings = SETTINGS.with_overrides(allowed_hosts=("127.0.0.1",), respect_robots=False)
    with http_server({"/big.html": (200, "text/html", body)}) as base:
        result = fetch_url(f"{base}/big.html", settings)
    assert isinstance(result, Reject) and result.reason == "too_large", result


def test_100_kb_title() -> None:
    result = extract_outcome(article_html(9, title="Maria Lopez met Acme Robotics " * 3500).encode())
    assert isinstance(result, Reject) or len(result.title or "") <= 110_000


# --------------------------------------------------------------------------------------------
# Discover: feeds and sitemaps, random, mutated and malicious
# --------------------------------------------------------------------------------------------


@given(feed_documents())
def test_random_feeds_parse_or_are_refused(data: bytes) -> None:
    feed_outcome(data)


@given(st.sampled_from(SEED_FEEDS).flatmap(mutations))
def test_mutated_feeds_parse_or_are_refused(data: bytes) -> None:
    feed_outcome(data)


@given(sitemap_documents())
def test_random_sitemaps_parse_or_are_refused(data: bytes) -> None:
    sitemap_outcome(data)


@given(st.sampled_from(SEED_SITEMAPS).flatmap(mutations))
def test_mutated_sitemaps_parse_or_are_refused(data: bytes) -> None:
    sitemap_outcome(data)


@pytest.mark.slow
@given(feed_documents())
def test_fuzz_feeds(data: bytes) -> None:
    feed_outcome(data)


@pytest.mark.slow
@given(sitemap_documents())
def test_fuzz_sitemaps(data: bytes) -> None:
    sitemap_outcome(data)


@pytest.mark.parametrize("path", FEEDS + SITEMAPS, ids=lambda p: p.stem)
def test_corpus_documents_never_expand_entities_or_read_files(path: Path) -> None:
    data = path.read_bytes()
    started = time.monotonic()
    result: Any = feed_outcome(data) if path.name.startswith("feed_") else sitemap_outcome(data)
    assert time.monotonic() - started < 5
    shown = json.dumps([(e.url, e.entry) for e in result.entries] if isinstance(result, ParsedFeed)
                       else [e.__dict__ for e in result.entries] if isinstance(result, Sitemap) else [])
    shown += str(getattr(result, "error", "") or "")
    assert not LOL.search(shown), f"an entity was expanded: {shown[:300]}"
    assert not PASSWD.search(shown), "an external entity was read"


@pytest.mark.parametrize("kind", ["feed", "sitemap"])
def test_external_entities_and_dtds_never_reach_the_network(kind: str, tmp_path: Path) -> None:
    hits: list[str] = []
    routes: dict[str, tuple[int, str, bytes]] = {"/x.dtd": (200, "application/xml-dtd", b'<!ENTITY e "pwned">'),
                                                 "/e": (200, "text/plain", b"pwned")}
    with http_server(routes, hits) as base:
        variants = [f'<!DOCTYPE r SYSTEM "{base}/x.dtd">', f'<!DOCTYPE r [<!ENTITY e SYSTEM "{base}/e">]>',
                    f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{base}/x.dtd"> %p;]>']
        for i, head in enumerate(variants):
            for encoding in ("utf-8", "utf-32", "utf-16-be"):
                decl = f'<?xml version="1.0" encoding="{encoding.replace("-be", "be")}"?>'
                if kind == "feed":
                    doc = (f'{decl}{head}<rss version="2.0"><channel><title>x</title><item><title>&e;</title>'
                           f'<link>https://example.com/{i}</link></item></channel></rss>')
                    result: Any = feed_outcome(doc.encode(encoding))
                else:
                    doc = (f'{decl}{head}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
                           f'<loc>https://example.com/&e;</loc></url></urlset>')
                    result = sitemap_outcome(doc.encode(encoding))
                assert "pwned" not in repr(result)
    assert hits == [], f"a parser fetched {hits}"


def test_sitemap_index_that_points_at_itself_ends(tmp_path: Path) -> None:
    local = tmp_path / "index.xml"
    local.write_text('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                     f"<sitemap><loc>{local.as_uri()}</loc></sitemap><sitemap><loc>{local}</loc></sitemap>"
                     "</sitemapindex>")
    settings = SETTINGS.with_overrides(allowed_hosts=("127.0.0.1",), min_host_interval_seconds=0.0,
                                       respect_robots=False)
    started = time.monotonic()
    urls, rejects = discover_source(SourceSpec("self-local", "sitemap", str(local)), settings)
    assert urls == [] and not [r for r in rejects if r.reason == "discover_error"], rejects

    routes: dict[str, tuple[int, str, bytes]] = {}
    with http_server(routes) as base:
        routes["/index.xml"] = (200, "application/xml", (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/index.xml</loc></sitemap><sitemap><loc>{base}/./index.xml?</loc></sitemap>"
            f"<sitemap><loc>{base}/child.xml</loc></sitemap></sitemapindex>").encode())
        routes["/child.xml"] = (200, "application/xml", (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/index.xml</loc></sitemap></sitemapindex>").encode())
        urls, rejects = discover_source(SourceSpec("self-http", "sitemap", f"{base}/index.xml"), settings)
    assert urls == [] and not [r for r in rejects if r.reason == "discover_error"], rejects
    assert time.monotonic() - started < 30


# --------------------------------------------------------------------------------------------
# The discover stage against the warehouse: documents in, frontier rows or rejects out
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_db(pg_admin_url: str) -> Iterator[str]:
    url = new_database(pg_admin_url, "hostile")
    migrate.upgrade(url)
    yield url
    drop_database(pg_admin_url, url)


def discover_file(url: str, data: bytes, kind: str, path: Path, settings: Settings = SETTINGS) -> dict[str, Any]:
    """run_discover over one local document; must not raise and must not hit the catch-all reject."""
    path.write_bytes(data)
    spec = SourceSpec(f"hostile-{kind}", kind, str(path))
    ids = pipeline.sync_sources(url, [spec])
    run_id = pipeline.start_run(url, "test", {})
    result = run_discover(url, settings.with_overrides(files_roots=(str(path.parent),)), [spec], ids, run_id)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        rows = conn.execute("select url, reason from rejects where run_id = %s", (run_id,)).fetchall()
    reasons = [r for _, r in rows]
    assert "discover_error" not in reasons, "a parser crashed (caught as discover_error)"
    assert (str(path), "outside_files_roots") not in rows, "the document was not read at all"
    return {"counts": dict(result.counts), "reasons": reasons, "run_id": run_id}


@pytest.mark.parametrize("path", FEEDS + SITEMAPS, ids=lambda p: p.stem)
def test_corpus_documents_through_the_discover_stage(hostile_db: str, path: Path, tmp_path: Path) -> None:
    kind = "feed" if path.name.startswith("feed_") else "sitemap"
    outcome = discover_file(hostile_db, path.read_bytes(), kind, tmp_path / path.name)
    with psycopg.connect(libpq_url(hostile_db), autocommit=True) as conn:
        stored = json.dumps(conn.execute("select url, entry from frontier where last_seen_run_id = %s",
                                         (outcome["run_id"],)).fetchall())
    assert not LOL.search(stored) and not PASSWD.search(stored)


@given(st.one_of(feed_documents(), st.sampled_from(SEED_FEEDS).flatmap(mutations)))
def test_random_feeds_through_the_discover_stage(hostile_db: str, tmp_path: Path, data: bytes) -> None:
    discover_file(hostile_db, data, "feed", tmp_path / "feed.xml")


@given(st.one_of(sitemap_documents(), st.sampled_from(SEED_SITEMAPS).flatmap(mutations)))
def test_random_sitemaps_through_the_discover_stage(hostile_db: str, tmp_path: Path, data: bytes) -> None:
    discover_file(hostile_db, data, "sitemap", tmp_path / "sitemap.xml")


@pytest.mark.slow
@given(st.one_of(feed_documents(), sitemap_documents()))
def test_fuzz_documents_through_the_discover_stage(hostile_db: str, tmp_path: Path, data: bytes) -> None:
    kind = "sitemap" if b"<urlset" in data or b"<sitemapindex" in data or data[:2] == b"\x1f\x8b" else "feed"
    discover_file(hostile_db, data, kind, tmp_path / "doc.xml")


def test_feed_with_ten_times_the_entry_cap_is_bounded(hostile_db: str, tmp_path: Path) -> None:
    # 30,000 entries over a cap of 3,000: the bound, not the feed's size, decides what is discovered
    # (the feed was 100,000 entries over 20,000 before: 39 s of `make test` for the same check)
    items = "".join(f"<item><title>Story {i}</title><link>https://example.com/s/{i}</link></item>"
                    for i in range(30_000))
    data = f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>{items}</channel></rss>'.encode()
    settings = SETTINGS.with_overrides(discover_max_entries=3_000)
    started = time.monotonic()
    outcome = discover_file(hostile_db, data, "feed", tmp_path / "big.xml", settings)
    assert time.monotonic() - started < 90  # a hang, not a slow machine: the run takes seconds
    assert outcome["counts"].get("discovered") == 3_000, outcome["counts"]
    assert "too_many_entries" in outcome["reasons"]


# --------------------------------------------------------------------------------------------
# The whole pipeline over hostile pages: every input accounted for, payloads stored verbatim
# --------------------------------------------------------------------------------------------

INJECTION_TITLE = "'); drop table articles; --"
SCRIPT_TITLE = "<script>alert(1)</script>"
INJECTION_BODY = "Robert'); DROP TABLE students;--"
TABLES = ("sources", "frontier", "raw_pages", "articles", "authors", "article_authors", "entities",
          "entity_aliases", "article_entities", "keywords", "article_keywords", "rejects", "pipeline_runs")


def test_hostile_pages_through_the_whole_pipeline(warehouse_url: str, settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    for path in PAGES:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "gen_title_100kb.html").write_text(article_html(10, title="Acme Robotics news " * 5300))
    (folder / "gen_nested_10000.html").write_text("<html><body>" + "<div>" * 10_000 + article_html(11)
                                                  + "</div>" * 10_000 + "</body></html>")
    (folder / "gen_50mb.html").write_bytes(b"<html><body><p>" + b"word " * 10_000_000 + b"</p></body></html>")
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - {{name: hostile, kind: files, location: '{folder}/*.html'}}\n")
    summary = run_pipeline(warehouse_url, settings, RunRequest(sources_file=sources), trigger="test")
    assert summary.status in ("success", "degraded"), summary

    files = sorted(p.name for p in folder.iterdir())
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        for table in TABLES:
            assert one(conn, "select to_regclass(%s)", (table,)) is not None, f"{table} is gone"
        articles = {Path(u).name: (title, text) for u, title, text in conn.execute(
            "select url, title, text from articles")}
        rejected = [Path(u).name for (u,) in conn.execute("select url from rejects where stage <> 'discover'")]
        keywords = {k for (k,) in conn.execute("select keyword from keywords")}
    accounted = sorted(list(articles) + rejected)
    assert accounted == files, f"not exactly one outcome per input: {set(files) ^ set(accounted)}"
    title, text = articles["page_injection.html"]
    assert title == INJECTION_TITLE and INJECTION_BODY in text and SCRIPT_TITLE in text
    assert articles["page_html_injection_title.html"][0] == SCRIPT_TITLE
    assert "x' or '1'='1' --" in keywords


def test_hostile_feed_entries_are_stored_verbatim(hostile_db: str, tmp_path: Path) -> None:
    outcome = discover_file(hostile_db, (CORPUS / "feed_injection.xml").read_bytes(), "feed", tmp_path / "inj.xml")
    with psycopg.connect(libpq_url(hostile_db), autocommit=True) as conn:
        entries = [e for (e,) in conn.execute("select entry from frontier where last_seen_run_id = %s",
                                              (outcome["run_id"],))]
        assert one(conn, "select to_regclass('frontier')") is not None
    assert entries and entries[0]["title"] == "'); drop table frontier; --"
    assert entries[0]["guid"] == SCRIPT_TITLE
