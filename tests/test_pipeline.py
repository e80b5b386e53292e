"""Run plumbing and the process stage on a real warehouse: leases, quotas, idempotency, bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import psycopg
import pytest

from etl.pipeline import runs as pipeline
from etl.pipeline.discover import run_discover
from etl.pipeline.fetch import run_fetch
from etl.pipeline.process import run_process
from etl.records import SourceSpec
from etl.settings import Settings
from etl.store import frontier
from etl.store.queues import FRONTIER

REPO = Path(__file__).resolve().parent.parent
SEED_TEXT = REPO.parent / "shared" / "seeds" / "000_2e8ba84eba1d1d65.txt"


def article_html(title: str, paragraphs: list[str], extra_head: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html lang='en'><head><meta charset='utf-8'><title>{title}</title>{extra_head}</head>"
            f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article></body></html>")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    lines = SEED_TEXT.read_text(encoding="utf-8").splitlines()
    (folder / "seed.html").write_text(
        article_html(lines[0], lines[1:],
                     "<meta property='article:published_time' content='2023-06-20T09:14:00+05:30'>"),
        encoding="utf-8")
    (folder / "empty.html").write_bytes(b"")
    (folder / "binary.html").write_bytes(bytes(range(256)) * 8)
    # declared UTF-8, but a fifth of its characters are stray bytes no charset makes sense of
    (folder / "not_utf8.html").write_bytes((REPO / "seeds" / "pages" / "bad_not_utf8.html").read_bytes())
    (folder / "no_text.html").write_text(article_html("Section front", ["<a href='/a'>Headline one</a>"]))
    return folder


def _run_all(url: str, settings: Settings, folder: Path) -> int:
    spec = SourceSpec("local", "files", str(folder / "*.html"))
    ids = pipeline.sync_sources(url, [spec])
    run_id = pipeline.start_run(url, "test", {})
    run_discover(url, settings, [spec], ids, run_id)
    run_fetch(url, settings, run_id)
    run_process(url, settings, run_id)
    pipeline.finish_run(url, settings, run_id)
    return run_id


def _table_counts(db: psycopg.Connection) -> dict[str, int]:
    tables = ("articles", "rejects", "raw_pages", "frontier", "authors", "entities", "article_entities",
              "article_authors", "keywords", "article_keywords", "entity_aliases")
    return {t: db.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}  # noqa: S608


def test_bad_inputs_are_rejected_with_reasons_and_the_run_goes_on(
    warehouse_url: str, settings: Settings, corpus: Path, db: psycopg.Connection
) -> None:
    run_id = _run_all(warehouse_url, settings, corpus)
    reasons = {Path(url).name: reason for url, reason in db.execute(
        "select url, reason from rejects where run_id = %s", (run_id,))}
    assert reasons == {"empty.html": "empty_file", "binary.html": "binary_content",
                       "not_utf8.html": "encoding_error", "no_text.html": "no_article_text"}
    (n_articles,) = db.execute("select count(*) from articles").fetchone()
    assert n_articles == 1
    status, counts = db.execute("select status, counts from pipeline_runs where run_id = %s", (run_id,)).fetchone()
    assert counts["articles_inserted"] == 1 and counts["rejected_extract"] == 4
    assert status == "degraded"  # 4 of 5 pages rejected is over the default 50% threshold


def test_second_run_adds_and_duplicates_nothing(
    warehouse_url: str, settings: Settings, corpus: Path, db: psycopg.Connection
) -> None:
    _run_all(warehouse_url, settings, corpus)
    before = _table_counts(db)
    run_id = _run_all(warehouse_url, settings, corpus)
    assert _table_counts(db) == before
    counts = db.execute("select counts from pipeline_runs where run_id = %s", (run_id,)).fetchone()[0]
    assert float(counts.get("fetched", 0)) == 0 and float(counts.get("articles_inserted", 0)) == 0


def test_reprocess_updates_articles_in_place(
    warehouse_url: str, settings: Settings, corpus: Path, db: psycopg.Connection
) -> None:
    _run_all(warehouse_url, settings, corpus)
    before = _table_counts(db)
    queued = pipeline_requeue(warehouse_url)
    assert queued == 5
    run_id = pipeline.start_run(warehouse_url, "test", {"reprocess": True})
    result = run_process(warehouse_url, settings, run_id)
    assert result.counts["articles_updated"] == 1 and result.counts["articles_inserted"] == 0
    after = _table_counts(db)
    assert {k: v for k, v in after.items() if k != "rejects"} == {k: v for k, v in before.items() if k != "rejects"}


def pipeline_requeue(url: str) -> int:
    from etl.pipeline.process import requeue_stored_pages

    return requeue_stored_pages(url, None)


def test_expired_lease_is_claimed_again_and_the_old_holder_settles_nothing(
    warehouse_url: str, settings: Settings, corpus: Path, db: psycopg.Connection
) -> None:
    spec = SourceSpec("local", "files", str(corpus / "*.html"))
    ids = pipeline.sync_sources(warehouse_url, [spec])
    run_id = pipeline.start_run(warehouse_url, "test", {})
    run_discover(warehouse_url, settings, [spec], ids, run_id)
    claim = {"lease_seconds": 60, "limit": 100, "source_ids": None, "per_host": 2, "busy_hosts": []}
    with psycopg.connect(warehouse_url.replace("postgresql+psycopg", "postgresql")) as conn:
        dead = frontier.claim(conn, "dead-worker", run_id, **claim)
        assert len(dead) == 5
        again = frontier.claim(conn, "other", run_id, **claim)
        assert again == []  # leased: nobody else may take them
        conn.execute("update frontier set claim_expires_at = now() - interval '1 second'")
        conn.commit()
    result = run_fetch(warehouse_url, settings, run_id)
    assert result.counts["fetched"] == 5
    with psycopg.connect(warehouse_url) as conn:
        settled = FRONTIER.settle(conn, "dead-worker", [c.url_hash for c in dead], "fetched")
        assert settled == set()


@pytest.mark.parametrize(
    ("pending", "limit", "batch", "tasks", "expected"),
    [(0, None, 50, 8, []), (10, None, 50, 8, [10]), (120, None, 50, 8, [50, 50, 20]),
     (1000, None, 50, 8, [150] * 6 + [100]), (120, 60, 50, 8, [50, 10]), (5, 0, 50, 8, [])],
)
def test_plan_quotas(pending: int, limit: int | None, batch: int, tasks: int, expected: list[int]) -> None:
    quotas = pipeline.plan_quotas(pending, limit, batch, tasks)
    assert quotas == expected
    assert sum(quotas) == (pending if limit is None else min(pending, limit))
    assert len(quotas) <= tasks


def test_raw_pages_keep_the_bytes_as_fetched(warehouse_url: str, settings: Settings, corpus: Path,
                                             db: psycopg.Connection) -> None:
    _run_all(warehouse_url, settings, corpus)
    body_gz, size = db.execute("select body_gz, body_bytes from raw_pages where url like '%binary.html'").fetchone()
    assert gzip.decompress(body_gz) == (corpus / "binary.html").read_bytes() and size == 2048


def test_a_page_that_breaks_its_batch_load_is_rejected_and_the_rest_lands(
    warehouse_url: str, settings: Settings, tmp_path: Path, db: psycopg.Connection
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    lines = SEED_TEXT.read_text(encoding="utf-8").splitlines()
    for name in ("one", "two", "poison", "three"):
        title = "POISON row" if name == "poison" else f"Story {name}"
        (folder / f"{name}.html").write_text(article_html(title, [f"{name}: {line}" for line in lines[1:]]))
    # Stands for a row the server refuses (oversized value, violated constraint) in one batch.
    db.execute("""create function refuse_poison() returns trigger language plpgsql as $$
                  begin if new.title like 'POISON%' then
                      raise exception 'row refused' using errcode = 'check_violation'; end if;
                  return new; end $$""")
    db.execute("create trigger refuse_poison before insert on articles for each row execute function refuse_poison()")
    run_id = _run_all(warehouse_url, settings, folder)
    titles = sorted(t for (t,) in db.execute("select title from articles"))
    assert titles == ["Story one", "Story three", "Story two"]
    rejects = db.execute("select url, stage, reason from rejects where run_id = %s", (run_id,)).fetchall()
    assert [(Path(u).name, s, r) for u, s, r in rejects] == [("poison.html", "load", "load_error")]
    assert db.execute("select count(*) from raw_pages where process_status = 'pending'").fetchone()[0] == 0


def test_every_key_is_url_hash_of_the_url_it_names(
    warehouse_url: str, settings: Settings, tmp_path: Path, db: psycopg.Connection
) -> None:
    """One function makes every key (etl.urls.url_hash); which URL keys what is the table in doc/choices.md:
    frontier, raw_pages and rejects by the requested URL, articles by the story's canonical URL."""
    from etl.urls import url_hash

    folder = tmp_path / "site"
    folder.mkdir()
    paragraphs = [f"Paragraph {i} of a story long enough to be an article, about the harbour and the town." for i
                  in range(6)]
    (folder / "story.html").write_text(article_html("A story", paragraphs), encoding="utf-8")
    # a second address of the same story, declaring the first as canonical
    canonical = (folder / "story.html").resolve().as_uri()
    (folder / "story-amp.html").write_text(
        article_html("A story", paragraphs, f"<link rel='canonical' href='{canonical}'>"), encoding="utf-8")
    (folder / "empty.html").write_bytes(b"")
    _run_all(warehouse_url, settings, folder)
    frontier_rows = db.execute("select url_hash, url from frontier").fetchall()
    assert len(frontier_rows) == 3 and all(key == url_hash(url) for key, url in frontier_rows)
    assert db.execute("select count(*) from raw_pages as r join frontier as f using (url_hash) "
                      "where r.url = f.url").fetchone() == (3,)
    articles = db.execute("select url_hash, url, canonical_url from articles").fetchall()
    assert len(articles) == 1  # two addresses, one story
    assert all(key == url_hash(canonical_url) for key, _url, canonical_url in articles)
    assert articles[0][2] == canonical
    rejects = db.execute("select url_hash, url from rejects").fetchall()
    assert rejects and all(key == url_hash(url) for key, url in rejects)
