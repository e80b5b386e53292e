"""Reports on a fixture warehouse with known numbers: exact rows, the reader role, refresh, quality gate, CLI."""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

import psycopg
import pytest

from etl import reports
from etl.pipeline import runs as pipeline
from etl.pipeline.resolve import resolve_entities
from etl.records import Article, EntityMention, Reject
from etl.reports import quality
from etl.settings import Settings
from etl.store import runs
from etl.store.articles import LoadItem, load_articles
from etl.store.db import libpq_url
from etl.store.rejects import insert as insert_rejects
from tests.test_cli import run_cli

MON, TUE, NEXT_MON = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 11)


def _article(key: str, day: date | None, authors: list[str], language: str = "en", text: str | None = None) -> Article:
    return Article(url=f"https://news.example/{key}", canonical_url=f"https://news.example/{key}", title=f"Story {key}",
                   text=text or f"The full text of story {key}, which is long enough.", language=language,
                   published_date=day, published_precision="day" if day else None, authors=authors)


def _ents(*pairs: tuple[str, str, float]) -> list[EntityMention]:
    return [EntityMention(name, label, 2, 10, False, salience) for name, label, salience in pairs]


X, Y, Z, W = ("Xavier Ode", "PERSON"), ("Yoyodyne", "ORG"), ("Zembla", "GPE"), ("Wakanda", "GPE")

# (source, key, day, authors, language, text, entities)
FIXTURE = [
    ("alpha", "a1", MON, ["Ann"], "en", None, _ents((*X, 3.0), (*Y, 1.0))),
    ("alpha", "a2", MON, ["Ann", "Bob"], "en", None, _ents((*X, 2.0), (*Z, 1.5))),
    ("beta", "a3", TUE, ["Cy"], "en", "Same words in two places.", _ents((*Y, 4.0), (*Z, 1.0))),
    ("beta", "a4", None, [], "en", None, _ents((*X, 1.0))),
    ("beta", "a5", TUE, ["Dee"], "en", "Same words in two places.", _ents((*Y, 10.0))),  # duplicate of a3
    ("alpha", "a6", NEXT_MON, [], "de", None, _ents((*W, 2.0), (*X, 0.5))),
    ("alpha", "a7", TUE, ["Bob"], "en", None,
     _ents(("P One", "PERSON", 5.0), ("P Two", "PERSON", 4.0), ("P Three", "PERSON", 3.0), (*X, 2.0), (*Z, 1.5),
           ("Quux", "ORG", 0.5))),  # Quux is the 6th most salient: in no pair
]


def build_warehouse(url: str) -> int:
    """Load the fixture (one run: 10 pages fetched, 1 rejected at fetch, 2 at extract); returns the run id."""
    pipeline.prepare_database(url)
    run_id = pipeline.start_run(url, "test", {})
    with psycopg.connect(libpq_url(url)) as conn, conn.transaction():
        source_ids = {name: conn.execute(
            "insert into sources (name, kind, location) values (%s, 'files', 'x') returning source_id", (name,)
        ).fetchone()[0] for name in ("alpha", "beta")}
        for source, key, day, authors, language, text, ents in FIXTURE:  # one batch each: a5 follows a3
            load_articles(conn, [LoadItem(_article(key, day, authors, language, text), ents, source_ids[source],
                                          None)], run_id)
        insert_rejects(conn, [
            Reject("fetch", "http_404", "https://news.example/gone", source_id=source_ids["beta"]),
            Reject("extract", "no_article_text", "https://news.example/front", source_id=source_ids["beta"]),
            Reject("extract", "no_article_text", "https://news.example/front2", source_id=source_ids["alpha"]),
        ], run_id)
        runs.add_stats(conn, run_id, Counter(fetched=10, rejected_fetch=1, rejected_extract=2,
                                             articles_inserted=7), {"process": 1.0})
    resolve_entities(url, run_id)
    pipeline.finish_run(url, Settings(), run_id)
    reports.refresh_reports(url, Settings())
    return run_id


@pytest.fixture
def fixture_url(warehouse_url: str) -> str:
    build_warehouse(warehouse_url)
    return warehouse_url


