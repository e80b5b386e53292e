"""Command line: `newsetl run | resolve | requeue | runs | report | extract | entities | db upgrade |
db refresh-reports | db url | db stop`.

Exit status: 0 success (a degraded run too: the summary says why), 1 a failed run (nothing could be
fetched, an error, a stop by SIGTERM: 143) or an unexpected error, 2 a bad input (named, with the fix).
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from etl import __version__
from etl.entities import NerModelMissing
from etl.params import BadRequest, check_day, check_workers
from etl.settings import SettingError, Settings, load_settings
from etl.sources import SourcesFileError
from etl.store.db import DatabaseUnavailable, redact, redact_text, resolve_database_url

app = typer.Typer(help="newsetl: news pages in, a normalized PostgreSQL warehouse out.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)
db_app = typer.Typer(help="The warehouse database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)
out = Console()

USER_ERRORS = (DatabaseUnavailable, SourcesFileError, NerModelMissing, FileNotFoundError, BadRequest)


VERBOSE = False


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[bold red]error:[/] {escape(redact_text(message))}", soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Known failures become one clear line and exit code 2; unknown ones a short line and exit 1.

    Tracebacks (which may hold connection strings in their locals) only appear with --verbose.
    """
    try:
        yield
    except USER_ERRORS as exc:
        _fail(str(exc))
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if VERBOSE:  # the traceback, passwords of connection strings in it hidden
            console.print(escape(redact_text(traceback.format_exc())), soft_wrap=True, highlight=False)
        _fail(f"unexpected {type(exc).__name__}: {redact_text(str(exc))[:500]}"
              + ("" if VERBOSE else " (run with -v for details)"), code=1)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingError as exc:
        _fail(f"{exc}; fix or unset it")
        raise  # unreachable


@contextmanager
def _progress(stage: str, total: int) -> Iterator[Callable[[int], None]]:
    columns = [TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn()]
    started = time.perf_counter()
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as bar:
        task = bar.add_task(stage, total=total or None, rate="")

        def advance(n: int) -> None:
            bar.advance(task, n)
            done = bar.tasks[0].completed
            bar.update(task, rate=f"{done / max(time.perf_counter() - started, 1e-6):.1f}/s")

        yield advance
    if not console.is_terminal:
        console.print(f"{stage}: {total} items in {time.perf_counter() - started:.1f}s")


@app.command()
def run(
    sources: Annotated[Path | None, typer.Option(help="Sources file (YAML); default: seeds/sources.yaml")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable)")] = None,
    limit: Annotated[int | None, typer.Option(min=0, help="Fetch at most this many new pages")] = None,
    reprocess: Annotated[bool, typer.Option(help="Re-extract stored pages without fetching")] = False,
    since: Annotated[str | None, typer.Option(help="With --reprocess: pages fetched from this date")] = None,
    until: Annotated[str | None, typer.Option(help="With --reprocess: pages fetched before this date")] = None,
    workers: Annotated[int, typer.Option(help="Processes of the process stage (extract, entities, load), "
                                         "1 to 4 per CPU")] = 1,
) -> None:
    """Run the whole pipeline once and print a summary (exit 1 when the run failed)."""
    from etl.pipeline.run import RunRequest, run_pipeline
    from etl.pipeline.stopping import Terminated, stopping_on_signals
    from etl.pipeline.workers import WorkersFailed

    settings = _settings()
    with user_errors():
        check_day("--since", since)
        check_day("--until", until)
        check_workers("--workers", workers)
    request = RunRequest(
        sources_file=sources or settings.sources_file,
        source_names=tuple(source or ()),
        limit=limit,
        reprocess=reprocess,
        reprocess_since=since,
        reprocess_until=until,
        workers=workers,
    )
    try:
        with user_errors(), stopping_on_signals():
            url = resolve_database_url(settings)
            try:
                summary = run_pipeline(url, settings, request, trigger="cli", progress=_progress)
            except WorkersFailed as exc:  # a worker killed or crashed: a failed run, said in one line
                _fail(f"{exc}; the run is closed as failed", code=1)
    except Terminated as exc:
        console.print(f"[bold red]stopped:[/] {escape(str(exc))}; the run is closed as failed and its claimed "
                      "pages were handed back (the next run takes them)", soft_wrap=True)
        raise typer.Exit(128 + exc.signum) from None
    for note in summary.notes:
        console.print(f"note: {escape(note)}", soft_wrap=True)
    table = Table(title=f"run {summary.run_id}: {summary.status} in {summary.seconds:.1f}s")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, key in (("pages discovered (new)", "discovered_new"), ("pages fetched", "fetched"),
                       ("articles added", "articles_inserted"), ("articles updated", "articles_updated"),
                       ("of which duplicates", "duplicates"),
                       ("kept apart: canonical names another story", "canonical_conflicts"),
                       ("rejected at discover", "rejected_discover"),
                       ("rejected at fetch", "rejected_fetch"), ("rejected at extract", "rejected_extract"),
                       ("rejected at load", "rejected_load"), ("hosts parked (outage)", "hosts_parked"),
                       ("URLs left pending on parked hosts", "pending_on_parked_hosts")):
        if key in ("hosts_parked", "pending_on_parked_hosts") and not summary.count(key):
            continue
        table.add_row(label, str(summary.count(key)))
    out.print(table)
    if summary.status != "success" and summary.error:
        console.print(f"[bold]{summary.status}:[/] {escape(summary.error)}", soft_wrap=True, highlight=False)
    if summary.top_entities:
        top = Table(title="top entities of this run")
        for col in ("entity", "type", "articles", "salience"):
            top.add_column(col)
        for entity in summary.top_entities:
            top.add_row(entity.name, entity.type, str(entity.articles), f"{entity.salience:g}")
        out.print(top)
    if summary.entity_coverage is not None:
        from etl.reports import coverage_line

        out.print(coverage_line(summary.entity_coverage), soft_wrap=True, highlight=False, markup=False)
    if summary.status == "failed":
        raise typer.Exit(1)


