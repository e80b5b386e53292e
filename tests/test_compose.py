"""docker-compose.yml, Dockerfile and .env.example agree with each other and with the code (checked statically).

There is no Docker engine on the development machines or in CI, so nothing here starts a
container: the file is parsed and held to what the code reads. doc/operating.md says what
was and was not run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import psycopg
import pytest
import yaml
from cryptography.fernet import Fernet

from etl.settings import ENV_PREFIX, Settings
from etl.store.db import libpq_url, url_from_parts
from tests.conftest import REPO, drop_database, new_database
from tools.local_airflow import connection_json, metadata_sqlalchemy_url

COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
DOCKER_DIR = REPO / "docker"
AIRFLOW_COMPONENTS = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
VAR_REF = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@\s]+)@")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env.example: not KEY=VALUE: {line!r}"
            values[key.strip()] = value.strip()
    return values


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _dag_constant(name: str) -> str:
    """A string constant of dags/newsetl_airflow.py, read as text (no Airflow import in this test)."""
    match = re.search(rf'^{name} = "([^"]+)"', (REPO / "dags" / "newsetl_airflow.py").read_text(), re.M)
    assert match, name
    return match.group(1)


def test_every_service_has_an_image_and_a_command(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "airflow-init", "redis", "airflow-worker"} | AIRFLOW_COMPONENTS <= set(services)
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name
        assert service.get("command"), name
    assert services["postgres"]["image"].startswith("postgres:16")
    for name in AIRFLOW_COMPONENTS | {"airflow-init", "airflow-worker"}:
        assert services[name]["build"] == "." and services[name]["image"] == services["airflow-init"]["image"]
    commands = {name: " ".join(services[name]["command"]) for name in AIRFLOW_COMPONENTS}
    assert commands == {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                        "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer"}
    for name in AIRFLOW_COMPONENTS:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"


def test_executor_is_local_by_default_and_celery_is_a_profile(compose: dict[str, Any],
                                                              env_example: dict[str, str]) -> None:
    services = compose["services"]
    for name in AIRFLOW_COMPONENTS:
        assert _environment(services[name])["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR}"
    assert env_example["AIRFLOW_EXECUTOR"] == "LocalExecutor"
    assert services["redis"]["profiles"] == ["celery"] == services["airflow-worker"]["profiles"]
    assert services["airflow-worker"]["command"][:2] == ["celery", "worker"]
    assert "profiles" not in services["postgres"] and all("profiles" not in services[n] for n in AIRFLOW_COMPONENTS)


def test_auth_manager_needs_a_login(compose: dict[str, Any]) -> None:
    for name in AIRFLOW_COMPONENTS | {"airflow-init"}:
        env = _environment(compose["services"][name])
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("SimpleAuthManager")
        assert env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "false").lower() == "false"
        assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "${AIRFLOW_ADMIN_USER}:admin"


def test_env_names_match_what_the_code_reads(compose: dict[str, Any]) -> None:
    settings_vars = {ENV_PREFIX + f.name.upper() for f in fields(Settings) if f.name != "extra"}
    conn_var = "AIRFLOW_CONN_" + _dag_constant("WAREHOUSE_CONN_ID").upper()
    for name, service in compose["services"].items():
        env = _environment(service)
        unknown = {k for k in env if k.startswith(ENV_PREFIX)} - settings_vars
        assert not unknown, f"{name}: {unknown} are not fields of etl.settings.Settings"
        if name.startswith("airflow-"):
            assert conn_var in env, name
            assert env[conn_var].startswith("postgres://")
            assert "NEWSETL_DATABASE_URL" in env  # the newsetl CLI (airflow-init's `newsetl db upgrade`)
    init_script = (DOCKER_DIR / "airflow-init.sh").read_text()
    assert f"airflow pools set {_dag_constant('FETCH_POOL')} " in init_script
    assert "airflow db migrate" in init_script and "newsetl db upgrade" in init_script


def test_every_variable_has_a_value_in_env_example(env_example: dict[str, str]) -> None:
    used = {m.group(1) for m in VAR_REF.finditer(COMPOSE.read_text())}
    assert used, "no ${VAR} found"
    missing = used - set(env_example)
    assert not missing, f"set in .env.example: {sorted(missing)}"
    unused = set(env_example) - used
    assert not unused, f".env.example holds variables the compose file does not use: {sorted(unused)}"
    empty_secrets = [k for k in used if re.search("PASSWORD|SECRET|KEY", k) and not env_example[k]]
    assert not empty_secrets


def test_scripts_only_read_what_their_service_gets(compose: dict[str, Any]) -> None:
    scripts = {"postgres": DOCKER_DIR / "postgres-init.sh", "airflow-init": DOCKER_DIR / "airflow-init.sh"}
    image_env = {"POSTGRES_USER", "name"}  # set by the postgres image; the loop variable of airflow-init.sh
    for service, script in scripts.items():
        env = _environment(compose["services"][service])
        read = set(re.findall(r"\$\{?!?([A-Z_][A-Z0-9_]*)", script.read_text()))
        read |= set(re.findall(r'os\.environ\["([A-Z_][A-Z0-9_]*)"\]', script.read_text()))
        assert read - set(env) - image_env == set(), f"{script.name} reads {read - set(env) - image_env}"
    mounted = " ".join(compose["services"]["postgres"]["volumes"])
    assert "./docker/postgres-init.sh:/docker-entrypoint-initdb.d/" in mounted


def test_no_password_literal_in_the_compose_file() -> None:
    text = COMPOSE.read_text()
    for match in URL_PASSWORD.finditer(text):
        assert VAR_REF.fullmatch(match.group(1)), f"a password in a URL: {match.group(0)}"
    for name, value in re.findall(r"^\s+([A-Z0-9_]*(?:PASSWORD|SECRET|SECRET_KEY|FERNET_KEY)):\s*(.+)$", text, re.M):
        assert VAR_REF.fullmatch(value.strip().strip('"')), f"{name} is not taken from .env: {value}"


def test_dockerfile_installs_the_committed_lock_on_the_same_airflow() -> None:
    text = DOCKERFILE.read_text()
    base = re.search(r"^FROM apache/airflow:(\S+)-python3\.11$", text, re.M)
    assert base, "FROM apache/airflow:<version>-python3.11"
    lock = (REPO / "requirements.lock").read_text()
    pinned = re.search(r"^apache-airflow==(\S+) \\$", lock, re.M)
    assert pinned and pinned.group(1) == base.group(1), "the image's Airflow is the lock's Airflow"
    assert re.search(r"pip install .*--require-hashes -r requirements\.lock", text)
    assert re.search(r"pip install .*--no-deps .*-e \.$", text, re.M)
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        parts = [p for p in line.split() if not p.startswith("--")]
        for src in parts[:-1]:
            assert (REPO / src).exists(), f"Dockerfile copies {src}, which does not exist"


def _interpolate(value: str, values: dict[str, str]) -> str:
    return VAR_REF.sub(lambda m: values.get(m.group(1)) or (m.group(3) or ""), value).replace("$$", "$")


def test_warehouse_connection_uri_is_the_warehouse_url(compose: dict[str, Any], env_example: dict[str, str],
                                                       tmp_path: Path) -> None:
    """Airflow parses AIRFLOW_CONN_NEWS_WAREHOUSE into the fields the DAG turns back into NEWSETL_DATABASE_URL."""
    env = {k: _interpolate(v, env_example) for k, v in _environment(compose["services"]["airflow-scheduler"]).items()}
    script = ("import json, sys\nfrom airflow.models.connection import Connection\n"
              "c = Connection(conn_id='news_warehouse', uri=sys.argv[1])\n"
              "print(json.dumps([c.conn_type, c.host, c.port, c.login, c.password, c.schema]))")
    proc = subprocess.run([sys.executable, "-c", script, env["AIRFLOW_CONN_NEWS_WAREHOUSE"]], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    conn_type, host, port, login, password, schema = json.loads(proc.stdout.strip().splitlines()[-1])
    assert conn_type == "postgres"
    rebuilt = url_from_parts(host=host, port=port, login=login, password=password, database=schema)
    assert rebuilt == env["NEWSETL_DATABASE_URL"]


@pytest.mark.airflow
def test_airflow_init_script_sets_everything_up(compose: dict[str, Any], env_example: dict[str, str],
                                                pg_admin_url: str, tmp_path: Path) -> None:
    """docker/airflow-init.sh run outside a container: the environment of the airflow-init service, with
    the test server's databases in place of the postgres service."""
    values = dict(env_example, AIRFLOW_ADMIN_PASSWORD="pw-" + uuid.uuid4().hex[:10],
                  AIRFLOW_FERNET_KEY=Fernet.generate_key().decode(), AIRFLOW_JWT_SECRET=uuid.uuid4().hex,
                  AIRFLOW_API_SECRET_KEY=uuid.uuid4().hex, FETCH_POOL_SLOTS="3")
    env = {k: _interpolate(v, values) for k, v in _environment(compose["services"]["airflow-init"]).items()}
    metadata, warehouse = new_database(pg_admin_url, "af"), new_database(pg_admin_url, "wh")
    passwords = tmp_path / "auth" / "passwords.json"
    env.update(
        AIRFLOW_HOME=str(tmp_path / "home"), AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_sqlalchemy_url(metadata), NEWSETL_DATABASE_URL=warehouse,
        AIRFLOW_CONN_NEWS_WAREHOUSE=connection_json(warehouse),
        NEWSETL_SOURCES_FILE=str(REPO / "seeds" / "sources.yaml"),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        PYTHONPATH=os.pathsep.join([str(REPO / "dags"), str(REPO)]),
    )
    try:
        placeholder = {**env, "AIRFLOW_ADMIN_PASSWORD": env_example["AIRFLOW_ADMIN_PASSWORD"]}
        refused = subprocess.run(["bash", str(DOCKER_DIR / "airflow-init.sh")], capture_output=True, text=True,
                                 timeout=60, env=placeholder)
        assert refused.returncode == 1 and "AIRFLOW_ADMIN_PASSWORD still has the placeholder" in refused.stderr
        proc = subprocess.run(["bash", str(DOCKER_DIR / "airflow-init.sh")], capture_output=True, text=True,
                              timeout=300, env=env)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
        assert json.loads(passwords.read_text()) == {values["AIRFLOW_ADMIN_USER"]: values["AIRFLOW_ADMIN_PASSWORD"]}
        with psycopg.connect(libpq_url(metadata)) as conn:
            assert conn.execute("select slots from slot_pool where pool = 'news_fetch'").fetchone() == (3,)
        with psycopg.connect(libpq_url(warehouse)) as conn:
            assert conn.execute("select to_regclass('public.articles') is not null").fetchone() == (True,)
    finally:
        drop_database(pg_admin_url, metadata)
        drop_database(pg_admin_url, warehouse)