def rows(url: str, name: str, **kw: object) -> list[dict[str, object]]:
    with psycopg.connect(libpq_url(url)) as conn:
        result = reports.run_report(conn, name, **kw)  # type: ignore[arg-type]
    return [{k: (float(v) if hasattr(v, "as_tuple") else v) for k, v in r.items()} for r in result.records()]


def today() -> date:
    return datetime.now(timezone.utc).date()


def test_daily_volume_counts_each_story_once(fixture_url: str) -> None:
    got = [(r["day"], r["source"], r["language"], r["articles"], r["undated"])
           for r in rows(fixture_url, "daily-volume")]
    assert got == [(MON, "alpha", "en", 2, 0), (TUE, "alpha", "en", 1, 0), (TUE, "beta", "en", 1, 0),
                   (NEXT_MON, "alpha", "de", 1, 0), (today(), "beta", "en", 1, 1)]
    assert [r["day"] for r in rows(fixture_url, "daily-volume", since=NEXT_MON)] == [NEXT_MON, today()]
    assert [r["day"] for r in rows(fixture_url, "daily-volume", since=TUE, until=NEXT_MON)] == [TUE, TUE, NEXT_MON]


def test_top_entities_daily_and_weekly_with_trend(fixture_url: str) -> None:
    daily = rows(fixture_url, "top-entities-daily", since=MON, limit=3)
    got = [(r["day"], r["rank"], r["entity"], r["articles"], r["salience"], r["prev_rank"], r["change"], r["trend"])
           for r in daily if r["day"] in (MON, TUE)]
    assert got == [
        (MON, 1, "Xavier Ode", 2, 5.0, None, 5.0, "new"),
        (MON, 2, "Zembla", 1, 1.5, None, 1.5, "new"),
        (MON, 3, "Yoyodyne", 1, 1.0, None, 1.0, "new"),
        (TUE, 1, "P One", 1, 5.0, None, 5.0, "new"),
        (TUE, 2, "P Two", 1, 4.0, None, 4.0, "new"),  # a tie: by name, never by entity id
        (TUE, 3, "Yoyodyne", 1, 4.0, 3, 3.0, "same"),  # a5 (Yoyodyne 10.0) is a duplicate: not counted
    ]
    weekly = rows(fixture_url, "top-entities-weekly")
    first = [(r["rank"], r["entity"], r["articles"], r["days"], r["salience"]) for r in weekly if r["week"] == MON]
    assert {r["week"] for r in rows(fixture_url, "top-entities-weekly", since=TUE, until=TUE)} == {MON}
    assert first[:4] == [(1, "Xavier Ode", 3, 2, 7.0), (2, "Yoyodyne", 2, 2, 5.0), (3, "P One", 1, 1, 5.0),
                         (4, "Zembla", 3, 2, 4.0)]
    second = {r["entity"]: r for r in weekly if r["week"] == NEXT_MON}
    assert (second["Wakanda"]["rank"], second["Wakanda"]["trend"]) == (1, "new")
    assert (second["Xavier Ode"]["prev_rank"], second["Xavier Ode"]["change"], second["Xavier Ode"]["trend"]) == \
        (1, -6.5, "down")
    trending = rows(fixture_url, "trending", since=NEXT_MON, limit=1)
    assert [(r["week"], r["entity"], r["change"]) for r in trending if r["week"] == NEXT_MON] == \
        [(NEXT_MON, "Wakanda", 2.0)]


def test_entity_timeline_by_name_or_alias_with_zero_days(fixture_url: str) -> None:
    got = [(r["day"], r["entity"], r["articles"], r["mentions"], r["salience"])
           for r in rows(fixture_url, "entity-timeline", entity="xavier ODE", since=MON)]
    assert got[:2] == [(MON, "Xavier Ode", 2, 4, 5.0), (TUE, "Xavier Ode", 1, 2, 2.0)]
    assert got[2] == (date(2024, 3, 6), "Xavier Ode", 0, 0, 0.0)
    assert got[7] == (NEXT_MON, "Xavier Ode", 1, 2, 0.5)
    assert got[-1][0] == today() and len(got) == (today() - MON).days + 1
    assert rows(fixture_url, "entity-timeline", entity="nobody") == []


