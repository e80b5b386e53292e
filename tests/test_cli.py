"""The command line as a user meets it: clear errors naming the input and the fix, no stack traces."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

NEWSETL = str(Path(sys.executable).parent / "newsetl")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSETL_")}
    full_env.update(env or {})
    return subprocess.run([NEWSETL, *args], capture_output=True, text=True, env=full_env, timeout=300, cwd=REPO)


def test_missing_sources_file_is_a_clear_error(warehouse_url: str, tmp_path: Path) -> None:
    proc = run_cli("run", "--sources", str(tmp_path / "nope.yaml"), env={"NEWSETL_DATABASE_URL": warehouse_url})
    assert proc.returncode == 2
    assert "nope.yaml does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_source_name_lists_the_choices(warehouse_url: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: a, kind: files, location: '*.html'}\n")
    proc = run_cli("run", "--sources", str(sources), "--source", "b", env={"NEWSETL_DATABASE_URL": warehouse_url})
    assert proc.returncode == 2
    assert "unknown source(s) b" in proc.stderr and "lists a" in proc.stderr


def test_malformed_sources_file_names_the_entry(warehouse_url: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: a, kind: carrier-pigeon, location: x}\n")
    proc = run_cli("run", "--sources", str(sources), env={"NEWSETL_DATABASE_URL": warehouse_url})
    assert proc.returncode == 2
    assert "entry 1" in proc.stderr and "carrier-pigeon" in proc.stderr and "Traceback" not in proc.stderr


def test_unreachable_database_is_a_clear_error_without_the_password() -> None:
    proc = run_cli("db", "upgrade", env={"NEWSETL_DATABASE_URL": "postgresql://u:s3cret@/x?host=/nonexistent-dir"})
    assert proc.returncode == 2
    assert "cannot connect to the warehouse" in proc.stderr and "s3cret" not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_bad_setting_value_is_a_clear_error() -> None:
    proc = run_cli("runs", env={"NEWSETL_BATCH_SIZE": "lots"})
    assert proc.returncode == 2 and "NEWSETL_" in proc.stderr


def test_db_url_and_upgrade_on_the_embedded_server(tmp_path: Path) -> None:
    env = {"NEWSETL_DATA_DIR": str(tmp_path / "data")}
    upgrade = run_cli("db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "revision" in upgrade.stdout
    url = run_cli("db", "url", env=env)
    assert url.returncode == 0 and url.stdout.startswith("postgresql://") and "/newsetl" in url.stdout
    runs = run_cli("runs", env=env)
    assert runs.returncode == 0, runs.stderr


@pytest.mark.parametrize("argv", [("run", "--limit", "-1"), ("frobnicate",)])
def test_bad_arguments_are_usage_errors(argv: tuple[str, ...]) -> None:
    proc = run_cli(*argv)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_run_summary_states_the_entity_coverage_of_its_stories(warehouse_url: str, tmp_path: Path) -> None:
    """Reproduced: a third of the stories (languages without an NER model) had no entities and the run
    summary did not say so."""
    pages = REPO / "seeds" / "pages"
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("000_seed_article.html", "001_wordpress_bank_merger.html", "014_german_article.html"):
        (folder / name).write_bytes((pages / name).read_bytes())
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - {{name: a, kind: files, location: '{folder}/*.html'}}\n")
    proc = run_cli("run", "--sources", str(sources), env={"NEWSETL_DATABASE_URL": warehouse_url,
                                                           "NEWSETL_DATA_DIR": str(tmp_path / "data")})
    assert proc.returncode == 0, proc.stderr
    assert "entities cover 67% of stories (2 of 3): en; none in de (1)" in proc.stdout
    report = run_cli("report", "top-entities-weekly", "--format", "csv",
                     env={"NEWSETL_DATABASE_URL": warehouse_url})
    assert report.returncode == 0, report.stderr
    assert "entities cover 67% of stories (2 of 3): en; none in de (1)" in report.stderr
    assert "entities cover" not in report.stdout  # the CSV stays CSV


def test_resolve_command_applies_a_manual_alias_now(warehouse_url: str, tmp_path: Path) -> None:
    import psycopg

    from etl.pipeline.run import RunRequest, run_pipeline
    from etl.settings import Settings
    from etl.store.db import libpq_url

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "seed.html").write_bytes((REPO / "seeds" / "pages" / "000_seed_article.html").read_bytes())
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - {{name: a, kind: files, location: '{folder}/*.html'}}\n")
    run_pipeline(warehouse_url, Settings(data_dir=tmp_path / "data"), RunRequest(sources_file=sources), trigger="test")
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        conn.execute("insert into entity_aliases (alias, type, entity_id, source) select 'Xi Jinping', 'PERSON', "
                     "entity_id, 'manual' from entities where name = 'Antony Blinken'")  # a (wrong) manual alias
    proc = run_cli("resolve", env={"NEWSETL_DATABASE_URL": warehouse_url})
    assert proc.returncode == 0, proc.stderr
    assert "articles' entities derived" in proc.stdout
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        names = {n for (n,) in conn.execute("select e.name from article_entities join entities e using (entity_id)")}
    assert "Xi Jinping" not in names and "Antony Blinken" in names
    again = run_cli("resolve", "--all", env={"NEWSETL_DATABASE_URL": warehouse_url})
    assert again.returncode == 0 and "1 articles' entities derived" in again.stdout, again.stdout
