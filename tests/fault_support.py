"""Helpers for the fault, hostile-input and security tests: corpora, warehouse snapshots, a restartable server.

The central helper is :func:`snapshot`: the warehouse as sets of rows keyed by natural keys
(url_hash, names, ...), without surrogate ids, timestamps or run ids, so the state after a fault
and a retry can be compared with the state of a clean run over the same input.
"""

from __future__ import annotations

import difflib
import json
import os
import pprint
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg

from etl.store.db import libpq_url

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
NEWSETL = str(VENV_BIN / "newsetl")

# --------------------------------------------------------------------------------------------
# A corpus of generated news pages
# --------------------------------------------------------------------------------------------

PEOPLE = ["Maria Lopez", "Daniel Okafor", "Priya Raman", "Tomasz Nowak", "Helen Carter", "Kenji Watanabe",
          "Fatima Haddad", "Oliver Brennan", "Sofia Rossi", "Marcus Whitfield", "Ingrid Solberg", "Rafael Duarte",
          "Amara Nwosu", "Lukas Becker", "Chloe Martin", "Ahmed Karimi", "Grace Thompson", "Viktor Petrov"]
ORGS = ["Northwind Bank", "Acme Robotics", "Bluewater Energy", "Crestline Motors", "Harbor Point Bancorp",
        "Summit Health Partners", "Ironbridge Capital", "Silverline Airlines", "Redwood Pharmaceuticals"]
PLACES = ["Chicago", "Lagos", "Mumbai", "Warsaw", "Toronto", "Denver", "Lisbon", "Nairobi", "Osaka", "Melbourne"]
TOPICS = ["budget", "merger", "factory", "election", "drought", "vaccine", "stadium", "railway", "tariffs"]


def article_html(i: int, *, title: str | None = None, body_extra: str = "", head_extra: str = "",
                 text_seed: int | None = None) -> str:
    """A realistic, entity-rich English news page; ``i`` picks names, places and the date."""
    k = i if text_seed is None else text_seed
    person, other = PEOPLE[k % len(PEOPLE)], PEOPLE[(k * 7 + 3) % len(PEOPLE)]
    org, place, topic = ORGS[k % len(ORGS)], PLACES[(k * 3) % len(PLACES)], TOPICS[k % len(TOPICS)]
    surname = person.split()[-1]
    title = title if title is not None else f"{org} plans {topic} move in {place} (report {k})"
    paragraphs = [
        f"{person}, the chief executive of {org}, said on Tuesday that the company would press ahead with "
        f"its {topic} plans in {place} despite opposition from local officials and a tight deadline.",
        f"{surname} told reporters that the decision followed months of talks with regulators and that "
        f"about {120 + k} workers would be affected by the change over the next two years.",
        f"{other}, who has followed {org} for a decade, said the move showed how seriously the board "
        f"took the {topic} question, although critics in {place} warned about the costs for residents.",
        f"The announcement came a week after rivals reported weaker results. Shares of {org} rose "
        f"{k % 9 + 1} percent in early trading, according to market data compiled on Wednesday.",
        f"City council members in {place} are expected to vote on the proposal next month, and {surname} "
        f"said the company would publish a detailed plan before that vote. Report number {k}.",
    ]
    day = 1 + k % 27
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title>"
        f"<meta name='author' content='{other}'>"
        f"<meta name='keywords' content='{topic}, {place.lower()}, business'>"
        f"<meta property='article:published_time' content='2024-03-{day:02d}T09:{k % 60:02d}:00+00:00'>"
        f"{head_extra}</head><body><nav><a href='/'>Home</a> <a href='/business'>Business</a></nav>"
        f"<article><h1>{title}</h1>{body}{body_extra}</article>"
        "<footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"
    )


@dataclass(frozen=True)
class Corpus:
    """A folder of pages and a sources file that lists it."""

    folder: Path
    sources_file: Path
    articles: int
    rejects: int


def write_corpus(root: Path, n_articles: int = 16, *, name: str = "local") -> Corpus:
    """``n_articles`` distinct articles, one exact duplicate of the first, and three pages to reject."""
    folder = root / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_articles):
        (folder / f"a{i:03d}.html").write_text(article_html(i), encoding="utf-8")
    # The same story at another URL: loaded, and marked as an exact duplicate of the first.
    (folder / f"a{n_articles:03d}_copy.html").write_text(article_html(0), encoding="utf-8")
    (folder / "r_empty.html").write_bytes(b"")
    (folder / "r_binary.html").write_bytes(bytes(range(256)) * 8)
    (folder / "r_notext.html").write_text("<html><body><nav><a href='/x'>Only a link</a></nav></body></html>")
    sources = root / "sources.yaml"
    sources.write_text(f"sources:\n  - {{name: {name}, kind: files, location: '{folder}/*.html'}}\n",
                       encoding="utf-8")
    return Corpus(folder, sources, n_articles + 1, 3)


