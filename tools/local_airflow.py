"""`make airflow`: a local Airflow 3.3 over dags/, its metadata in the warehouse's embedded PostgreSQL.

Runs the four components (api-server, scheduler, dag-processor, triggerer) as ``airflow ...``
subprocesses, each in its own process group, so one Ctrl-C stops every process they started.
No Airflow import here: the core stays importable without Airflow, and Airflow reads its
configuration once per process, so everything it needs is passed in the environment.
The tests start the same stack (``LocalAirflow``) on free ports against their own databases.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import unquote

import httpx
import psutil

from etl.settings import REPO_ROOT, Settings, load_settings
from etl.store import migrate
from etl.store.db import (
    DatabaseUnavailable,
    dsn_fields,
    ensure_database,
    redact,
    resolve_database_url,
    sqlalchemy_url,
    with_dbname,
)

DAGS_DIR = REPO_ROOT / "dags"
VENV_BIN = Path(sys.executable).parent
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
ADMIN_USER = "admin"
FETCH_POOL = "news_fetch"  # must match dags/newsetl_airflow.py: fetch tasks never run without it
FETCH_POOL_DESCRIPTION = "news_etl fetch tasks at once (each is polite per host on its own)"
# Every process of one stack carries this variable (children inherit it), so stop() can find a
# task process whose parent died and that therefore fell out of the process tree.
STACK_MARKER = "LOCAL_AIRFLOW_STACK_ID"


class LaunchError(RuntimeError):
    """Airflow could not be prepared or started; the message says which step and where the log is."""


def _terminate_with_parent() -> None:
    """In the child before exec: SIGTERM it when the launcher dies without stopping it (kill -9, a test
    timeout), so a component never outlives the process that started it (Linux only; else a no-op)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for tests and --port 0)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def connection_json(url: str) -> str:
    """The warehouse DSN (a URL or key=value, read as libpq reads it) as an Airflow connection in JSON
    (a socket folder becomes the host; the password as libpq decodes it)."""
    fields = dsn_fields(url)
    conn: dict[str, Any] = {"conn_type": "postgres", "host": fields.get("host", ""),
                            "login": fields.get("user") or "postgres", "password": fields.get("password", ""),
                            "schema": fields.get("dbname", "")}
    if fields.get("port", "").isdigit():
        conn["port"] = int(fields["port"])
    extra = {k: v for k, v in fields.items() if k in ("sslmode", "options", "application_name")}
    if extra:
        conn["extra"] = extra
    return json.dumps(conn)


def metadata_sqlalchemy_url(url: str) -> str:
    """Airflow's own driver is psycopg2: ``postgresql+psycopg2://`` with the same server and database."""
    return sqlalchemy_url(url).replace("postgresql+psycopg://", "postgresql+psycopg2://", 1)


def with_database(url: str, database: str) -> str:
    """The same server and login, another database."""
    return with_dbname(url, database)


def ensure_admin_password(home: Path, user: str = ADMIN_USER) -> tuple[Path, str]:
    """The SimpleAuthManager password file with a generated password for ``user`` (kept across starts).

    Written before the api-server starts so the launcher can print the login at once; the
    api-server reads the same file and only adds passwords for users it does not list.
    """
    path = home / "simple_auth_manager_passwords.json.generated"
    passwords: dict[str, str] = {}
    if path.exists():
        try:
            passwords = json.loads(path.read_text() or "{}")
        except json.JSONDecodeError:
            passwords = {}
    if user not in passwords:
        passwords[user] = secrets.token_urlsafe(12)
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(passwords) + "\n")
        path.chmod(0o600)
    return path, passwords[user]


