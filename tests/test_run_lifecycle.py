"""Runs that close themselves and tell the truth (issue 13): SIGTERM and SIGKILL, refusals, settings, and the
embedded PostgreSQL's lifecycle, all through the `newsetl` command a user runs."""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import psycopg
import pytest

from etl.settings import LIMITS, SettingError, Settings, load_settings
from tests.conftest import REPO

pytest.register_assert_rewrite("tests.webserver")

from tests.webserver import FixtureServer, Reply  # noqa: E402

pytest_plugins = ("tests.webserver",)

NEWSETL = str(Path(sys.executable).parent / "newsetl")


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSETL_")}
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEWSETL, *args], capture_output=True, text=True, env=env, timeout=300, cwd=REPO)


def wait_until(what: str, check: Callable[[], Any], timeout: float = 180.0) -> Any:
    """Poll until ``check`` is truthy; a generous timeout, failing with what was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def scalar(url: str, sql: str) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None


def story(name: str) -> bytes:
    """An article with enough distinct text to be kept by the extract stage."""
    paras = "".join(f"<p>Paragraph {i} of story {name}: the council of district {i} met on day {i} to debate "
                    f"budget line {i * 7} for schools, roads and the harbour, and voted {i + 3} to {i}.</p>"
                    for i in range(6))
    return (f"<html lang='en'><head><title>Story {name}</title></head><body><article><h1>Story {name}</h1>"
            f"{paras}</article></body></html>").encode()


@pytest.fixture
def slow_site(web: FixtureServer, tmp_path: Path) -> tuple[Path, dict[str, float]]:
    """20 pages on host 3 that take ``state['delay']`` seconds each; a sources file listing them."""
    state = {"delay": 1.0}

    def page(_server: FixtureServer, _host: int, path: str, _headers: dict[str, str]) -> Reply:
        return Reply(200, {"Content-Type": "text/html"}, story(path.rsplit("/", 1)[-1]), delay=state["delay"])

    paths = [f"/p/{i}.html" for i in range(20)]
    for path in paths:
        web.route(path, page, host=3)
    web.route("/list/slow", Reply(200, {"Content-Type": "text/plain"},
                                  "".join(f"{web.url(p, 3)}\n" for p in paths).encode()), host=3)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - {{name: slow, kind: urls, location: '{web.url('/list/slow', 3)}'}}\n")
    return sources, state


def run_env(web: FixtureServer, warehouse_url: str, **extra: str) -> dict[str, str]:
    return cli_env(NEWSETL_DATABASE_URL=warehouse_url, NEWSETL_ALLOWED_HOSTS=",".join(web.hosts),
                   NEWSETL_MIN_HOST_INTERVAL_SECONDS="0.05", NEWSETL_BATCH_SIZE="10", **extra)


def start_run(sources: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([NEWSETL, "run", "--sources", str(sources)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def claimed(url: str) -> int:
    return int(scalar(url, "select count(*) from frontier where claimed_by is not null"))


# --- item 5: runs that close themselves -----------------------------------------------------------


def test_sigterm_hands_the_claims_back_and_closes_the_run_as_failed(
    web: FixtureServer, warehouse_url: str, slow_site: tuple[Path, dict[str, float]]
) -> None:
    """Reproduced: a run stopped with SIGTERM (exit 143) stayed `running` and its claimed pages stayed
    leased for the lease's 600 s."""
    sources, _state = slow_site
    proc = start_run(sources, run_env(web, warehouse_url))
    try:
        wait_until("the run to claim pages", lambda: claimed(warehouse_url) > 0 or proc.poll() is not None)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, (proc.returncode, out, err)
    assert "stopped by SIGTERM" in err and "Traceback" not in err, err
    status, error = psycopg.connect(warehouse_url).execute("select status, error from pipeline_runs").fetchone()
    assert status == "failed" and "SIGTERM" in error and "handed back" in error
    assert claimed(warehouse_url) == 0
    assert scalar(warehouse_url, "select count(*) from frontier where status = 'pending' and fetch_attempts > 0") == 0


