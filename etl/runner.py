"""A whole run in one process (the CLI's `newsetl run`): the same stage functions the DAG maps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from etl import pipeline
from etl.acquire.discover import run_discover
from etl.acquire.fetch import run_fetch
from etl.params import check_day
from etl.process import requeue_stored_pages, run_process
from etl.records import SourceSpec
from etl.settings import Settings
from etl.sources import SourcesFileError, load_sources
from etl.store.db import connect
from etl.store.sqlfiles import sql_text

# A stage progress reporter: called with (stage name, total) and returns a context manager
# yielding a callback that takes the number of items just done.
ProgressFactory = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class RunRequest:
    """What a user asks of one run (CLI options or DAG params)."""

    sources_file: Path
    source_names: tuple[str, ...] = ()
    limit: int | None = None
    reprocess: bool = False
    reprocess_since: str | None = None
    reprocess_until: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "sources_file": str(self.sources_file),
            "sources": list(self.source_names),
            "limit": self.limit,
            "reprocess": self.reprocess,
            "reprocess_since": self.reprocess_since,
            "reprocess_until": self.reprocess_until,
        }


def select_sources(specs: Sequence[SourceSpec], names: Sequence[str]) -> list[SourceSpec]:
    """The specs named (all when none named); an unknown name is an error naming the choices."""
    if not names:
        return list(specs)
    known = {s.name: s for s in specs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SourcesFileError(
            f"unknown source(s) {', '.join(unknown)}; the sources file lists {', '.join(known) or 'none'}"
        )
    return [known[n] for n in names]


def sources_for_run(
    sources_file: Path, names: Sequence[str], extra: Sequence[dict[str, Any]] = ()
) -> list[SourceSpec]:
    """The sources of one run: those named from the file (all when none) plus ad-hoc ones."""
    specs = select_sources(load_sources(sources_file), names) if (names or not extra) else []
    taken = {s.name for s in specs}
    for entry in extra:
        spec = SourceSpec(
            name=str(entry["name"]), kind=str(entry["kind"]), location=str(entry["location"]),
            options={k: v for k, v in entry.items() if k not in ("name", "kind", "location")},
        )
        if spec.name in taken:
            raise SourcesFileError(f"ad-hoc source name {spec.name!r} is already used")
        taken.add(spec.name)
        specs.append(spec)
    return specs


def _no_progress(stage: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda n: None)


def run_pipeline(
    url: str,
    settings: Settings,
    request: RunRequest,
    trigger: str = "cli",
    progress: ProgressFactory = _no_progress,
) -> dict[str, Any]:
    """Migrate, discover, fetch, process and close one run; returns the run summary."""
    specs = sources_for_run(request.sources_file, request.source_names)
    pipeline.prepare_database(url)
    run_id = pipeline.start_run(url, trigger, request.params())
    try:
        source_ids = pipeline.sync_sources(url, specs)
        selected = list(source_ids.values())
        run_discover(url, settings, specs, source_ids, run_id)
        pending = pipeline.count_pending(url, "fetch", selected)
        to_fetch = pending if request.limit is None else min(pending, request.limit)
        with progress("fetch", to_fetch) as advance:
            run_fetch(url, settings, run_id, selected, quota=to_fetch, progress=advance)
        if request.reprocess:
            requeue_stored_pages(url, selected, check_day("--since", request.reprocess_since),
                                 check_day("--until", request.reprocess_until))
        with progress("extract+entities+load", pipeline.count_pending(url, "process", selected)) as advance:
            run_process(url, settings, run_id, selected, progress=advance)
    except BaseException as exc:
        pipeline.finish_run(url, settings, run_id, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    summary = pipeline.finish_run(url, settings, run_id)
    with connect(url) as conn:
        summary["top_entities"] = conn.execute(
            sql_text("queries/run_top_entities"), {"run_id": run_id, "limit": 10}
        ).fetchall()
    return summary
