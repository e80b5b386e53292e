"""Trust boundaries (issue 14): what a sources file or a trigger can make the pipeline read, what a
`news_reader` login can see, hold and create, and which article a page may land on.

Each test was written against the code before the fix and failed there (the reason is noted).
The password checks are in tests/test_security.py.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import shutil
import string
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import psycopg
import pytest
from psycopg import sql
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from etl.acquire.fetch import fetch_url
from etl.pipeline import runs as pipeline
from etl.pipeline import tasks
from etl.pipeline.discover import run_discover
from etl.pipeline.fetch import run_fetch
from etl.pipeline.process import run_process
from etl.pipeline.run import RunRequest, run_pipeline
from etl.records import Article, DiscoveredUrl, Reject, SourceSpec
from etl.settings import Settings, load_settings
from etl.sources import SourcesFileError, load_sources, sources_for_run
from etl.store import frontier, migrate
from etl.store.articles import LoadItem, load_articles
from etl.store.db import embedded_server_url, libpq_url, transaction
from etl.urls import url_hash
from tests.fault_support import article_html, cli_env, one, run_cli

MARK = "TOP-SECRET-MARK-7f3a"


def fresh_settings(tmp_path: Path, **changes: Any) -> Settings:
    """Defaults only: the local roots are the sources file's folder."""
    return load_settings(environ={}, data_dir=tmp_path / "data", extract_timeout_seconds=20.0, **changes)


def bodies(url: str) -> list[bytes]:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        return [gzip.decompress(bytes(b)) for (b,) in conn.execute("select body_gz from raw_pages")]


def reasons(url: str) -> dict[str, str]:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        return {u: r for u, r in conn.execute("select url, reason from rejects")}


def write_warc(path: Path, url: str, html: str) -> None:
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()),
                                                      http_headers=headers))


# --------------------------------------------------------------------------------------------
# 1. Local files: only regular files inside the configured roots
# --------------------------------------------------------------------------------------------


@pytest.fixture
def corpus_root(tmp_path: Path) -> dict[str, Path]:
    """A sources file's folder with one good page, and a folder beside it holding a secret."""
    root, outside = tmp_path / "corpus", tmp_path / "outside"
    (root / "pages").mkdir(parents=True)
    outside.mkdir()
    (root / "pages" / "good.html").write_text(article_html(1), encoding="utf-8")
    secret = outside / "secret.html"
    secret.write_text(article_html(2, body_extra=f"<p>{MARK}</p>"), encoding="utf-8")
    (root / "pages" / "link.html").symlink_to(secret)  # a symlink out of the root
    (root / "pages" / "linked-folder").symlink_to(outside, target_is_directory=True)
    write_warc(outside / "outside.warc.gz", "https://news.example/secret", article_html(3, body_extra=MARK))
    return {"root": root, "outside": outside, "secret": secret}


