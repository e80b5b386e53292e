"""End-to-end benchmark: the whole pipeline against plain trafilatura + spaCy, 1 vs 2 workers, load vs COPY.

Run ``.venv/bin/python -m bench.e2e`` (or ``make bench``, which also runs the other benchmarks).
The dev pages (/work/shared/datasets/news-dev/pages/*.html.gz, read from there, never copied)
and synthetic copies of them (the same HTML at another URL: /c<k>/<id>.html) are served over
HTTP by a child process on 127.0.0.1-4, and an embedded PostgreSQL holds one fresh warehouse per
scenario. Everything below is measured in the same run, on the same pages:

* **overhead**: wall time of ``newsetl run`` over N pages (one process: discover, fetch, extract,
  entities, load, from process start to exit) / wall time of a process doing only plain
  ``trafilatura.bare_extraction`` (with_metadata, favor_precision) over the same pages plus plain
  ``nlp.pipe`` over the extracted texts (the model configured exactly as the pipeline loads it:
  ``etl.entities.load_model``, only the components NER needs);
* **workers**: the whole ``newsetl run --workers 2`` (the process stage in two worker processes,
  alongside the fetch) vs ``newsetl run`` (one worker), from process start to exit, alternated;
* **parallel**: the process stage (extract + entities + load, where the time goes) with two worker
  processes vs one, over the same fetched pages (what two mapped ``process`` tasks of news_etl do);
  also two whole ``newsetl run`` processes started together vs one;
* **load**: rows the load stage wrote per second (its recorded ``load`` seconds) vs a raw binary
  ``COPY`` of exactly those rows into the same tables (same indexes and constraints);
* **incremental**: a second ``newsetl run`` over the unchanged sources vs the first;
* **memory**: peak RSS of ``newsetl run`` at N pages vs at a larger N;
* **newspaper**: plain newspaper4k (``Article.download(input_html) + parse()`` and ``nlp()`` per
  article) over the same pages, for articles/s side by side;
* **profile**: cProfile of one in-process run (``run_pipeline``) over a smaller N, summed by area.

``--scale`` runs only the scale scenario instead: ``newsetl run`` (1 worker) at ``--scale-small``
(1000) and at ``--pages`` pages of *varied* copies (``bench.synthetic.vary_page``: copy k of a page
has its words rewritten, seeded by page id and k, so near-duplicate detection does not collapse
the copies), each in a fresh warehouse: peak RSS at both (their ratio), RSS over the run, articles/s
per stage, articles stored and near-duplicates; results in bench/results/scale.json
(``python -m bench.e2e --scale --pages 20000``; ``python -m bench.run_all --only scale`` runs it and
merges it into latest.json).

Results: a table on stdout and bench/results/e2e.json (bench/run_all.py merges it into
latest.json and writes the README table). This is a benchmark, not a test: nothing fails on a
missed target; the numbers say which target was missed and by how much.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import json
import os
import pstats
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEV = REPO.parent / "shared" / "datasets" / "news-dev"
RESULTS = REPO / "bench" / "results" / "e2e.json"
SCALE_RESULTS = REPO / "bench" / "results" / "scale.json"
NEWSETL = str(Path(sys.executable).parent / "newsetl")
HOSTS = 4
# Lease of parallel workers: a worker that dies mid-batch holds its pages this long before a restarted
# worker may take them (the default 600 s would dominate the benchmark).
LEASE_FOR_RESTARTS = 15
TARGETS = {"overhead_ratio": 1.25, "parallel_ratio": 0.65, "workers_ratio": 0.6, "load_vs_copy": 0.5,
           "incremental_ratio": 0.05, "memory_growth": 0.20}
# Scenarios --skip may leave out (the pipeline with 1 worker, load vs COPY and incremental always run).
OPTIONAL = ("baseline", "workers", "process", "two_runs", "newspaper", "memory", "profile")
# Tables the load stage writes, and how to pick the rows it wrote (seed rows exist before any run).
# (Entities and article_entities are the resolution step's, after the load: not load rows.)
LOAD_TABLES = ("authors", "keywords", "articles", "article_authors", "article_keywords", "entity_mentions",
               "entity_short_forms", "entity_pending", "article_lsh_bands", "rejects")

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")


# --------------------------------------------------------------------------------------------
# Pages and the HTTP server that serves them
# --------------------------------------------------------------------------------------------


def dev_pages() -> list[tuple[str, str, bytes]]:
    """(id, original URL, HTML bytes) of every dev page, decompressed from the shared dataset."""
    rows = [json.loads(line) for line in (DEV / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [(r["id"], r["url"], gzip.decompress((DEV / r["path"]).read_bytes())) for r in rows]


def copy_path(i: int, ids: list[str]) -> str:
    """The i-th page of a run: copy i // len(ids) of dev page i % len(ids)."""
    return f"/c{i // len(ids)}/{ids[i % len(ids)]}.html"


def serve(hosts: int, varied: bool = False) -> None:
    """Child process: serve the dev pages at /c<k>/<id>.html on 127.0.0.1..hosts; print the base URLs.

    With ``varied``, copy k > 0 of a page is :func:`bench.synthetic.vary_page` of it (its words
    rewritten, seeded by id and k): another story, not a near-duplicate of the page."""
    from bench.synthetic import Vocabulary, vary_page

    pages = {pid: body for pid, _url, body in dev_pages()}
    vocabularies: dict[str, Vocabulary] = {}
    page_re = re.compile(r"^/c(\d+)/([\w-]+)\.html$")

    def page(path: str) -> bytes | None:
        match = page_re.match(path)
        body = pages.get(match.group(2)) if match else None
        if body is None or not varied or not match or match.group(1) == "0":
            return body
        pid = match.group(2)
        if pid not in vocabularies:
            vocabularies[pid] = Vocabulary.of(body.decode("utf-8", "surrogateescape"))
        return vary_page(pid, body, int(match.group(1)), vocabularies[pid])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = page(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    servers = [ThreadingHTTPServer((f"127.0.0.{n}", 0), Handler) for n in range(1, hosts + 1)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps([f"http://127.0.0.{n}:{s.server_address[1]}" for n, s in enumerate(servers, 1)]), flush=True)
    threading.Event().wait()


class Site:
    """The page server, in a child process (its CPU is not the pipeline's, its memory not either)."""

    def __init__(self, hosts: int = HOSTS, varied: bool = False) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.e2e", "--serve", str(hosts),
                                      *(["--varied"] if varied else [])], cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.bases: list[str] = json.loads(self.proc.stdout.readline())
        self.ids = [pid for pid, _url, _body in dev_pages()]

    def urls(self, n: int) -> list[str]:
        return [self.bases[i % len(self.bases)] + copy_path(i, self.ids) for i in range(n)]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --------------------------------------------------------------------------------------------
