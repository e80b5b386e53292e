"""Reporting benchmark: a synthetic warehouse, the report refresh (full rebuild vs one new day), warm report queries.

Run ``.venv/bin/python -m bench.reports [--articles N]`` (default 1,000,000 articles and 20 entity
links each: 20,000,000 article_entities rows; about 10 minutes on 2 cores). It starts a throwaway
embedded PostgreSQL in a temporary folder (never the user's .data/), migrates it with the real
migrations, and generates the data inside PostgreSQL with ``insert ... select generate_series``:

* articles over 730 days from 20 sources, 3% undated (their day is the day first seen), 3% exact
  duplicates of the article before them (reports leave those out), 70% with an author;
* entities with Zipf-like popularity: link j (1..20) of an article points at entity
  ``j + 20 * r`` where ``r`` is drawn log-uniformly (P(r) ~ 1/(r+1)), so an article's 20 entities
  are distinct and a few entities are in most stories while most are rare.

The bulk load drops article_entities' key, index and foreign keys and builds them afterwards (as
any bulk load would); their build time is part of the load time (so is the cost of the triggers that
mark the days written, which stay). Then the report aggregates are refreshed the way the
news_reports DAG does it (etl.reports.refresh_reports): after the load (every day is dirty), as a
full rebuild with nothing changed (every day recomputed: the baseline), incrementally with nothing
changed, and incrementally after one more day of articles (the nightly case; target: at most 10% of
the full rebuild, both wall times of the same run). ``--verify`` then checks that the incremental
result equals a second full rebuild, table by table. Report queries are timed warm (median of 15
runs after 3 warm-ups) with EXPLAIN ANALYZE: the top entities of the latest week and the timeline of
the most popular entity (target: under 200 ms each). Results: a table on stdout and
bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "reports.json"
LINKS_PER_ARTICLE = 20
DAYS = 730
SOURCES = 20
TARGET_MS = 200.0
TARGET_ONE_DAY_RATIO = 0.10  # incremental refresh after one new day / full rebuild

# Bench-only data generation (the product's SQL lives in sql/; this is test data, not product).
GENERATE = {
    "sources": """
        insert into sources (source_id, name, kind, location)
        select i, 'source-' || i, 'feed', 'https://bench.example/' || i || '/feed'
        from generate_series(1, %(sources)s::int) as i""",
    "run": "insert into pipeline_runs (run_id, trigger, status, counts) values "
           "(1, 'test', 'success', '{\"fetched\": 1000, \"rejected_extract\": 10}')",
    "entities": """
        insert into entities (entity_id, name, type)
        select i, 'Entity ' || i,
               (array['PERSON', 'ORG', 'GPE', 'LOC', 'NORP', 'EVENT', 'PRODUCT', 'FAC'])[1 + (i * 7919) %% 8]
        from generate_series(1, %(entities)s::int) as i""",
    "articles": """
        insert into articles (article_id, url_hash, url, canonical_url, source_id, title, text, language,
                              published_date, published_precision, word_count, content_hash, extractor,
                              extractor_version, first_seen_at, run_id, duplicate_of)
        select i, md5(i::text) || md5('u' || i), 'https://bench.example/a/' || i, 'https://bench.example/a/' || i,
               1 + (i * 31) %% %(sources)s, 'Story ' || i, 'Text of story ' || i, 'en',
               case when i %% 33 = 7 then null else d end, case when i %% 33 = 7 then null else 'day' end,
               300 + (i * 17) %% 900, md5('c' || i) || md5('h' || i), 'bench', '0',
               d + interval '6 hours' + (i %% 3600) * interval '1 second', 1,
               case when i %% 33 = 0 then i - 1 end
        from (select i, coalesce(%(day)s::date, date '2023-01-01' + floor(random() * %(days)s)::int) as d
              from generate_series(%(first)s::int, %(last)s::int) as i) as g""",
    "authors": """
        insert into authors (author_id, name)
        select i, 'Author ' || i from generate_series(1, %(authors)s::int) as i""",
    "article_authors": """
        insert into article_authors (article_id, author_id, position)
        select i, 1 + floor(exp(random() * ln(%(authors)s)))::int %% %(authors)s, 0
        from generate_series(1, %(articles)s::int) as i
        where i %% 10 < 7""",
    "article_entities": """
        insert into article_entities (article_id, entity_id, mention_count, first_offset, in_title, salience)
        select a.i,
               j + %(links)s * least(floor(exp(random() * ln(%(strata)s)))::int - 1, %(strata)s - 1),
               1 + floor(-ln(1 - random()) * 2)::int,
               floor(random() * 4000)::int,
               random() < 0.08,
               (0.5 + random() * random() * 6)::real
        from generate_series(%(first)s::int, %(last)s::int) as a (i)
        cross join generate_series(1, %(links)s::int) as j""",
}
DROP_LINK_CONSTRAINTS = """
    alter table article_entities drop constraint article_entities_pkey,
        drop constraint article_entities_article_id_fkey, drop constraint article_entities_entity_id_fkey;
    drop index article_entities_entity_idx"""
ADD_LINK_KEYS = [
    "alter table article_entities add primary key (article_id, entity_id)",
    "create index article_entities_entity_idx on article_entities (entity_id, article_id)",
    "alter table article_entities add foreign key (article_id) references articles on delete cascade",
    "alter table article_entities add foreign key (entity_id) references entities on delete cascade",
]


@contextmanager
def throwaway_server() -> Iterator[str]:
    """An embedded PostgreSQL in a temporary folder, stopped and removed at the end; yields its admin URL."""
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="newsetl-bench-reports-"))
    server = pgserver.get_server(folder / "pg", cleanup_mode="stop")
    try:
        yield server.get_uri("postgres")
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def one_row(conn: psycopg.Connection, query: str) -> tuple[Any, ...]:
    row = conn.execute(query).fetchone()
    assert row is not None
    return tuple(row)


def timed(label: str, timings: dict[str, float], fn: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    value = fn()
    timings[label] = round(time.perf_counter() - started, 2)
    print(f"  {label}: {timings[label]:.1f}s", flush=True)
    return value


def load(url: str, articles: int, entities: int) -> dict[str, float]:
    """Generate the synthetic warehouse; returns seconds per step."""
    timings: dict[str, float] = {}
    authors = max(50, articles // 200)
    chunk = 100_000
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set synchronous_commit = off")
        conn.execute("set maintenance_work_mem = '1GB'")
        conn.execute("set max_parallel_maintenance_workers = 2")
        conn.execute("select setseed(0.42)")
        params = {"sources": SOURCES, "entities": entities, "authors": authors, "articles": articles,
                  "days": DAYS, "links": LINKS_PER_ARTICLE, "strata": entities // LINKS_PER_ARTICLE, "day": None}

        def rows_in_chunks(statement: str) -> None:
            for first in range(1, articles + 1, chunk):
                conn.execute(GENERATE[statement], dict(params, first=first, last=min(first + chunk - 1, articles)))

        timed("load sources, run, entities, authors", timings, lambda: [
            conn.execute(GENERATE[s], params) for s in ("sources", "run", "entities", "authors")])
        timed("load articles", timings, lambda: rows_in_chunks("articles"))
        timed("load article_authors", timings, lambda: conn.execute(GENERATE["article_authors"], params))
        conn.execute(DROP_LINK_CONSTRAINTS)
        timed("load article_entities", timings, lambda: rows_in_chunks("article_entities"))
        timed("build article_entities key, index, foreign keys", timings,
              lambda: [conn.execute(s) for s in ADD_LINK_KEYS])
        for table, key in (("sources", "source_id"), ("entities", "entity_id"), ("articles", "article_id"),
                           ("authors", "author_id"), ("pipeline_runs", "run_id")):
            conn.execute(f"select setval(pg_get_serial_sequence('{table}', '{key}'), "  # noqa: S608
                         f"(select max({key}) from {table}))")
        timed("vacuum analyze", timings, lambda: conn.execute("vacuum analyze"))
    timings["total"] = round(sum(timings.values()), 2)
    return timings


def add_a_day(url: str, articles: int, entities: int) -> int:
    """Load one more day of articles (the nightly increment) on the day after the newest; returns how many."""
    added = max(1, articles // DAYS)
    with psycopg.connect(url, autocommit=True) as conn:
        day = one_row(conn, "select max(published_date) + 1 from articles")[0]
        params = {"sources": SOURCES, "days": DAYS, "links": LINKS_PER_ARTICLE,
                  "strata": entities // LINKS_PER_ARTICLE, "first": articles + 1, "last": articles + added, "day": day}
        conn.execute(GENERATE["articles"], params)
        conn.execute(GENERATE["article_entities"], params)
        conn.execute("analyze articles")
        conn.execute("analyze article_entities")
    return added


def time_query(url: str, name: str, runs: int = 15, **kwargs: Any) -> dict[str, Any]:
    """Warm timings of one report query (through etl.reports.run_report) and its EXPLAIN ANALYZE."""
    from etl import reports

    with psycopg.connect(url) as conn:
        for _ in range(3):
            result = reports.run_report(conn, name, **kwargs)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            result = reports.run_report(conn, name, **kwargs)
            samples.append((time.perf_counter() - started) * 1000)
        params = result.params
        plan = "\n".join(r[0] for r in conn.execute(
            "explain (analyze, buffers) " + reports.report_sql(reports.get_report(name), params), params))
    indexes = sorted(set(re.findall(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:Backward )?(?:using|on) "
                                    r"(\w+)", plan)))
    return {
        "report": name,
        "params": {k: str(v) for k, v in kwargs.items()},
        "rows": len(result.rows),
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(sorted(samples)[int(0.95 * (len(samples) - 1))], 2),
        "target_ms": TARGET_MS,
        "indexes_used": indexes,
        "reads_aggregate": bool(re.search(r"entity_(?:daily|weekly)|pair_totals|leader_totals", plan)),
        "seq_scans": sorted(set(re.findall(r"Seq Scan on (\w+)", plan))),
        "explain": plan.splitlines(),
    }


# each aggregate table's key, and its rows as compared (floats rounded to 9 digits: sums in another order)
CHECKED_ROWS = {
    "entity_daily": ("entity_id, day", "entity_id, day, articles, mentions, title_articles, "
                     "round(salience::numeric, 9), rank, prev_articles, round(prev_salience::numeric, 9), prev_rank"),
    "entity_weekly": ("entity_id, week", "entity_id, week, articles, mentions, title_articles, "
                      "round(salience::numeric, 9), days, rank, prev_articles, round(prev_salience::numeric, 9), "
                      "prev_rank, rise_rank"),
    "story_leaders": ("article_id", "article_id, day, entity_ids"),
    "leader_days": ("day", "day, stories"),
    "leader_totals": ("entity_id", "entity_id, articles"),
    "pair_totals": ("entity_a_id, entity_b_id", "entity_a_id, entity_b_id, articles"),
}


def checksums(url: str) -> dict[str, str]:
    """md5 of each aggregate table's rows, in key order."""
    out = {}
    with psycopg.connect(url) as conn:
        for table, (key, columns) in CHECKED_ROWS.items():
            out[table] = one_row(conn, f"select md5(coalesce(string_agg(row({columns})::text, ',' "  # noqa: S608
                                       f"order by {key}), '')) from reporting.{table}")[0]
    return out


