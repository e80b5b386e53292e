"""The entity contract (`newsetl entities`): manifest pages through the real pipeline into a scratch
warehouse, context first, and each article's final entities in score_entities.py's format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from etl.store.db import libpq_url
from tests.conftest import REPO
from tools.entity_bench import read_manifest, run_entities

PAGES = REPO / "seeds" / "pages"
NEWSETL = str(Path(sys.executable).parent / "newsetl")


def _manifest(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("".join(json.dumps({"id": i, "url": u, "path": str(PAGES / f)}) + "\n" for i, u, f in rows),
                    encoding="utf-8")
    return path


def test_context_then_target_through_the_real_pipeline(warehouse_url: str, db: psycopg.Connection,
                                                       tmp_path: Path) -> None:
    context = _manifest(tmp_path / "context.jsonl", [
        ("c1", "https://news.example.org/bank-merger", "001_wordpress_bank_merger.html"),
        ("c2", "hard::odd-page.html", "bad_binary.html")])  # no HTTP URL, not a page: rejected, not fatal
    target = _manifest(tmp_path / "target.jsonl", [
        ("seed", "https://news.example.org/blinken-xi", "000_seed_article.html"),
        ("empty", "https://news.example.org/empty", "bad_empty.html")])
    result = run_entities(target, _settings(), context=[context], database_url=warehouse_url)
    assert [p["id"] for p in result.predictions] == ["seed", "empty"]
    seed, empty = result.predictions
    assert seed["article"] and not empty["article"] and empty["entities"] == []
    names = {e["name"]: e for e in seed["entities"]}
    assert {"Antony Blinken", "Xi Jinping", "United States"} <= set(names)  # seed alias: US -> United States
    assert set(names["Antony Blinken"]) == {"name", "type", "mentions", "salience"}
    assert abs(sum(e["salience"] for e in seed["entities"]) - 1.0) < 1e-3
    saliences = [e["salience"] for e in seed["entities"]]
    assert saliences == sorted(saliences, reverse=True)
    # both sources went through discover -> fetch -> process, the context one first
    runs = db.execute("select params->'sources' from pipeline_runs order by run_id").fetchall()
    assert [r[0] for r in runs] == [["entities-context-0"], ["entities-target"]]
    assert db.execute("select count(*) from articles").fetchone() == (2,)  # bank merger + seed article


def _settings():  # type: ignore[no-untyped-def]
    from etl.settings import load_settings

    return load_settings(environ={})


def test_read_manifest_gives_records_an_http_url(tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"id": "x", "url": "hard::example.com-a.html", "path": "pages/x.html"}\n'
                        '{"id": "y", "url": "https://example.com/y", "path": "pages/y.html"}\n', encoding="utf-8")
    pages = read_manifest(manifest)
    assert [p.url for p in pages] == ["https://manifest.invalid/x", "https://example.com/y"]
    assert pages[0].path == tmp_path / "pages" / "x.html"


def test_cli_uses_a_scratch_database_and_drops_it(pg_admin_url: str, tmp_path: Path) -> None:
    target = _manifest(tmp_path / "target.jsonl",
                       [("seed", "https://news.example.org/blinken-xi", "000_seed_article.html")])
    out = tmp_path / "pred.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSETL_")}
    env["NEWSETL_DATABASE_URL"] = pg_admin_url
    proc = subprocess.run([NEWSETL, "entities", "--manifest", str(target), "--out", str(out)], capture_output=True,
                          text=True, env=env, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["id"] == "seed" and any(e["name"] == "Xi Jinping" for e in row["entities"])
    with psycopg.connect(libpq_url(pg_admin_url), autocommit=True) as conn:
        left = conn.execute("select datname from pg_database where datname like 'newsetl_scratch_%'").fetchall()
        assert left == []
        # the user's database (here: postgres) got no tables from the run
        assert conn.execute("select count(*) from pg_tables where tablename = 'articles'").fetchone() == (0,)


def test_canonical_ceiling_counts_what_the_text_writes(tmp_path: Path) -> None:
    """The ceiling's "now" is the scorer's canonical; a match whose canonical the article writes
    counts in the first ceiling, one whose canonical only another page writes in the second, one
    written nowhere in neither; an article without a match counts 0, as the scorer counts it."""
    from bench.entities import SCORER, canonical_ceiling

    gold = [{"id": "a", "entities": [
                {"name": "Antony Blinken", "type": "PERSON", "role": "main", "aliases": ["Blinken"]},
                {"name": "Quillon Motor Company", "type": "ORG", "role": "major", "aliases": ["Quillon"]},
                {"name": "Xi Jinping", "type": "PERSON", "role": "major", "aliases": ["Xi"]}]},
            {"id": "b", "entities": [{"name": "Harwick Hawks", "type": "ORG", "role": "main", "aliases": ["Harwick"]}]},
            {"id": "c", "entities": []}]
    predictions = [{"id": "a", "entities": [{"name": "Blinken", "type": "PERSON", "mentions": 2, "salience": 0.5},
                                            {"name": "Quillon", "type": "ORG", "mentions": 1, "salience": 0.2},
                                            {"name": "Xi Jinping", "type": "PERSON", "mentions": 1, "salience": 0.3}]},
                   {"id": "b", "entities": [{"name": "Harwick", "type": "GPE", "mentions": 1, "salience": 1.0}]},
                   {"id": "c", "entities": []}]
    articles = {"a": {"title": "Blinken in Beijing", "text": "Antony Blinken met Xi Jinping. Quillon rose."},
                "b": {"title": "", "text": "Harwick won."}, "c": {"title": "", "text": "Nothing."}}
    warehouse = [*articles.values(), {"title": "", "text": "The Harwick Hawks are a hockey team."}]
    got = canonical_ceiling(gold, predictions, articles, warehouse)
    for rows, name in ((gold, "gold.jsonl"), (predictions, "pred.jsonl")):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCORER), str(tmp_path / "gold.jsonl"), str(tmp_path / "pred.jsonl")],
                          check=True, capture_output=True, text=True)
    assert got["now"] == json.loads(done.stdout.splitlines()[-1])["canonical"] == round((1 / 3) / 3, 4)
    assert got["written in the article"] == round((2 / 3) / 3, 4)
    assert got["written in the warehouse or a seed"] == round((2 / 3 + 1) / 3, 4)
    # "Quillon Motor Company": the names are made up, so no seed holds them
    assert got["matches without their canonical anywhere"] == 1


def test_missed_targets_are_written_with_their_margins() -> None:
    from bench.entities import failed_targets, missed_by

    overall = {"precision": 0.865, "recall": 0.91, "canonical": 0.83, "typed": 0.9, "main_at_3": 0.85, "split": 40}
    resolution = {"resolve_over_ner": 0.2}
    current = {"scores": {"overall": overall}, "failed": failed_targets(overall, resolution),
               "resolution": resolution}
    assert current["failed"] == ["precision", "canonical", "split", "resolution cost"]
    assert missed_by(current) == ("precision 0.865 (target ≥ 0.92, -0.055); canonical 0.830 (target ≥ 0.9, -0.070); "
                                  "split 40 (target ≤ 10, +30); resolution cost 20.0% of NER time (budget 15%)")