# The warehouse server and process helpers
# --------------------------------------------------------------------------------------------


class Warehouse:
    """An embedded PostgreSQL for the benchmark, one fresh database per scenario."""

    def __init__(self, root: Path) -> None:
        import pgserver

        self.server = pgserver.get_server(root / "pg", cleanup_mode="stop")
        self.admin_url = self.server.get_uri("postgres")

    def fresh(self, label: str) -> str:
        from etl.pipeline import runs as pipeline
        from etl.store.db import ensure_database

        name = f"bench_{label}_{uuid.uuid4().hex[:6]}"
        ensure_database(self.admin_url, name)
        url = self.server.get_uri(name)
        pipeline.prepare_database(url)  # migrate + seeds before the clock starts, as on any live warehouse
        return url


def cli_env(url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSETL_")}
    env.update(NEWSETL_DATABASE_URL=url, NEWSETL_ALLOWED_HOSTS="127.0.0.0/24", NEWSETL_MIN_HOST_INTERVAL_SECONDS="0",
               NEWSETL_DATA_DIR=str(tmp / "data"))
    return env


def write_sources(tmp: Path, urls: list[str], name: str) -> Path:
    listing = tmp / f"{name}.txt"
    listing.write_text("".join(u + "\n" for u in urls), encoding="utf-8")
    sources = tmp / f"{name}.yaml"
    sources.write_text(f"sources:\n  - {{name: bench, kind: urls, location: '{listing}'}}\n", encoding="utf-8")
    return sources


def timed_processes(commands: list[list[str]], env: dict[str, str], tmp: Path, restarts: int = 0,
                    sample: Any = None, sample_every: float = 10.0) -> dict[str, Any]:
    """Start the commands at once; wall time until the last exits, each one's peak RSS and CPU (wait4).

    A process that fails is started again (as Airflow retries a failed task) up to ``restarts``
    times in all; each failure is recorded with the last line of its output. With ``sample`` (a
    function of the elapsed seconds returning a dict), every ``sample_every`` seconds a row of it and
    the first process's current RSS (``rss_mb``, from /proc) is kept in ``samples``.
    """
    def start(command: list[str]) -> tuple[subprocess.Popen[bytes], Any, list[str]]:
        log = open(tmp / f"proc-{uuid.uuid4().hex[:6]}.log", "w+")  # noqa: SIM115 - closed when reaped
        return subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=log), log, command

    started = time.perf_counter()
    running = [start(c) for c in commands]
    rss, cpu, failures = [], [], []
    samples: list[dict[str, Any]] = []
    next_sample = started + sample_every
    while running:
        time.sleep(0.05)
        if sample is not None and time.perf_counter() >= next_sample:
            next_sample += sample_every
            samples.append({"seconds": round(time.perf_counter() - started, 1),
                            "rss_mb": current_rss_mb(running[0][0].pid), **sample()})
        for item in list(running):
            proc, log, command = item
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == 0:
                continue
            running.remove(item)
            proc.returncode = os.waitstatus_to_exitcode(status)
            rss.append(usage.ru_maxrss / 1024)
            cpu.append(round(usage.ru_utime + usage.ru_stime, 2))
            log.seek(0)
            output = log.read()
            log.close()
            if proc.returncode == 0:
                continue
            lines = [ln for ln in output.splitlines() if ln.strip()]
            failures.append({"exit": proc.returncode, "error": lines[-1][:300] if lines else "",
                             "at_seconds": round(time.perf_counter() - started, 1)})
            if len(failures) > restarts:
                raise RuntimeError(f"a process failed (exit {proc.returncode}):\n{output[-3000:]}")
            say(f"a process failed ({failures[-1]['error']}); starting it again")
            running.append(start(command))
    return {"wall": time.perf_counter() - started, "peak_rss_mb": rss, "cpu_seconds": cpu, "failures": failures,
            "samples": samples}


