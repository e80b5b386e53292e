"""Extract stage: main text and metadata of a news page (trafilatura, checked by readability)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from etl.extract import authors, extractors, metadata
from etl.extract.decode import DecodeError, decode_html
from etl.extract.selector import Choice, choose_body
from etl.extract.textclean import PageHints, clean_body, is_boilerplate, opens_with
from etl.records import Article, RawPage, Reject, Stage
from etl.settings import Settings
from etl.urls import canonicalize_url, same_site

EXTRACTOR_VERSION = f"newsetl-extract-3+trafilatura-{trafilatura.__version__}"
# Below this many characters, trafilatura's fast balanced text gets its full fallback run
# (calibrated on the four evaluation sets: 500 gains on fundus and traf-eval; 1000 costs news-dev).
SHORT_BALANCED_CHARS = 500
REARM_SECONDS = 0.1  # after the budget, the alarm repeats this often until the block is left


class ExtractTimeout(BaseException):
    """A page used up its time budget.

    A BaseException, like KeyboardInterrupt: the extractors' own ``except Exception`` blocks
    must not swallow it and let the page run on past its budget.
    """


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise ExtractTimeout in this block after ``seconds`` (main thread only; else no limit).

    The alarm repeats every REARM_SECONDS after the first: a raise that lands where Python cannot
    propagate it (a gc callback, e.g. hypothesis' or any library's, reports it as unraisable and
    goes on) is raised again at the next tick instead of letting the page run unbounded."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expired(signum: int, frame: Any) -> None:
        raise ExtractTimeout(f"over the {seconds:g}s budget")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds, REARM_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Extraction:
    """What the extract stage made of a page, with the metadata it had found (also on a reject).

    A page rejected for too little body text still had a date, title and byline; the benchmark
    output (tools/manifests.py) carries them, the warehouse keeps only the Reject.
    """

    outcome: Article | Reject
    metadata: metadata.PageMetadata | None = None


def extract_page(page: RawPage, settings: Settings) -> Article | Reject:
    """Decode and extract one stored page; every failure becomes a Reject with a reason."""
    return extract_page_found(page, settings).outcome


def extract_page_found(page: RawPage, settings: Settings) -> Extraction:
    """:func:`extract_page`, with the page metadata found on the way (None before parsing)."""

    def reject(reason: str, detail: str) -> Reject:
        return Reject(Stage.EXTRACT, reason, page.url, detail, page.url_hash, page.source_id)

    if len(page.body) > settings.max_page_bytes:
        return Extraction(reject("too_large", f"{len(page.body)} bytes > {settings.max_page_bytes}"))
    try:
        text, _encoding = decode_html(page.body, page.content_type)
    except DecodeError as exc:
        return Extraction(reject(exc.reason, str(exc)))
    found = extract_html_found(text, page.final_url or page.url, settings, entry=page.entry)
    if isinstance(found.outcome, Reject):
        return Extraction(reject(found.outcome.reason, found.outcome.detail), found.metadata)
    return found


def extract_html(
    html_text: str, url: str, settings: Settings, entry: dict[str, Any] | None = None
) -> Article | Reject:
    """Main text and metadata of an HTML document, within the per-page time budget."""
    return extract_html_found(html_text, url, settings, entry).outcome


def extract_html_found(
    html_text: str, url: str, settings: Settings, entry: dict[str, Any] | None = None
) -> Extraction:
    """:func:`extract_html`, with the metadata found (kept on a no_article_text reject)."""
    found: list[metadata.PageMetadata] = []
    try:
        with time_budget(settings.extract_timeout_seconds):
            return Extraction(_extract(html_text, url, settings, entry or {}, found), found[0] if found else None)
    except ExtractTimeout as exc:
        return Extraction(Reject(Stage.EXTRACT, "extract_timeout", url, str(exc)), found[0] if found else None)
    except (ValueError, RecursionError, MemoryError) as exc:
        return Extraction(Reject(Stage.EXTRACT, "unparseable_html", url, f"{type(exc).__name__}: {exc}"[:500]))


def _extract(
    html_text: str, url: str, settings: Settings, entry: dict[str, Any], found: list[metadata.PageMetadata]
) -> Article | Reject:
    if not html_text.strip():
        return Reject(Stage.EXTRACT, "empty_file", url, "the page has no content")
    try:
        # trafilatura's loader: the parser settings its extractor is tuned for (comments dropped)
        tree = load_html(html_text)
    except Exception as exc:  # lxml raises ParserError / XMLSyntaxError on hopeless input
        return Reject(Stage.EXTRACT, "unparseable_html", url, f"{type(exc).__name__}: {exc}"[:500])
    if tree is None:
        return Reject(Stage.EXTRACT, "unparseable_html", url, "no HTML tree in the document")
    meta = metadata.page_metadata(tree, url, entry)
    found.append(meta)
    choice = _body(tree, url, meta)
    body = choice.text
    if len(body) < settings.min_text_chars:
        return Reject(Stage.EXTRACT, "no_article_text", url, f"{len(body)} characters of body text")
    canonical = meta.canonical_url if meta.canonical_url and same_site(meta.canonical_url, url) else url
    return Article(
        url=url,
        canonical_url=canonicalize_url(canonical),
        title=meta.title,
        text=body,
        description=meta.description,
        language=metadata.detect_language(body, meta.declared_language),
        published_at=meta.published_at,
        published_date=meta.published_date,
        published_precision=meta.published_precision,
        modified_at=meta.modified_at,
        authors=meta.authors,
        agency=_agency(meta, body, urlsplit(url).hostname),
        keywords=meta.keywords,
        site_name=meta.site_name,
        section=meta.section,
        top_image=meta.top_image,
        extractor=choice.method,
        extractor_version=EXTRACTOR_VERSION,
    )


def _agency(meta: metadata.PageMetadata, body: str, host: str | None) -> str | None:
    """The agency credited in the byline, else in a wire dateline; not the site's own name.

    Class: a wire service's own site (its dateline names itself) crediting its reporters by name:
    the site is no syndication source there. With no one named, the agency stays credited.
    """
    agency = meta.agency or authors.agency_from_dateline(body)
    if agency and meta.authors and authors.is_own_site(agency, meta.site_name, host):
        return None
    return agency


def _body(tree: HtmlElement, url: str, meta: metadata.PageMetadata) -> Choice:
    """Body text: trafilatura's balanced mode; its precision mode and readability only on doubt."""
    links = extractors.LinkTexts(tree)  # read before the embeds are unwrapped (same anchors)
    items = extractors.LinkTexts(tree, lambda t: extractors.link_items(t, url))
    extractors.unwrap_social_embeds(tree)
    # Class: related-story strips whose cards are links wrapping a heading and a teaser paragraph
    # (seen on news sites in several countries): read as paragraphs, they end up in the body.
    extractors.drop_teaser_cards(tree)
    extractors.drop_author_boxes(tree)
    # Classes (issue 11): titled fact/info boxes set into the text, and bulleted key-point digests
    # above it (news sites in several countries): people mark neither as the article's text.
    extractors.drop_fact_boxes(tree)
    # Class: Japanese pages with ruby readings, which the extractors cut into three lines each
    extractors.flatten_ruby(tree)
    extractors.drop_summary_boxes(tree)
    raw = extractors.trafilatura_text(tree, url, "balanced", fast=True)
    if len(raw) < SHORT_BALANCED_CHARS:
        # Class: pages where trafilatura's own block choice comes out short (a lead paragraph, a
        # caption) while its fallback (the comparison with its readability and jusText ports, which
        # fast mode skips) finds the article; seen on news agency, blog and magazine sites.
        fuller = extractors.trafilatura_text(tree, url, "balanced", fast=False)
        raw = fuller if len(fuller) > len(raw) else raw
    # looking for a printed standfirst costs a tree walk: only when the description opens the text
    dek = extractors.standfirst(tree, meta.description) if opens_with(raw, meta.description) else None
    hints = PageHints.build(meta.headlines, meta.description, dek, links, items)

    def clean(text: str) -> str:
        return clean_body(text, hints)

    # the second opinions are compared raw; only one that becomes the body is cleaned
    choice = choose_body(
        clean(raw),
        lambda: extractors.trafilatura_text(tree, url, "precision", fast=True),
        lambda: extractors.readability_text(tree),
        # a summary printed as the dek above the text was dropped from it on purpose: its absence
        # from the body is no sign of a wrong block
        None if dek else meta.description,
        clean,
    )
    if lead := extractors.printed_lead(tree, choice.text, hints.titles):
        choice = Choice(lead + "\n" + choice.text, choice.method + "+lead")
    before, after = extractors.sibling_blocks(tree, choice.text)
    before = [line for line in before if not is_boilerplate(line, links)]
    after = [line for line in after if not is_boilerplate(line, links)]
    if before or after:
        return Choice("\n".join([*before, choice.text, *after]), choice.method + "+blocks")
    return choice