def test_cooccurrence_counts_lift_and_pmi(fixture_url: str) -> None:
    got = rows(fixture_url, "co-occurrence", limit=50)
    # stories with entities: a1 a2 a3 a4 a6 a7 (n = 6); Xavier leads 5 of them, Zembla 3, together 2;
    # a7's 5 leading entities make 10 pairs, Quux (its 6th) none; small warehouse: single-story pairs kept
    assert len(got) == 13
    assert [(r["entity_a"], r["entity_b"], r["articles"], r["articles_a"], r["articles_b"]) for r in got[:1]] == \
        [("Xavier Ode", "Zembla", 2, 5, 3)]
    assert got[0]["lift"] == pytest.approx(0.8) and got[0]["pmi"] == pytest.approx(math.log(0.8), abs=1e-3)
    p_one = [r for r in got if "P One" in (r["entity_a"], r["entity_b"])]
    assert len(p_one) == 4 and all(r["articles"] == 1 for r in p_one)
    assert [r for r in p_one if "P Two" in (r["entity_a"], r["entity_b"])][0]["lift"] == pytest.approx(6.0)
    assert rows(fixture_url, "co-occurrence", entity="Quux") == []
    zembla = rows(fixture_url, "co-occurrence", entity="zembla", limit=2)
    assert [(r["entity_a"], r["entity_b"], r["articles"]) for r in zembla][0] == ("Xavier Ode", "Zembla", 2)
    assert len(zembla) == 2 and len(rows(fixture_url, "co-occurrence", entity="zembla")) == 5


def test_top_authors_per_source(fixture_url: str) -> None:
    got = [(r["source"], r["rank"], r["author"], r["articles"]) for r in rows(fixture_url, "top-authors")]
    assert got == [("alpha", 1, "Ann", 2), ("alpha", 2, "Bob", 2), ("beta", 1, "Cy", 1)]  # Dee wrote a duplicate
    assert len(rows(fixture_url, "top-authors", limit=1)) == 2


def test_quality_per_run_per_source_and_by_reason(fixture_url: str) -> None:
    [run] = rows(fixture_url, "quality-runs")
    assert (run["attempted"], run["reject_rate"], run["articles"], run["stories"]) == (11, 0.2727, 7, 6)
    assert (run["duplicate_rate"], run["no_date_share"], run["no_author_share"], run["empty_body_share"]) == \
        (0.1429, 0.1667, 0.3333, 0.0)
    sources = {r["source"]: r for r in rows(fixture_url, "quality-sources")}
    assert (sources["beta"]["articles"], sources["beta"]["stories"], sources["beta"]["duplicate_rate"],
            sources["beta"]["no_date_share"], sources["beta"]["no_author_share"]) == (3, 2, 0.3333, 0.5, 0.5)
    assert sources["beta"]["reject_reasons"] == "http_404 1, no_article_text 1"
    assert (sources["alpha"]["stories"], sources["alpha"]["no_author_share"]) == (4, 0.25)
    reasons = [(r["stage"], r["reason"], r["rejects"], r["share"], r["rate"]) for r in rows(fixture_url, "rejects")]
    assert reasons == [("extract", "no_article_text", 2, 0.6667, 0.1818), ("fetch", "http_404", 1, 0.3333, 0.0909)]