def test_local_sources_read_only_regular_files_inside_the_roots(
    warehouse_url: str, tmp_path: Path, corpus_root: dict[str, Path]
) -> None:
    """Reproduced: /proc/self/environ (the worker's environment, database password included) and files
    anywhere on the worker were stored in raw_pages although extraction rejected them."""
    root, outside, secret = corpus_root["root"], corpus_root["outside"], corpus_root["secret"]
    (root / "list.txt").write_text("\n".join([
        "file:///proc/self/environ", secret.as_uri(), (root / "pages" / "good.html").as_uri(), "file:///dev/null",
    ]) + "\n")
    (root / "sources.yaml").write_text("sources:\n" + "".join(f"  - {line}\n" for line in [
        "{name: environ, kind: files, location: /proc/self/environ}",
        "{name: proc-glob, kind: files, location: '/proc/self/*'}",
        f"{{name: outside, kind: files, location: '{outside}/*.html'}}",
        f"{{name: outside-warc, kind: warc, location: '{outside}/outside.warc.gz'}}",
        "{name: pages, kind: files, location: pages}",  # the folder: its symlinks lead out
        "{name: through-link, kind: files, location: 'pages/linked-folder/*.html'}",
        "{name: list, kind: urls, location: list.txt}",
        "{name: feed-environ, kind: feed, location: /proc/self/environ}",
        f"{{name: sitemap-outside, kind: sitemap, location: '{secret}'}}",
    ]))
    summary = run_pipeline(warehouse_url, fresh_settings(tmp_path), RunRequest(sources_file=root / "sources.yaml"),
                           trigger="test")
    stored = bodies(warehouse_url)
    assert len(stored) == 1 and b"Report number 1." in stored[0], [b[:80] for b in stored]
    assert not [b for b in stored if MARK.encode() in b or b"PATH=" in b]
    got = reasons(warehouse_url)
    assert got["/proc/self/environ"] == "special_file"
    assert got["file:///proc/self/environ"] == "special_file"
    assert got["file:///dev/null"] == "special_file"
    assert got[f"{outside}/*.html"] == "outside_files_roots"
    assert got[f"{outside}/outside.warc.gz"] == "outside_files_roots"
    assert got[secret.as_uri()] == "outside_files_roots"  # listed by list.txt
    assert got[(root / "pages" / "link.html").as_uri()] == "outside_files_roots"
    assert got[str(root / "pages" / "linked-folder" / "*.html")] == "outside_files_roots"
    assert got[str(secret)] == "outside_files_roots"  # the sitemap document
    assert summary.count("articles_inserted") == 1


def test_fetch_checks_stored_file_urls_and_warc_records_again(
    warehouse_url: str, tmp_path: Path, corpus_root: dict[str, Path]
) -> None:
    """Reproduced: a frontier row stored before (by an older version or another sources file) was read
    wherever it pointed."""
    root, outside = corpus_root["root"], corpus_root["outside"]
    settings = fresh_settings(tmp_path, sources_file=root / "sources.yaml")
    specs = [SourceSpec("files", "files", str(root / "pages")), SourceSpec("warc", "warc", str(root / "x.warc.gz"))]
    ids = pipeline.sync_sources(warehouse_url, specs)
    run_id = pipeline.start_run(warehouse_url, "test", {})
    warc_path = outside / "outside.warc.gz"
    with transaction(warehouse_url) as conn:
        frontier.upsert_discovered(conn, [DiscoveredUrl("file:///proc/self/environ"),
                                          DiscoveredUrl(corpus_root["secret"].as_uri())], ids["files"], run_id)
        frontier.upsert_discovered(conn, [DiscoveredUrl("https://news.example/secret",
                                                        fetch_from=f"warc:{warc_path}#0")], ids["warc"], run_id)
    counts = run_fetch(warehouse_url, settings, run_id).counts
    assert bodies(warehouse_url) == [] and counts["fetched"] == 0
    assert reasons(warehouse_url) == {"file:///proc/self/environ": "special_file",
                                      corpus_root["secret"].as_uri(): "outside_files_roots",
                                      "https://news.example/secret": "outside_files_roots"}


def test_a_fifo_or_device_is_refused_without_being_opened_for_reading(tmp_path: Path) -> None:
    """Reproduced: a FIFO inside the root blocked the fetch forever (and /dev/zero would never end)."""
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    settings = fresh_settings(tmp_path, files_roots=(str(tmp_path),))
    got: list[Any] = []
    worker = threading.Thread(target=lambda: got.append(fetch_url(fifo.as_uri(), settings)), daemon=True)
    worker.start()
    worker.join(60)
    try:
        assert not worker.is_alive(), "fetching a FIFO blocked"
        assert isinstance(got[0], Reject) and got[0].reason == "special_file"
        zero = fetch_url("file:///dev/zero", settings.with_overrides(files_roots=("/",)))
        assert isinstance(zero, Reject) and zero.reason == "special_file"
    finally:
        if worker.is_alive():  # unblock the stuck reader of the old code
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)


