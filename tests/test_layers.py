"""The house holds: layer contracts (import-linter), the type gate (mypy), light DAG parsing, one vocabulary."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg

from etl.records import FrontierStatus, PageStatus, RunStatus, SourceKind, Stage
from etl.sources import SOURCE_KINDS
from tests.conftest import REPO

BIN = Path(sys.executable).parent
HEAVY = ("spacy", "scipy", "datasketch", "trafilatura", "lxml", "matplotlib")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=root, capture_output=True, text=True,
                          timeout=300, env={"PATH": str(BIN), "PYTHONPATH": str(root)})


def test_layer_contracts_hold() -> None:
    proc = _lint_imports(REPO)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_layer_contracts_catch_a_stage_that_writes_to_the_store(tmp_path: Path) -> None:
    """The contracts can fail: the same tree with one stage importing the store is refused."""
    for name in ("etl", "tools"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    robots = tmp_path / "etl" / "acquire" / "robots.py"
    robots.write_text(robots.read_text() + "\nfrom etl.store import frontier  # noqa\n")
    proc = _lint_imports(tmp_path)
    assert proc.returncode != 0
    assert "1 broken" in proc.stdout, proc.stdout[-3000:]
    assert "etl.acquire is not allowed to import etl.store" in proc.stdout
    assert "etl.acquire.robots -> etl.store.frontier" in proc.stdout


def test_mypy_finds_nothing() -> None:
    """mypy over etl/, dags/ and tools/ as configured in pyproject.toml (strict on records, store, pipeline).

    Incremental, with its cache outside the clone (as uv's and pip's are): a warm cache re-checks only
    what changed (mypy compares file hashes), a cold one checks everything."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsetl" / "mypy"
    proc = subprocess.run([str(BIN / "mypy"), "--cache-dir", str(cache)], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:]


PARSE_PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
__import__(sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - started,
                  "heavy": sorted(m for m in sys.argv[3].split(",") if m in sys.modules)}))
"""


def test_dag_files_parse_without_the_heavy_stack() -> None:
    """Importing a DAG file (what the DAG processor does on every parse) loads no NLP, HTML or plotting stack."""
    for path in sorted((REPO / "dags").glob("*.py")):
        proc = subprocess.run([sys.executable, "-c", PARSE_PROBE, str(REPO / "dags"), path.stem, ",".join(HEAVY)],
                              cwd=REPO, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert json.loads(proc.stdout.splitlines()[-1])["heavy"] == [], path.name


NAIVE = "naive"


def start_dates(source: str) -> list[str]:
    """How each ``start_date=`` argument of a DAG file is written: 'aware', or 'naive' with its source text."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg == "start_date":
            value = node.value
            aware = isinstance(value, ast.Call) and any(k.arg in ("tzinfo", "tz") for k in value.keywords)
            found.append("aware" if aware else f"{NAIVE}: {ast.unparse(value)}")
    return found


def test_every_dag_start_date_is_written_timezone_aware() -> None:
    """Read from the DAG file's source: Airflow converts a naive start_date before a DagBag can show it."""
    assert start_dates("dag(start_date=datetime(2026, 1, 1))") == ["naive: datetime(2026, 1, 1)"]
    for path in sorted((REPO / "dags").glob("*.py")):
        dates = start_dates(path.read_text())
        assert all(d == "aware" for d in dates), (path.name, dates)
    assert start_dates((REPO / "dags" / "news_etl.py").read_text()) == ["aware"]


def _check_values(conn: psycopg.Connection, table: str, column: str) -> set[str]:
    """The values a CHECK constraint on ``table.column`` allows, read from the live schema."""
    for (definition,) in conn.execute(
            "select pg_get_constraintdef(c.oid) from pg_constraint as c join pg_class as t on t.oid = c.conrelid "
            "where t.relname = %s and c.contype = 'c'", (table,)):
        if re.search(rf"\b{column}\b", definition):
            return set(re.findall(r"'([^']+)'::text", definition))
    raise AssertionError(f"no CHECK on {table}.{column}")


SCHEMA_PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from newsetl_airflow import NEWS_ETL_PARAMS, SOURCE_SCHEMA
print(json.dumps({"kinds": SOURCE_SCHEMA["properties"]["kind"]["enum"],
                  "extra": NEWS_ETL_PARAMS["extra_sources"].schema["items"]["properties"]["kind"]["enum"]}))
"""


def test_each_vocabulary_has_one_source_of_truth(db: psycopg.Connection) -> None:
    kinds = {k.value for k in SourceKind}
    assert set(SOURCE_KINDS) == kinds
    assert _check_values(db, "sources", "kind") == kinds
    assert _check_values(db, "pipeline_runs", "status") == {s.value for s in RunStatus}
    assert _check_values(db, "frontier", "status") == {s.value for s in FrontierStatus}
    assert _check_values(db, "raw_pages", "process_status") == {s.value for s in PageStatus}
    assert _check_values(db, "rejects", "stage") == {s.value for s in Stage}
    proc = subprocess.run([sys.executable, "-c", SCHEMA_PROBE, str(REPO / "dags")], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    schema = json.loads(proc.stdout.splitlines()[-1])
    assert set(schema["kinds"]) == set(schema["extra"]) == kinds


def test_only_the_store_runs_sql() -> None:
    """Statements are executed only under etl/store/ (the pipeline hands connections around, never uses them)."""
    offenders = []
    for path in (REPO / "etl").rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith("etl/store/"):
            continue
        text = path.read_text()
        if re.search(r"\.execute\(|import psycopg|from psycopg", text):
            offenders.append(rel)
    assert offenders == []