def current_rss_mb(pid: int) -> float | None:
    """A running process's resident set now (VmRSS), in MB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def run_cli(url: str, sources: Path, tmp: Path, processes: int = 1, workers: int = 1) -> dict[str, Any]:
    """``processes`` CLI runs started at once, each ``newsetl run --workers <workers>``."""
    env = cli_env(url, tmp)
    if processes > 1:  # a worker that fails mid-batch leaves a lease; keep it short so a restart can take it
        env["NEWSETL_LEASE_SECONDS"] = str(LEASE_FOR_RESTARTS)
    command = [NEWSETL, "run", "--sources", str(sources), *(["--workers", str(workers)] if workers > 1 else [])]
    return timed_processes([command] * processes, env, tmp, restarts=2 if processes > 1 else 0)


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    import psycopg

    from etl.store.db import libpq_url

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def run_stats(url: str) -> dict[str, Any]:
    """Summed stage seconds and counts of every run in the warehouse."""
    timings: dict[str, float] = defaultdict(float)
    counts: dict[str, float] = defaultdict(float)
    for stage_timings, run_counts in query(url, "select stage_timings, counts from pipeline_runs"):
        for k, v in stage_timings.items():
            timings[k] += float(v)
        for k, v in run_counts.items():
            counts[k] += float(v)
    (articles,) = query(url, "select count(*) from articles")[0]
    return {"stage_seconds": {k: round(v, 2) for k, v in timings.items()},
            "counts": {k: int(v) for k, v in counts.items()}, "articles": articles}


def fetched_warehouse(warehouse: Warehouse, sources: Path, tmp: Path, label: str) -> tuple[str, int]:
    """A fresh warehouse with the pages discovered and fetched (in this process): ready for process workers."""
    from etl.pipeline import runs as pipeline
    from etl.pipeline.discover import run_discover
    from etl.pipeline.fetch import run_fetch
    from etl.settings import load_settings
    from etl.sources import sources_for_run

    url = warehouse.fresh(label)
    settings = load_settings(environ={}, allowed_hosts=("127.0.0.0/24",), min_host_interval_seconds=0.0,
                             data_dir=tmp / "data", sources_file=sources)  # its folder: where local lists may be read
    specs = sources_for_run(sources, ())
    ids = pipeline.sync_sources(url, specs)
    run_id = pipeline.start_run(url, "bench", {})
    run_discover(url, settings, specs, ids, run_id)
    run_fetch(url, settings, run_id)
    return url, run_id


def process_child(url: str, run_id: int) -> None:
    """One process-stage worker (what one mapped `process` task of news_etl runs)."""
    from etl.pipeline.process import run_process
    from etl.settings import load_settings

    run_process(url, load_settings(environ={}, lease_seconds=LEASE_FOR_RESTARTS), run_id)


def run_process_workers(url: str, run_id: int, workers: int, tmp: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.e2e", "--process-child", url, str(run_id)]
    result = timed_processes([command] * workers, dict(os.environ), tmp, restarts=2 if workers > 1 else 0)
    return {"wall": result["wall"], "peak_rss_mb": result["peak_rss_mb"], "cpu_seconds": result["cpu_seconds"],
            "failures": result["failures"], **run_stats(url)}


# --------------------------------------------------------------------------------------------
# Baselines (each in a child process: same interpreter start and imports as `newsetl run`)
# --------------------------------------------------------------------------------------------


def baseline_child(n: int, hosts_urls: list[str]) -> dict[str, Any]:
    """Plain trafilatura.bare_extraction over the pages + plain nlp.pipe over the texts."""
    started = time.perf_counter()
    import trafilatura

    from etl.entities import load_model
    from etl.settings import load_settings

    settings = load_settings(environ={})
    pages = dev_pages()
    t0 = time.perf_counter()
    texts = []
    for i in range(n):
        _pid, _url, body = pages[i % len(pages)]
        doc = trafilatura.bare_extraction(body, url=hosts_urls[i], favor_precision=True, with_metadata=True,
                                          include_comments=False, include_tables=False, deduplicate=False)
        text = (getattr(doc, "text", None) or "") if doc is not None else ""
        if len(text.strip()) >= settings.min_text_chars:
            texts.append(text[: settings.ner_max_chars])
    t1 = time.perf_counter()
    nlp = load_model(settings.spacy_model)  # configured exactly as the pipeline's: only what NER needs runs
    t2 = time.perf_counter()
    ents = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=settings.ner_batch_size))
    t3 = time.perf_counter()
    return {"extract_seconds": t1 - t0, "model_load_seconds": t2 - t1, "ner_seconds": t3 - t2,
            "imports_seconds": t0 - started, "texts": len(texts), "entities": ents}


def newspaper_child(n: int, hosts_urls: list[str]) -> dict[str, Any]:
    """Plain newspaper4k: Article.download(input_html) + parse(), then nlp() per article."""
    from newspaper import Article

    from etl.entities import load_model
    from etl.settings import load_settings

    settings = load_settings(environ={})
    pages = dev_pages()
    nlp = load_model(settings.spacy_model)
    t0 = time.perf_counter()
    parsed = ents = 0
    parse_seconds = ner_seconds = 0.0
    for i in range(n):
        _pid, _url, body = pages[i % len(pages)]
        a = time.perf_counter()
        article = Article(hosts_urls[i], fetch_images=False)
        article.download(input_html=body.decode("utf-8", errors="replace"))
        try:
            article.parse()
        except Exception:  # noqa: BLE001 - a page newspaper cannot parse counts as not parsed
            continue
        b = time.perf_counter()
        if len(article.text.strip()) >= settings.min_text_chars:
            parsed += 1
            ents += len(nlp(article.text[: settings.ner_max_chars]).ents)
        parse_seconds += b - a
        ner_seconds += time.perf_counter() - b
    return {"loop_seconds": time.perf_counter() - t0, "parse_seconds": parse_seconds, "ner_seconds": ner_seconds,
            "texts": parsed, "entities": ents}


def run_child(mode: str, n: int, urls: list[str], tmp: Path) -> dict[str, Any]:
    """Run a baseline in a fresh interpreter; wall and peak RSS measured from outside, like the CLI's."""
    args_file = tmp / f"{mode}-urls.json"
    args_file.write_text(json.dumps(urls[:n]))
    out = tmp / f"{mode}-out.json"
    result = timed_processes([[sys.executable, "-m", "bench.e2e", f"--{mode}-child", str(n), str(args_file),
                               str(out)]], dict(os.environ), tmp)
    return {"wall": result["wall"], "peak_rss_mb": result["peak_rss_mb"][0], "cpu_seconds": result["cpu_seconds"][0],
            **json.loads(out.read_text())}


# --------------------------------------------------------------------------------------------
# Load stage vs COPY
# --------------------------------------------------------------------------------------------


def load_rows_filter(table: str) -> str:
    """Rows of a table written by the load stage (not seed rows made by prepare_database)."""
    if table == "entity_pending":
        return "where not rebuild"  # the seed aliases' rows are prepare_database's
    if table == "rejects":
        return "where stage = 'extract'"
    return ""