def test_a_stop_wrapped_in_a_task_group_is_still_a_stop() -> None:
    """Seen once in CI: the SIGTERM landed inside a library's task group and came out as an exception
    group, which the run and its process workers took for a crash (a traceback, exit 1)."""
    from etl.pipeline.stopping import Terminated, terminated_in

    stop = Terminated(signal.SIGTERM)
    nested = BaseExceptionGroup("task group", [ValueError("a task"), BaseExceptionGroup("inner", [stop])])
    assert terminated_in(stop) is stop
    assert terminated_in(nested) is stop
    assert terminated_in(BaseExceptionGroup("task group", [ValueError("a task")])) is None
    assert terminated_in(RuntimeError("not a stop")) is None


def test_a_killed_run_is_closed_as_abandoned_and_its_pages_fetched_by_the_next(
    web: FixtureServer, warehouse_url: str, slow_site: tuple[Path, dict[str, float]]
) -> None:
    """Reproduced: a run killed with SIGKILL stayed `running` forever, and the next run said `success`
    while the dead run's leased pages were skipped."""
    sources, state = slow_site
    env = run_env(web, warehouse_url)
    proc = start_run(sources, env)
    try:
        wait_until("the run to claim pages", lambda: claimed(warehouse_url) > 0 or proc.poll() is not None)
        assert proc.poll() is None, proc.communicate()
        proc.kill()
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert claimed(warehouse_url) > 0  # left behind by the dead run
    state["delay"] = 0.0
    again = run_cli("run", "--sources", str(sources), env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "closed as abandoned" in again.stderr, again.stderr
    rows = psycopg.connect(warehouse_url).execute("select status, error from pipeline_runs order by run_id").fetchall()
    assert [r[0] for r in rows] == ["abandoned", "success"], rows
    assert "is gone" in rows[0][1]
    assert scalar(warehouse_url, "select count(*) from frontier where status = 'fetched'") == 20
    assert claimed(warehouse_url) == 0


# --- item 6: refusal is not success -------------------------------------------------------------------


def test_a_run_that_could_fetch_nothing_fails_naming_the_reason_and_the_fix(
    web: FixtureServer, warehouse_url: str, tmp_path: Path
) -> None:
    """Reproduced: with the SSRF guard refusing every source (no NEWSETL_ALLOWED_HOSTS), `newsetl run` printed
    `run 1: success` with an all-zero table and exited 0."""
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - {{name: local-site, kind: urls, location: '{web.url('/list/3', 3)}'}}\n")
    proc = run_cli("run", "--sources", str(sources), env=cli_env(NEWSETL_DATABASE_URL=warehouse_url))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "failed" in proc.stdout and "rejected at discover" in proc.stdout, proc.stdout
    assert "ssrf_blocked" in proc.stderr and "NEWSETL_ALLOWED_HOSTS" in proc.stderr, proc.stderr
    status, error = psycopg.connect(warehouse_url).execute("select status, error from pipeline_runs").fetchone()
    assert status == "failed" and "nothing could be fetched" in error and "NEWSETL_ALLOWED_HOSTS" in error


# --- item 9: every setting checked, named -------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [("NEWSETL_BATCH_SIZE", "0"), ("NEWSETL_TOTAL_TIMEOUT_SECONDS", "inf")])
def test_a_setting_out_of_range_is_refused_by_name(name: str, value: str, warehouse_url: str, tmp_path: Path) -> None:
    """Reproduced: batch size 0 ran and processed nothing, -3 exited 1, a total timeout of inf hung on a slow
    page and 0 failed every fetch; a bad value never named its variable."""
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - {{name: a, kind: files, location: '{tmp_path}/*.html'}}\n")
    proc = run_cli("run", "--sources", str(sources), env=cli_env(NEWSETL_DATABASE_URL=warehouse_url, **{name: value}))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{name}=" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert scalar(warehouse_url, "select count(*) from pipeline_runs") in (0, None)  # refused before any run


def test_every_setting_has_a_checked_range_or_form() -> None:
    defaults = Settings()
    values = {f.name: getattr(defaults, f.name) for f in fields(Settings)}
    numbers = [name for name, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    assert sorted(numbers) == sorted(LIMITS), set(numbers) ^ set(LIMITS)
    load_settings(environ={})  # the defaults pass their own checks
    for variable, bad_value in (("NEWSETL_BATCH_SIZE", "-3"), ("NEWSETL_TOTAL_TIMEOUT_SECONDS", "0"),
                                ("NEWSETL_TOTAL_TIMEOUT_SECONDS", "-5"), ("NEWSETL_BATCH_SIZE", "lots")):
        with pytest.raises(SettingError, match=f"{variable}="):  # the other cases of the issue, in-process
            load_settings(environ={variable: bad_value})
    for name, (lo, hi) in LIMITS.items():
        variable = "NEWSETL_" + name.upper()
        for bad in (lo - 1, hi * 2 + 1, math.inf, math.nan):
            with pytest.raises(SettingError, match=variable):
                load_settings(environ={variable: str(bad)})
    for variable, bad in (("NEWSETL_RESPECT_ROBOTS", "maybe"), ("NEWSETL_USER_AGENT", "bot\r\nX-Evil: 1"),
                          ("NEWSETL_REPORT_REFRESH_WORK_MEM", "lots"), ("NEWSETL_SPACY_MODELS", "english"),
                          ("NEWSETL_ALLOWED_HOSTS", "127.0.0.1,not a host"), ("NEWSETL_DATABASE_NAME", "x; drop")):
        with pytest.raises(SettingError, match=variable):
            load_settings(environ={variable: bad})


# --- item 8: the embedded PostgreSQL, shared safely ---------------------------------------------------


def _running(data: Path) -> bool:
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data / "pg")
    return bool(info is not None and info.is_running())


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Outside pytest's basetemp (another pytest on the machine resets it to 0700, locking out the
    `pgserver` user of a root run); the server is stopped and the folder removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="newsetl-embedded-"))
    yield folder / "data"
    if _running(folder / "data"):
        run_cli("db", "stop", "--force", env=cli_env(NEWSETL_DATA_DIR=str(folder / "data")))
    shutil.rmtree(folder, ignore_errors=True)