@app.command()
def resolve(
    everything: Annotated[bool, typer.Option("--all", help="Decide every article again (after a rules change)")]
    = False,
) -> None:
    """Resolve entities across the warehouse now (every run does it after its process stage): what
    loads, manual aliases and blocklist rows changed since the last resolution."""
    from etl.pipeline.resolve import queue_everything, resolve_entities
    from etl.pipeline.runs import prepare_database

    with user_errors():
        url = resolve_database_url(_settings())
        prepare_database(url)
        if everything:
            queue_everything(url)
        result = resolve_entities(url)
    out.print(f"resolved: {result.keys} names decided, {result.changed} changed entity, "
              f"{result.articles} articles' entities derived in {result.seconds:.1f}s", highlight=False)


@app.command()
def requeue(
    stage: Annotated[str, typer.Option(help="fetch (rejected URLs) or process (rejected stored pages)")],
    reason: Annotated[str, typer.Option(help="The reject reason to queue again, e.g. internal_error")],
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    since: Annotated[str | None, typer.Option(help="Only rejected on or after this day (YYYY-MM-DD)")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Queue them (without it: only list what would be)")] = False,
) -> None:
    """Queue again what was given up for a reason since fixed (a dry run unless --apply)."""
    from etl.pipeline.requeue import requeue as plan_requeue

    with user_errors():
        url = resolve_database_url(_settings())
        plan = plan_requeue(url, stage, reason, source, since, apply=apply)
    out.print(f"{plan.matched} rejected at {plan.queue} with reason {plan.reason}"
              + (f" (by source: {', '.join(f'{n} {c}' for n, c in sorted(plan.by_source.items()))})"
                 if plan.by_source else ""), soft_wrap=True, highlight=False)
    for row in plan.sample:  # one plain line each: URLs are never cut
        out.print(f"  {row.rejected_at:%Y-%m-%d %H:%M}  {row.source}  {row.url}", soft_wrap=True, highlight=False,
                  markup=False)
    if plan.matched > len(plan.sample):
        out.print(f"  ... and {plan.matched - len(plan.sample)} more", highlight=False)
    if apply:
        out.print(f"queued again: {plan.requeued}; the next run takes them")
    elif plan.matched:
        out.print("dry run: nothing changed; add --apply to queue them again")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the warehouse to the newest schema (and re-create report views whose files changed)."""
    from etl.store import migrate

    with user_errors():
        settings = _settings()
        url = resolve_database_url(settings)
        migrate.upgrade(url, lock_timeout_seconds=settings.lock_timeout_seconds)
        out.print(f"warehouse at revision {migrate.current_revision(url)}")


@db_app.command("refresh-reports")
def db_refresh_reports(
    full: Annotated[bool, typer.Option("--full", help="Recompute every day, not only the days written since")]
    = False,
) -> None:
    """Bring the report aggregates up to date: recompute the days written since their last refresh
    (`newsetl report` and the news_reports DAG do it too), or every day with --full. Readers are never blocked."""
    from etl import reports
    from etl.store.reporting import NoReportViews, RefreshNotPermitted

    with user_errors():
        settings = _settings()
        url = resolve_database_url(settings)
        started = time.perf_counter()
        try:
            done = reports.refresh_reports(url, settings, full=full)
        except RefreshNotPermitted as exc:
            _fail(f"this role may not refresh the report aggregates: {exc}")
        except NoReportViews:
            _fail("the warehouse has no report aggregates yet; run `newsetl db upgrade`")
    if not done:
        out.print("report aggregates already up to date: no day written since their last refresh")
    else:
        out.print(f"report aggregates refreshed{' (every day)' if full else ''} in "
                  f"{time.perf_counter() - started:.1f}s: "
                  + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in done.items()), highlight=False)


@db_app.command("url")
def db_url(show_password: Annotated[bool, typer.Option(help="Print the password too")] = False) -> None:
    """Print the warehouse DSN (for psql). The embedded server is left running for you: it keeps running
    while anyone is connected, and `newsetl db stop` stops it."""
    with user_errors():
        url = resolve_database_url(_settings(), keep_running=True)
    out.print(url if show_password else redact(url), soft_wrap=True)


@db_app.command("stop")
def db_stop(force: Annotated[bool, typer.Option("--force", help="Stop it even with sessions connected")] = False,
            ) -> None:
    """Stop the embedded PostgreSQL (refused while sessions are connected, unless --force)."""
    from pathlib import Path as _Path

    from etl.store.db import embedded_sessions, stop_embedded_server

    settings = _settings()
    if settings.database_url:
        out.print("NEWSETL_DATABASE_URL is set: the warehouse is not the embedded server; nothing to stop")
        return
    pgdata = str(_Path(settings.data_dir).resolve() / "pg")
    with user_errors():
        sessions = embedded_sessions(pgdata)
        if sessions and not force:
            _fail(f"{sessions} session(s) are connected to the embedded PostgreSQL in {pgdata} (psql?); close "
                  "them, or run `newsetl db stop --force` to cut them")
        out.print(stop_embedded_server(pgdata))


@app.command()
def extract(
    manifest: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="manifest.jsonl of pages")],
    out_file: Annotated[Path, typer.Option("--out", help="Where to write one JSON object per page")],
) -> None:
    """Run the extract + metadata stages on every page of a manifest (benchmark contract)."""
    from tools.manifests import extract_manifest

    with user_errors():
        n = extract_manifest(manifest, out_file, _settings())
    console.print(f"wrote {n} predictions to {out_file}")


@app.command()
def entities(
    manifest: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="manifest.jsonl of pages")],
    out_file: Annotated[Path, typer.Option("--out", help="Where to write one JSON object per page")],
    context: Annotated[list[Path] | None, typer.Option(exists=True, dir_okay=False,
                                                       help="Manifest loaded first (repeatable)")] = None,
) -> None:
    """Load the manifest's pages (after --context pages) into a scratch warehouse with the real
    pipeline and write each article's final entities (benchmark contract)."""
    from tools.entity_bench import run_entities, write_predictions

    with user_errors():
        result = run_entities(manifest, _settings(), context=tuple(context or ()))
        write_predictions(result.predictions, out_file)
    console.print(f"wrote {len(result.predictions)} predictions to {out_file}")


@app.command()
def runs(limit: Annotated[int, typer.Option(min=1)] = 10) -> None:
    """List recent runs with status, duration and counts."""
    from etl.store import runs as run_rows
    from etl.store.db import transaction

    with user_errors():
        url = resolve_database_url(_settings())
        with transaction(url) as conn:
            rows = run_rows.recent(conn, limit)
    table = Table(title="recent runs")
    for col in ("run", "trigger", "status", "started", "seconds", "counts"):
        table.add_column(col)
    for row in rows:
        shown = ", ".join(f"{k}={row.count(k)}" for k in sorted(row.counts) if row.count(k))
        table.add_row(str(row.run_id), row.trigger, row.status, f"{row.started_at:%Y-%m-%d %H:%M:%S}",
                      f"{row.seconds:.1f}", shown)
    out.print(table)


@app.command()
def report(
    name: Annotated[str | None, typer.Argument(help="Report name (newsetl report --list)")] = None,
    list_reports: Annotated[bool, typer.Option("--list", help="List the reports, one line each")] = False,
    since: Annotated[str | None, typer.Option(help="From this day on (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this day (YYYY-MM-DD), included")] = None,
    entity: Annotated[str | None, typer.Option(help="Entity name or alias, any case")] = None,
    limit: Annotated[int | None, typer.Option(help="Rows per day/week (top reports), or rows")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    chart: Annotated[Path | None, typer.Option(help="Also draw the report's chart into this .png")] = None,
    refresh: Annotated[bool, typer.Option(help="Refresh the report aggregates of days written since first "
                                                "(--no-refresh: never)")] = True,
) -> None:
    """Print a report of the warehouse (table, CSV or JSON), optionally with a chart."""
    from etl import reports

    if list_reports:
        for r in reports.REPORTS.values():
            out.print(f"{r.name:<20} {r.purpose}", soft_wrap=True, highlight=False, markup=False)
        return
    with user_errors():
        try:
            result = _report_rows(name, since, until, entity, limit, fmt, chart, refresh)
            if fmt == "table":
                cells = [[reports.cell(v) for v in row] for row in result.rows]
                table = Table(title=result.report.name, caption="\n".join([result.report.purpose, *result.notes]),
                              title_justify="left", caption_justify="left")
                for column in result.columns:
                    table.add_column(column, no_wrap=True)
                for row_cells in cells:
                    table.add_row(*row_cells)
                widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
                wide = Console(file=out.file, width=max(out.width, sum(widths) + 3 * len(widths) + 1))
                wide.print(table)
            else:
                sys.stdout.write(reports.render(result, fmt))
                for note in result.notes:
                    console.print(note, soft_wrap=True, highlight=False, markup=False)
            if not result.rows:
                console.print(f"{result.report.name}: no rows")
            if chart is not None:
                reports.draw_chart(result, chart)
                console.print(f"chart written to {chart}")
        except reports.ReportInputError as exc:
            _fail(str(exc))


def _report_rows(name: str | None, since: str | None, until: str | None, entity: str | None, limit: int | None,
                 fmt: str, chart: Path | None, refresh: bool) -> Any:
    """Check a report request, refresh stale views when asked, and run the report's query."""
    from etl import reports
    from etl.store.db import connect
    from etl.store.reporting import NoReportViews, RefreshNotPermitted

    if not name:
        raise reports.ReportInputError("name a report; newsetl report --list shows them")
    chosen = reports.get_report(name)
    day = reports.parse_since(since)
    last_day = reports.parse_since(until, "--until")
    if fmt not in reports.FORMATS:
        raise reports.ReportInputError(f"--format must be one of {', '.join(reports.FORMATS)}, got {fmt!r}")
    if chart is not None:
        reports.check_chart_path(chosen, chart)
    settings = _settings()
    url = resolve_database_url(settings)
    if refresh:
        try:
            done = reports.refresh_reports(url, settings)
        except NoReportViews:
            done = {}  # said below, by the report's own query
        except RefreshNotPermitted:
            console.print("note: report aggregates are out of date and this role may not refresh them")
        else:
            if done:
                console.print(f"refreshed report aggregates (days written since) in {sum(done.values()):.1f}s")
    with connect(url) as conn:
        try:
            return reports.run_report(conn, chosen.name, day, entity, limit, last_day)
        except NoReportViews as exc:
            raise reports.ReportInputError("the warehouse has no report views yet; run `newsetl db upgrade`") from exc


class _RedactingFormatter(logging.Formatter):
    """Log lines (tracebacks included) with the passwords of connection strings hidden."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each batch")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version")] = False,
) -> None:
    global VERBOSE
    VERBOSE = verbose
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    if version:
        out.print(__version__)
        raise typer.Exit()


def entry() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    entry()
