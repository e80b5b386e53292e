"""Start a real Airflow (api-server, scheduler, dag-processor, triggerer) for a test, and always stop it.

The stack is the one `make airflow` runs (``tools.local_airflow.LocalAirflow``), on a free port,
with its own AIRFLOW_HOME and a metadata database of its own on the test session's PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import drop_database, new_database
from tools.local_airflow import (
    ADMIN_USER,
    FETCH_POOL,
    FETCH_POOL_DESCRIPTION,
    ApiClient,
    LocalAirflow,
    airflow_environment,
    ensure_admin_password,
    free_port,
    migrate_metadata,
)

TERMINAL = {"success", "failed"}


@dataclass
class LiveAirflow:
    """A running stack and a logged-in API client."""

    stack: LocalAirflow
    api: ApiClient

    def logs(self) -> str:
        """The end of every component's log, for assertion messages."""
        return "\n".join(f"--- {name}.log ---\n{self.stack.log_tail(name, 2500)}" for name in self.stack.components)


@contextmanager
def running_airflow(
    home: Path, pg_admin_url: str, warehouse_url: str, extra_env: dict[str, str] | None = None,
    *, parallelism: int = 4, fetch_slots: int = 2,
) -> Iterator[LiveAirflow]:
    """Migrate a fresh metadata DB, start the components, wait until healthy; stop them all on exit."""
    metadata_url = new_database(pg_admin_url, "af")
    port = free_port()
    env = airflow_environment(home, warehouse_url, metadata_url, port, parallelism=parallelism,
                              extra=extra_env or {})
    stack = LocalAirflow(env, port)
    api: ApiClient | None = None
    try:
        migrate_metadata(env)
        stack.start()
        stack.wait_until_healthy(timeout=120)
        _, password = ensure_admin_password(home)
        api = ApiClient(stack.url, ADMIN_USER, password)
        api.ensure_pool(FETCH_POOL, fetch_slots, FETCH_POOL_DESCRIPTION)
        yield LiveAirflow(stack, api)
    finally:
        if api is not None:
            api.close()
        stack.stop(grace=20)
        leftovers = stack.stack_processes()
        drop_database(pg_admin_url, metadata_url)
        assert not leftovers, f"processes left after stop: {[p.pid for p in leftovers]}"


def wait_for(what: str, check: Callable[[], Any], timeout: float, live: LiveAirflow | None = None,
             every: float = 2.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the component logs on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if live is not None and (dead := live.stack.dead()):
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
