"""Start a real Airflow for a test module the way a user does (`make airflow`), and always stop it.

The stack is `python -m tools.local_airflow --port 0` itself: api-server, scheduler, dag-processor and
triggerer over the embedded PostgreSQL it starts in its own data folder (warehouse ``newsetl`` and
metadata ``airflow`` on one server). The tests drive it through the REST API v2 with the login it
prints, and the module's last test stops it with Ctrl-C, as a user would.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.conftest import REPO
from tools.local_airflow import ADMIN_USER, COMPONENTS, ApiClient

TERMINAL = {"success", "failed"}
START_TIMEOUT = 300  # only a hang takes this long; a loaded machine is just slower


@dataclass
class LiveAirflow:
    """A running launcher, what it printed, and a logged-in API client."""

    launcher: subprocess.Popen[str]
    data_dir: Path
    url: str
    password: str
    warehouse: str
    api: ApiClient
    output: list[str] = field(default_factory=list)

    @property
    def home(self) -> Path:
        return self.data_dir / "airflow"

    def dead(self) -> list[str]:
        """The launcher exits when a component dies (it watches them): then the whole stack is gone."""
        return ["launcher"] if self.launcher.poll() is not None else []

    def logs(self) -> str:
        """The launcher's output and the end of every component's log, for assertion messages."""
        parts = [f"--- launcher ---\n{''.join(self.output)[-2500:]}"]
        for name in COMPONENTS:
            try:
                tail = (self.home / "logs" / f"{name}.log").read_text(errors="replace")[-2500:]
            except FileNotFoundError:
                tail = ""
            parts.append(f"--- {name}.log ---\n{tail}")
        return "\n".join(parts)

    def interrupt(self, timeout: float = 120) -> tuple[int, str]:
        """Ctrl-C in the launcher's terminal; returns its exit code and the rest of its output."""
        os.killpg(self.launcher.pid, signal.SIGINT)
        rest, _ = self.launcher.communicate(timeout=timeout)
        self.output.append(rest)
        return self.launcher.returncode, rest


def stack_processes(data_dir: Path) -> list[psutil.Process]:
    """Processes of a launcher run: Airflow ones by AIRFLOW_HOME, PostgreSQL by its data folder."""
    home, pg = str(data_dir / "airflow"), str(data_dir / "pg")
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if pg in " ".join(proc.info["cmdline"] or []) or proc.environ().get("AIRFLOW_HOME") == home:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@contextmanager
def launched_airflow(data_dir: Path, extra_env: dict[str, str]) -> Iterator[LiveAirflow]:
    """`make airflow`'s launcher on a free port over an embedded server in ``data_dir``; stopped on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSETL_"))}
    env.update(NEWSETL_DATA_DIR=str(data_dir), **extra_env)
    launcher = subprocess.Popen([sys.executable, "-m", "tools.local_airflow", "--port", "0"], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    api: ApiClient | None = None
    try:
        url = password = warehouse = None
        deadline = time.monotonic() + START_TIMEOUT
        assert launcher.stdout is not None
        while time.monotonic() < deadline and launcher.poll() is None:
            line = launcher.stdout.readline()
            lines.append(line)
            if line.startswith(("DAGs parsed", "import error", "(could not list")):  # its last start-up line
                break
            if m := re.match(r"warehouse:\s+(\S+)", line):
                warehouse = m.group(1)
            if m := re.match(r"Airflow is up: (http://\S+)", line):
                url = m.group(1)
            if m := re.match(r"\s+login: admin / (\S+)", line):
                password = m.group(1)
        assert url and password and warehouse, "".join(lines)
        api = ApiClient(url, ADMIN_USER, password)
        yield LiveAirflow(launcher, data_dir, url, password, warehouse, api, lines)
    finally:
        if api is not None:
            api.close()
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGINT)
            try:
                launcher.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
                launcher.wait()
        for proc in stack_processes(data_dir):
            proc.kill()


def wait_for(what: str, check: Callable[[], Any], timeout: float, live: LiveAirflow | None = None,
             every: float = 2.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the component logs on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if live is not None and (dead := live.dead()):
            raise AssertionError(f"airflow {dead[0]} died while waiting for {what}\n{live.logs()}")
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last})\n"
                         + (live.logs() if live else ""))


def dag_runs(api: ApiClient, dag_id: str) -> list[dict[str, Any]]:
    return list(api.json("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"])


def task_instances(api: ApiClient, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    return list(api.json("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"])


def task_log_events(api: ApiClient, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int,
                    ) -> list[str]:
    """The event texts of one task try's log, through GET .../logs/{try_number} (JSON lines)."""
    data = api.json("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
                    params={"map_index": map_index}, headers={"Accept": "application/json"})
    content = data.get("content", [])
    return [str(item.get("event", "")) if isinstance(item, dict) else str(item) for item in content]


def runs_report(api: ApiClient, dag_id: str, runs: list[dict[str, Any]]) -> str:
    """Each run's task instances (state, tries) and the log of every task that needed a retry or failed."""
    lines = []
    for run in runs:
        lines.append(f"{run['dag_run_id']} {run['run_type']} {run['state']}")
        for ti in task_instances(api, dag_id, run["dag_run_id"]):
            lines.append(f"  {ti['task_id']}[{ti['map_index']}] {ti['state']} try {ti['try_number']} "
                         f"{ti['duration']}s")
            if ti["state"] == "failed" or (ti["try_number"] or 0) > 1:
                for try_number in range(1, (ti["try_number"] or 0) + 1):
                    events = task_log_events(api, dag_id, run["dag_run_id"], ti["task_id"], ti["map_index"],
                                             try_number)
                    lines += [f"    try {try_number}: {e[:400]}" for e in events[-25:]]
    return "\n".join(lines)