def test_configured_roots_replace_the_default_and_symlinks_inside_them_are_fine(
    warehouse_url: str, tmp_path: Path, corpus_root: dict[str, Path]
) -> None:
    root, outside = corpus_root["root"], corpus_root["outside"]
    (root / "pages" / "inside-link.html").symlink_to(root / "pages" / "good.html")
    sources = root / "sources.yaml"
    sources.write_text(f"sources:\n  - {{name: outside, kind: files, location: '{outside}/*.html'}}\n")
    settings = fresh_settings(tmp_path, files_roots=(str(outside),))
    run_pipeline(warehouse_url, settings, RunRequest(sources_file=sources), trigger="test")
    assert [MARK.encode() in b for b in bodies(warehouse_url)] == [True]
    specs = [SourceSpec("pages", "files", str(root / "pages" / "*.html"))]
    ids = pipeline.sync_sources(warehouse_url, specs)
    run_id = pipeline.start_run(warehouse_url, "test", {})
    inside = fresh_settings(tmp_path, files_roots=(str(root),))
    run_discover(warehouse_url, inside, specs, ids, run_id)
    assert reasons(warehouse_url) == {(root / "pages" / "link.html").as_uri(): "outside_files_roots"}
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        listed = {u for (u,) in conn.execute("select url from frontier where source_id = %s", (ids["pages"],))}
    assert listed == {(root / "pages" / "good.html").as_uri()}  # the inner link resolves to the same file


def test_ad_hoc_sources_of_the_trigger_form_are_remote_only(
    warehouse_url: str, tmp_path: Path, corpus_root: dict[str, Path]
) -> None:
    """Reproduced: extra_sources accepted `files` sources and local lists, so whoever may trigger news_etl
    could read the worker's files into raw_pages."""
    root = corpus_root["root"]
    sources = root / "sources.yaml"
    sources.write_text("sources:\n  - {name: pages, kind: files, location: pages}\n"
                       "  - {name: other, kind: feed, location: 'https://news.example/rss'}\n")
    settings = fresh_settings(tmp_path, sources_file=sources)
    refused = [
        {"name": "env", "kind": "files", "location": "/proc/self/environ"},
        {"name": "arch", "kind": "warc", "location": "/var/archive.warc.gz"},
        {"name": "list", "kind": "urls", "location": "/etc/passwd"},
        {"name": "feed", "kind": "feed", "location": "file:///proc/self/environ"},
        {"name": "map", "kind": "sitemap", "location": "pages/sitemap.xml"},
        {"name": "other", "kind": "feed", "location": "https://attacker.example/rss"},  # a configured name
    ]
    for extra in refused:
        with pytest.raises(SourcesFileError, match="ad-hoc source"):
            tasks.open_run(warehouse_url, settings, {"sources": ["pages"], "extra_sources": [extra]}, f"t/{extra}")
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        assert one(conn, "select count(*) from pipeline_runs") == 0
    remote = {"name": "remote", "kind": "urls", "location": "https://news.example/list.txt"}
    opened = tasks.open_run(warehouse_url, settings, {"extra_sources": [remote]}, "t/ok")
    assert [s["name"] for s in opened["specs"]] == ["remote"]
    # an operator may allow local ad-hoc sources; they are confined to the roots like the others
    allowed = settings.with_overrides(adhoc_local_sources=True)
    local = sources_for_run(sources, [], [{"name": "more", "kind": "files", "location": "pages"}],
                            allow_local=allowed.adhoc_local_sources)
    assert [(s.name, s.location) for s in local] == [("more", str(root / "pages"))]


def test_sources_file_size_and_type_are_checked(tmp_path: Path) -> None:
    """Reproduced: a 10 MB sources file ran minutes at ~1 GB RSS; a folder or a binary file as the sources
    file ended as `unexpected` (exit 1)."""
    big = tmp_path / "big.yaml"
    entry = "  - {name: s%07d, kind: feed, location: 'https://news.example/feed/%07d.xml'}\n"
    with big.open("w") as out:
        out.write("sources:\n")
        for i in range(10_000_000 // len(entry % (0, 0))):
            out.write(entry % (i, i))
    started = time.perf_counter()
    with pytest.raises(SourcesFileError, match="bytes"):
        load_sources(big)
    assert time.perf_counter() - started < 5
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)) * 64)
    for path in (tmp_path, binary, big):
        proc = run_cli("run", "--sources", str(path), env=cli_env("postgresql://nobody@/none?host=/nonexistent"),
                       timeout=120)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and str(path) in lines[0], (path, proc.stderr[-800:])
        assert "unexpected" not in proc.stderr


