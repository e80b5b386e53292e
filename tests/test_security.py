"""Security: secrets stay out of logs and storage, the reader role cannot write, every SQL value is a parameter.

The Airflow side of the password check (task logs of a dag.test run whose connection has a
password) is in test_faults.py::test_cli_run_during_a_dag_run_equals_one_run_and_logs_no_password,
which runs that DAG anyway.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from etl.pipeline import runs as pipeline
from etl.pipeline.run import RunRequest, run_pipeline
from etl.settings import Settings
from etl.sources import SourcesFileError, sources_for_run
from etl.store import migrate
from etl.store.db import DatabaseUnavailable, libpq_url
from tests.airflow_support import DAGS, PARAM_VERDICTS, airflow_env
from tests.conftest import REPO
from tests.fault_support import RestartableServer, cli_env, one, run_cli, table_counts, write_corpus

SECRET = "S3cr3t-pw-5e1f0a"  # noqa: S105 - a test password, searched for in every output
ROLE = "newsetl_pw"


# --------------------------------------------------------------------------------------------
# Secrets: only from the environment, never in logs, messages or the warehouse
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def password_server() -> Iterator[RestartableServer]:
    """A server of its own where ROLE must log in with SECRET (scram over the socket)."""
    server = RestartableServer(Path(tempfile.mkdtemp(prefix="newsetl-security-")) / "pg")
    try:
        with psycopg.connect(libpq_url(server.admin_url), autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("create role {} login createdb createrole password {}").format(
                psycopg.sql.Identifier(ROLE), psycopg.sql.Literal(SECRET)))
        server.require_password(ROLE)
        yield server
    finally:
        server.close()


def password_url(server: RestartableServer, database: str, password: str = SECRET) -> str:
    return f"postgresql://{ROLE}:{quote(password, safe='')}@/{database}?host={quote(server.socket_dir)}"


@pytest.fixture
def secret_db(password_server: RestartableServer, request: pytest.FixtureRequest) -> str:
    """A database owned by ROLE; its URL carries the password."""
    name = "sec_" + re.sub(r"\W", "", request.node.name)[-40:].lower()
    with psycopg.connect(libpq_url(password_server.admin_url), autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("drop database if exists {} with (force)").format(psycopg.sql.Identifier(name)))
        conn.execute(psycopg.sql.SQL("create database {} owner {}").format(
            psycopg.sql.Identifier(name), psycopg.sql.Identifier(ROLE)))
    return password_url(password_server, name)


def test_the_password_is_really_checked(password_server: RestartableServer, secret_db: str) -> None:
    with psycopg.connect(libpq_url(secret_db)) as conn:
        assert one(conn, "select current_user") == ROLE
    wrong = secret_db.replace(quote(SECRET, safe=""), "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(libpq_url(wrong)).close()


def exception_texts(exc: BaseException) -> str:
    """str and repr of an exception and of everything it was caused by."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(getattr(current, "args", ""))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def test_cli_never_prints_the_password(secret_db: str, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, 4)
    env = cli_env(secret_db)
    outputs = []
    for args in (("db", "upgrade"), ("-v", "run", "--sources", str(corpus.sources_file)), ("runs",), ("db", "url"),
                 ("-v", "run", "--sources", str(corpus.sources_file), "--source", "nope"),
                 ("report", "--list")):
        proc = run_cli(*args, env=env)
        assert proc.returncode in (0, 2), f"{args}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
        outputs.append(proc.stdout + proc.stderr)
    # a wrong password, and a failing run with tracebacks on (-v)
    wrong = run_cli("db", "upgrade", env=cli_env(secret_db.replace(quote(SECRET, safe=""), SECRET + "x")))
    assert wrong.returncode == 2 and "cannot connect to the warehouse" in wrong.stderr
    outputs.append(wrong.stdout + wrong.stderr)
    with psycopg.connect(libpq_url(secret_db), autocommit=True) as conn:
        # a server-side failure (not bad data, which would only reject the page): the run fails
        conn.execute("create function fail_insert() returns trigger language plpgsql as "
                     "$$ begin raise exception 'simulated failure' using errcode = 'insufficient_resources'; end $$")
        conn.execute("create trigger fail_insert before insert or update on articles "
                     "for each row execute function fail_insert()")
    failing = run_cli("-v", "run", "--sources", str(corpus.sources_file), "--reprocess", env=env)
    assert failing.returncode != 0 and "simulated failure" in failing.stderr
    outputs.append(failing.stdout + failing.stderr)
    leaked = [o[:200] for o in outputs if SECRET in o]
    assert not leaked, f"the password was printed: {leaked}"
    with psycopg.connect(libpq_url(secret_db), autocommit=True) as conn:
        stored = one(conn, "select string_agg(params::text || coalesce(error, ''), ' ') from pipeline_runs")
        rejects = one(conn, "select string_agg(coalesce(detail, ''), ' ') from rejects") or ""
    assert SECRET not in stored + rejects