# --------------------------------------------------------------------------------------------
# Warehouse snapshots by natural keys
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableView:
    """How one table is compared: natural-key columns first, then every other column of the table
    (found in the catalog, so a column added by a later migration is compared too) except the
    volatile ones: surrogate ids, timestamps of when work happened, run ids, leases."""

    keys: tuple[str, ...]
    joins: str = ""
    volatile: frozenset[str] = frozenset()
    where: str = ""


# Lease and attempt bookkeeping: a page a killed worker had claimed counts one attempt more.
ALWAYS_VOLATILE = frozenset({"run_id", "created_at", "updated_at", "claimed_by", "claim_expires_at",
                             "process_attempts", "deferred_run_id"})
TABLE_VIEWS: dict[str, TableView] = {
    "sources": TableView(("x.name",), volatile=frozenset({"source_id", "name"})),
    "frontier": TableView(("x.url_hash", "s.name"), "join sources as s on s.source_id = x.source_id",
                          frozenset({"url_hash", "source_id", "discovered_at", "last_seen_run_id", "fetched_at",
                                     "next_fetch_at"})),
    "http_cache": TableView(("x.url",), volatile=frozenset({"url", "checked_at"})),
    # body_gz is left out (gzip stamps a time); body_sha256 stands for the bytes
    "raw_pages": TableView(("x.url_hash", "s.name", "(x.headers - 'date')::text"),
                           "join sources as s on s.source_id = x.source_id",
                           frozenset({"url_hash", "raw_page_id", "source_id", "fetched_at", "processed_at", "body_gz",
                                      "headers"})),
    "articles": TableView(("x.url_hash", "x.url", "s.name", "r.url_hash"),
                          "join sources as s on s.source_id = x.source_id "
                          "left join raw_pages as r on r.raw_page_id = x.raw_page_id",
                          frozenset({"url_hash", "url", "article_id", "source_id", "raw_page_id", "duplicate_of",
                                     "first_seen_at"})),
    "article_lsh_bands": TableView(("a.url_hash",), "join articles as a on a.article_id = x.article_id",
                                   frozenset({"article_id"})),
    "authors": TableView(("x.name",), volatile=frozenset({"author_id", "name"})),
    "article_authors": TableView(("a.url_hash", "au.name"),
                                 "join articles as a on a.article_id = x.article_id "
                                 "join authors as au on au.author_id = x.author_id",
                                 frozenset({"article_id", "author_id"})),
    "entities": TableView(("x.name", "x.type"), volatile=frozenset({"entity_id", "name", "type"})),
    "entity_aliases": TableView(("x.alias", "x.type", "e.name", "e.type"),
                                "join entities as e on e.entity_id = x.entity_id",
                                frozenset({"alias", "type", "entity_id"})),
    "entity_blocklist": TableView(("x.name_key", "x.blocks"), volatile=frozenset({"name_key", "blocks"})),
    "entity_mentions": TableView(("a.url_hash", "x.name_key"), "join articles as a on a.article_id = x.article_id",
                                 frozenset({"article_id", "name_key"})),
    "entity_short_forms": TableView(("a.url_hash", "x.short_key", "x.long_key"),
                                    "join articles as a on a.article_id = x.article_id",
                                    frozenset({"article_id", "short_key", "long_key"})),
    # the decision of each name key, with the entity it names by name and type
    "entity_resolution": TableView(("x.name_key", "e.name", "e.type"),
                                   "left join entities as e on e.entity_id = x.entity_id",
                                   frozenset({"name_key", "entity_id", "resolved_at"})),
    "article_entities": TableView(("a.url_hash", "e.name", "e.type"),
                                  "join articles as a on a.article_id = x.article_id "
                                  "join entities as e on e.entity_id = x.entity_id",
                                  frozenset({"article_id", "entity_id"})),
    "keywords": TableView(("x.keyword",), volatile=frozenset({"keyword_id", "keyword"})),
    "article_keywords": TableView(("a.url_hash", "k.keyword"),
                                  "join articles as a on a.article_id = x.article_id "
                                  "join keywords as k on k.keyword_id = x.keyword_id",
                                  frozenset({"article_id", "keyword_id"})),
    # Discovery may record the same unreadable input once per run; later stages once per page.
    "rejects": TableView(("x.stage", "x.reason", "x.url", "x.url_hash", "s.name"),
                         "left join sources as s on s.source_id = x.source_id",
                         frozenset({"reject_id", "stage", "reason", "url", "url_hash", "source_id", "detail"}),
                         "where x.stage <> 'discover'"),
}
# Not per-row comparable: which copy of a story is "the earlier one" depends on load order (two
# workers may load them either way round); what must hold is one original per duplicate group.
EXTRA_QUERIES: dict[str, str] = {
    "duplicate_groups": """
        select content_hash, count(*), count(*) filter (where duplicate_of is null)
        from articles group by content_hash having count(*) > 1""",
    "rejects_discover": """
        select distinct stage, reason, url, url_hash, s.name
        from rejects as r left join sources as s on s.source_id = r.source_id
        where stage = 'discover'""",
    "orphans": """
        select 'authors', count(*) from authors as x
            where not exists (select 1 from article_authors as l where l.author_id = x.author_id)
        union all
        select 'keywords', count(*) from keywords as x
            where not exists (select 1 from article_keywords as l where l.keyword_id = x.keyword_id)
        union all
        select 'entities', count(*) from entities as x
            where not exists (select 1 from article_entities as l where l.entity_id = x.entity_id)
              and not exists (select 1 from entity_aliases as l where l.entity_id = x.entity_id)
""",
}
# Extra queries over tables a later migration added: run only when the table exists.
TABLE_QUERIES: dict[str, tuple[str, str]] = {
    "orphan_decisions": ("entity_resolution", """
        select count(*) from entity_resolution as x
        where x.entity_id is not null
          and not exists (select 1 from article_entities as l where l.entity_id = x.entity_id)"""),
}
# Run bookkeeping: one row per run or per HTTP attempt, so it differs between a clean run and
# a faulted-then-retried one by design.
RUN_TABLES = frozenset({"pipeline_runs", "fetch_log", "alembic_version", "entity_resolution_log"})
KEY_LENGTH = {name: len(view.keys) for name, view in TABLE_VIEWS.items()}