def run(articles: int, verify: bool = False) -> dict[str, Any]:
    from etl.reports import refresh_reports
    from etl.settings import Settings
    from etl.store import migrate
    from etl.store.db import ensure_database, libpq_url

    entities = max(LINKS_PER_ARTICLE * 50, articles // 5)
    print(f"synthetic warehouse: {articles:,} articles, {articles * LINKS_PER_ARTICLE:,} article_entities, "
          f"{entities:,} entities, {DAYS} days", flush=True)
    with throwaway_server() as admin_url:
        ensure_database(admin_url, "bench")
        url = libpq_url(urlunsplit(urlsplit(admin_url)._replace(path="/bench")))
        migrate.upgrade(url)
        load_seconds = load(url, articles, entities)
        settings = Settings()
        walls: dict[str, float] = {}
        print("refresh, as the news_reports DAG does it:", flush=True)
        first = timed("after the load (every day dirty)", walls, lambda: refresh_reports(url, settings))
        full = timed("full rebuild, nothing changed (every day)", walls,
                     lambda: refresh_reports(url, settings, full=True))
        again = timed("incremental, nothing changed", walls, lambda: refresh_reports(url, settings))
        added = add_a_day(url, articles, entities)
        nightly = timed(f"incremental, after one more day ({added:,} articles)", walls,
                        lambda: refresh_reports(url, settings))
        ratio = round(walls[f"incremental, after one more day ({added:,} articles)"]
                      / walls["full rebuild, nothing changed (every day)"], 4)
        print(f"  one new day / full rebuild: {ratio:.3f} (target <= {TARGET_ONE_DAY_RATIO})", flush=True)
        verified = None
        if verify:
            incremental = checksums(url)
            timed("full rebuild again (--verify)", walls, lambda: refresh_reports(url, settings, full=True))
            verified = incremental == checksums(url)
            print(f"  incremental result equals the full rebuild: {verified}", flush=True)
        with psycopg.connect(url) as conn:
            latest_week = one_row(conn, "select max(week) from reporting.entity_weekly")[0]
            sizes: dict[str, int] = dict(conn.execute(
                "select c.relname, c.reltuples::bigint from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'reporting' and c.relkind = 'r'").fetchall())
            counts = one_row(conn, "select (select count(*) from articles), (select count(*) from article_entities), "
                                   "(select count(*) from reporting.stories)")
            version = one_row(conn, "show server_version")[0]
        print("warm queries:", flush=True)
        queries = {
            "top entities of the week": time_query(url, "top-entities-weekly", since=latest_week, limit=10),
            "entity timeline": time_query(url, "entity-timeline", entity="Entity 1"),
            "top entities of the day": time_query(url, "top-entities-daily", since=latest_week, limit=10),
            "co-occurrence of an entity": time_query(url, "co-occurrence", entity="Entity 2", limit=20),
            "co-occurrence, top pairs": time_query(url, "co-occurrence", limit=20),
            "daily volume, last 30 days": time_query(url, "daily-volume", since=date.fromordinal(
                latest_week.toordinal() - 30)),
        }
    return {
        "articles": counts[0],
        "article_entities": counts[1],
        "stories": counts[2],
        "entities": entities,
        "days": DAYS,
        "load_seconds": load_seconds,
        # *_total: wall seconds of the refresh call; the dicts: seconds of each aggregate's statements
        "refresh_seconds": {"after_load": first, "after_load_total": walls["after the load (every day dirty)"],
                            "full_rebuild": full,
                            "full_rebuild_total": walls["full rebuild, nothing changed (every day)"],
                            "nothing_changed": again, "nothing_changed_total": walls["incremental, nothing changed"],
                            "after_one_day": nightly,
                            "after_one_day_total": walls[f"incremental, after one more day ({added:,} articles)"],
                            "one_day_articles": added, "one_day_vs_full": ratio,
                            "target_ratio": TARGET_ONE_DAY_RATIO, "met": ratio <= TARGET_ONE_DAY_RATIO,
                            "verified_equal_to_full_rebuild": verified},
        "aggregate_rows": sizes,
        "queries": queries,
        "machine": {"cpus": os.cpu_count(), "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
                    "python": platform.python_version(), "postgres": version},
    }


def print_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"reports on {result['articles']:,} articles / {result['article_entities']:,} entity links")
    for column in ("what", "value", "detail"):
        table.add_column(column)
    table.add_row("load (generate + keys)", f"{result['load_seconds']['total']:.0f} s", "")
    refresh = result["refresh_seconds"]
    table.add_row("refresh after load (every day dirty)", f"{refresh['after_load_total']:.1f} s",
                  ", ".join(f"{k} {v:.1f}s" for k, v in refresh["after_load"].items()))
    table.add_row("full rebuild, nothing changed", f"{refresh['full_rebuild_total']:.1f} s",
                  ", ".join(f"{k} {v:.1f}s" for k, v in refresh["full_rebuild"].items()))
    table.add_row("incremental, nothing changed", f"{refresh['nothing_changed_total']:.2f} s", "no dirty day")
    table.add_row("incremental after a day's articles", f"{refresh['after_one_day_total']:.2f} s",
                  f"{refresh['one_day_articles']:,} new articles; {refresh['one_day_vs_full']:.3f} of the full "
                  f"rebuild (target <= {refresh['target_ratio']}: {'met' if refresh['met'] else 'MISSED'})")
    if refresh["verified_equal_to_full_rebuild"] is not None:
        table.add_row("incremental == full rebuild", str(refresh["verified_equal_to_full_rebuild"]), "--verify")
    for label, q in result["queries"].items():
        verdict = "" if label not in ("top entities of the week", "entity timeline") else \
            (" ok" if q["median_ms"] < TARGET_MS else " OVER TARGET")
        table.add_row(label, f"{q['median_ms']:.1f} ms{verdict}",
                      f"p95 {q['p95_ms']:.1f} ms, {q['rows']} rows, indexes: {', '.join(q['indexes_used']) or '-'}"
                      + (f", seq scans: {', '.join(q['seq_scans'])}" if q["seq_scans"] else ""))
    Console().print(table)


def main() -> None:
    # a SIGTERM unwinds normally, so the throwaway server is stopped and its folder removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000, help="articles to generate (20 links each)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    parser.add_argument("--verify", action="store_true",
                        help="check that the incremental result equals a second full rebuild (one more rebuild)")
    args = parser.parse_args()
    started = time.perf_counter()
    result = run(args.articles, args.verify)
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    print_table(result)
    print(f"wrote {args.out} ({result['wall_seconds']:.0f} s in all)")


if __name__ == "__main__":
    main()
