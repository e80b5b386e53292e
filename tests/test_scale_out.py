"""Claims scale out: worker processes share one queue, each page is handled once, a dead worker's batch returns.

Real processes (multiprocessing, spawn) run the stage functions the DAG's mapped tasks call
against one real PostgreSQL; a fetch and a process worker claim a batch each and are SIGKILLed
before settling it, and their batches are handed back by the next workers of this machine (their
processes are gone) long before their leases expire.

Nothing here waits on a fixed deadline: workers run until the queues are drained, and the test waits
for them with timeouts only a hang reaches (on a loaded machine everything is just slower).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import random
import signal
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

from etl.pipeline import runs as pipeline
from etl.pipeline.discover import run_discover
from etl.pipeline.fetch import run_fetch
from etl.records import SourceSpec
from etl.settings import Settings, load_settings

PAGES = 100
SHORT_PAGES = 10  # too little text: rejected as no_article_text, exactly once each
WORKERS = 4
DEAD_LEASE = 3600  # seconds: the dead workers' batches can only come back by being handed back
LIVE_LEASE = 120
BATCH = 10
HANG = 600.0  # seconds: only a hang takes this long, on any machine

WORDS = ("council", "budget", "river", "bridge", "school", "harbor", "festival", "transit", "water", "library",
         "hospital", "court", "election", "museum", "factory", "market", "storm", "farm", "airport", "stadium")
PEOPLE = ("Maria Lopez", "John Carter", "Aiko Tanaka", "Peter Novak", "Grace Okafor", "Liam Byrne")
PLACES = ("Denver", "Lisbon", "Osaka", "Nairobi", "Toronto", "Krakow")


def _page(i: int, rng: random.Random) -> str:
    topic = rng.choice(WORDS)
    if i < SHORT_PAGES:
        body = f"<p>Short note {i}.</p>"
    else:
        paras = []
        for _ in range(4):
            words = " ".join(rng.choice(WORDS) for _ in range(30))
            paras.append(f"<p>{rng.choice(PEOPLE)} said in {rng.choice(PLACES)} on Monday that the {topic} "
                         f"plan number {i} would change. {words.capitalize()}.</p>")
        body = "\n".join(paras)
    return (f"<html><head><title>Story {i} about the {topic}</title>"
            f'<meta name="date" content="2024-03-{1 + i % 28:02d}"></head>'
            f"<body><article><h1>Story {i} about the {topic}</h1>{body}</article></body></html>")


def _settings(tmp: Path, lease: int) -> dict[str, Any]:
    return {"data_dir": tmp / "data", "batch_size": BATCH, "lease_seconds": lease, "ner_workers": 1,
            "extract_timeout_seconds": 20.0, "files_roots": (str(tmp),)}


# --- what runs in the worker processes (module level: spawn imports this module) ---------------


def live_worker(url: str, kwargs: dict[str, Any], run_id: int, start: Any, out: Any) -> None:
    """Fetch and process until nothing is pending, as a generic worker would (a hang fails loudly)."""
    try:
        from etl.entities import load_model
        from etl.pipeline.fetch import run_fetch
        from etl.pipeline.process import run_process

        settings = load_settings(environ={}, **kwargs)
        load_model(settings.spacy_model)  # loaded before the start line: all workers begin together
        start.wait(HANG)
        totals: dict[str, Counter[str]] = {"fetch": Counter(), "process": Counter()}
        started = time.monotonic()
        while True:
            totals["fetch"].update(run_fetch(url, settings, run_id).counts)
            totals["process"].update(run_process(url, settings, run_id).counts)
            if pipeline.count_pending(url, "fetch", None) == 0 and pipeline.count_pending(url, "process", None) == 0:
                break
            if time.monotonic() - started > HANG:
                raise AssertionError(f"the queues were not drained in {HANG:.0f}s")
            time.sleep(0.3)  # the rest is leased to someone else: wait for it to settle
        out.put((os.getpid(), {k: dict(v) for k, v in totals.items()}))
    except BaseException:
        out.put((os.getpid(), {"error": traceback.format_exc()}))
        raise


def dead_worker(stage: str, url: str, kwargs: dict[str, Any], run_id: int, claimed: Any) -> None:
    """Claim one batch through the real stage loop, then hang before settling it (until SIGKILLed)."""
    settings = load_settings(environ={}, **kwargs)
    if stage == "process":
        import etl.pipeline.process as module

        def hang(*_args: Any, **_kwargs: Any) -> Any:
            claimed.set()
            time.sleep(3600)

        module.extract_page = hang
        module.run_process(url, settings, run_id, quota=BATCH)
    else:
        import etl.pipeline.fetch as fmodule

        async def hang_fetch(*_args: Any, **_kwargs: Any) -> Any:
            claimed.set()
            await asyncio.sleep(3600)

        fmodule.fetch_claim = hang_fetch
        fmodule.run_fetch(url, settings, run_id, quota=BATCH)


# --- the test ------------------------------------------------------------------------------------


def _kill_workers_holding_a_batch(ctx: Any, url: str, kwargs: dict[str, Any], run_id: int) -> None:
    """One fetch and one process worker claim a batch each and are SIGKILLed before settling it."""
    events = {stage: ctx.Event() for stage in ("fetch", "process")}
    procs = [ctx.Process(target=dead_worker, args=(stage, url, kwargs, run_id, ev)) for stage, ev in events.items()]
    for proc in procs:
        proc.start()
    try:
        for stage, ev in events.items():
            assert ev.wait(HANG), f"the {stage} worker to be killed never claimed a batch"
    finally:
        for proc in procs:
            os.kill(proc.pid, signal.SIGKILL)
            proc.join(HANG)  # a SIGKILLed process ends: this only waits for the kernel to reap it
    assert [p.exitcode for p in procs] == [-signal.SIGKILL] * 2


def _run_workers(ctx: Any, url: str, kwargs: dict[str, Any], run_id: int) -> list[dict[str, dict[str, int]]]:
    start, out = ctx.Barrier(WORKERS + 1), ctx.Queue()
    procs = [ctx.Process(target=live_worker, args=(url, kwargs, run_id, start, out)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    start.wait(HANG)
    try:
        results = [out.get(timeout=HANG)[1] for _ in procs]
    finally:
        for p in procs:
            p.join(HANG)  # each has put its result: it is exiting
            if p.is_alive():
                p.kill()
    errors = [r["error"] for r in results if "error" in r]
    assert not errors, errors[0]
    assert [p.exitcode for p in procs] == [0] * WORKERS
    return results


def _total(results: list[dict[str, dict[str, int]]], stage: str, key: str) -> int:
    return sum(r[stage].get(key, 0) for r in results)


def test_workers_share_one_queue_and_a_dead_workers_batch_comes_back(
    warehouse_url: str, db: psycopg.Connection, tmp_path: Path
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    rng = random.Random(7)
    for i in range(PAGES):
        (pages / f"{i:03d}.html").write_text(_page(i, rng), encoding="utf-8")
    settings: Settings = load_settings(environ={}, **_settings(tmp_path, LIVE_LEASE))
    spec = SourceSpec("scale", "files", str(pages / "*.html"), {})
    ids = pipeline.sync_sources(warehouse_url, [spec])
    run_id = pipeline.start_run(warehouse_url, "test", {})
    run_discover(warehouse_url, settings, [spec], ids, run_id)
    assert pipeline.count_pending(warehouse_url, "fetch", None) == PAGES
    # a first batch fetched here, so that a process worker has pages to claim and die with
    first = run_fetch(warehouse_url, settings, run_id, quota=2 * BATCH).counts
    assert first["fetched"] == 2 * BATCH

    ctx = mp.get_context("spawn")
    _kill_workers_holding_a_batch(ctx, warehouse_url, _settings(tmp_path, DEAD_LEASE), run_id)
    lost = [r[0] for r in db.execute("select url_hash from frontier where claimed_by is not null")]
    lost_pages = [r[0] for r in db.execute("select raw_page_id from raw_pages where claimed_by is not null")]
    assert 0 < len(lost) <= BATCH and 0 < len(lost_pages) <= BATCH

    # four workers drain both queues, and hand the dead workers' batches back at once (no lease expiry)
    results = _run_workers(ctx, warehouse_url, _settings(tmp_path, LIVE_LEASE), run_id)

    def one(sql: str, *args: Any) -> Any:
        row = db.execute(sql, args or None).fetchone()
        return row[0] if row else None

    # fetch: every page fetched once, over all workers
    assert _total(results, "fetch", "fetched") + first["fetched"] == PAGES, results
    assert _total(results, "fetch", "lease_lost") == 0
    assert one("select count(*) from raw_pages") == PAGES
    assert one("select count(*) from frontier where status = 'fetched' and claimed_by is null") == PAGES
    attempts: dict[str, int] = dict(db.execute("select url_hash, fetch_attempts from frontier").fetchall())
    assert {attempts[h] for h in lost} == {1}  # the dead worker's claim was handed back with its attempt
    assert {n for h, n in attempts.items() if h not in lost} == {1}

    # process: every page loaded or rejected once; nothing loaded twice
    assert _total(results, "process", "articles_inserted") == PAGES - SHORT_PAGES, results
    assert _total(results, "process", "rejected_extract") == SHORT_PAGES
    assert _total(results, "process", "articles_updated") == 0
    assert _total(results, "process", "lease_lost") == 0
    shared = [r for r in results if r["process"].get("articles_inserted", 0) + r["process"].get("rejected_extract", 0)]
    assert len(shared) >= 2, f"the work was not shared: {results}"
    assert one("select count(*) from articles") == PAGES - SHORT_PAGES
    assert one("select count(*) - count(distinct raw_page_id) from articles") == 0
    assert one("select count(*) from rejects where stage = 'extract' and reason = 'no_article_text'") == SHORT_PAGES
    assert one("select count(*) - count(distinct url_hash) from rejects") == 0
    assert one("select count(*) from raw_pages where process_status = 'pending' or claimed_by is not null") == 0
    assert one("select count(*) from raw_pages where process_status in ('done', 'rejected') "
               "and raw_page_id = any(%s)", lost_pages) == len(lost_pages)

    # the run's counters add up across workers too
    counts = one("select counts from pipeline_runs where run_id = %s", run_id)
    assert int(float(counts["fetched"])) == PAGES
    assert int(float(counts["articles_inserted"])) == PAGES - SHORT_PAGES
