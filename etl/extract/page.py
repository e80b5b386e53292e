"""Extract stage: main text and metadata of a news page (trafilatura, checked by readability)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from etl.extract import authors, extractors, metadata
from etl.extract.decode import DecodeError, decode_html
from etl.extract.selector import Choice, choose_body
from etl.extract.textclean import PageHints, clean_body, opens_with
from etl.records import Article, RawPage, Reject, Stage
from etl.settings import Settings
from etl.urls import canonicalize_url, same_site

EXTRACTOR_VERSION = f"newsetl-extract-2+trafilatura-{trafilatura.__version__}"


class ExtractTimeout(BaseException):
    """A page used up its time budget.

    A BaseException, like KeyboardInterrupt: the extractors' own ``except Exception`` blocks
    must not swallow it and let the page run on past its budget.
    """


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise ExtractTimeout in this block after ``seconds`` (main thread only; else no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expired(signum: int, frame: Any) -> None:
        raise ExtractTimeout(f"over the {seconds:g}s budget")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def extract_page(page: RawPage, settings: Settings) -> Article | Reject:
    """Decode and extract one stored page; every failure becomes a Reject with a reason."""

    def reject(reason: str, detail: str) -> Reject:
        return Reject(Stage.EXTRACT, reason, page.url, detail, page.url_hash, page.source_id)

    if len(page.body) > settings.max_page_bytes:
        return reject("too_large", f"{len(page.body)} bytes > {settings.max_page_bytes}")
    try:
        text, _encoding = decode_html(page.body, page.content_type)
    except DecodeError as exc:
        return reject(exc.reason, str(exc))
    result = extract_html(text, page.final_url or page.url, settings, entry=page.entry)
    if isinstance(result, Reject):
        return reject(result.reason, result.detail)
    return result


def extract_html(
    html_text: str, url: str, settings: Settings, entry: dict[str, Any] | None = None
) -> Article | Reject:
    """Main text and metadata of an HTML document, within the per-page time budget."""
    try:
        with time_budget(settings.extract_timeout_seconds):
            return _extract(html_text, url, settings, entry or {})
    except ExtractTimeout as exc:
        return Reject(Stage.EXTRACT, "extract_timeout", url, str(exc))
    except (ValueError, RecursionError, MemoryError) as exc:
        return Reject(Stage.EXTRACT, "unparseable_html", url, f"{type(exc).__name__}: {exc}"[:500])


def _extract(html_text: str, url: str, settings: Settings, entry: dict[str, Any]) -> Article | Reject:
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
        agency=meta.agency or authors.agency_from_dateline(body),
        keywords=meta.keywords,
        site_name=meta.site_name,
        section=meta.section,
        top_image=meta.top_image,
        extractor=choice.method,
        extractor_version=EXTRACTOR_VERSION,
    )


def _body(tree: HtmlElement, url: str, meta: metadata.PageMetadata) -> Choice:
    """Body text: trafilatura's balanced mode; its precision mode and readability only on doubt."""
    links = extractors.link_texts(tree)
    extractors.unwrap_social_embeds(tree)
    raw = extractors.trafilatura_text(tree, url, "balanced", fast=True)
    # looking for a printed standfirst costs a tree walk: only when the description opens the text
    dek = extractors.standfirst(tree, meta.description) if opens_with(raw, meta.description) else None
    hints = PageHints.build(meta.headlines, meta.description, dek, links)

    def clean(text: str) -> str:
        return clean_body(text, hints)

    return choose_body(
        clean(raw),
        lambda: clean(extractors.trafilatura_text(tree, url, "precision", fast=True)),
        lambda: clean(extractors.readability_text(tree)),
        meta.description,
    )