def copy_cost(source_url: str, target_urls: list[str], load_seconds: float) -> dict[str, Any]:
    """Binary COPY of the rows the load stage wrote (same ids) into fresh warehouses, once into each: the
    fastest COPY's seconds (every one's in ``copy_seconds_all``) and rows."""
    import psycopg
    from psycopg import sql

    from etl.store.db import libpq_url

    present = {t for (t,) in query(source_url, "select table_name from information_schema.tables "
                                                 "where table_schema = 'public'")}
    tables = [t for t in LOAD_TABLES if t in present]
    parents = ["sources", "pipeline_runs", "frontier", "raw_pages"]
    dumps: dict[str, list[bytes]] = {}
    rows: dict[str, int] = {}
    with psycopg.connect(libpq_url(source_url)) as src:
        for table in parents + tables:
            where = sql.SQL(load_rows_filter(table))  # a fixed string from load_rows_filter, never a value
            stmt = sql.SQL("copy (select * from {} {}) to stdout (format binary)").format(sql.Identifier(table), where)
            chunks: list[bytes] = []
            with src.cursor().copy(stmt) as copy:
                for data in copy:
                    chunks.append(bytes(data))
            dumps[table] = chunks
            count = sql.SQL("select count(*) from {} {}").format(sql.Identifier(table), where)
            rows[table] = src.execute(count).fetchone()[0]  # type: ignore[index]
    every: list[float] = []
    fastest_tables: dict[str, float] = {}
    for target_url in target_urls:
        with psycopg.connect(libpq_url(target_url)) as dst:
            with dst.transaction():  # the FK parents, untimed; the seed entities are already there
                dst.execute("delete from entity_pending")
                for table in parents:
                    _copy_in(dst, table, dumps[table])
            started = time.perf_counter()
            per_table: dict[str, float] = {}
            with dst.transaction():
                for table in tables:
                    at = time.perf_counter()
                    _copy_in(dst, table, dumps[table])
                    per_table[table] = round(time.perf_counter() - at, 4)
            every.append(time.perf_counter() - started)
            if every[-1] == min(every):
                fastest_tables = per_table
    seconds = min(every)
    total = sum(rows[t] for t in tables)
    return {"rows": total, "rows_by_table": {t: rows[t] for t in tables}, "copy_seconds": round(seconds, 3),
            "copy_seconds_all": [round(x, 3) for x in every], "copy_seconds_by_table": fastest_tables,
            "load_seconds": round(load_seconds, 3), "copy_rows_per_s": round(total / seconds),
            "load_rows_per_s": round(total / load_seconds) if load_seconds else None,
            "load_vs_copy": round(seconds / load_seconds, 3) if load_seconds else None}


def _copy_in(conn: Any, table: str, chunks: list[bytes]) -> None:
    from psycopg import sql

    with conn.cursor().copy(sql.SQL("copy {} from stdin (format binary)").format(sql.Identifier(table))) as copy:
        for chunk in chunks:
            copy.write(chunk)


# --------------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------------

AREAS = [("extract", ("trafilatura", "lxml", "justext", "htmldate", "courlan", "charset_normalizer", "etl/extract",
                      "etl/metadata", "etl/dates", "etl/decode", "etl/authors", "etl/extractors", "etl/textclean",
                      "etl/selector", "readability", "py3langid", "dateparser", "lzma")),
         ("entities (spaCy)", ("spacy", "thinc", "numpy", "srsly", "catalogue", "confection", "cymem", "preshed",
                               "blis", "etl/entities")),
         ("dedup", ("datasketch", "etl/dedup", "scipy")),
         ("database (psycopg)", ("psycopg", "etl/load", "etl/process", "etl/pipeline", "etl/db")),
         ("migrate (alembic)", ("alembic", "sqlalchemy", "mako", "etl/migrate", "etl/seeds")),
         ("fetch (httpx)", ("httpx", "httpcore", "etl/http", "etl/fetch", "anyio", "h11", "ssl", "asyncio",
                            "selectors", "etl/netguard", "etl/robots")),
         ("discover", ("etl/discover", "etl/urls", "etl/feeds", "etl/sitemaps")),
         ("imports and regex compiling", ("<frozen", "importlib", "re/_", "sre_", "typing", "inspect", "ast")),
         ("gzip/zlib", ("gzip", "zlib"))]


# Entry points whose cumulative time says where a run's seconds go: (label, file part, function name).
# The load transactions run in the stage loop's database thread, which the run's profiler does not see:
# they get a profiler of their own (profile_run), summed by LOAD_ENTRY_POINTS; ENTRY_POINTS are the
# main thread's ("psycopg execute" there: the statements outside the load transactions).
LOAD_ENTRY_POINTS = [
    ("load_articles (whole load transaction body)", "etl/store/articles", "load_articles"),
    ("  near-duplicate lookup (one query a batch)", "etl/store/articles", "duplicate_roots"),
    ("  COPYs of articles, links, bands (client and server)", "etl/store/sqlfiles", "copy_rows"),
    ("  entity mentions and short forms", "etl/store/entities", "store_mentions"),
    ("  canonical check", "etl/store/articles", "canonical_keys"),
    ("  author and keyword ids", "etl/store/names", "ids_of"),
    ("waiting for the server (every statement and COPY)", "psycopg/connection", "wait"),
    ("query parameters to PostgreSQL types (arrays)", "psycopg/_queries", "dump"),
]
ENTRY_POINTS = [
    ("prepare_database (migrate + seeds)", "etl/pipeline", "prepare_database"),
    ("fetching one claimed URL (summed over URLs)", "etl/fetch", "fetch_claim"),
    ("extract_page (decode + trafilatura + metadata)", "etl/extract", "extract_page"),
    ("  trafilatura.bare_extraction", "trafilatura/core", "bare_extraction"),
    ("  metadata.page_metadata", "etl/metadata", "page_metadata"),
    ("extract_entities (spaCy NER)", "etl/entities", "extract_entities"),
    ("  spaCy model load", "etl/entities", "load_model"),
    ("MinHash signatures and LSH buckets (beside extraction)", "etl/dedup", "fingerprint"),
    ("psycopg connect (new connections)", "psycopg/connection", "connect"),
    ("psycopg execute (statements outside the load transactions)", "psycopg/cursor", "execute"),
    ("gzip decompress of stored pages", "gzip", "decompress"),
]


def _area(filename: str) -> str:
    return next((a for a, keys in AREAS if any(k in filename for k in keys)), "other")