def test_a_psql_session_survives_other_commands_and_the_server_stops_when_idle(data_dir: Path) -> None:
    """Reproduced: a session opened with `newsetl db url` was cut ("terminating connection due to
    administrator command") when another newsetl command exited."""
    env = cli_env(NEWSETL_DATA_DIR=str(data_dir))
    shown = run_cli("db", "url", "--show-password", env=env)
    assert shown.returncode == 0, shown.stderr
    with psycopg.connect(shown.stdout.strip()) as session:  # the user's psql
        other = run_cli("db", "upgrade", env=env)  # another newsetl command starts and exits
        assert other.returncode == 0, other.stderr
        assert session.execute("select 1").fetchone() == (1,)  # still connected
        assert _running(data_dir)
        refused = run_cli("db", "stop", env=env)
        assert refused.returncode == 2 and "session(s) are connected" in refused.stderr, refused.stderr
        assert session.execute("select 1").fetchone() == (1,)
    assert run_cli("runs", env=env).returncode == 0  # nobody connected any more: stopped on exit
    assert not _running(data_dir)
    assert run_cli("db", "url", env=env).returncode == 0 and _running(data_dir)  # left running for a psql
    stopped = run_cli("db", "stop", env=env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stdout + stopped.stderr
    assert not _running(data_dir)


def test_the_dag_does_not_publish_a_run_that_could_fetch_nothing(
    web: FixtureServer, warehouse_url: str, settings: Settings
) -> None:
    from etl.pipeline import runs as pipeline
    from etl.pipeline import tasks
    from etl.pipeline.discover import run_discover
    from etl.records import SourceSpec

    specs = [SourceSpec("local-site", "urls", web.url("/list/3", 3))]  # refused: no NEWSETL_ALLOWED_HOSTS
    ids = pipeline.sync_sources(warehouse_url, specs)
    run_id = pipeline.start_run(warehouse_url, "airflow", {}, external_id="news_etl/refused")
    run_discover(warehouse_url, settings, specs, ids, run_id)
    with pytest.raises(tasks.RunFailed, match="ssrf_blocked"):  # publish fails: no asset event for it
        tasks.publish(warehouse_url, settings, {"run_id": run_id})
    with pytest.raises(tasks.RunFailed):  # and close fails the DAG run, every time
        tasks.close(warehouse_url, settings, {"run_id": run_id})
