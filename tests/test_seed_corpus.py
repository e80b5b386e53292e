"""The seed corpus (seeds/pages) through the real pipeline on a real PostgreSQL, against seeds/expected.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import pytest
import yaml

from etl.pipeline.run import RunRequest, run_pipeline
from etl.settings import Settings, load_settings
from etl.store import migrate
from etl.store.db import libpq_url
from tests.conftest import REPO, SHARED, drop_database, new_database

SEEDS = REPO / "seeds"
SOURCES = SEEDS / "sources.yaml"
PAGES = SEEDS / "pages"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((SEEDS / "expected.yaml").read_text(encoding="utf-8"))["pages"]
SEED_TEXT = SHARED / "seeds" / "000_2e8ba84eba1d1d65.txt"
SEED_PAGE = "000_seed_article.html"
REJECTED = {name: page["rejected"] for name, page in EXPECTED.items() if "rejected" in page}
ARTICLE_PAGES = sorted(name for name in EXPECTED if name not in REJECTED)
N_ARTICLES = 24  # 25 news pages, of which the video page has no article text

TABLES = ("sources", "frontier", "raw_pages", "articles", "rejects", "authors", "article_authors",
          "keywords", "article_keywords", "entities", "article_entities", "entity_aliases")


def page_name(url: str) -> str:
    return Path(unquote(urlsplit(url).path)).name


def count_rows(db: psycopg.Connection, table: str) -> int:
    row = db.execute(f"select count(*) from {table}").fetchone()  # noqa: S608
    assert row is not None
    return int(row[0])


def table_counts(db: psycopg.Connection) -> dict[str, int]:
    return {t: count_rows(db, t) for t in TABLES}


def articles_by_page(db: psycopg.Connection) -> dict[str, dict[str, Any]]:
    rows = db.execute(
        """
        select a.url, a.title, a.text, a.language, a.published_at, a.published_date, a.agency,
               coalesce(array_agg(au.name order by aa.position) filter (where au.name is not null), '{}')
        from articles as a
        left join article_authors as aa on aa.article_id = a.article_id
        left join authors as au on au.author_id = aa.author_id
        group by a.article_id
        """
    ).fetchall()
    keys = ("title", "text", "language", "published_at", "published_date", "agency", "authors")
    return {page_name(r[0]): dict(zip(keys, r[1:], strict=True)) for r in rows}


def rejects_by_page(db: psycopg.Connection) -> dict[str, str]:
    return {page_name(url): reason for url, reason in db.execute("select url, reason from rejects")}


def entities_of(db: psycopg.Connection, page: str, entity_type: str | None = None) -> set[str]:
    rows = db.execute(
        """
        select e.name, a.url from entities as e
        join article_entities as ae on ae.entity_id = e.entity_id
        join articles as a on a.article_id = ae.article_id
        where %(type)s::text is null or e.type = %(type)s::text
        """,
        {"type": entity_type},
    ).fetchall()
    return {name for name, url in rows if page_name(url) == page}


def test_corpus_files_match_the_expectations_file() -> None:
    assert {p.name for p in PAGES.glob("*.html")} == set(EXPECTED)
    assert len(ARTICLE_PAGES) == N_ARTICLES
    assert (PAGES / "bad_empty.html").stat().st_size == 0
    assert sum(p.stat().st_size for p in PAGES.iterdir()) < 1_000_000


def test_seed_corpus_run_rejects_bad_inputs_and_is_idempotent(
    warehouse_url: str, settings: Settings, db: psycopg.Connection
) -> None:
    request = RunRequest(sources_file=SOURCES)
    summary = run_pipeline(warehouse_url, settings, request, trigger="test")
    assert summary.status in {"success", "degraded"}

    # the seed article: exact title, its day in the page's own offset, a timestamp, the people in it
    articles = articles_by_page(db)
    seed = articles[SEED_PAGE]
    title = SEED_TEXT.read_text(encoding="utf-8").splitlines()[0]
    assert seed["title"] == title
    assert seed["published_date"] == date(2023, 6, 20)
    assert seed["published_at"] is not None
    assert {"Antony Blinken", "Xi Jinping", "Joe Biden"} <= entities_of(db, SEED_PAGE, "PERSON")

    # each bad input and the page without article text is rejected with its reason; the rest load
    assert rejects_by_page(db) == REJECTED
    assert sorted(articles) == ARTICLE_PAGES
    assert count_rows(db, "articles") == N_ARTICLES
    assert summary.counts["articles_inserted"] == N_ARTICLES

    # the Latin-1 page is decoded as Latin-1; the German page is German and gets no (English) entities
    latin1 = articles["016_latin1_charset.html"]
    assert "Hélène Dufresne" in latin1["text"] and "François Lefèbvre" in latin1["text"]
    assert "\ufffd" not in latin1["text"]
    assert articles["014_german_article.html"]["language"] == "de"
    assert entities_of(db, "014_german_article.html") == set()

    # a second run over the same corpus finds nothing new to do
    before = table_counts(db)
    rejects_before = count_rows(db, "rejects")
    again = run_pipeline(warehouse_url, settings, request, trigger="test")
    assert again.count("articles_inserted") == 0
    assert count_rows(db, "rejects") == rejects_before
    assert table_counts(db) == before


# --- per-page expectations, on one shared run -----------------------------------------------


@dataclass(frozen=True)
class SeededWarehouse:
    url: str
    articles: dict[str, dict[str, Any]]
    rejects: dict[str, str]


@pytest.fixture(scope="module")
def seeded(pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededWarehouse]:
    """One warehouse holding one run over the seed corpus, shared by the per-page tests."""
    url = new_database(pg_admin_url, "seeds")
    try:
        migrate.upgrade(url)
        settings = load_settings(environ={}, data_dir=tmp_path_factory.mktemp("data"), extract_timeout_seconds=20.0)
        run_pipeline(url, settings, RunRequest(sources_file=SOURCES), trigger="test")
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            yield SeededWarehouse(url, articles_by_page(conn), rejects_by_page(conn))
    finally:
        drop_database(pg_admin_url, url)


def test_seed_article_keeps_every_paragraph_verbatim(seeded: SeededWarehouse) -> None:
    text = seeded.articles[SEED_PAGE]["text"]
    missing = [p for p in SEED_TEXT.read_text(encoding="utf-8").splitlines()[1:] if p.strip() and p not in text]
    assert missing == []


@pytest.mark.parametrize("page", ARTICLE_PAGES)
def test_page_title_and_language(seeded: SeededWarehouse, page: str) -> None:
    got = seeded.articles.get(page)
    assert got is not None, f"{page} was rejected: {seeded.rejects.get(page)}"
    assert got["title"] == EXPECTED[page]["title"]
    assert got["language"] == EXPECTED[page]["language"]


@pytest.mark.parametrize("page", ARTICLE_PAGES)
def test_page_date_and_authors(seeded: SeededWarehouse, page: str) -> None:
    got = seeded.articles[page]
    want = EXPECTED[page]
    assert (got["published_date"], list(got["authors"]), got["agency"]) == (
        want["published_date"], want["authors"], want["agency"])
