"""Discover stage: turn a source into the URLs it currently lists."""

from __future__ import annotations

import glob
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from etl.db import connect
from etl.load import as_json, insert_rejects
from etl.pipeline import StageResult, add_run_stats
from etl.records import DiscoveredUrl, Reject, SourceSpec
from etl.settings import Settings
from etl.sqlfiles import sql_text
from etl.urls import canonicalize_url, url_hash


def discover_source(spec: SourceSpec, settings: Settings) -> tuple[list[DiscoveredUrl], list[Reject]]:
    """URLs listed by one source now, and rejects for what could not be read."""
    if spec.kind == "files":
        return _discover_files(spec)
    if spec.kind == "urls":
        return _discover_url_list(spec)
    return [], [Reject("discover", "unsupported_source_kind", spec.location, f"kind {spec.kind}")]


def _discover_files(spec: SourceSpec) -> tuple[list[DiscoveredUrl], list[Reject]]:
    pattern = spec.location
    paths = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
    if Path(pattern).is_dir():
        paths = sorted(p for p in Path(pattern).rglob("*") if p.is_file())
    files = [p for p in paths if p.is_file()]
    if not files:
        return [], [Reject("discover", "no_files_match", pattern, "the pattern matched no file")]
    return [DiscoveredUrl(url=p.resolve().as_uri()) for p in files], []


def _discover_url_list(spec: SourceSpec) -> tuple[list[DiscoveredUrl], list[Reject]]:
    path = Path(spec.location)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Reject("discover", "unreadable_url_list", spec.location, str(exc))]
    urls = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return [DiscoveredUrl(url=url) for url in urls], []


def _with_source(reject: Reject, source_id: int) -> Reject:
    return Reject(reject.stage, reject.reason, reject.url, reject.detail, reject.url_hash, source_id)


def run_discover(
    url: str, settings: Settings, specs: Sequence[SourceSpec], source_ids: dict[str, int], run_id: int
) -> StageResult:
    """List each source's URLs into the frontier; new ones become pending, none is ever lost."""
    started = time.perf_counter()
    result = StageResult()
    for spec in specs:
        found, rejects = discover_source(spec, settings)
        sid = source_ids[spec.name]
        rows: dict[str, tuple[str, dict[str, Any]]] = {}
        for item in found:
            canonical = canonicalize_url(item.url)
            rows.setdefault(url_hash(canonical), (canonical, item.entry))
        with connect(url) as conn, conn.transaction():
            inserted = 0
            if rows:
                keys = list(rows)
                cur = conn.execute(
                    sql_text("load/upsert_frontier"),
                    {
                        "url_hashes": keys,
                        "urls": [rows[k][0] for k in keys],
                        "source_ids": [sid] * len(keys),
                        "entries": [as_json(rows[k][1]) for k in keys],
                        "run_ids": [run_id] * len(keys),
                    },
                )
                inserted = sum(1 for (new,) in cur if new)
            insert_rejects(conn, [_with_source(r, sid) for r in rejects], run_id)
        result.counts["discovered"] += len(rows)
        result.counts["discovered_new"] += inserted
        result.counts["rejected_discover"] += len(rejects)
    result.seconds = time.perf_counter() - started
    with connect(url) as conn, conn.transaction():
        add_run_stats(conn, run_id, result.counts, "discover", result.seconds)
    return result
