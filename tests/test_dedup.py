"""Near-duplicates: a wire story republished by three sites is one story; other stories are not."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from etl.dedup import estimated_jaccard, shingles, signature
from etl.pipeline import runs as pipeline
from etl.pipeline.discover import run_discover
from etl.pipeline.fetch import run_fetch
from etl.pipeline.process import run_process
from etl.records import SourceSpec
from etl.settings import Settings

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