# --------------------------------------------------------------------------------------------
# 2. The reader role: reads the warehouse, holds no lock a run needs, creates nothing
# --------------------------------------------------------------------------------------------


def login_url(url: str, user: str, application: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["application_name"] = application
    host = query.pop("host")
    return f"postgresql://{quote(user)}@{parts.hostname or ''}/{parts.path.lstrip('/')}?host={quote(host)}" + \
        "".join(f"&{k}={quote(v)}" for k, v in query.items())


@contextmanager
def reader_login(admin_url: str, warehouse: str, application: str = "analyst-bi") -> Iterator[str]:
    """A login in the group news_reader (trusted over the test server's socket); its warehouse URL."""
    name = f"analyst_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login in role news_reader").format(sql.Identifier(name)))
    try:
        yield login_url(warehouse, name, application)
    finally:
        with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
            conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = %s", (name,))
        with psycopg.connect(libpq_url(warehouse), autocommit=True) as conn:
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
        with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def refused(conn: psycopg.Connection, statement: str) -> bool:
    """True when the server refuses ``statement`` for lack of privilege (run in a transaction, rolled back)."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_news_reader_sees_no_raw_bytes_or_headers(warehouse_url: str, pg_admin_url: str, tmp_path: Path) -> None:
    """Reproduced: a news_reader login could SELECT raw_pages.body_gz (and so any stored file)."""
    sources = tmp_path / "sources.yaml"
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.html").write_text(article_html(4))
    sources.write_text("sources:\n  - {name: pages, kind: files, location: pages}\n")
    run_pipeline(warehouse_url, fresh_settings(tmp_path), RunRequest(sources_file=sources), trigger="test")
    with reader_login(pg_admin_url, warehouse_url) as url, psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for statement in ("select body_gz from raw_pages", "select headers from raw_pages", "select * from raw_pages",
                          "select body from http_cache", "select * from pipeline_locks"):
            assert refused(conn, statement), statement
        assert conn.execute("select url, status_code, body_bytes, process_status from raw_pages").fetchall()
        conn.execute("select url, status_code, reason from fetch_log").fetchall()
        conn.execute("select url, last_status, purpose from http_cache").fetchall()
        assert one(conn, "select count(*) from articles") == 1
        readable = conn.execute("""
            select c.table_schema, c.table_name, c.column_name, c.data_type
            from information_schema.columns as c
            where c.table_schema in ('public', 'reporting')
              and has_column_privilege(format('%I.%I', c.table_schema, c.table_name), c.column_name, 'select')
        """).fetchall()
    raw = [r for r in readable if r[3] == "bytea" and r[2] != "minhash" or r[2] in ("headers", "body", "body_gz")]
    assert raw == [], f"news_reader can read raw bytes or headers: {raw}"


def test_a_reader_holding_every_advisory_lock_cannot_stall_a_run(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path
) -> None:
    """Reproduced: `select pg_advisory_lock(7311001)` from a news_reader login made every `newsetl run` wait
    forever, with no run row."""
    (tmp_path / "pages").mkdir()
    for i in range(3):
        (tmp_path / "pages" / f"a{i}.html").write_text(article_html(10 + i))
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: pages, kind: files, location: pages}\n")
    with reader_login(pg_admin_url, warehouse_url) as url, psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for lock_id in (7_311_001, 7_311_002, 7_311_003):
            conn.execute("select pg_advisory_lock(%s)", (lock_id,))
        conn.execute("begin")
        conn.execute("select count(*) from articles")  # an analyst's open transaction, left idle
        proc = run_cli("run", "--sources", str(sources), env=cli_env(warehouse_url), timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        conn.execute("rollback")
        # the locks a run takes are rows a reader cannot lock
        for statement in ("select * from pipeline_locks for update", "select * from pipeline_locks for key share",
                          "lock table pipeline_locks in share mode", "update pipeline_locks set name = name"):
            assert refused(conn, statement), statement
        as_reader = run_cli("db", "upgrade", env=cli_env(url))  # a pipeline command as the reader: one line
        assert as_reader.returncode == 2 and "may not" in as_reader.stderr, as_reader.stderr[-2000:]
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        assert one(conn, "select count(*) from articles") == 3


def test_every_lock_wait_times_out_naming_the_session_that_holds_it(
    warehouse_url: str, tmp_path: Path
) -> None:
    """Reproduced: the run's locks were waited for without a timeout (and without a word)."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.html").write_text(article_html(5))
    settings = fresh_settings(tmp_path, files_roots=(str(tmp_path),), lock_timeout_seconds=1.0)
    specs = [SourceSpec("pages", "files", str(tmp_path / "pages"))]
    ids = pipeline.sync_sources(warehouse_url, specs)
    run_id = pipeline.start_run(warehouse_url, "test", {})
    run_discover(warehouse_url, settings, specs, ids, run_id)
    holder = psycopg.connect(libpq_url(warehouse_url) + "&application_name=stuck-worker")
    try:
        for name, step in (("migrate", lambda: migrate.upgrade(warehouse_url, lock_timeout_seconds=1.0)),
                           ("claims", lambda: run_fetch(warehouse_url, settings, run_id)),
                           ("dedup", lambda: run_process(warehouse_url, settings, run_id))):
            holder.execute("select name from pipeline_locks where name = %s for update", (name,))
            started = time.monotonic()
            with pytest.raises(migrate.LockTimeout) as info:
                step()
            message = str(info.value)
            assert f"the {name} lock" in message and "stuck-worker" in message, message
            assert f"pid {holder.info.backend_pid}" in message and "\n" not in message
            assert time.monotonic() - started < 30
            holder.rollback()
            if name == "claims":
                run_fetch(warehouse_url, settings, run_id)  # the page for the dedup lock
        with transaction(warehouse_url) as conn:
            assert one(conn, "select count(*) from raw_pages where process_status = 'pending'") == 1
        holder.execute("select name from pipeline_locks where name = 'migrate' for update")
        proc = run_cli("db", "upgrade", env=cli_env(warehouse_url, NEWSETL_LOCK_TIMEOUT_SECONDS="1"))
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and "stuck-worker" in lines[0], proc.stderr[-2000:]
    finally:
        holder.close()