def _entry_points(raw: dict[Any, Any], points: list[tuple[str, str, str]],
                  digits: int = 2) -> dict[str, dict[str, float]]:
    """Calls and cumulative seconds of each (label, file part, function name) in a cProfile table."""
    entry: dict[str, dict[str, float]] = {}
    for label, part, name in points:
        calls = cum = 0.0
        for (filename, _line, fname), (_cc, nc, _tt, ct, _callers) in raw.items():
            if fname == name and part in filename:
                calls += nc
                cum += ct
        entry[label] = {"calls": int(calls), "seconds": round(cum, digits)}
    return entry


def profile_run(warehouse: Warehouse, site: Site, n: int, tmp: Path, listing: Path) -> dict[str, Any]:
    """cProfile of run_pipeline in this process over n pages: entry points' cumulative time, own time by area."""
    from etl.pipeline.process import ProcessStep
    from etl.pipeline.run import RunRequest, run_pipeline
    from etl.settings import load_settings

    url = warehouse.fresh("profile")
    sources = write_sources(tmp, site.urls(n), f"profile-{n}")
    settings = load_settings(environ={}, allowed_hosts=("127.0.0.0/24",), min_host_interval_seconds=0.0,
                             data_dir=tmp / "data")
    profiler, load_profiler = cProfile.Profile(), cProfile.Profile()
    store = ProcessStep.store

    def profiled_store(step: ProcessStep, conn: Any, done: Any) -> Any:  # in the database thread: profiled there
        load_profiler.enable()
        try:
            return store(step, conn, done)
        finally:
            load_profiler.disable()

    ProcessStep.store = profiled_store  # type: ignore[method-assign]
    started = time.perf_counter()
    profiler.enable()
    try:
        run_pipeline(url, settings, RunRequest(sources_file=sources), trigger="bench")
    finally:
        profiler.disable()
        ProcessStep.store = store  # type: ignore[method-assign]
    wall = time.perf_counter() - started
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    load_raw = pstats.Stats(load_profiler).stats  # type: ignore[attr-defined]
    by_area: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, callers) in raw.items():
        if filename != "~":
            by_area[_area(filename)] += tottime
            continue
        # C functions (lxml, sockets, spaCy's compiled parts): charged to the Python code calling them
        weights = {c: v[3] for c, v in callers.items()} or {("~", 0, ""): 1.0}
        total = sum(weights.values()) or 1.0
        for (cfile, _cl, _cn), weight in weights.items():
            by_area["other" if cfile == "~" else _area(cfile)] += tottime * weight / total
    entry, load_entry = _entry_points(raw, ENTRY_POINTS), _entry_points(load_raw, LOAD_ENTRY_POINTS, digits=3)
    statements: dict[str, dict[str, float]] = defaultdict(lambda: {"calls": 0, "seconds": 0.0})
    for (filename, _line, fname), (_cc, _nc, _tt, _ct, callers) in raw.items():
        if fname == "execute" and filename.endswith(("psycopg/connection.py", "psycopg/cursor.py")):
            for (cfile, _cl, cname), (_c1, ncalls, _t1, cum_t) in callers.items():
                if "/etl/" in cfile:
                    key = f"{Path(cfile).stem}.{cname}"
                    statements[key]["calls"] += ncalls
                    statements[key]["seconds"] += cum_t
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(30)
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(r"etl/", 40)
    text.write("\n\nThe load transactions (the stage loop's database thread), by cumulative time:\n")
    pstats.Stats(load_profiler, stream=text).sort_stats("cumulative").print_stats(30)
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text(text.getvalue())
    return {"pages": n, "wall": round(wall, 2), "stage_seconds": run_stats(url)["stage_seconds"],
            "entry_points": entry, "load_entry_points": load_entry,
            "statements_by_caller": {k: {"calls": int(v["calls"]), "seconds": round(v["seconds"], 3)}
                                     for k, v in sorted(statements.items(), key=lambda kv: -kv[1]["seconds"])},
            "own_seconds_by_area": {k: round(v, 2) for k, v in sorted(by_area.items(), key=lambda kv: -kv[1])}}


