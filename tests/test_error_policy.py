"""One error policy for fetch and process: our own bugs are retried by later runs, then rejected as
internal_error; given-up work can be queued again with `newsetl requeue`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from etl.pipeline import runs as pipeline
from etl.pipeline.discover import run_discover
from etl.pipeline.fetch import run_fetch
from etl.pipeline.process import run_process
from etl.records import SourceKind, SourceSpec
from etl.settings import Settings
from tests.conftest import REPO

NEWSETL = str(Path(sys.executable).parent / "newsetl")
BODY = ("The harbour authority said on Tuesday that the new quay would open in the spring, after two years of "
        "building work and a long dispute over its cost. ") * 4


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("good", "cursed"):
        (folder / f"{name}.html").write_text(
            f"<html lang='en'><head><title>{name} story</title></head><body><article><h1>{name} story</h1>"
            f"<p>{BODY}</p><p>{name} closes the story.</p></article></body></html>", encoding="utf-8")
    return folder


def _requeue(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSETL_")}
    env["NEWSETL_DATABASE_URL"] = url
    return subprocess.run([NEWSETL, "requeue", *args], capture_output=True, text=True, env=env, timeout=300, cwd=REPO)


def _one_run(url: str, settings: Settings, spec: SourceSpec, ids: dict[str, int]) -> int:
    run_id = pipeline.start_run(url, "test", {})
    run_discover(url, settings, [spec], ids, run_id)
    run_fetch(url, settings, run_id)
    run_process(url, settings, run_id)
    pipeline.finish_run(url, settings, run_id)
    return run_id


def test_a_crash_while_fetching_is_retried_then_rejected_and_can_be_requeued(
    warehouse_url: str, settings: Settings, pages: Path, db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reproduced: a crash became a final `fetch_error` that nothing could ever re-queue."""
    import etl.pipeline.fetch as fetch_stage

    s = settings.with_overrides(max_fetch_attempts=2, retry_failed_after_minutes=0)
    spec = SourceSpec("local", SourceKind.FILES, str(pages / "*.html"))
    ids = pipeline.sync_sources(warehouse_url, [spec])
    original = fetch_stage.fetch_claim

    async def buggy(claim: Any, *args: Any) -> Any:
        if claim.url.endswith("cursed.html"):
            raise KeyError("a bug in our own code")
        return await original(claim, *args)

    monkeypatch.setattr(fetch_stage, "fetch_claim", buggy)
    first = pipeline.start_run(warehouse_url, "test", {})
    run_discover(warehouse_url, s, [spec], ids, first)
    assert run_fetch(warehouse_url, s, first).counts["internal_errors"] == 1
    assert run_fetch(warehouse_url, s, first).counts == {}  # one attempt per URL and run: not again now
    status, attempts = db.execute("select status, fetch_attempts from frontier where url like '%cursed%'").fetchone()
    assert (status, attempts) == ("pending", 1)
    detail = db.execute("select detail from rejects where reason = 'internal_error'").fetchone()[0]
    assert "KeyError" in detail and "in buggy" in detail and "attempt 1 of 2; will retry in a later run" in detail

    second = pipeline.start_run(warehouse_url, "test", {})
    assert run_fetch(warehouse_url, s, second).counts["internal_errors"] == 1
    assert db.execute("select status from frontier where url like '%cursed%'").fetchone() == ("rejected",)
    monkeypatch.undo()  # the bug is fixed

    listed = _requeue(warehouse_url, "--stage", "fetch", "--reason", "internal_error")
    assert listed.returncode == 0, listed.stderr
    assert "1 rejected at fetch with reason internal_error" in listed.stdout and "cursed.html" in listed.stdout
    assert "dry run" in listed.stdout
    assert db.execute("select status from frontier where url like '%cursed%'").fetchone() == ("rejected",)
    applied = _requeue(warehouse_url, "--stage", "fetch", "--reason", "internal_error", "--source", "local",
                       "--apply")
    assert applied.returncode == 0 and "queued again: 1" in applied.stdout, applied.stdout + applied.stderr
    third = pipeline.start_run(warehouse_url, "test", {})
    assert run_fetch(warehouse_url, s, third).counts["fetched"] == 1
    run_process(warehouse_url, s, third)
    assert db.execute("select count(*) from articles").fetchone() == (2,)


def test_a_crash_while_processing_is_retried_then_rejected_and_can_be_requeued(
    warehouse_url: str, settings: Settings, pages: Path, db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    import etl.pipeline.process as process_stage

    s = settings.with_overrides(max_fetch_attempts=2)
    spec = SourceSpec("local", SourceKind.FILES, str(pages / "*.html"))
    ids = pipeline.sync_sources(warehouse_url, [spec])
    original = process_stage.extract_page

    def buggy(page: Any, settings: Settings) -> Any:
        if page.url.endswith("cursed.html"):
            raise ZeroDivisionError("a bug in our own code")
        return original(page, settings)

    monkeypatch.setattr(process_stage, "extract_page", buggy)
    _one_run(warehouse_url, s, spec, ids)
    assert db.execute("select process_status, process_attempts from raw_pages where url like '%cursed%'"
                      ).fetchone() == ("pending", 1)
    assert db.execute("select count(*) from articles").fetchone() == (1,)  # the good page landed
    _one_run(warehouse_url, s, spec, ids)
    assert db.execute("select process_status from raw_pages where url like '%cursed%'").fetchone() == ("rejected",)
    stages = db.execute("select stage, detail from rejects where reason = 'internal_error' "
                        "order by reject_id").fetchall()
    assert [st for st, _ in stages] == ["extract", "extract"]
    assert "ZeroDivisionError" in stages[-1][1] and "attempt 2 of 2; gave up" in stages[-1][1]
    monkeypatch.undo()

    bad = _requeue(warehouse_url, "--stage", "parse", "--reason", "internal_error")
    assert bad.returncode == 2 and "--stage 'parse' is not one of fetch, process" in bad.stderr
    applied = _requeue(warehouse_url, "--stage", "process", "--reason", "internal_error", "--since", "2000-01-01",
                       "--apply")
    assert applied.returncode == 0 and "queued again: 1" in applied.stdout, applied.stdout + applied.stderr
    _one_run(warehouse_url, s, spec, ids)
    assert db.execute("select count(*) from articles").fetchone() == (2,)
    assert db.execute("select process_status from raw_pages where url like '%cursed%'").fetchone() == ("done",)