def test_a_migration_a_reader_blocks_times_out_naming_the_reader(warehouse_url: str, pg_admin_url: str) -> None:
    """A report view is rebuilt by `db upgrade` while an analyst's transaction still reads it: the upgrade
    gives up after the lock timeout and names the analyst's session instead of queueing every reader."""
    with reader_login(pg_admin_url, warehouse_url, "analyst-bi") as url, psycopg.connect(libpq_url(url)) as reader:
        reader.execute("select * from reporting.stories limit 1").fetchall()  # its transaction stays open
        with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as admin:
            admin.execute("delete from schema_files where name = 'reporting_views'")  # the views must be rebuilt
        with pytest.raises(migrate.LockTimeout) as info:
            migrate.upgrade(warehouse_url, lock_timeout_seconds=2.0)
        message = str(info.value)
        assert "analyst-bi" in message and f"pid {reader.info.backend_pid}" in message, message
        reader.rollback()
    migrate.upgrade(warehouse_url, lock_timeout_seconds=2.0)  # and works once the reader is gone


def test_news_reader_creates_nothing_and_connects_nowhere_else(warehouse_url: str, pg_admin_url: str) -> None:
    """Reproduced: the role could create temp tables, views, functions and sequences, keep 10 MB large
    objects after disconnecting, and connect to every database of the server (PUBLIC's defaults)."""
    other = f"other_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq_url(pg_admin_url), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(other)))
    try:
        with reader_login(pg_admin_url, warehouse_url) as url:
            with psycopg.connect(libpq_url(url), autocommit=True) as conn:
                allowed = [s for s in (
                    "create temp table scratch (x int)", "create temp view v as select 1",
                    "create temp sequence s", "create function pg_temp.f() returns int language sql as 'select 1'",
                    "select lo_create(0)", "select lo_creat(-1)", "select lo_from_bytea(0, 'x')",
                    "select lo_import('/etc/hostname')", "create table public.t (x int)",
                    "create view reporting.v as select 1", "create sequence public.s",
                    "create function public.f() returns int language sql as 'select 1'",
                    "select nextval('articles_article_id_seq')",
                ) if not refused(conn, s)]
                assert allowed == [], f"news_reader could run: {allowed}"
            warehouse_db = urlsplit(warehouse_url).path.lstrip("/")
            with psycopg.connect(libpq_url(pg_admin_url), autocommit=True) as conn:
                public = conn.execute(
                    "select has_database_privilege('public', %s, 'connect'), has_database_privilege('public', %s, "
                    "'temporary')", (warehouse_db, warehouse_db)).fetchone()
            assert public == (False, False)
            # what the pipeline itself needs is still there: the migrating role keeps CONNECT and TEMP
            with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
                conn.execute("create temp table mine (x int)")
    finally:
        with psycopg.connect(libpq_url(pg_admin_url), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(other)))