# --------------------------------------------------------------------------------------------
# The whole benchmark
# --------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="newsetl-bench-"))
    site = Site()
    warehouse = Warehouse(tmp)
    n = args.pages
    urls = site.urls(max(n, args.profile_pages))
    out: dict[str, Any] = {"pages": n, "unique_dev_pages": len(site.ids), "hosts": len(site.bases),
                           "cpus": os.cpu_count(), "python": sys.version.split()[0], "repeat": args.repeat,
                           "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        sources = write_sources(tmp, urls[:n], f"main-{n}")
        baselines, singles, doubles = [], [], []
        skip = args.skip
        for round_ in range(1, args.repeat + 1):  # alternated, so a busy minute hits both sides
            if "baseline" not in skip:
                say(f"round {round_}/{args.repeat}: baseline, plain trafilatura + nlp.pipe over {n} pages")
                baselines.append({"load_average": _load(), **run_child("baseline", n, urls, tmp)})
            for workers in (1, 2) if "workers" not in skip else (1,):
                say(f"round {round_}/{args.repeat}: pipeline, `newsetl run --workers {workers}`, {n} pages")
                url_r = warehouse.fresh(f"w{workers}r{round_}")
                load_before = _load()
                done = run_cli(url_r, sources, tmp, workers=workers)
                (singles if workers == 1 else doubles).append(
                    {"url": url_r, "load_average": load_before, "load_average_after": _load(), "wall": done["wall"],
                     "cpu_seconds": done["cpu_seconds"][0], "peak_rss_mb": done["peak_rss_mb"][0],
                     **run_stats(url_r)})
        if baselines:
            out["baseline"] = fastest(baselines)
        if doubles:
            out["pipeline_workers_2"] = fastest(doubles)
            out["pipeline_workers_2"].pop("url")
        out["pipeline_1"] = fastest(singles)
        url1 = out["pipeline_1"].pop("url")

        say("incremental: the same run again, sources unchanged")
        again = run_cli(url1, sources, tmp)
        out["incremental"] = {"wall": again["wall"], "ratio": again["wall"] / out["pipeline_1"]["wall"]}

        say("load stage vs COPY of the same rows")
        out["load"] = copy_cost(url1, [warehouse.fresh(f"copy{i}") for i in range(3)],
                                out["pipeline_1"]["stage_seconds"].get("load", 0.0))

        process_runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        for round_ in range(1, args.repeat + 1 if "process" not in skip else 1):
            for workers in (1, 2):
                say(f"round {round_}/{args.repeat}: process stage (extract + entities + load), {workers} worker "
                    f"process(es), {n} fetched pages")
                url_p, run_p = fetched_warehouse(warehouse, sources, tmp, f"proc{workers}r{round_}")
                process_runs[workers].append({"load_average": _load(),
                                              **run_process_workers(url_p, run_p, workers, tmp)})
        if process_runs[1]:
            out["process_1"], out["process_2"] = fastest(process_runs[1]), fastest(process_runs[2])

        if "two_runs" not in skip:
            say(f"two `newsetl run` started at once, {n} pages")
            url2 = warehouse.fresh("two")
            two = run_cli(url2, sources, tmp, processes=2)
            per_run = [{"fetched": int(float(c.get("fetched", 0))),
                        "articles": int(float(c.get("articles_inserted", 0)))}
                       for (c,) in query(url2, "select counts from pipeline_runs order by run_id")]
            out["pipeline_2"] = {"wall": two["wall"], "peak_rss_mb": two["peak_rss_mb"], "per_run": per_run,
                                 "failures": two["failures"], **run_stats(url2)}

        if "newspaper" not in skip and not args.skip_newspaper:
            say(f"newspaper4k + nlp() per article over {n} pages")
            optional(out, "newspaper", lambda: run_child("newspaper", n, urls, tmp))

        pages_per_s = out["pipeline_1"]["articles"] / out["pipeline_1"]["wall"]
        big = args.memory_pages or min(10_000, max(2 * n, int(pages_per_s * args.memory_budget) // 1000 * 1000))
        if big > n and "memory" not in skip:
            say(f"memory: pipeline, 1 worker, {big} pages (fits the ~{args.memory_budget:.0f}s budget)")
            def big_run() -> dict[str, Any]:
                url3 = warehouse.fresh("big")
                done = run_cli(url3, write_sources(tmp, site.urls(big), f"big-{big}"), tmp)
                return {"pages": big, "wall": done["wall"], "peak_rss_mb": done["peak_rss_mb"][0], **run_stats(url3)}

            optional(out, "pipeline_big", big_run)
        if args.profile_pages and "profile" not in skip:
            say(f"profile: cProfile of run_pipeline over {args.profile_pages} pages")
            listing = args.out.with_name(f"{args.out.stem}-profile.txt")  # bench/results/e2e-profile.txt
            optional(out, "profile", lambda: profile_run(warehouse, site, args.profile_pages, tmp, listing))
    finally:
        site.close()
        warehouse.server.cleanup()  # stops the server; its files (GBs of pages at big N) go too
        shutil.rmtree(tmp, ignore_errors=True)
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out["summary"] = summarize(out)
    return out


# --------------------------------------------------------------------------------------------
# Scale: the whole run at a small and a large N of varied copies (memory, articles/s per stage)
# --------------------------------------------------------------------------------------------

# What each stage's articles/s counts: pages for the stages before extraction, articles after.
STAGE_ITEMS = {"discover": "discovered", "fetch": "fetched", "extract": "fetched"}


def scale_run(warehouse: Warehouse, site: Site, n: int, tmp: Path, label: str) -> dict[str, Any]:
    """``newsetl run`` (1 worker) over n varied pages in a fresh warehouse: wall, peak RSS, RSS over time,
    stage seconds and per-stage rates, stored articles vs near-duplicates."""
    url = warehouse.fresh(label)
    sources = write_sources(tmp, site.urls(n), f"{label}-{n}")

    def progress() -> dict[str, Any]:
        (pages, articles) = query(url, "select (select count(*) from raw_pages), (select count(*) from articles)")[0]
        return {"fetched": pages, "articles": articles}

    load_before = [round(x, 2) for x in os.getloadavg()]
    done = timed_processes([[NEWSETL, "run", "--sources", str(sources)]], cli_env(url, tmp), tmp,
                           sample=progress, sample_every=max(5.0, n / 400))
    stats = run_stats(url)
    (duplicates, exact) = query(url, "select count(*) filter (where duplicate_of is not null), "
                                     "count(*) - count(distinct content_hash) from articles")[0]
    counts, stored = stats["counts"], stats["articles"]
    per_stage = {}
    for stage, seconds in stats["stage_seconds"].items():
        items = counts.get(STAGE_ITEMS.get(stage, ""), stored)
        per_stage[stage] = {"seconds": seconds, "items": items,
                            "per_s": round(items / seconds, 2) if seconds else None}
    return {"pages": n, "wall": round(done["wall"], 2), "cpu_seconds": done["cpu_seconds"][0],
            "peak_rss_mb": round(done["peak_rss_mb"][0], 1), "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "articles_per_s": round(stored / done["wall"], 2), "stored": stored, "near_duplicates": duplicates,
            "same_text_as_another": exact, "distinct_stories": stored - duplicates, "per_stage": per_stage,
            "rss_samples": done["samples"], **stats}


def measure_scale(args: argparse.Namespace) -> dict[str, Any]:
    """The scale scenario: ``newsetl run`` at --scale-small pages, then at --pages, on varied copies."""
    tmp = Path(tempfile.mkdtemp(prefix="newsetl-scale-"))
    site = Site(varied=not args.exact_copies)
    warehouse = Warehouse(tmp)
    sizes = sorted({args.scale_small, args.pages})
    out: dict[str, Any] = {"scenario": "scale", "pages": sizes, "varied_copies": not args.exact_copies,
                           "unique_dev_pages": len(site.ids), "hosts": len(site.bases), "cpus": os.cpu_count(),
                           "python": sys.version.split()[0], "load_average_before": [round(x, 2) for x in
                                                                                     os.getloadavg()],
                           "runs": []}
    try:
        for n in sizes:
            say(f"scale: `newsetl run`, 1 worker, {n} {'varied' if not args.exact_copies else 'exact'} pages")
            out["runs"].append(scale_run(warehouse, site, n, tmp, f"scale{n}"))
            say(f"scale: {n} pages in {out['runs'][-1]['wall']:.0f}s, peak RSS {out['runs'][-1]['peak_rss_mb']} MB")
    finally:
        site.close()
        warehouse.server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    small, big = out["runs"][0], out["runs"][-1]
    ratio = big["peak_rss_mb"] / small["peak_rss_mb"]
    out["summary"] = {"memory_pages": [small["pages"], big["pages"]],
                      "peak_rss_mb": [small["peak_rss_mb"], big["peak_rss_mb"]], "rss_ratio": round(ratio, 3),
                      "target_rss_ratio": 1 + TARGETS["memory_growth"],
                      "met": ratio <= 1 + TARGETS["memory_growth"],
                      "articles_per_s": [small["articles_per_s"], big["articles_per_s"]],
                      "near_duplicates": [small["near_duplicates"], big["near_duplicates"]]}
    return out


def scale_markdown(r: dict[str, Any]) -> str:
    """The scale results as a Markdown table (doc/benchmarks.md copies it): one column per N."""
    runs = r["runs"]
    stages = [k for k in ("discover", "fetch", "extract", "dedup", "entities", "load", "resolve")
              if any(k in run["per_stage"] for run in runs)]
    head = "| | " + " | ".join(f"{run['pages']:,} pages" for run in runs) + " |"
    rows = [head, "|---|" + "---|" * len(runs)]

    def row(label: str, cells: list[str]) -> None:
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    row("wall (process start to exit)", [f"{run['wall']:.1f} s" for run in runs])
    row("CPU seconds of `newsetl run`", [f"{run['cpu_seconds']:.1f}" for run in runs])
    row("articles/s, whole run", [f"{run['articles_per_s']}" for run in runs])
    row("CPU ms of `newsetl run` per article", [f"{1000 * run['cpu_seconds'] / max(run['stored'], 1):.0f}"
                                                for run in runs])
    row("peak RSS (wait4)", [f"{run['peak_rss_mb']:.0f} MB" for run in runs])
    row("largest RSS sampled while articles were still being loaded",
        [f"{max((x['rss_mb'] or 0 for x in run['rss_samples'] if x['articles'] < run['stored']), default=0):.0f} MB"
         for run in runs])
    row("articles stored / near-duplicates among them", [f"{run['stored']:,} / {run['near_duplicates']:,}"
                                                          for run in runs])
    row("rejected at extraction", [f"{run['counts'].get('rejected_extract', 0):,}" for run in runs])
    for stage in stages:
        unit = "pages" if stage in STAGE_ITEMS else "articles"
        cells = [run["per_stage"].get(stage) for run in runs]
        row(f"{stage}: seconds, {unit}/s", [f"{c['seconds']} s, {c['per_s']}" if c else "" for c in cells])
    row("load average (1, 5, 15 min) before", [" / ".join(map(str, run["load_average_before"])) for run in runs])
    row("load average after", [" / ".join(map(str, run["load_average_after"])) for run in runs])
    return "\n".join(rows)


def print_scale(r: dict[str, Any]) -> None:
    s = r["summary"]
    print(f"scale ({'varied' if r['varied_copies'] else 'exact'} copies of {r['unique_dev_pages']} dev pages, "
          f"{r['cpus']} CPUs): peak RSS {s['peak_rss_mb'][0]} MB at {s['memory_pages'][0]} pages vs "
          f"{s['peak_rss_mb'][1]} MB at {s['memory_pages'][1]}: x{s['rss_ratio']} "
          f"(target <= {s['target_rss_ratio']}: {ok(s['met'])})")
    print(scale_markdown(r))


def fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The least disturbed of repeated runs (the fastest), with every run's wall time kept."""
    best = dict(min(runs, key=lambda r: r["wall"]))
    best["walls"] = [round(r["wall"], 2) for r in runs]
    return best


def optional(out: dict[str, Any], key: str, scenario: Any) -> None:
    """Run a scenario the headline numbers do not depend on; a failure is recorded, not fatal."""
    try:
        out[key] = scenario()
    except Exception as exc:  # noqa: BLE001 - reported in the results
        out[f"{key}_error"] = f"{type(exc).__name__}: {exc}"[:2000]
        say(f"{key} failed: {out[f'{key}_error'][:300]}")


def summarize(r: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers and their targets (of the scenarios that ran: --skip leaves some out)."""
    p1 = r["pipeline_1"]
    s: dict[str, Any] = {
        "load_vs_copy": r["load"]["load_vs_copy"],
        "incremental_ratio": round(r["incremental"]["ratio"], 4),
        "articles_per_s_1": round(p1["articles"] / p1["wall"], 2),
    }
    if "baseline" in r:
        s["overhead_ratio"] = round(p1["wall"] / r["baseline"]["wall"], 3)
        s["baseline_articles_per_s"] = round(r["baseline"]["texts"] / r["baseline"]["wall"], 2)
    if "pipeline_workers_2" in r:
        w2 = r["pipeline_workers_2"]
        s["workers_ratio"] = round(w2["wall"] / p1["wall"], 3)
        s["articles_per_s_workers_2"] = round(w2["articles"] / w2["wall"], 2)
    if "process_2" in r:
        s["parallel_ratio"] = round(r["process_2"]["wall"] / r["process_1"]["wall"], 3)
    if "pipeline_2" in r:
        p2 = r["pipeline_2"]
        s["cli_parallel_ratio"] = round(p2["wall"] / p1["wall"], 3)
        s["articles_per_s_2"] = round(p2["articles"] / p2["wall"], 2)
    if "newspaper" in r:
        s["newspaper_articles_per_s"] = round(r["newspaper"]["texts"] / r["newspaper"]["wall"], 2)
    if "pipeline_big" in r:
        small, big = p1["peak_rss_mb"], r["pipeline_big"]["peak_rss_mb"]
        s["memory_growth"] = round(big / small - 1, 3)
        s["memory_pages"] = [r["pages"], r["pipeline_big"]["pages"]]
        s["peak_rss_mb"] = [round(small), round(big)]
    s["targets"] = TARGETS
    s["met"] = {
        "load_vs_copy": (s["load_vs_copy"] or 0) >= TARGETS["load_vs_copy"],
        "incremental_ratio": s["incremental_ratio"] <= TARGETS["incremental_ratio"],
        **{k: s[k] <= TARGETS[k] for k in ("overhead_ratio", "workers_ratio", "parallel_ratio") if k in s},
        **({"memory_growth": abs(s["memory_growth"]) < TARGETS["memory_growth"]} if "memory_growth" in s else {}),
    }
    return s


def print_table(r: dict[str, Any]) -> None:
    s, met = r["summary"], r["summary"]["met"]
    p1 = r["pipeline_1"]
    rows = [
        ("pages (dev pages + copies)", f"{r['pages']} ({r['unique_dev_pages']} unique)", "", ""),
        ("pipeline, 1 worker", f"{p1['wall']:.1f}s, {s['articles_per_s_1']} articles/s", "", ""),
    ]
    if "baseline" in r:
        rows += [("plain trafilatura + nlp.pipe", f"{r['baseline']['wall']:.1f}s, {s['baseline_articles_per_s']} "
                  "articles/s", "", ""),
                 ("overhead ratio", f"{s['overhead_ratio']:.2f}", "<= 1.25", ok(met["overhead_ratio"]))]
    if "workers_ratio" in s:
        rows.append(("whole run, --workers 2 / 1 (wall)", f"{s['workers_ratio']:.2f} "
                     f"({r['pipeline_workers_2']['wall']:.1f}s)", "<= 0.6", ok(met["workers_ratio"])))
    if "parallel_ratio" in s:
        rows.append(("process stage, 2 workers / 1 (wall)", f"{s['parallel_ratio']:.2f}", "<= 0.65",
                     ok(met["parallel_ratio"])))
    if "cli_parallel_ratio" in s:
        rows.append(("two `newsetl run` at once / one", f"{s['cli_parallel_ratio']:.2f}", "", ""))
    rows += [
        ("load rows/s vs COPY", f"{s['load_vs_copy']:.2f}", ">= 0.5", ok(met["load_vs_copy"])),
        ("second run / first run", f"{s['incremental_ratio']:.3f}", "<= 0.05", ok(met["incremental_ratio"])),
    ]
    if "memory_growth" in s:
        rows.append((f"peak RSS at {s['memory_pages'][0]} vs {s['memory_pages'][1]} pages",
                     f"{s['peak_rss_mb'][0]} MB vs {s['peak_rss_mb'][1]} MB ({s['memory_growth']:+.0%})", "< 20%",
                     ok(met["memory_growth"])))
    if "newspaper_articles_per_s" in s:
        rows.append(("newspaper4k + nlp() per article", f"{r['newspaper']['wall']:.1f}s, "
                     f"{s['newspaper_articles_per_s']} articles/s", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print("stage seconds (1 worker):", json.dumps(p1["stage_seconds"]))
    if "pipeline_workers_2" in r:
        print("stage seconds (--workers 2, summed over the workers):",
              json.dumps(r["pipeline_workers_2"]["stage_seconds"]))
    print("load:", json.dumps({k: v for k, v in r["load"].items() if k != "rows_by_table"}))


def _load() -> float:
    """The 1-minute load average: other work on the machine skews every number of this benchmark."""
    return round(os.getloadavg()[0], 2)


def ok(met: bool) -> str:
    return "met" if met else "MISSED"


def say(message: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="pages of the main scenarios (dev pages + copies)")
    parser.add_argument("--memory-pages", type=int, default=0,
                        help="pages of the memory scenario (default: the most that fit --memory-budget, <= 10000)")
    parser.add_argument("--memory-budget", type=float, default=600.0, help="seconds the memory scenario may take")
    parser.add_argument("--profile-pages", type=int, default=200, help="pages of the cProfile run (0: none)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="rounds of the ratio scenarios (baseline/pipeline, 1/2 workers); the fastest is kept")
    parser.add_argument("--skip-newspaper", action="store_true")
    parser.add_argument("--skip", type=lambda v: {x.strip() for x in v.split(",") if x.strip()}, default=set(),
                        help=f"scenarios to leave out, comma-separated: {', '.join(OPTIONAL)}")
    parser.add_argument("--scale", action="store_true",
                        help="only the scale scenario: `newsetl run` at --scale-small and at --pages pages of varied "
                             "copies (peak RSS ratio, articles/s per stage); writes bench/results/scale.json")
    parser.add_argument("--scale-small", type=int, default=1000, help="the small N of --scale")
    parser.add_argument("--exact-copies", action="store_true",
                        help="--scale with exact copies (the same HTML at each URL) instead of varied ones")
    parser.add_argument("--out", type=Path, help="results file (default: bench/results/e2e.json, scale.json)")
    parser.add_argument("--print-scale", type=Path, help="only print the table of a scale results file")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--varied", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--baseline-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--newspaper-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--process-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.varied)
        return
    if args.process_child:
        process_child(args.process_child[0], int(args.process_child[1]))
        return
    for mode, fn in (("baseline_child", baseline_child), ("newspaper_child", newspaper_child)):
        child = getattr(args, mode)
        if child:
            n, urls_file, out_file = int(child[0]), Path(child[1]), Path(child[2])
            out_file.write_text(json.dumps(fn(n, json.loads(urls_file.read_text()))))
            return
    if args.print_scale:
        print_scale(json.loads(args.print_scale.read_text()))
        return
    if args.scale:
        args.out = args.out or SCALE_RESULTS
        results = measure_scale(args)
    else:
        args.out = args.out or RESULTS
        results = measure(args)
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results["command"] = shlex.join(["python", "-m", "bench.e2e", *sys.argv[1:]])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    (print_scale if args.scale else print_table)(results)


if __name__ == "__main__":
    main()