def test_library_logs_and_errors_never_show_the_password(
    secret_db: str, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = write_corpus(tmp_path, 3)
    caplog.set_level(logging.DEBUG)  # every logger, psycopg and alembic included
    run_pipeline(secret_db, settings, RunRequest(sources_file=corpus.sources_file), trigger="test")
    bad_password = secret_db.replace(quote(SECRET, safe=""), SECRET + "-wrong")
    errors = []
    for call in (lambda: migrate.upgrade(bad_password), lambda: pipeline.start_run(bad_password, "test", {}),
                 lambda: run_pipeline(bad_password, settings, RunRequest(sources_file=corpus.sources_file))):
        with pytest.raises(DatabaseUnavailable) as info:
            call()
        errors.append(exception_texts(info.value))
    logged = "\n".join(r.getMessage() + repr(r.args) + (r.exc_text or "") for r in caplog.records)
    assert SECRET not in logged, [r.getMessage()[:200] for r in caplog.records if SECRET in r.getMessage()]
    assert not [e[:300] for e in errors if SECRET in e], "the password is in a raised error"


# --------------------------------------------------------------------------------------------
# Every shape of connection string: URL (odd characters encoded or not), key=value, query password
# --------------------------------------------------------------------------------------------

TRICKY = "S3/cr#t@pw 5e'1f?0a"  # noqa: S105 - holds every character a URL or a key=value string treats specially
TRICKY_ROLE = "newsetl_pw2"


def keyvalue_dsn(server: RestartableServer, database: str, user: str, password: str) -> str:
    quoted = password.replace("\\", "\\\\").replace("'", "\\'")
    return f"host={server.socket_dir} dbname={database} user={user} password='{quoted}' application_name=newsetl"


def dsn_shapes(host: str = "db.example.org", password: str = TRICKY) -> dict[str, str]:
    """One DSN of each shape whose password is ``password`` (the raw ones are what users paste)."""
    quoted = password.replace("\\", "\\\\").replace("'", "\\'")
    return {
        "url-encoded": f"postgresql://etl:{quote(password, safe='')}@{host}:5432/newsetl",
        "url-raw-slash": f"postgresql://etl:{password.split('#')[0]}@{host}/newsetl",
        "url-raw-hash": f"postgres://etl:ab#{SECRET}@{host}/newsetl?sslmode=disable",
        "url-driver": f"postgresql+psycopg://etl:{quote(password, safe='')}@{host}/newsetl",
        "url-query": f"postgresql://etl@{host}/newsetl?sslmode=require&password={quote(password, safe='')}",
        "keyvalue": f"host={host} port=5432 dbname=newsetl user=etl password='{quoted}'",
        "keyvalue-bare": f"host={host} password={SECRET} user=etl dbname=newsetl",
    }


def secret_parts(dsn: str) -> list[str]:
    """The password of a DSN, as written and as meant (libpq's decoding), for searching outputs."""
    if "S3/cr" in dsn or "S3%2Fcr" in dsn:
        candidates = [TRICKY, quote(TRICKY, safe=""), TRICKY.split("#")[0], "cr#t@pw", "S3/cr"]
    else:
        candidates = [SECRET]
    return [c for c in candidates if c in dsn or c == TRICKY]


@pytest.mark.parametrize("shape", sorted(dsn_shapes()))
def test_redaction_follows_libpq_for_every_dsn_shape(shape: str) -> None:
    """Reproduced: a password with an unencoded / or #, or a key=value DSN, was printed whole."""
    from etl.store.db import redact, redact_text

    dsn = dsn_shapes()[shape]
    shown = redact(dsn)
    message = redact_text(f"could not use {dsn} (tried twice): {dsn}")
    for part in secret_parts(dsn):
        assert part not in shown and part not in message, (shape, shown, message)
    assert "db.example.org" in shown and "***" in shown, shown


@pytest.fixture(scope="module")
def tricky_role(password_server: RestartableServer) -> str:
    with psycopg.connect(libpq_url(password_server.admin_url), autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("create role {} login createdb createrole password {}").format(
            psycopg.sql.Identifier(TRICKY_ROLE), psycopg.sql.Literal(TRICKY)))
    password_server.require_password(TRICKY_ROLE)
    return TRICKY_ROLE


@pytest.fixture
def tricky_db(password_server: RestartableServer, tricky_role: str, request: pytest.FixtureRequest) -> str:
    """A database owned by the tricky role; its key=value DSN."""
    name = "tri_" + re.sub(r"\W", "", request.node.name)[-40:].lower()
    with psycopg.connect(libpq_url(password_server.admin_url), autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("drop database if exists {} with (force)").format(psycopg.sql.Identifier(name)))
        conn.execute(psycopg.sql.SQL("create database {} owner {}").format(
            psycopg.sql.Identifier(name), psycopg.sql.Identifier(tricky_role)))
    return keyvalue_dsn(password_server, name, tricky_role, TRICKY)


def readable_text(url: str) -> str:
    """Every value of every column a login can SELECT, in every table and view of the warehouse."""
    parts = []
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        columns = conn.execute("""
            select table_schema, table_name, array_agg(column_name::text order by ordinal_position)
            from information_schema.columns
            where table_schema in ('public', 'reporting')
              and has_column_privilege(format('%I.%I', table_schema, table_name), column_name, 'select')
            group by 1, 2""").fetchall()
        assert len(columns) > 20, columns  # the warehouse and its reports are readable
        for schema, table, names in columns:
            query = psycopg.sql.SQL("select {} from {}.{}").format(
                psycopg.sql.SQL(", ").join(psycopg.sql.SQL("{}::text").format(psycopg.sql.Identifier(n))
                                           for n in names),
                psycopg.sql.Identifier(schema), psycopg.sql.Identifier(table))
            parts += [repr(row) for row in conn.execute(query)]
    return "\n".join(parts)


def test_no_output_log_or_readable_table_holds_the_password_whatever_the_dsn(
    password_server: RestartableServer, tricky_db: str, tmp_path: Path
) -> None:
    """Reproduced: with a key=value DSN `newsetl run` ended in `unexpected` (exit 1) printing the DSN; a URL
    with an unencoded / or # in its password was printed whole by the connection error."""
    corpus = write_corpus(tmp_path, 4)
    database = re.search(r"dbname=(\S+)", tricky_db).group(1)  # type: ignore[union-attr]
    host = quote(password_server.socket_dir)
    encoded = f"postgresql://{TRICKY_ROLE}:{quote(TRICKY, safe='')}@/{database}?host={host}"
    raw_slash = f"postgresql://{TRICKY_ROLE}:{TRICKY}@/{database}?host={host}"
    outputs: list[tuple[str, str]] = []

    def cli(dsn: str, *args: str, codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        proc = run_cli(*args, env=cli_env(dsn))
        outputs.append((f"{args}", proc.stdout + proc.stderr))
        assert proc.returncode in codes, f"{args}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
        return proc

    cli(tricky_db, "db", "upgrade")
    cli(tricky_db, "-v", "run", "--sources", str(corpus.sources_file))
    cli(encoded, "-v", "run", "--sources", str(corpus.sources_file), "--reprocess")
    cli(tricky_db, "runs")
    cli(tricky_db, "db", "url")
    cli(tricky_db, "report", "quality-sources")
    for wrong in (raw_slash, tricky_db.replace("pw 5e", "pw 5x"), encoded.replace("%20", "%21")):
        proc = cli(wrong, "run", "--sources", str(corpus.sources_file), codes=(2,))
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "cannot connect to the warehouse" in lines[0], proc.stderr[-2000:]
    with psycopg.connect(libpq_url(tricky_db), autocommit=True) as conn:
        conn.execute("create function fail_insert() returns trigger language plpgsql as "
                     "$$ begin raise exception 'simulated failure' using errcode = 'insufficient_resources'; end $$")
        conn.execute("create trigger fail_insert before insert or update on articles "
                     "for each row execute function fail_insert()")
    failing = cli(tricky_db, "-v", "run", "--sources", str(corpus.sources_file), "--reprocess", codes=(1, 2))
    assert "simulated failure" in failing.stderr
    leaked = [(what, text[:300]) for what, text in outputs for part in secret_parts(raw_slash) if part in text]
    assert not leaked, f"the password was printed: {leaked}"
    # every table and view a news_reader login can read
    with psycopg.connect(libpq_url(password_server.admin_url), autocommit=True) as conn:
        conn.execute("drop role if exists sec_analyst")
        conn.execute("create role sec_analyst login in role news_reader")
    try:
        seen = readable_text(f"postgresql://sec_analyst@/{database}?host={host}")
    finally:
        with psycopg.connect(libpq_url(password_server.admin_url), autocommit=True) as conn:
            conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = 'sec_analyst'")
            conn.execute("drop role sec_analyst")
    assert "simulated failure" in seen  # the failed run's error is among what was searched
    assert not [part for part in secret_parts(raw_slash) if part in seen]


def test_the_library_takes_a_key_value_dsn_and_logs_no_password(
    tricky_db: str, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = write_corpus(tmp_path, 3)
    caplog.set_level(logging.DEBUG)
    summary = run_pipeline(tricky_db, settings, RunRequest(sources_file=corpus.sources_file), trigger="test")
    assert summary.count("articles_inserted") == 4
    assert migrate.current_revision(tricky_db) == migrate.head_revision()
    logged = "\n".join(r.getMessage() + repr(r.args) + (r.exc_text or "") for r in caplog.records)
    assert TRICKY not in logged


CODE_DIRS = ("etl", "dags", "sql", "seeds", "bench")
URL_WITH_PASSWORD = re.compile(r"\b[a-z][a-z0-9+]*://[^\s:/@'\"]+:[^\s@'\"]+@")


def test_no_secret_is_written_into_the_code() -> None:
    """Credentials come from the environment (NEWSETL_DATABASE_URL) or Airflow connections only."""
    offenders = []
    for folder in CODE_DIRS:
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".sql", ".yaml", ".yml", ".cfg", ".ini", ".toml", ".env"):
                text = path.read_text(encoding="utf-8", errors="replace")
                offenders += [f"{path.relative_to(REPO)}: {m.group(0)}" for m in URL_WITH_PASSWORD.finditer(text)]
                offenders += [f"{path.relative_to(REPO)}: {m.group(0)}" for m in re.finditer(
                    r"(?i)\b(?:password|passwd|secret)\s*=\s*['\"][^'\"]{3,}['\"]", text)]
    assert offenders == []
    assert Settings().database_url is None


# --------------------------------------------------------------------------------------------
# The reader role
# --------------------------------------------------------------------------------------------

WRITES = [
    "insert into sources (name, kind, location) values ('x', 'files', 'x')",
    "update articles set title = 'x'",
    "delete from entities",
    "truncate authors",
    "create table public.intruder (x int)",
    "drop table rejects",
    "alter table articles add column x int",
    "create schema intruder",
]


def test_news_reader_can_read_and_cannot_write(warehouse_url: str) -> None:
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        if conn.execute("select 1 from pg_roles where rolname = 'news_reader'").fetchone() is None:
            pytest.skip("migrations create no news_reader role yet")
        matviews = conn.execute("select schemaname, matviewname from pg_matviews").fetchall()
        views = conn.execute("select schemaname, viewname from pg_views where schemaname = 'reporting'").fetchall()
        conn.execute("set role news_reader")
        conn.execute("select count(*) from articles").fetchone()
        for schema, view in views + matviews:
            conn.execute(psycopg.sql.SQL("select * from {}.{} limit 1").format(
                psycopg.sql.Identifier(schema), psycopg.sql.Identifier(view)))
        allowed = []
        for statement in WRITES + [f'refresh materialized view "{s}"."{v}"' for s, v in matviews]:
            try:
                conn.execute(statement)
                allowed.append(statement)
            except psycopg.errors.InsufficientPrivilege:
                pass
        conn.execute("reset role")
    assert allowed == [], f"news_reader could run: {allowed}"


# --------------------------------------------------------------------------------------------
# Every SQL value is a parameter: injection payloads through every option and DAG param
# --------------------------------------------------------------------------------------------

PAYLOADS = ["'; drop table articles; --", "x'); drop table sources; --", "1; delete from articles",
            "2024-01-01' or '1'='1", '"; drop schema public cascade; --', "$$; drop table rejects; $$",
            "%(run_id)s", "{0.__class__}", "\\'; truncate authors; --"]


@pytest.fixture
def loaded_warehouse(warehouse_url: str, settings: Settings, tmp_path: Path) -> tuple[str, Path]:
    corpus = write_corpus(tmp_path, 4)
    run_pipeline(warehouse_url, settings, RunRequest(sources_file=corpus.sources_file), trigger="test")
    return warehouse_url, corpus.sources_file


def cli_cases(sources: Path, report_names: list[str]) -> list[tuple[str, ...]]:
    cases: list[tuple[str, ...]] = []
    for p in PAYLOADS:
        cases += [("run", "--sources", str(sources), "--source", p),
                  ("run", "--sources", str(sources), "--reprocess", "--since", p),
                  ("run", "--sources", str(sources), "--reprocess", "--until", p),
                  ("run", "--sources", str(sources), "--limit", p),
                  ("runs", "--limit", p),
                  ("report", p, "--no-refresh")]
    for p in PAYLOADS[:4]:
        for name in report_names:
            cases += [("report", name, "--no-refresh", "--entity", p), ("report", name, "--no-refresh", "--since", p),
                      ("report", name, "--no-refresh", "--limit", p), ("report", name, "--no-refresh", "--format", p)]
    return cases


def test_injection_payloads_through_every_cli_option_are_clean_errors(
    loaded_warehouse: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each option gets each payload (in-process through typer's runner: ~100 invocations)."""
    from typer.testing import CliRunner

    from etl.cli import app

    url, sources = loaded_warehouse
    before = table_counts(url)
    for key, value in cli_env(url).items():
        if key.startswith("NEWSETL_"):
            monkeypatch.setenv(key, value)
    runner = CliRunner()
    listed = runner.invoke(app, ["report", "--list"])
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.strip()][:2] if not listed.exit_code else []
    unclean = []
    for args in cli_cases(sources, names):
        result = runner.invoke(app, list(args))
        text = result.stdout + result.stderr
        if result.exit_code not in (0, 2) or "Traceback" in text or "unexpected" in text:
            unclean.append(f"newsetl {' '.join(args)} -> exit {result.exit_code}: {text.strip()[-300:]}")
    after = table_counts(url)
    skip = ("pipeline_runs", "rejects", "fetch_log", "http_cache", "report_refreshes")
    assert {t: n for t, n in after.items() if t not in skip} == {t: n for t, n in before.items() if t not in skip}
    assert not unclean, "user input became an unexpected error (should be exit 2 naming the option):\n" + "\n".join(
        unclean[:12]) + f"\n... {len(unclean)} in all"


def test_injection_payloads_as_source_names_and_locations_are_stored_verbatim(
    loaded_warehouse: tuple[str, Path], settings: Settings, tmp_path: Path
) -> None:
    """What the DAG's start task does with the `sources` and `extra_sources` params, and a sources file."""
    url, sources = loaded_warehouse
    for p in PAYLOADS:
        with pytest.raises(SourcesFileError, match="unknown source"):
            sources_for_run(sources, [p])
    extra = [{"name": p, "kind": "urls", "location": f"https://example.com/{quote(p)}"} for p in PAYLOADS]
    specs = sources_for_run(sources, [], extra)
    ids = pipeline.sync_sources(url, specs)
    weird = tmp_path / "weird.yaml"
    weird.write_text("sources:\n" + "".join(
        f"  - {{name: {json.dumps(p + ' file')}, kind: files, location: {json.dumps(str(tmp_path / 'none') + p)}}}\n"
        for p in PAYLOADS))
    summary = run_pipeline(url, settings, RunRequest(sources_file=weird), trigger="test")
    assert summary.status in ("success", "degraded", "failed")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        names = {n for (n,) in conn.execute("select name from sources")}
        for table in ("articles", "sources", "rejects", "authors", "entities", "frontier"):
            assert one(conn, "select to_regclass(%s)", (table,)) is not None
    assert set(PAYLOADS) <= names and {p + " file" for p in PAYLOADS} <= names and len(ids) == len(PAYLOADS)


PARAMS_SCRIPT = PARAM_VERDICTS + r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print("PARAMS " + json.dumps(param_verdicts(bag.dags["news_etl"], json.loads(sys.argv[2]))))
"""


@pytest.mark.airflow
def test_dag_params_refuse_injection_where_a_type_is_expected(tmp_path: Path) -> None:
    confs: list[dict[str, Any]] = []
    for p in PAYLOADS:
        confs += [{"limit": p}, {"reprocess_since": p}, {"reprocess_until": p}, {"reprocess": p},
                  {"extra_sources": [{"name": "a", "kind": p, "location": "x"}]}]
    env = airflow_env(tmp_path / "airflow", "postgresql://postgres@/none?host=/nonexistent")
    proc = subprocess.run([sys.executable, "-c", PARAMS_SCRIPT, str(DAGS), json.dumps(confs)], env=env,
                          capture_output=True, text=True, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("PARAMS ")), None)
    assert line, proc.stderr[-4000:]
    verdicts = json.loads(line.removeprefix("PARAMS "))
    accepted = [c for c, v in zip(confs, verdicts, strict=True) if v == "ok"]
    assert accepted == [], f"the trigger form accepts {accepted}"


# --------------------------------------------------------------------------------------------
# Static check: SQL text is never built from values
# --------------------------------------------------------------------------------------------


def _is_sql_text_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "sql_text"


def _is_sql_composition(node: ast.AST) -> bool:
    """psycopg.sql.SQL(...) / sql.SQL(...), possibly .format()-ed with Identifiers: safe by construction."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        node = node.func.value
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "SQL") or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "SQL")


def sql_building_offences(tree: ast.AST) -> list[tuple[int, str]]:
    """Places where SQL text is combined with values: %, +, .format, f-strings on sql_text results or
    on the statement handed to execute()."""
    found: list[tuple[int, str]] = []
    tainted: set[str] = set()
    for node in ast.walk(tree):  # names bound to sql_text(...)
        if isinstance(node, ast.Assign) and _is_sql_text_call(node.value):
            tainted |= {t.id for t in node.targets if isinstance(t, ast.Name)}

    def is_sql(node: ast.AST) -> bool:
        return _is_sql_text_call(node) or (isinstance(node, ast.Name) and node.id in tainted)

    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)) and (
                is_sql(node.left) or is_sql(node.right)):
            found.append((node.lineno, "sql_text combined with % or +"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_sql(node.func.value):
            if node.func.attr in ("format", "format_map", "join"):
                found.append((node.lineno, f"sql_text(...).{node.func.attr}"))
            elif node.func.attr == "replace" and not all(isinstance(a, ast.Constant) for a in node.args):
                found.append((node.lineno, "sql_text(...).replace with a value"))
        elif isinstance(node, ast.FormattedValue) and is_sql(node.value):
            found.append((node.lineno, "sql_text inside an f-string"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("execute", "executemany", "copy") and node.args):
            stmt = node.args[0]
            if isinstance(stmt, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in stmt.values):
                found.append((node.lineno, "execute(f-string)"))
            elif isinstance(stmt, ast.BinOp) and isinstance(stmt.op, (ast.Mod, ast.Add)):
                found.append((node.lineno, "execute(text % values / text + text)"))
            elif (isinstance(stmt, ast.Call) and isinstance(stmt.func, ast.Attribute)
                  and stmt.func.attr in ("format", "format_map") and not _is_sql_composition(stmt)):
                found.append((node.lineno, "execute(text.format(...))"))
    return found


def test_sql_is_never_built_from_values() -> None:
    offences = []
    for path in sorted((REPO / "etl").rglob("*.py")):
        for line, what in sql_building_offences(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            offences.append(f"{path.relative_to(REPO)}:{line}: {what}")
    assert offences == []


def test_the_static_check_catches_what_it_should() -> None:
    bad = '''
q = sql_text("a")
conn.execute(q % name)
conn.execute(sql_text("b").format(x))
conn.execute(f"select * from {table}")
conn.execute("select " + col)
cur.execute("select {}".format(col))
s = f"{sql_text('c')} where x = {v}"
'''
    good = '''
conn.execute(sql_text("a"), {"x": 1})
conn.execute(sql.SQL("analyze {}").format(sql.Identifier("t")))
conn.execute("select 1 where x = %s", (x,))
op.execute(sa.text(sql_text(name).replace(":", r"\\:")))
'''
    assert {line for line, _ in sql_building_offences(ast.parse(bad))} == {3, 4, 5, 6, 7, 8}
    assert sql_building_offences(ast.parse(good)) == []
