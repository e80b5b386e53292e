"""Near-duplicates: a wire story republished by three sites is one story; other stories are not."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import psycopg
import pytest

from etl.dedup import DUPLICATE_JACCARD, estimated_jaccard, shingles, signature
from etl.pipeline import runs as pipeline
from etl.pipeline.discover import run_discover
from etl.pipeline.fetch import run_fetch
from etl.pipeline.process import run_process
from etl.records import Article, EntityMention, SourceSpec
from etl.settings import Settings
from etl.store.articles import LoadItem, LoadResult, load_articles
from etl.store.db import libpq_url

WIRE = [
    "WASHINGTON (AP) — Federal regulators on Tuesday approved a plan to expand high-speed internet "
    "service to rural communities across 14 states, the largest such effort in more than a decade.",
    "The Federal Communications Commission voted 4-1 to release $9.2 billion in subsidies over the next "
    "six years, money that carriers must spend on fiber lines reaching homes that now rely on slow "
    "copper connections or no service at all.",
    "Supporters said the program would help farmers, small businesses and students who struggled during "
    "the pandemic, when schools and offices moved online and rural families found themselves cut off.",
    "Critics argued the agency had not fixed problems with earlier rounds of funding, in which some "
    "companies won money for areas that already had service or failed to build the promised networks.",
    "The commission's chair said new rules require carriers to report progress every six months and to "
    "return money if construction falls behind schedule, a change she called overdue.",
    "Industry groups welcomed the decision but warned that shortages of workers and equipment could slow "
    "construction, particularly in mountainous areas where laying fiber costs far more per household.",
    "The first awards are expected early next year, and the agency said maps showing eligible addresses "
    "would be published online so residents can check whether their homes are covered.",
]
OTHER = [
    "The city council on Monday postponed a vote on the new stadium after residents packed the chamber "
    "to protest the use of public money for a privately owned sports venue on the river front.",
    "Council members said they needed more time to study the financing plan, which would divert hotel "
    "taxes for thirty years, and asked the mayor's office for a independent review of attendance figures.",
    "The team's owner said he remained committed to the project and would present revised numbers at the "
    "next meeting, scheduled for the second week of March, while opponents vowed to keep organizing.",
]


def site_page(site: str, paragraphs: list[str], extra_top: str = "", extra_bottom: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<html lang="en"><head><meta charset="utf-8"><title>Rural internet plan | {site}</title></head>
<body><header><a href="/">{site}</a><nav><a href="/news">News</a><a href="/sports">Sports</a></nav></header>
<main><article><h1>Regulators approve rural internet plan</h1>{extra_top}{body}{extra_bottom}</article></main>
<footer>&copy; 2024 {site}. All rights reserved. <a href="/privacy">Privacy</a></footer></body></html>"""


@pytest.fixture
def wire_sites(tmp_path: Path) -> Path:
    folder = tmp_path / "sites"
    folder.mkdir()
    (folder / "a_first.html").write_text(site_page("The Valley Herald", WIRE))
    edited = WIRE[:3] + [WIRE[3].replace("Critics argued", "Some lawmakers argued")] + WIRE[4:]
    (folder / "b_second.html").write_text(site_page(
        "Plains Daily News", edited, extra_bottom="<p>Editor's note: This story has been updated with "
        "comment from industry groups.</p>"))
    (folder / "c_third.html").write_text(site_page(
        "Mountain Courier", WIRE[:-1], extra_top="<p>Our region would receive about a tenth of the money, "
        "according to the agency's figures.</p>"))
    (folder / "d_other.html").write_text(site_page("The Valley Herald", OTHER * 2))
    return folder


def test_signatures_estimate_jaccard() -> None:
    text = " ".join(WIRE)
    edited = text.replace("Critics argued", "Some lawmakers argued")
    exact = len(shingles(text) & shingles(edited)) / len(shingles(text) | shingles(edited))
    assert abs(estimated_jaccard(signature(text), signature(edited)) - exact) < 0.1
    assert estimated_jaccard(signature(text), signature(" ".join(OTHER))) < 0.2


@pytest.mark.parametrize("batch_size", [50, 1])  # one batch, and one article per batch (warehouse lookup)
def test_wire_story_from_three_sites_is_one_story(
    warehouse_url: str, settings: Settings, wire_sites: Path, db: psycopg.Connection, batch_size: int
) -> None:
    settings = settings.with_overrides(batch_size=batch_size)
    spec = SourceSpec("wire", "files", str(wire_sites / "*.html"))
    ids = pipeline.sync_sources(warehouse_url, [spec])
    run_id = pipeline.start_run(warehouse_url, "test", {})
    run_discover(warehouse_url, settings, [spec], ids, run_id)
    run_fetch(warehouse_url, settings, run_id)
    result = run_process(warehouse_url, settings, run_id)
    assert result.counts["duplicates"] == 2
    rows = {Path(url).name: (aid, dup) for url, aid, dup in db.execute(
        "select url, article_id, duplicate_of from articles")}
    copies = sorted(rows[name] for name in ("a_first.html", "b_second.html", "c_third.html"))
    earliest_id = copies[0][0]
    assert copies[0][1] is None  # the earliest copy is the story
    assert [dup for _aid, dup in copies[1:]] == [earliest_id, earliest_id]  # later copies point at it
    assert rows["d_other.html"][1] is None
    (bands,) = db.execute("select count(*) from article_lsh_bands").fetchone()
    assert bands == 4 * 32


# --- the set-based load: statements per batch, copies inside one batch ------------------------------

STORY_WORDS = ("council", "budget", "river", "bridge", "harbour", "school", "vote", "mayor", "rail", "storm",
               "price", "market", "bank", "court", "police", "doctor", "hospital", "farmer", "drought", "factory",
               "strike", "union", "island", "festival", "museum", "library", "airport", "tunnel", "ferry", "grain")


