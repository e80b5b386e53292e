"""The incremental report refresh: after loads, moved days, entity changes and deletes it gives what a full
rebuild gives and what the old materialized views gave; readers are never blocked; a write made during a
refresh keeps its day dirty."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from etl.pipeline.resolve import resolve_entities
from etl.store import reporting
from etl.store.articles import LoadItem, load_articles
from etl.store.db import libpq_url
from tests.report_references import REFERENCES
from tests.test_reports import MON, NEXT_MON, TUE, X, Y, Z, _article, _ents, build_warehouse

WORK_MEM = "64MB"
WED = TUE + timedelta(days=1)


def _rounded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # sums of floats added in another order may differ in the last bits; nothing else may differ
    return tuple(round(v, 9) if isinstance(v, float) else v for v in row)


def aggregates(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of each report aggregate, by key."""
    out = {}
    with psycopg.connect(libpq_url(url)) as conn:
        for name, (reference, relation, key) in REFERENCES.items():
            columns = [c.name for c in conn.execute(f"select * from ({reference}) as r limit 0").description or ()]
            query = f"select {', '.join(columns)} from {relation} order by {', '.join(key)}"  # noqa: S608
            out[name] = [_rounded(r) for r in conn.execute(query)]
    return out


def references(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the materialized views of revisions 0002-0006 would hold now."""
    out = {}
    with psycopg.connect(libpq_url(url)) as conn:
        for name, (reference, _relation, key) in REFERENCES.items():
            out[name] = [
                _rounded(r) for r in conn.execute(f"select * from ({reference}) as r order by {', '.join(key)}")
            ]  # noqa: S608
    return out


def dirty(url: str) -> set[date]:
    with psycopg.connect(libpq_url(url)) as conn:
        return set(reporting.dirty_days(conn))


def refresh(url: str, **kwargs: Any) -> dict[str, float]:
    return reporting.refresh_views(url, WORK_MEM, **kwargs)


def assert_up_to_date(url: str, **kwargs: Any) -> None:
    """An incremental refresh leaves no day dirty and the aggregates equal to the old views' rows."""
    refresh(url, **kwargs)
    assert dirty(url) == set()
    expected = references(url)
    assert all(expected.values())  # the fixture has rows in every aggregate
    assert aggregates(url) == expected


def test_incremental_refresh_equals_a_full_rebuild_and_the_old_views(
    warehouse_url: str, db: psycopg.Connection
) -> None:
    url = warehouse_url
    build_warehouse(url)  # loads, resolves and refreshes (incrementally: every day is dirty on a new warehouse)
    assert dirty(url) == set()
    assert aggregates(url) == references(url)
    article = dict(db.execute("select title, article_id from articles"))

    # more stories, on a day already there and on a new day after NEXT_MON (its "day before" changes)
    with psycopg.connect(libpq_url(url)) as conn, conn.transaction():
        sid = conn.execute("select source_id from sources where name = 'alpha'").fetchone()[0]
        load_articles(
            conn,
            [
                LoadItem(_article("b1", MON, []), _ents((*Z, 6.0), (*Y, 0.5)), sid, None),
                LoadItem(
                    _article("b2", NEXT_MON + timedelta(days=1), []),
                    _ents((*X, 1.0), ("Newcomer", "ORG", 2.0)),
                    sid,
                    None,
                ),
            ],
            None,
        )
    resolve_entities(url)
    assert {MON, NEXT_MON + timedelta(days=1)} <= dirty(url)
    assert_up_to_date(url)

    # an article's day moves: its old day and its new one are dirty, nothing else
    db.execute("update articles set published_date = %s where article_id = %s", (WED, article["Story a1"]))
    assert dirty(url) == {MON, WED}
    assert_up_to_date(url, batch_days=1)
    # ... to an earlier week, computed a week a transaction: the new day's batch comes first
    db.execute("update articles set published_date = %s where article_id = %s", (TUE, article["Story a6"]))
    assert dirty(url) == {TUE, NEXT_MON}
    assert_up_to_date(url, batch_days=1)

    # an entity renamed (ties go by name), a link's salience changed, a link removed
    db.execute("update entities set name = 'Aardvark' where name = 'Yoyodyne'")
    assert MON in dirty(url)
    assert_up_to_date(url)
    db.execute("update article_entities set salience = salience")  # every row left as it was: nothing to do
    assert dirty(url) == set()
    db.execute(
        "update article_entities set salience = 9 where article_id = %s and salience = 2", (article["Story a2"],)
    )
    db.execute("delete from article_entities where article_id = %s and salience = 1.5", (article["Story a7"],))
    assert dirty(url) == {MON, TUE}
    assert_up_to_date(url)

    # a story becomes a duplicate, a duplicate a story, an undated story's first-seen day moves
    db.execute(
        "update articles set duplicate_of = %s where article_id = %s", (article["Story a2"], article["Story a6"])
    )
    db.execute("update articles set duplicate_of = null where article_id = %s", (article["Story a5"],))
    db.execute("update articles set first_seen_at = first_seen_at - interval '20 days' where published_date is null")
    assert TUE in dirty(url)
    assert_up_to_date(url)
    # a story deleted: its day, and (by the foreign key's "set null") the day of its duplicate, a story again
    db.execute("delete from articles where article_id = %s", (article["Story a2"],))
    assert dirty(url) == {MON, TUE}
    assert_up_to_date(url)

    # a full rebuild (here a week a transaction) changes nothing, and leaves nothing to do
    before = aggregates(url)
    assert set(refresh(url, full=True, batch_days=1)) == {"entity_daily", "entity_weekly", "entity_pairs"}
    assert aggregates(url) == before == references(url)
    assert refresh(url) == {}
    with psycopg.connect(libpq_url(url)) as conn:
        logged = conn.execute("select view_name, mode, days from reporting.refresh_log order by 1").fetchall()
    assert [(name, mode) for name, mode, _ in logged] == [
        ("entity_daily", "full"),
        ("entity_pairs", "full"),
        ("entity_weekly", "full"),
    ]
    assert all(days > 0 for _, _, days in logged)

    # a truncate marks every day the aggregates hold: the next refresh empties them
    db.execute("truncate article_entities")
    refresh(url)
    assert aggregates(url) == references(url) == {name: [] for name in REFERENCES}
    assert db.execute(
        "select (select count(*) from reporting.pair_totals), (select count(*) from reporting.leader_totals)"
    ).fetchone() == (0, 0)


# --------------------------------------------------------------------------------------------
# A refresh in progress: readers and writers go on
# --------------------------------------------------------------------------------------------


def _story(conn: psycopg.Connection, key: str, day: date, entities: list[tuple[str, float]]) -> None:
    """One story written with plain SQL (the triggers must see any insert form, not only the load's)."""
    source_id = conn.execute(
        "insert into sources (name, kind, location) values ('plain', 'files', 'x') "
        "on conflict (name) do update set kind = excluded.kind returning source_id"
    ).fetchone()[0]
    article_id = conn.execute(
        "insert into articles (url_hash, url, canonical_url, source_id, text, word_count, content_hash, extractor, "
        "extractor_version, published_date) values (md5(%(k)s) || md5(%(k)s), %(u)s, %(u)s, %(s)s, 'text', 1, "
        "md5(%(k)s) || md5(%(k)s), 'test', '0', %(d)s) returning article_id",
        {"k": key, "u": f"https://plain.example/{key}", "s": source_id, "d": day},
    ).fetchone()[0]
    for name, salience in entities:
        conn.execute("insert into entities (name, type) values (%s, 'ORG') on conflict do nothing", (name,))
        conn.execute(
            "insert into article_entities (article_id, entity_id, mention_count, first_offset, in_title, "
            "salience) select %s, entity_id, 1, 0, false, %s from entities where name = %s",
            (article_id, salience, name),
        )


@pytest.fixture
def plain_warehouse(warehouse_url: str, db: psycopg.Connection) -> str:
    """Two weeks of stories written with plain SQL, refreshed, then one more story on MON (dirty)."""
    for key, day, entities in [
        ("p1", MON, [("Acme", 2.0), ("Bolt", 1.0)]),
        ("p2", TUE, [("Acme", 1.0)]),
        ("p3", NEXT_MON, [("Bolt", 3.0), ("Acme", 1.0)]),
    ]:
        _story(db, key, day, entities)
    refresh(warehouse_url)
    _story(db, "p4", MON, [("Comet", 5.0), ("Acme", 1.0)])
    assert dirty(warehouse_url) == {MON}
    return warehouse_url


@contextmanager
def refresh_waiting_to_clear_its_marks(url: str) -> Iterator[int]:
    """A refresh that has recomputed its batch and waits to delete its marks (a row lock this holds on
    them); yields its backend pid, and lets it finish on exit."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["timings"] = reporting.refresh_views(url, WORK_MEM, lock_timeout_seconds=600)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            result["error"] = exc

    with psycopg.connect(libpq_url(url)) as holder:
        holder.execute("select mark_id from reporting.dirty_days for update")
        me = holder.info.backend_pid
        worker = threading.Thread(target=run)
        worker.start()
        try:
            with psycopg.connect(libpq_url(url), autocommit=True) as watch:
                for _ in range(6000):  # until it waits for this connection (or ended: an error)
                    row = watch.execute(
                        "select pid from pg_stat_activity where %s = any(pg_blocking_pids(pid))", (me,)
                    ).fetchone()
                    if row or not worker.is_alive():
                        break
                    time.sleep(0.01)
                assert row, f"the refresh never waited for its marks: {result}"
                yield row[0]
        finally:
            holder.rollback()
            worker.join()
    assert "error" not in result, result.get("error")
    assert set(result["timings"]) == {"entity_daily", "entity_weekly", "entity_pairs"}


def test_readers_are_not_blocked_during_a_refresh(plain_warehouse: str) -> None:
    url = plain_warehouse
    with refresh_waiting_to_clear_its_marks(url) as refresher:
        with psycopg.connect(libpq_url(url), autocommit=True) as watch:
            modes = watch.execute(
                "select c.relname, l.mode from pg_locks as l join pg_class as c on c.oid = l.relation "
                "join pg_namespace as n on n.oid = c.relnamespace where l.pid = %s and n.nspname = 'reporting' "
                "and l.granted and l.locktype = 'relation'",
                (refresher,),
            ).fetchall()
        assert ("entity_daily", "RowExclusiveLock") in modes  # it has rewritten rows, not yet committed
        assert {mode for _, mode in modes} <= {"AccessShareLock", "RowShareLock", "RowExclusiveLock"}, modes
        with psycopg.connect(libpq_url(url)) as reader:
            reader.execute("set lock_timeout = '2s'")  # blocked would be an error, not a wait
            for relation in (
                "entity_daily",
                "entity_weekly",
                "entity_pairs",
                "top_entities_daily",
                "trending_entities",
                "cooccurrence",
            ):
                reader.execute(f"lock table reporting.{relation} in access share mode nowait")
                assert reader.execute(f"select count(*) from reporting.{relation}").fetchone()[0] > 0  # noqa: S608
            # the rows before the refresh: Comet (of the story written since) is not there yet
            assert reader.execute(
                "select count(*) from reporting.top_entities_daily where entity = 'Comet'"
            ).fetchone() == (0,)
    with psycopg.connect(libpq_url(url)) as reader:
        assert reader.execute(
            "select day, rank from reporting.top_entities_daily where entity = 'Comet'"
        ).fetchall() == [(MON, 1)]
    assert dirty(url) == set()
    assert aggregates(url) == references(url)


def test_a_write_during_a_refresh_leaves_its_day_dirty(plain_warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = plain_warehouse
    with refresh_waiting_to_clear_its_marks(url), psycopg.connect(libpq_url(url), autocommit=True) as writer:
        _story(writer, "p5", MON, [("Dynamo", 7.0)])  # the day being refreshed: committed meanwhile
        _story(writer, "p6", WED, [("Dynamo", 1.0)])  # another day
    assert dirty(url) == {MON, WED}  # the refresh cleared only the mark it had read
    with psycopg.connect(libpq_url(url)) as conn:
        assert conn.execute(
            "select count(*) from reporting.entity_daily as d join entities as e using (entity_id) "
            "where e.name = 'Comet'"
        ).fetchone() == (1,)  # what it had read is in

    # the next refresh takes them (here the CLI's), and a full rebuild on request
    from typer.testing import CliRunner

    from etl.cli import app

    for key in [k for k in os.environ if k.startswith("NEWSETL_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("NEWSETL_DATABASE_URL", url)
    runner = CliRunner()
    first, again, full = (runner.invoke(app, ["db", "refresh-reports", *args]) for args in ([], [], ["--full"]))
    assert first.exit_code == again.exit_code == full.exit_code == 0, (first.output, again.output, full.output)
    assert "report aggregates refreshed in" in first.stdout and "entity_weekly" in first.stdout
    assert "already up to date" in again.stdout
    assert "refreshed (every day)" in full.stdout
    assert dirty(url) == set()
    assert aggregates(url) == references(url)
    with psycopg.connect(libpq_url(url)) as conn:
        assert conn.execute(
            "select d.day from reporting.entity_daily as d join entities as e using (entity_id) "
            "where e.name = 'Dynamo' order by d.day"
        ).fetchall() == [(MON,), (WED,)]