def test_the_embedded_server_lets_a_reader_into_the_warehouse_only(tmp_path: Path) -> None:
    """On the embedded server the pipeline owns every database: PUBLIC loses CONNECT on `postgres` and
    `template1` too (a shared server's admin does the same for theirs, see README, Security)."""
    # not under pytest's basetemp (see tests/conftest.py: the pgserver user must keep access to it)
    settings = fresh_settings(Path(tempfile.mkdtemp(prefix="newsetl-trust-")))
    url = embedded_server_url(settings, "newsetl")
    try:
        migrate.upgrade(url)
        admin = url.replace("/newsetl?", "/postgres?")
        with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
            conn.execute("create role carol login in role news_reader")
        carol = login_url(url, "carol", "psql")
        with psycopg.connect(libpq_url(carol), autocommit=True) as conn:
            assert one(conn, "select current_user") == "carol"
        for database in ("postgres", "template1"):
            with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                psycopg.connect(libpq_url(carol.replace("/newsetl?", f"/{database}?"))).close()
    finally:
        from etl.store.db import _embedded_server, stop_embedded_server

        stop_embedded_server(str(Path(settings.data_dir).resolve() / "pg"))
        _embedded_server.cache_clear()
        shutil.rmtree(Path(settings.data_dir).parent, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# 3. One page cannot overwrite another article through rel=canonical
# --------------------------------------------------------------------------------------------


def article(url: str, canonical: str, seed: int, **changes: Any) -> Article:
    rng = random.Random(seed)
    text = " ".join(rng.choice(WORDS) for _ in range(300))
    values: dict[str, Any] = {"url": url, "canonical_url": canonical, "title": f"story {seed}", "text": text,
                              "extractor": "test", "extractor_version": "1"}
    values.update(changes)
    return Article(**values)


WORDS = [
    "council", "budget", "river", "bridge", "harbour", "school", "vote", "mayor", "rail", "storm", "price",
    "market", "bank", "court", "police", "fire", "doctor", "hospital", "farmer", "drought", "factory",
    "strike", "union", "island", "festival", "museum", "library", "airport", "tunnel",
]


def stored(db: psycopg.Connection) -> dict[str, tuple[str, str, str | None]]:
    return {h: (u, t[:30], c) for h, u, t, c in db.execute(
        "select url_hash, url, text, conflicting_canonical_url from articles")}


def test_a_page_cannot_overwrite_another_article_through_its_canonical(
    warehouse_url: str, db: psycopg.Connection
) -> None:
    """Reproduced: page /b saying rel=canonical /a replaced /a's text, with 1 added, 0 updated."""
    sid = pipeline.sync_sources(warehouse_url, [SourceSpec("site", "feed", "https://news.example/rss")])["site"]
    a, b, amp = "https://news.example/a", "https://news.example/b", "https://news.example/amp/a"
    with transaction(warehouse_url) as conn:
        load_articles(conn, [LoadItem(article(a, a, 1), [], sid, None)], None)
        original = stored(conn)[url_hash(a)]
        hostile = load_articles(conn, [LoadItem(article(b, a, 2), [], sid, None)], None)
        # the same story under another address (AMP) still lands on its canonical article
        same = load_articles(conn, [LoadItem(article(amp, a, 1, title="story 1 (amp)"), [], sid, None)], None)
    rows = stored(db)
    assert rows[url_hash(a)][1] == original[1]
    assert rows[url_hash(b)] == (b, article(b, a, 2).text[:30], a)  # kept under its own URL, canonical noted
    assert (hostile.inserted, hostile.updated, hostile.canonical_conflicts) == (1, 0, 1)
    assert (same.inserted, same.updated, same.canonical_conflicts) == (0, 1, 0)
    assert len(rows) == 2


def test_the_page_a_canonical_names_takes_its_url_back(warehouse_url: str, db: psycopg.Connection) -> None:
    """The claimer came first: when the real page arrives, the claimer moves to its own URL, and the
    same holds inside one batch."""
    sid = pipeline.sync_sources(warehouse_url, [SourceSpec("site", "feed", "https://news.example/rss")])["site"]
    a, b, c, d = (f"https://news.example/{x}" for x in "abcd")
    with transaction(warehouse_url) as conn:
        load_articles(conn, [LoadItem(article(b, a, 2), [], sid, None)], None)
        back = load_articles(conn, [LoadItem(article(a, a, 1), [], sid, None)], None)
        batch = load_articles(conn, [LoadItem(article(d, c, 4), [], sid, None),
                                     LoadItem(article(c, c, 3), [], sid, None)], None)
    rows = stored(db)
    assert rows[url_hash(a)] == (a, article(a, a, 1).text[:30], None)
    assert rows[url_hash(b)] == (b, article(b, a, 2).text[:30], a)
    assert rows[url_hash(c)] == (c, article(c, c, 3).text[:30], None)
    assert rows[url_hash(d)] == (d, article(d, c, 4).text[:30], c)
    assert (back.inserted, back.canonical_conflicts) == (1, 1) and batch.canonical_conflicts == 1
    with psycopg.connect(db.info.dsn, autocommit=True) as conn:
        keys = conn.execute("select url_hash, canonical_url from articles").fetchall()
    assert all(h == url_hash(u) for h, u in keys)  # one key function, still


def test_a_run_counts_canonical_conflicts(warehouse_url: str, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.html").write_text(article_html(20), encoding="utf-8")
    link = f"<link rel='canonical' href='{(pages / 'a.html').as_uri()}'>"
    (pages / "b.html").write_text(article_html(21, head_extra=link), encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: pages, kind: files, location: pages}\n")
    summary = run_pipeline(warehouse_url, fresh_settings(tmp_path), RunRequest(sources_file=sources), trigger="test")
    assert summary.count("articles_inserted") == 2 and summary.count("canonical_conflicts") == 1


# --------------------------------------------------------------------------------------------
# Smaller: an over-long field loses the field, not the article
# --------------------------------------------------------------------------------------------


def test_a_10kb_author_name_or_keyword_does_not_lose_the_article(warehouse_url: str, db: psycopg.Connection) -> None:
    """Reproduced: a 10 KB author name made the whole article a load_error (index row too big)."""
    sid = pipeline.sync_sources(warehouse_url, [SourceSpec("site", "feed", "https://news.example/rss")])["site"]
    rng = random.Random(7)
    noise = "".join(rng.choice(string.ascii_letters) for _ in range(10_000))
    url = "https://news.example/long"
    with transaction(warehouse_url) as conn:
        result = load_articles(conn, [LoadItem(article(url, url, 9, authors=[noise, "Jane Doe"],
                                                       keywords=[noise.lower(), "budget"]), [], sid, None)], None)
    assert result.inserted == 1 and result.fields_dropped == 2
    assert db.execute("select name from authors").fetchall() == [("Jane Doe",)]
    assert db.execute("select keyword from keywords").fetchall() == [("budget",)]