def _story(seed: int, words: int = 240) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(STORY_WORDS) for _ in range(words)]


def _edited(words: list[str], seed: int, every: int) -> list[str]:
    """The words with one in ``every`` replaced by a word no story uses (a few edited sentences)."""
    return [f"edit{seed}x{i}" if i % every == seed % every else w for i, w in enumerate(words)]


def _item(source_id: int, n: int, words: list[str]) -> LoadItem:
    url = f"https://wire.example/story/{n}"
    article = Article(url=url, canonical_url=url, title=f"Story {n}", text=" ".join(words), language="en",
                      authors=[f"Reporter {n % 3}", "Desk Editor"], keywords=[f"topic{n % 4}", "news"],
                      extractor_version="test")
    mentions = [EntityMention(f"Harbour Authority {n % 5}", "ORG", 2, 0, True, 1.5, ("Authority",)),
                EntityMention("Maria Lopez", "PERSON", 1, 40, False, 0.5, ("Lopez",))]
    return LoadItem(article=article, entities=mentions, source_id=source_id, raw_page_id=None)


class CountingCursor(psycopg.Cursor):  # type: ignore[type-arg]
    """A real cursor that counts the statements sent through it (conn.execute goes through one too), a
    COPY being one statement."""

    statements = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        CountingCursor.statements += 1
        return super().execute(*args, **kwargs)

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        CountingCursor.statements += 1
        return super().copy(*args, **kwargs)


def _statements_of_load(url: str, items: list[LoadItem]) -> tuple[int, LoadResult]:
    with psycopg.connect(libpq_url(url), cursor_factory=CountingCursor) as conn, conn.transaction():
        CountingCursor.statements = 0
        result = load_articles(conn, items, None)
        return CountingCursor.statements, result


def test_a_batch_costs_the_same_statements_whatever_its_size(warehouse_url: str, db: psycopg.Connection) -> None:
    """Set-based load: 5 or 40 new pages (new names, entities, copies of stored and of batch stories) cost
    the same number of statements, and so do reloads of 5 or 40 stored articles."""
    sid = pipeline.sync_sources(warehouse_url, [SourceSpec("wire", "urls", "https://wire.example/list")])["wire"]
    small = [_item(sid, n, _story(n)) for n in range(5)]
    # 40 pages: 30 stories, 5 near copies of the small batch's stories, 5 near copies of this batch's own
    large = [_item(sid, 100 + n, _story(100 + n)) for n in range(30)]
    large += [_item(sid, 200 + n, _edited(_story(n), n, 50)) for n in range(5)]
    large += [_item(sid, 300 + n, _edited(_story(100 + n), n, 50)) for n in range(5)]
    few, first = _statements_of_load(warehouse_url, small)
    many, second = _statements_of_load(warehouse_url, large)
    again_few, reload_small = _statements_of_load(warehouse_url, small)
    again_many, reload = _statements_of_load(warehouse_url, large)
    assert (first.inserted, second.inserted, reload.inserted, reload.updated) == (5, 40, 0, 40)
    assert (first.duplicates, second.duplicates, reload_small.duplicates, reload.duplicates) == (0, 10, 0, 10)
    assert few == many and again_few == again_many, (few, many, again_few, again_many)
    assert max(many, again_many) < 25, (many, again_many)  # and far fewer than one per page
    dup_of = dict(db.execute("select url, duplicate_of from articles").fetchall())
    ids = dict(db.execute("select url, article_id from articles").fetchall())
    for n in range(5):
        assert dup_of[f"https://wire.example/story/{200 + n}"] == ids[f"https://wire.example/story/{n}"]
        assert dup_of[f"https://wire.example/story/{300 + n}"] == ids[f"https://wire.example/story/{100 + n}"]
    assert sum(v is None for v in dup_of.values()) == 35
    (bands,) = db.execute("select count(*) from article_lsh_bands").fetchone()
    assert bands == 45 * 32


def test_copies_of_copies_in_one_batch_point_at_the_first_copy(warehouse_url: str, db: psycopg.Connection) -> None:
    """A stored story, an edited copy of it and a copy of that copy (too far from the story to match it
    itself) in one batch: both copies point at the story, no chain forms; same text twice in the batch:
    the later page is the duplicate of the earlier one."""
    sid = pipeline.sync_sources(warehouse_url, [SourceSpec("wire", "urls", "https://wire.example/list")])["wire"]
    story = _story(1)
    copy = _edited(story, 1, 38)
    copy_of_copy = _edited(copy, 6, 38)
    sig = [signature(" ".join(w)) for w in (story, copy, copy_of_copy)]
    assert estimated_jaccard(sig[0], sig[1]) >= DUPLICATE_JACCARD <= estimated_jaccard(sig[1], sig[2])
    assert estimated_jaccard(sig[0], sig[2]) < DUPLICATE_JACCARD  # only through the middle copy
    with psycopg.connect(libpq_url(warehouse_url)) as conn, conn.transaction():
        load_articles(conn, [_item(sid, 1, story)], None)
    other = _story(2)
    with psycopg.connect(libpq_url(warehouse_url)) as conn, conn.transaction():
        result = load_articles(conn, [_item(sid, 2, copy), _item(sid, 3, copy_of_copy), _item(sid, 4, other),
                                      _item(sid, 5, other)], None)
    assert result.duplicates == 3
    rows = {url.rsplit("/", 1)[1]: (aid, dup) for url, aid, dup in
            db.execute("select url, article_id, duplicate_of from articles")}
    assert rows["1"][1] is None and rows["2"][1] == rows["1"][0] and rows["3"][1] == rows["1"][0]
    assert rows["4"][1] is None and rows["5"][1] == rows["4"][0]