def test_bad_report_requests_are_input_errors(fixture_url: str) -> None:
    with psycopg.connect(libpq_url(fixture_url)) as conn:
        for kwargs, message in [({"name": "top-people"}, "unknown report 'top-people'"),
                                ({"name": "entity-timeline"}, "needs --entity"),
                                ({"name": "co-occurrence", "since": MON}, "does not take --since"),
                                ({"name": "daily-volume", "limit": 3}, "does not take --limit"),
                                ({"name": "co-occurrence", "until": MON}, "does not take --until"),
                                ({"name": "daily-volume", "since": TUE, "until": MON}, "is before --since"),
                                ({"name": "trending", "limit": 0}, "--limit must be 1 or more")]:
            with pytest.raises(reports.ReportInputError, match=message):
                reports.run_report(conn, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(reports.ReportInputError, match="2024-05-31"):
        reports.parse_since("last week")


def test_refresh_is_concurrent_logged_and_only_when_stale(fixture_url: str, db: psycopg.Connection) -> None:
    assert db.execute("select count(*) from reporting.refresh_log").fetchone() == (3,)
    with psycopg.connect(libpq_url(fixture_url)) as conn:
        assert reports.stale_views(conn) == []
    assert reports.refresh_reports(fixture_url, Settings()) == {}  # nothing written since: nothing to do
    # a reader holding the aggregates open does not block a refresh (here a full rebuild)
    with psycopg.connect(libpq_url(fixture_url)) as reader:
        reader.execute("select count(*) from reporting.entity_daily").fetchone()  # reader's transaction stays open
        timings = reports.refresh_reports(fixture_url, Settings(), full=True)
    assert set(timings) == {"entity_daily", "entity_weekly", "entity_pairs"}
    with psycopg.connect(libpq_url(fixture_url)) as conn, conn.transaction():
        sid = conn.execute("select source_id from sources where name = 'alpha'").fetchone()[0]
        load_articles(conn, [LoadItem(_article("a8", NEXT_MON, []), _ents((*Y, 1.0)), sid, None)], None)
    resolve_entities(fixture_url)
    with psycopg.connect(libpq_url(fixture_url)) as conn:
        assert reports.stale_views(conn) == ["entity_daily", "entity_pairs", "entity_weekly"]
    assert set(reports.refresh_reports(fixture_url, Settings())) == set(timings)
    # a resolution that re-derives article entities, no new article: stale too (here a manual alias)
    db.execute("insert into entity_aliases (alias, type, entity_id, source) "
               "select 'Zembla', 'GPE', entity_id, 'manual' from entities where name = 'Wakanda'")
    with psycopg.connect(libpq_url(fixture_url)) as conn:
        assert reports.stale_views(conn) == []
    resolve_entities(fixture_url)
    with psycopg.connect(libpq_url(fixture_url)) as conn:
        assert reports.stale_views(conn) == ["entity_daily", "entity_pairs", "entity_weekly"]
    assert set(reports.refresh_reports(fixture_url, Settings())) == set(timings)
    assert [r["entity"] for r in rows(fixture_url, "top-entities-weekly", since=NEXT_MON, limit=3)
            if r["week"] == NEXT_MON] == ["Wakanda", "Yoyodyne", "Xavier Ode"]


def test_news_reader_can_read_and_do_nothing_else(fixture_url: str) -> None:
    with psycopg.connect(libpq_url(fixture_url), autocommit=True) as conn:
        conn.execute("set role news_reader")
        assert conn.execute("select count(*) from reporting.top_entities_weekly").fetchone()[0] > 0
        assert conn.execute("select count(*) from reporting.entity_pairs").fetchone() == (13,)
        assert conn.execute("select count(*) from articles").fetchone() == (7,)
        for statement in ("insert into authors (name) values ('Mallory')",
                          "update articles set title = 'x'",
                          "delete from article_entities",
                          "create table public.scratch (x int)",
                          "create table reporting.scratch (x int)",
                          "create view reporting.mine as select 1 as one",
                          "delete from reporting.entity_daily",
                          "insert into reporting.dirty_days (day) values ('2024-01-01')",
                          "truncate rejects"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        conn.execute("reset role")
        conn.execute("create view reporting.new_report as select 1 as one")  # created later by the owner
        conn.execute("set role news_reader")
        assert conn.execute("select one from reporting.new_report").fetchone() == (1,)


def test_quality_gate_passes_and_fails_on_thresholds(fixture_url: str) -> None:
    checks = {c["name"]: c for c in quality.assert_quality(fixture_url, Settings())}
    assert checks["stories"]["value"] == 6 and checks["reject_rate"]["value"] == pytest.approx(3 / 11)
    assert checks["no_author_rate"]["value"] == pytest.approx(2 / 6)
    strict = Settings(quality_max_reject_rate=0.1, quality_max_no_date_rate=0.1, quality_min_stories=100)
    with pytest.raises(quality.QualityCheckFailed) as failed:
        quality.assert_quality(fixture_url, strict)
    message = str(failed.value)
    assert message.startswith("3 data-quality check(s) failed")
    assert "stories = 6" in message and "reject_rate = 0.2727" in message and "no_date_rate = 0.1667" in message
    assert "no_author_rate" not in message


def test_quality_gate_skips_share_checks_without_recent_articles(warehouse_url: str) -> None:
    checks = {c.name: c for c in quality.quality_checks(warehouse_url, Settings(quality_min_stories=0))}
    assert all(c.ok for c in checks.values())
    assert checks["no_date_rate"].value is None and "skipped" in checks["no_date_rate"].detail


def test_render_csv_json_and_chart(fixture_url: str, tmp_path: Path) -> None:
    with psycopg.connect(libpq_url(fixture_url)) as conn:
        result = reports.run_report(conn, "top-entities-weekly", limit=2)
        timeline = reports.run_report(conn, "entity-timeline", entity="Zembla")
    csv_text = reports.render(result, "csv")
    assert csv_text.splitlines()[0].startswith("week,rank,entity,type,articles")
    assert csv_text.splitlines()[1].startswith("2024-03-04,1,Xavier Ode,PERSON,3,")
    data = json.loads(reports.render(result, "json"))
    assert data[0]["entity"] == "Xavier Ode" and data[0]["salience"] == 7.0 and data[0]["prev_rank"] is None
    for res, name in ((result, "top.png"), (timeline, "line.png")):
        path = reports.draw_chart(res, tmp_path / name)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    with pytest.raises(reports.ReportInputError, match="has no chart"):
        reports.check_chart_path(reports.get_report("quality-sources"), tmp_path / "q.png")


def test_cli_report_command(fixture_url: str, tmp_path: Path) -> None:
    proc = run_cli("report", "top-entities-weekly", "--since", "2024-03-11", "--limit", "1", "--format", "csv",
                   "--chart", str(tmp_path / "top.png"), env={"NEWSETL_DATABASE_URL": fixture_url})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1].startswith("2024-03-11,1,Wakanda,GPE,1,")
    assert (tmp_path / "top.png").stat().st_size > 10_000


def test_cli_report_list_table_and_errors(fixture_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from etl.cli import app

    for key in [k for k in os.environ if k.startswith("NEWSETL_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("NEWSETL_DATABASE_URL", fixture_url)
    runner = CliRunner()
    listed = runner.invoke(app, ["report", "--list"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(reports.REPORTS)
    table = runner.invoke(app, ["report", "top-authors"])
    assert table.exit_code == 0 and "Ann" in table.stdout and "top-authors" in table.stdout
    for args, message in [(["report", "nope"], "unknown report 'nope'"),
                          (["report"], "name a report"),
                          (["report", "daily-volume", "--since", "yesterday"], "--since must be a date"),
                          (["report", "entity-timeline"], "needs --entity"),
                          (["report", "daily-volume", "--format", "xml"], "--format must be one of"),
                          (["report", "quality-sources", "--chart", "q.png"], "has no chart")]:
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2, (args, bad.output)
        assert message in bad.stderr and "Traceback" not in bad.output
        assert len(bad.stderr.strip().splitlines()) == 1


def test_every_entity_report_states_the_coverage_of_the_stories_and_its_languages(fixture_url: str) -> None:
    """Reproduced: 37% of the stories (Spanish, Russian, ...) had no entities and no report said so."""
    with psycopg.connect(libpq_url(fixture_url)) as conn, conn.transaction():
        sid = conn.execute("select source_id from sources where name = 'beta'").fetchone()[0]
        load_articles(conn, [LoadItem(_article(k, MON, [], "es", f"Texto de la noticia {k}, bastante largo."), [],
                                      sid, None) for k in ("e1", "e2")], None)
    resolve_entities(fixture_url)
    reports.refresh_reports(fixture_url, Settings())
    with psycopg.connect(libpq_url(fixture_url)) as conn:
        for name in ("top-entities-daily", "top-entities-weekly", "trending", "co-occurrence"):
            result = reports.run_report(conn, name)
            assert result.notes == ["entities cover 75% of stories (6 of 8): en, de; none in es (2)"], name
        timeline = reports.run_report(conn, "entity-timeline", entity="xavier ode", since=TUE)
        assert timeline.notes == ["entities cover 100% of stories (4 of 4): en, de"]  # the days shown only
        assert reports.run_report(conn, "daily-volume").notes == []