def test_postgres_init_script_creates_both_databases(compose: dict[str, Any], env_example: dict[str, str],
                                                     pg_admin_url: str) -> None:
    """docker/postgres-init.sh against the test server (its psql over the socket): two roles, two databases."""
    import pgserver

    suffix = uuid.uuid4().hex[:8]
    values = dict(env_example, WAREHOUSE_DB=f"wh_{suffix}", WAREHOUSE_DB_USER=f"wh_user_{suffix}",
                  AIRFLOW_DB=f"af_{suffix}", AIRFLOW_DB_USER=f"af_user_{suffix}",
                  WAREHOUSE_DB_PASSWORD="it's-a-quote", POSTGRES_USER="postgres")
    env = {k: _interpolate(v, values) for k, v in _environment(compose["services"]["postgres"]).items()}
    parts = urlsplit(libpq_url(pg_admin_url))
    host = dict(parse_qsl(parts.query)).get("host") or parts.hostname or ""
    env.update(PATH=os.pathsep.join([str(Path(pgserver.__file__).parent / "pginstall" / "bin"), os.environ["PATH"]]),
               PGHOST=host, PGPORT=str(parts.port or 5432))
    try:
        proc = subprocess.run(["bash", str(DOCKER_DIR / "postgres-init.sh")], capture_output=True, text=True,
                              timeout=60, env=env)
        assert proc.returncode == 0, proc.stderr
        with psycopg.connect(libpq_url(pg_admin_url)) as conn:
            owners = dict(conn.execute(
                "select d.datname, r.rolname from pg_database d join pg_roles r on r.oid = d.datdba "
                "where d.datname in (%s, %s)", (values["WAREHOUSE_DB"], values["AIRFLOW_DB"])).fetchall())
        assert owners == {values["WAREHOUSE_DB"]: values["WAREHOUSE_DB_USER"],
                          values["AIRFLOW_DB"]: values["AIRFLOW_DB_USER"]}
    finally:
        with psycopg.connect(libpq_url(pg_admin_url), autocommit=True) as conn:
            for db in (values["WAREHOUSE_DB"], values["AIRFLOW_DB"]):
                conn.execute(f'drop database if exists "{db}" with (force)')
            for role in (values["WAREHOUSE_DB_USER"], values["AIRFLOW_DB_USER"]):
                conn.execute(f'drop role if exists "{role}"')