def airflow_environment(
    home: Path,
    warehouse_url: str,
    metadata_url: str,
    port: int,
    *,
    parallelism: int = 4,
    base: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment of every Airflow process: our dags/, LocalExecutor, Postgres metadata, the warehouse.

    ``base`` is the environment to start from (default: this process's); AIRFLOW_* variables of
    it are dropped so a developer's shell cannot point the stack at another home or database.
    """
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.startswith("AIRFLOW")}
    passwords_file, _ = ensure_admin_password(home)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_DIR),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM=str(parallelism),
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://localhost:{port}/execution/",
        AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN_USER}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords_file),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_sqlalchemy_url(metadata_url),
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "logs"),
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__WORKERS="1",
        # a DAG file added while Airflow runs shows up within 30 s instead of 5 min
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="30",
        AIRFLOW_CONN_NEWS_WAREHOUSE=connection_json(warehouse_url),
        PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "")]),
        PYTHONPATH=os.pathsep.join([str(DAGS_DIR), str(REPO_ROOT)]),
    )
    env.update(extra or {})
    return env


def run_airflow(env: Mapping[str, str], *args: str, timeout: float = 300) -> str:
    """One ``airflow`` CLI command; a failure raises LaunchError with the end of its output."""
    proc = subprocess.run([str(VENV_BIN / "airflow"), *args], env=dict(env), capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise LaunchError(f"`airflow {' '.join(args)}` failed (exit {proc.returncode}):\n"
                          f"{(proc.stdout + proc.stderr)[-3000:]}")
    return proc.stdout


def migrate_metadata(env: Mapping[str, str]) -> None:
    """`airflow db migrate` (idempotent; ~8 s on a new database)."""
    run_airflow(env, "db", "migrate")


class ApiClient:
    """The public REST API v2 as a user (JWT from POST /auth/token), for the launcher and the tests."""

    def __init__(self, base_url: str, username: str | None = None, password: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.http = httpx.Client(base_url=self.base_url, timeout=30.0)
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            resp = self.http.post("/auth/token", json={"username": self.username, "password": self.password})
            resp.raise_for_status()
            self._token = str(resp.json()["access_token"])
        return self._token

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.token()}"}
        return self.http.request(method, path, headers=headers, **kwargs)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.request(method, path, **kwargs)
        resp.raise_for_status()
        return resp.json()

    def ensure_pool(self, name: str, slots: int, description: str) -> None:
        """Create the pool, or set its slots (through the API: no extra ``airflow`` process to start)."""
        body = {"name": name, "slots": slots, "description": description, "include_deferred": False}
        resp = self.request("POST", "/api/v2/pools", json=body)
        if resp.status_code == 409:
            resp = self.request("PATCH", f"/api/v2/pools/{name}", json=body)
        resp.raise_for_status()

    def health(self) -> dict[str, Any] | None:
        """GET /api/v2/monitor/health (no login needed); None while the api-server is not up."""
        try:
            resp = self.http.get("/api/v2/monitor/health", timeout=5.0)
        except httpx.TransportError:
            return None
        return resp.json() if resp.status_code == 200 else None

    def close(self) -> None:
        self.http.close()


def all_healthy(health: Mapping[str, Any] | None) -> bool:
    keys = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return bool(health) and all((health.get(k) or {}).get("status") == "healthy" for k in keys)  # type: ignore[union-attr]


@dataclass
class LocalAirflow:
    """The four Airflow components of one AIRFLOW_HOME, each in its own process group."""

    env: dict[str, str]
    port: int
    host: str = "127.0.0.1"
    components: tuple[str, ...] = COMPONENTS
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env = dict(self.env)
        self.env.setdefault(STACK_MARKER, uuid.uuid4().hex)
        self.home = Path(self.env["AIRFLOW_HOME"])
        self.log_dir = self.home / "logs"

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def log_path(self, component: str) -> Path:
        return self.log_dir / f"{component}.log"

    def start(self) -> None:
        """Start every component (returns at once; see wait_until_healthy)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in self.components:
            args = [str(VENV_BIN / "airflow"), name]
            if name == "api-server":
                args += ["--port", str(self.port), "--host", self.host]
            log = open(self.log_path(name), "ab")  # noqa: SIM115 - closed in stop()
            self._logs.append(log)
            self.processes[name] = subprocess.Popen(
                args, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # own process group: Ctrl-C reaches the launcher, which stops it
                preexec_fn=_terminate_with_parent,
            )

    def dead(self) -> list[str]:
        """Components that exited (they should not while the stack runs)."""
        return [name for name, proc in self.processes.items() if proc.poll() is not None]

    def log_tail(self, component: str, chars: int = 3000) -> str:
        try:
            return self.log_path(component).read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def wait_until_healthy(self, timeout: float = 120.0) -> dict[str, Any]:
        """Poll the health endpoint until the metadata DB and every component report healthy."""
        client = ApiClient(self.url)
        deadline = time.monotonic() + timeout
        health: dict[str, Any] | None = None
        try:
            while time.monotonic() < deadline:
                if dead := self.dead():
                    raise LaunchError(f"airflow {dead[0]} exited with {self.processes[dead[0]].returncode}; "
                                      f"end of {self.log_path(dead[0])}:\n{self.log_tail(dead[0])}")
                health = client.health()
                if all_healthy(health):
                    return health or {}
                time.sleep(1.0)
        finally:
            client.close()
        raise LaunchError(f"Airflow was not healthy after {timeout:.0f}s: {health}; logs in {self.log_dir}")

    def stack_processes(self) -> list[psutil.Process]:
        """Every live process of this stack: the components, their descendants, and strays with our marker."""
        found: dict[int, psutil.Process] = {}
        for proc in self.processes.values():
            try:
                root = psutil.Process(proc.pid)
                for p in [root, *root.children(recursive=True)]:
                    found[p.pid] = p
            except psutil.NoSuchProcess:
                continue
        marker = self.env[STACK_MARKER]
        for p in psutil.process_iter():
            if p.pid in found or p.pid == os.getpid():
                continue
            try:
                if p.environ().get(STACK_MARKER) == marker:
                    found[p.pid] = p
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return list(found.values())

    def stop(self, grace: float = 20.0) -> list[int]:
        """SIGTERM each component's process group, wait, then SIGKILL whatever is left.

        Task processes run in process groups of their own (the task supervisor makes them), so
        the survivors are looked up by process tree and by the stack marker, not only by group.
        Returns the pids that had to be killed.
        """
        before = self.stack_processes()
        for proc in self.processes.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        _, alive = psutil.wait_procs(before, timeout=max(0.1, min(5.0, deadline - time.monotonic())))
        leftovers = {p.pid: p for p in alive}
        leftovers.update({p.pid: p for p in self.stack_processes()})
        killed = []
        for proc in self.processes.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for p in leftovers.values():
            try:
                p.kill()
                killed.append(p.pid)
            except psutil.NoSuchProcess:
                continue
        psutil.wait_procs(list(leftovers.values()), timeout=5)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for log in self._logs:
            log.close()
        self._logs.clear()
        return killed


# --- the `make airflow` command -------------------------------------------------------------


def _databases(settings: Settings, metadata_url: str | None) -> tuple[str, str]:
    """Warehouse and metadata URLs: the same server, databases ``newsetl`` and ``airflow``.

    With NEWSETL_DATABASE_URL unset this starts the embedded server and keeps a handle on it in
    this process, so the server stays up exactly as long as the launcher runs.
    """
    warehouse = resolve_database_url(settings)
    if metadata_url:
        return warehouse, metadata_url
    ensure_database(with_database(warehouse, "postgres"), "airflow")
    return warehouse, with_database(warehouse, "airflow")


def _say(message: str) -> None:
    print(message, flush=True)


def _shown(url: str) -> str:
    """A URL for the terminal: no password, no empty one either ("postgres:@")."""
    return unquote(redact(url)).replace(":@", "@")


def main(argv: list[str] | None = None) -> int:
    """Start Airflow, print where and how to log in, and stop everything on Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tools.local_airflow", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="API server / UI port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="Interface the API server listens on")
    parser.add_argument("--parallelism", type=int, default=4, help="Task instances running at once")
    parser.add_argument("--fetch-slots", type=int, default=2, help="Slots of the news_fetch pool")
    parser.add_argument("--metadata-url", default=None,
                        help="Airflow metadata DB (default: database 'airflow' on the warehouse's server)")
    args = parser.parse_args(argv)

    settings = load_settings()
    home = Path(settings.data_dir).resolve() / "airflow"
    port = args.port or free_port()
    if port_in_use(port):
        _say(f"error: port {port} is in use (another Airflow?); choose one: "
             f"{VENV_BIN}/python -m tools.local_airflow --port {port + 1}")
        return 2
    try:
        warehouse, metadata = _databases(settings, args.metadata_url)
        migrate.upgrade(warehouse)
    except DatabaseUnavailable as exc:
        _say(f"error: {exc}")
        return 2
    env = airflow_environment(home, warehouse, metadata, port, parallelism=args.parallelism)
    _say(f"AIRFLOW_HOME={home}\nmetadata DB: {_shown(metadata)}\nwarehouse:   {_shown(warehouse)}")
    _say("migrating the metadata DB ...")
    try:
        migrate_metadata(env)
    except LaunchError as exc:
        _say(f"error: {exc}")
        return 1

    stack = LocalAirflow(env, port, host=args.host)
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    code = 0
    try:
        stack.start()
        _say(f"starting {', '.join(COMPONENTS)} (logs: {stack.log_dir}/<component>.log) ...")
        deadline = time.monotonic() + 180
        while not stopping and not all_healthy(ApiClient(stack.url).health()):
            if dead := stack.dead():
                raise LaunchError(f"airflow {dead[0]} exited; end of {stack.log_path(dead[0])}:\n"
                                  f"{stack.log_tail(dead[0])}")
            if time.monotonic() > deadline:
                raise LaunchError(f"Airflow was not healthy after 180s; see the logs in {stack.log_dir}")
            time.sleep(1.0)
        if not stopping:
            _, password = ensure_admin_password(home)
            api = ApiClient(stack.url, ADMIN_USER, password)
            try:
                api.ensure_pool(FETCH_POOL, args.fetch_slots, FETCH_POOL_DESCRIPTION)
            finally:
                api.close()
            _say(f"\nAirflow is up: {stack.url}\n  login: {ADMIN_USER} / {password}   (SimpleAuthManager, "
                 f"role admin; the password is kept in {home}/simple_auth_manager_passwords.json.generated)\n"
                 f"  DAGs from {DAGS_DIR}; LocalExecutor, parallelism {args.parallelism}; "
                 f"pool {FETCH_POOL}: {args.fetch_slots} slots\n"
                 "Ctrl-C stops Airflow" + (" and the embedded PostgreSQL." if not settings.database_url else "."))
            _report_dags(stack.url, password)
        while not stopping:
            if dead := stack.dead():
                raise LaunchError(f"airflow {dead[0]} exited; end of {stack.log_path(dead[0])}:\n"
                                  f"{stack.log_tail(dead[0])}")
            time.sleep(1.0)
    except LaunchError as exc:
        _say(f"error: {exc}")
        code = 1
    finally:
        _say("stopping Airflow ...")
        killed = stack.stop()
        _say("stopped" + (f" (killed {len(killed)} processes that ignored SIGTERM)" if killed else ""))
    return code


def _report_dags(url: str, password: str, timeout: float = 90.0) -> None:
    """Say when news_etl is parsed, or print the import errors (what a user looks for first)."""
    client = ApiClient(url, ADMIN_USER, password)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            errors = client.json("GET", "/api/v2/importErrors")
            if errors["total_entries"]:
                for err in errors["import_errors"]:
                    _say(f"import error in {err['filename']}:\n{err['stack_trace']}")
                return
            dags = client.json("GET", "/api/v2/dags", params={"dag_id_pattern": "news"})["dags"]
            if any(d["dag_id"] == "news_etl" for d in dags):
                _say("DAGs parsed: " + ", ".join(f"{d['dag_id']} ({'paused' if d['is_paused'] else 'active'})"
                                                 for d in dags))
                if any(d["is_paused"] for d in dags):
                    _say("  a paused DAG runs nothing: unpause it (toggle), or trigger it (the form unpauses it)")
                return
            time.sleep(2.0)
    except httpx.HTTPError as exc:
        _say(f"(could not list the DAGs through the API: {exc})")
    finally:
        client.close()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before the components started: nothing of ours to stop
        sys.exit(130)