def one(conn: psycopg.Connection, query: Any, params: Any = None) -> Any:
    """The first column of the first row of a query (None when there is no row)."""
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def _norm(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def columns_of(url: str) -> frozenset[tuple[str, str]]:
    """(table, column) of every column of the public schema."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        return frozenset(conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'public'"))


def _view_query(conn: psycopg.Connection, table: str, view: TableView,
                skip: frozenset[tuple[str, str]] = frozenset()) -> psycopg.sql.Composed:
    columns = [c for (c,) in conn.execute(
        "select column_name from information_schema.columns where table_schema = 'public' and table_name = %s "
        "order by ordinal_position", (table,))]
    rest = [psycopg.sql.SQL("x.{}").format(psycopg.sql.Identifier(c)) for c in columns
            if c not in view.volatile and c not in ALWAYS_VOLATILE and (table, c) not in skip]
    keys = [psycopg.sql.SQL(k) for k in view.keys]  # fixed expressions of this module, never input
    return psycopg.sql.SQL("select {} from {} as x {} {}").format(
        psycopg.sql.SQL(", ").join(keys + rest), psycopg.sql.Identifier(table), psycopg.sql.SQL(view.joins),
        psycopg.sql.SQL(view.where))


def snapshot(url: str, skip: frozenset[tuple[str, str]] = frozenset()) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the warehouse as a sorted list of natural-key rows (duplicates kept, so they show);
    ``skip``: (table, column) pairs left out (columns a later migration added, when comparing across one)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        present = {t for (t,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'public' "
            "and table_type = 'BASE TABLE'")}
        queries: dict[str, Any] = {t: _view_query(conn, t, v, skip) for t, v in TABLE_VIEWS.items() if t in present}
        queries.update(EXTRA_QUERIES)
        queries.update({name: query for name, (table, query) in TABLE_QUERIES.items() if table in present})
        for name, query in queries.items():
            rows = [tuple(_norm(v) for v in row) for row in conn.execute(query)]
            out[name] = sorted(rows, key=repr)
        # Tables no view knows (added by later migrations): compared by row count.
        for table in sorted(present - set(TABLE_VIEWS) - RUN_TABLES):
            count = psycopg.sql.SQL("select count(*) from {}").format(psycopg.sql.Identifier(table))
            out[f"count:{table}"] = [(one(conn, count),)]
    return out


def duplicate_keys(snap: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[Any]]:
    """Natural keys that occur more than once (a doubled load), per table."""
    out: dict[str, list[Any]] = {}
    for table, n in KEY_LENGTH.items():
        if table in ("article_lsh_bands", "rejects"):
            n = len(snap[table][0]) if snap.get(table) else n  # the whole row is the key
        counts = Counter(row[:n] for row in snap.get(table, []))
        dups = [key for key, c in counts.items() if c > 1]
        if dups:
            out[table] = dups[:5]
    return out


def leftovers(url: str) -> dict[str, int]:
    """Work a finished run must not leave behind: leases held, pages or URLs still pending."""
    queries = {
        "frontier_claimed": "select count(*) from frontier where claimed_by is not null and status = 'pending'",
        "frontier_pending": "select count(*) from frontier where status = 'pending'",
        "raw_pages_claimed": "select count(*) from raw_pages where claimed_by is not null",
        "raw_pages_pending": "select count(*) from raw_pages where process_status = 'pending'",
        "duplicate_of_mismatch": """select count(*) from articles as a join articles as o
                                     on o.article_id = a.duplicate_of where o.content_hash <> a.content_hash""",
    }
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        found = {k: one(conn, q) for k, q in queries.items()}
    return {k: n for k, n in found.items() if n}


def snapshot_diff(actual: dict[str, list[tuple[Any, ...]]], expected: dict[str, list[tuple[Any, ...]]]) -> str:
    """A readable, bounded diff of two snapshots ('' when equal)."""
    parts: list[str] = []
    for table in sorted(set(actual) | set(expected)):
        a, e = actual.get(table, []), expected.get(table, [])
        if a == e:
            continue
        ca, ce = Counter(map(repr, a)), Counter(map(repr, e))
        extra = list((ca - ce).elements())[:5]
        missing = list((ce - ca).elements())[:5]
        parts.append(f"{table}: {len(a)} rows, clean run has {len(e)}")
        parts.extend(f"  + {_short(r)}" for r in extra)
        parts.extend(f"  - {_short(r)}" for r in missing)
    return "\n".join(parts)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def assert_same_warehouse(url: str, expected: dict[str, list[tuple[Any, ...]]]) -> None:
    """The warehouse at ``url`` holds exactly the rows of ``expected``, no duplicates, no leftovers."""
    actual = snapshot(url)
    problems = []
    if dups := duplicate_keys(actual):
        problems.append("duplicate natural keys:\n" + pprint.pformat(dups, width=110))
    if left := leftovers(url):
        problems.append(f"leftover work: {left}")
    if diff := snapshot_diff(actual, expected):
        problems.append("differs from the clean run:\n" + diff)
    assert not problems, "\n".join(problems)


def table_counts(url: str) -> dict[str, int]:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        tables = [t for (t,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'public' "
            "and table_type = 'BASE TABLE' order by 1")]
        return {t: one(conn, psycopg.sql.SQL("select count(*) from {}").format(psycopg.sql.Identifier(t)))
                for t in tables}


# --------------------------------------------------------------------------------------------
# Processes: the CLI and Python children
# --------------------------------------------------------------------------------------------


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `newsetl` child: the developer's NEWSETL_* removed, the warehouse set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSETL_")}
    env["NEWSETL_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEWSETL, *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO)


def start_cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([NEWSETL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=REPO)


def python_child(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A Python child running ``script`` with the repo importable; stdout/stderr piped."""
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join([str(REPO), full_env.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full_env, cwd=REPO)


def wait_for_file(path: Path, proc: subprocess.Popen[str] | None = None, timeout: float = 120) -> None:
    """Wait until ``path`` exists; fail early (with the child's output) if the child died."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(
                f"child exited with {proc.returncode} before {path.name}:\n{out[-3000:]}\n{err[-5000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {path}")
        time.sleep(0.05)


# --------------------------------------------------------------------------------------------
# The code as it was when the warehouse had only its first migration
# --------------------------------------------------------------------------------------------

FIRST_MIGRATION = "0001_initial.py"
MIGRATION_FOLDERS = ("etl/migrations/versions/", "etl/store/migrations/versions/")


def code_at_migrations(dest: Path, migrations: frozenset[str]) -> Path | None:
    """Export (git archive, read-only) the newest commit whose migrations were exactly ``migrations``.

    Data "loaded with the pipeline at 0001" must be loaded by the code of that time: today's load
    code may need columns or tables of later migrations. None when this is not a git checkout.
    """
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        return None

    def out(*args: str) -> str:
        return subprocess.run([git, "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout

    for commit in out("rev-list", "HEAD").split():
        names = {Path(n).name for folder in MIGRATION_FOLDERS
                 for n in out("ls-tree", "--name-only", commit, folder).split()}
        if {n for n in names if n[:1].isdigit()} == migrations:
            dest.mkdir(parents=True, exist_ok=True)
            archive = subprocess.run([git, "-C", str(REPO), "archive", "--format=tar", commit, "etl", "sql", "seeds"],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
            return dest
    return None


def code_at_first_migration(dest: Path) -> Path | None:
    """The code of the newest commit whose only migration was the first one."""
    return code_at_migrations(dest, frozenset({FIRST_MIGRATION}))


OLD_RUN = r"""
import json, sys
from pathlib import Path
from etl.runner import RunRequest, run_pipeline
from etl.settings import load_settings
settings = load_settings(environ={}, **json.loads(sys.argv[3]))
summary = run_pipeline(sys.argv[1], settings, RunRequest(sources_file=Path(sys.argv[2])), trigger="test")
print("OLD_RUN " + json.dumps({"status": summary["status"], "counts": summary["counts"]}, default=str))
"""


def run_old_pipeline(tree: Path, url: str, sources_file: Path, **settings: Any) -> dict[str, Any]:
    """A whole run by the code in ``tree`` (its etl/ shadows today's), in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSETL_")}
    env["PYTHONPATH"] = str(tree)
    proc = subprocess.run([sys.executable, "-c", OLD_RUN, url, str(sources_file), json.dumps(settings)],
                          capture_output=True, text=True, env=env, cwd=tree, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("OLD_RUN ")), None)
    assert line, f"the old pipeline failed (exit {proc.returncode}):\n{proc.stderr[-5000:]}"
    result: dict[str, Any] = json.loads(line.removeprefix("OLD_RUN "))
    return result


# --------------------------------------------------------------------------------------------
# A dedicated PostgreSQL that can be stopped and started (and given password auth)
# --------------------------------------------------------------------------------------------


class RestartableServer:
    """A pgserver instance of its own in a tmp dir: stop it (``pg_ctl stop -m fast``) and start it again."""

    def __init__(self, pgdata: Path) -> None:
        import pgserver

        self.pgdata = pgdata
        self._server = pgserver.get_server(pgdata, cleanup_mode=None)
        self.admin_url = self._server.get_uri("postgres")
        self.socket_dir = parse_qs(urlsplit(self.admin_url).query)["host"][0]
        self.user = self._server.system_user

    def _pg_ctl(self, *args: str) -> None:
        from pgserver import _commands

        pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - made at import time, one function per binary
        pg_ctl(list(args), pgdata=self.pgdata, user=self.user, timeout=60)

    def stop(self) -> None:
        """Stop fast: open connections are terminated, open transactions rolled back."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.pgdata / "log"), "start")

    def reload(self) -> None:
        self._pg_ctl("reload")

    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    def require_password(self, role: str) -> None:
        """Make ``role`` log in with a password over the socket (scram), everyone else stays trusted."""
        hba = self.pgdata / "pg_hba.conf"
        hba.write_text(f"local all {role} scram-sha-256\n" + hba.read_text())
        self.reload()

    def close(self) -> None:
        if self.running():
            try:
                self._pg_ctl("-w", "-m", "immediate", "stop")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.pgdata.parent if self.pgdata.parent.name.startswith("newsetl-") else self.pgdata,
                      ignore_errors=True)


# --------------------------------------------------------------------------------------------
# A tiny HTTP server for documents (feeds, sitemaps) and pages
# --------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes]] = {}
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.hits.append(self.path)
        status, ctype, body = self.routes.get(urlsplit(self.path).path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass


@contextmanager
def http_server(routes: dict[str, tuple[int, str, bytes]], hits: list[str] | None = None) -> Iterator[str]:
    """Serve fixed routes (path -> status, content type, body) on 127.0.0.1; yields the base URL.

    Every requested path is appended to ``hits`` (to prove that nothing was asked)."""
    handler = type("Handler", (_Handler,), {"routes": routes, "hits": hits if hits is not None else []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def unified(a: str, b: str) -> str:
    return "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=1))
